#include "fpmpoolscanner.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLocalSocket>
#include <QRegularExpression>

#ifdef Q_OS_UNIX
#include <grp.h>
#include <pwd.h>
#include <sys/types.h>
#include <unistd.h>
#endif

namespace {

constexpr int ConnectProbeMs = 300; // a local socket answers at once, or never
constexpr qint64 MaxConfigBytes = 1024 * 1024;
constexpr int MaxGroups = 1024; // supplementary groups of this process looked at

QString unquote(QString v) {
    v = v.trimmed();
    if (v.size() >= 2 && ((v.startsWith(QLatin1Char('"')) && v.endsWith(QLatin1Char('"'))) ||
                          (v.startsWith(QLatin1Char('\'')) && v.endsWith(QLatin1Char('\'')))))
        v = v.mid(1, v.size() - 2);
    return v;
}

/// FPM's `listen` as a --fastcgi address: a path, "host:port", or a port alone (all
/// addresses; reached on loopback).
QString addressOf(const QString &listen) {
    if (listen.startsWith(QLatin1Char('/')))
        return QStringLiteral("unix:") + listen;
    static const QRegularExpression portOnly(QStringLiteral("^\\d+$"));
    if (portOnly.match(listen).hasMatch())
        return QStringLiteral("tcp:127.0.0.1:") + listen;
    QString hostPort = listen;
    if (hostPort.startsWith(QLatin1String("0.0.0.0:")) || hostPort.startsWith(QLatin1String("*:")))
        hostPort = QStringLiteral("127.0.0.1") + hostPort.mid(hostPort.indexOf(QLatin1Char(':')));
    else if (hostPort.startsWith(QLatin1String("[::]:")))
        hostPort = QStringLiteral("[::1]") + hostPort.mid(4);
    return QStringLiteral("tcp:") + hostPort;
}

QString versionFromPath(const QString &path) {
    static const QRegularExpression version(QStringLiteral("php(\\d+\\.\\d+)"));
    const auto m = version.match(path);
    if (m.hasMatch())
        return m.captured(1);
    static const QRegularExpression etc(QStringLiteral("/(\\d+\\.\\d+)/fpm/"));
    const auto e = etc.match(path);
    return e.hasMatch() ? e.captured(1) : QString();
}

void finish(FpmPoolScanner::Pool &p) {
    p.slowlog.replace(QLatin1String("$pool"), p.name);
    p.listen.replace(QLatin1String("$pool"), p.name);
    p.address = p.listen.isEmpty() ? QString() : addressOf(p.listen);
}

#ifdef Q_OS_UNIX
QString userName() {
    const passwd *pw = getpwuid(getuid());
    return pw ? QString::fromLocal8Bit(pw->pw_name) : qEnvironmentVariable("USER");
}

/// Whether the user is listed in `group` (/etc/group), and whether this process has it now.
void groupMembership(const QString &groupName, bool *listed, bool *active) {
    *listed = *active = false;
    const struct group *g = getgrnam(groupName.toLocal8Bit().constData());
    if (!g)
        return;
    const QByteArray me = userName().toLocal8Bit();
    const passwd *pw = getpwuid(getuid());
    *listed = pw && pw->pw_gid == g->gr_gid;
    for (char **m = g->gr_mem; m && *m && !*listed; ++m)
        *listed = me == *m;
    if (getegid() == g->gr_gid) {
        *active = true;
        return;
    }
    gid_t ids[MaxGroups];
    const int n = getgroups(MaxGroups, ids);
    for (int i = 0; i < n; ++i)
        *active = *active || ids[i] == g->gr_gid;
}
#endif

} // namespace

FpmPoolScanner::FpmPoolScanner(const QString &etcRoot, const QString &runDir)
    : m_etcRoot(etcRoot)
    , m_runDir(runDir) {}

bool FpmPoolScanner::fpmInstalled() const {
    const QDir etc(m_etcRoot);
    for (const QString &version : etc.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        if (QFileInfo::exists(etc.filePath(version + QStringLiteral("/fpm"))))
            return true;
    }
    return false;
}

QList<FpmPoolScanner::Pool> FpmPoolScanner::parseConfig(const QString &fileName) {
    QList<Pool> out;
    QFile file(fileName);
    if (!file.open(QIODevice::ReadOnly) || file.size() > MaxConfigBytes)
        return out;
    const QString version = versionFromPath(fileName);
    Pool *current = nullptr;
    const QStringList lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'));
    for (QString line : lines) {
        line = line.trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char(';')) ||
            line.startsWith(QLatin1Char('#')))
            continue;
        if (line.startsWith(QLatin1Char('[')) && line.endsWith(QLatin1Char(']'))) {
            const QString name = line.mid(1, line.size() - 2).trimmed();
            if (name == QLatin1String("global")) {
                current = nullptr;
                continue;
            }
            out.append(Pool());
            current = &out.last();
            current->name = name;
            current->configFile = fileName;
            current->phpVersion = version;
            continue;
        }
        const int eq = int(line.indexOf(QLatin1Char('=')));
        if (!current || eq <= 0)
            continue;
        const QString key = line.left(eq).trimmed();
        const QString value = unquote(line.mid(eq + 1));
        if (key == QLatin1String("listen"))
            current->listen = value;
        else if (key == QLatin1String("pm.status_path"))
            current->statusPath = value;
        else if (key == QLatin1String("ping.path"))
            current->pingPath = value;
        else if (key == QLatin1String("slowlog"))
            current->slowlog = value;
        else if (key == QLatin1String("request_slowlog_timeout"))
            current->slowlogTimeout = value;
        else if (key == QLatin1String("pm.max_children"))
            current->maxChildren = value.toInt();
    }
    for (Pool &p : out)
        finish(p);
    return out;
}

QList<FpmPoolScanner::Pool> FpmPoolScanner::pools() const {
    QList<Pool> out;
    const QDir etc(m_etcRoot);
    QStringList versions = etc.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    std::sort(versions.begin(), versions.end(), std::greater<QString>()); // newest first
    for (const QString &version : std::as_const(versions)) {
        const QDir poolDir(etc.filePath(version + QStringLiteral("/fpm/pool.d")));
        for (const QString &conf :
             poolDir.entryList({QStringLiteral("*.conf")}, QDir::Files, QDir::Name))
            out += parseConfig(poolDir.filePath(conf));
    }
    const QDir run(m_runDir);
    for (const QString &name :
         run.entryList({QStringLiteral("*.sock")}, QDir::System | QDir::Files, QDir::Name)) {
        const QString path = run.filePath(name);
        const bool known = std::any_of(out.cbegin(), out.cend(), [&path](const Pool &p) {
            return p.address == QStringLiteral("unix:") + path;
        });
        if (known)
            continue;
        Pool p;
        p.name = QFileInfo(name).completeBaseName();
        p.listen = path;
        p.address = QStringLiteral("unix:") + path;
        p.phpVersion = versionFromPath(path);
        p.fromConfig = false;
        out.append(p);
    }
    return out;
}

std::optional<FpmPoolScanner::Pool> FpmPoolScanner::poolFor(const QList<Pool> &pools,
                                                            const FastCgiAddress &address) {
    for (const Pool &p : pools) {
        QString error;
        const auto a = FastCgiAddress::parse(p.address, &error);
        if (a && *a == address)
            return p;
    }
    return std::nullopt;
}

FpmPoolScanner::SocketCheck FpmPoolScanner::checkSocket(const QString &path) {
    SocketCheck c;
    c.path = path;
    const QFileInfo info(path);
    c.exists = info.exists();
    const QString version = versionFromPath(path);
    const QString service =
        version.isEmpty() ? QStringLiteral("php-fpm") : QStringLiteral("php%1-fpm").arg(version);
    if (!c.exists) {
        const QString dir = info.absolutePath();
        c.problem = QFileInfo::exists(dir)
                        ? QObject::tr("%1 does not exist (yet): php-fpm is not running, or its "
                                      "pool listens elsewhere.")
                              .arg(path)
                        : QObject::tr("%1 does not exist, nor does %2: php-fpm is not installed "
                                      "or not running.")
                              .arg(path, dir);
        c.fix = QFileInfo::exists(dir)
                    ? QStringLiteral("sudo systemctl start %1").arg(service)
                    : QStringLiteral("sudo apt install %1\nsudo systemctl "
                                     "start %1")
                          .arg(service == QLatin1String("php-fpm") ? QStringLiteral("php-fpm")
                                                                   : service);
        return c;
    }
    c.owner = info.owner();
    c.group = info.group();
    const QFile::Permissions perms = info.permissions();
    int mode = 0;
    mode |= perms & QFile::ReadOwner ? 0400 : 0;
    mode |= perms & QFile::WriteOwner ? 0200 : 0;
    mode |= perms & QFile::ExeOwner ? 0100 : 0;
    mode |= perms & QFile::ReadGroup ? 040 : 0;
    mode |= perms & QFile::WriteGroup ? 020 : 0;
    mode |= perms & QFile::ExeGroup ? 010 : 0;
    mode |= perms & QFile::ReadOther ? 04 : 0;
    mode |= perms & QFile::WriteOther ? 02 : 0;
    mode |= perms & QFile::ExeOther ? 01 : 0;
    c.mode = QStringLiteral("0%1").arg(mode, 3, 8, QLatin1Char('0'));
    c.isSocket = !info.isFile() && !info.isDir();

    QLocalSocket probe;
    probe.connectToServer(path);
    c.connectable = probe.waitForConnected(ConnectProbeMs);
    const QString error = probe.errorString();
    probe.abort();
    if (c.connectable)
        return c;
    const bool denied = probe.error() == QLocalSocket::SocketAccessError ||
                        error.contains(QLatin1String("ermission"), Qt::CaseInsensitive);
    if (!denied) {
        c.problem = QObject::tr("%1 exists but nothing accepts connections on it (%2): php-fpm "
                                "may have stopped and left it behind.")
                        .arg(path, error);
        c.fix = QStringLiteral("sudo systemctl restart %1").arg(service);
        return c;
    }
    bool listed = false;
    bool active = false;
#ifdef Q_OS_UNIX
    groupMembership(c.group, &listed, &active);
#endif
    if (listed && !active) {
        c.problem = QObject::tr("%1 belongs to %2:%3, mode %4. You are in group %3, but this "
                                "session started before you were added: log out and in again.")
                        .arg(path, c.owner, c.group, c.mode);
        c.fix = QStringLiteral("newgrp %1   # or log out and in again").arg(c.group);
        return c;
    }
    c.problem = QObject::tr("%1 belongs to %2:%3, mode %4: you may not connect to it. Add "
                            "yourself to group %3, then log out and in again.")
                    .arg(path, c.owner, c.group, c.mode);
    c.fix = QStringLiteral("sudo usermod -aG %1 $USER").arg(c.group);
    return c;
}
