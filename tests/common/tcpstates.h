#pragma once

#include <QFile>
#include <QStringList>

/// Sockets of this machine whose local port is `port`, other than a listener, by TCP state as
/// /proc/net/tcp writes it ("01" established, "04" FIN-WAIT-1 …): what the kernel still keeps
/// for a server after it closed or aborted its connections. Empty where /proc has none.
inline QStringList tcpStatesOnPort(quint16 port) {
    QStringList states;
    for (const char *path : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        QFile f(QString::fromLatin1(path));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        f.readLine(); // header
        while (!f.atEnd()) {
            const QList<QByteArray> fields = f.readLine().simplified().split(' ');
            if (fields.size() < 4)
                continue;
            const QByteArray &local = fields.at(1);
            if (local.mid(local.lastIndexOf(':') + 1).toUShort(nullptr, 16) == port &&
                fields.at(3) != "0A")
                states << QString::fromLatin1(fields.at(3));
        }
    }
    return states;
}
