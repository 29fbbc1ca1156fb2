#include "fastcgiaddress.h"

#include <QHostAddress>

namespace {

const QString kUnixPrefix = QStringLiteral("unix:");
const QString kTcpPrefix = QStringLiteral("tcp:");

std::optional<FastCgiAddress> failWith(QString *error, const QString &message) {
    if (error)
        *error = message;
    return std::nullopt;
}

bool isHostNameChar(QChar c) {
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') ||
           c == u'-' || c == u'.' || c == u'_';
}

std::optional<FastCgiAddress> parseTcp(const QString &original, const QString &text,
                                       QString *error) {
    QString host;
    QString portText;
    if (text.startsWith(u'[')) {
        const qsizetype close = text.indexOf(u']');
        if (close < 0)
            return failWith(
                error, QStringLiteral("'%1': missing ']' after the IPv6 address").arg(original));
        host = text.mid(1, close - 1);
        if (text.mid(close + 1, 1) != QStringLiteral(":"))
            return failWith(error,
                            QStringLiteral("'%1': expected ':PORT' after ']'").arg(original));
        portText = text.mid(close + 2);
        QHostAddress ip;
        if (!ip.setAddress(host) || ip.protocol() != QAbstractSocket::IPv6Protocol)
            return failWith(
                error, QStringLiteral("'%1': '%2' is not an IPv6 address").arg(original, host));
    } else {
        const qsizetype colon = text.lastIndexOf(u':');
        if (colon < 0)
            return failWith(error, QStringLiteral("'%1': expected unix:/path.sock, /path.sock, "
                                                  "tcp:HOST:PORT or HOST:PORT")
                                       .arg(original));
        host = text.left(colon);
        portText = text.mid(colon + 1);
        if (host.contains(u':'))
            return failWith(error, QStringLiteral("'%1': write IPv6 addresses in brackets, "
                                                  "as in [::1]:9000")
                                       .arg(original));
        if (host.isEmpty())
            return failWith(error, QStringLiteral("'%1': missing host").arg(original));
        for (const QChar c : host) {
            if (!isHostNameChar(c))
                return failWith(error,
                                QStringLiteral("'%1': invalid host name '%2'").arg(original, host));
        }
    }
    bool ok = false;
    const uint port = portText.toUInt(&ok, 10);
    if (!ok || port == 0 || port > 65535 || portText.startsWith(u'+'))
        return failWith(
            error, QStringLiteral("'%1': port must be a number from 1 to 65535").arg(original));
    FastCgiAddress address;
    address.kind = FastCgiAddress::Kind::Tcp;
    address.host = host;
    address.port = quint16(port);
    return address;
}

std::optional<FastCgiAddress> parseUnix(const QString &original, const QString &path,
                                        QString *error) {
    if (path.isEmpty())
        return failWith(error, QStringLiteral("'%1': missing socket path").arg(original));
    if (!path.startsWith(u'/'))
        return failWith(error,
                        QStringLiteral("'%1': the socket path must be absolute").arg(original));
    FastCgiAddress address;
    address.kind = FastCgiAddress::Kind::Unix;
    address.path = path;
    return address;
}

} // namespace

std::optional<FastCgiAddress> FastCgiAddress::parse(const QString &text, QString *error) {
    const QString t = text.trimmed();
    if (t.isEmpty())
        return failWith(error, QStringLiteral("empty address"));
    if (t.startsWith(kUnixPrefix))
        return parseUnix(t, t.mid(kUnixPrefix.size()), error);
    if (t.startsWith(u'/'))
        return parseUnix(t, t, error);
    if (t.startsWith(kTcpPrefix))
        return parseTcp(t, t.mid(kTcpPrefix.size()), error);
    return parseTcp(t, t, error);
}

QString FastCgiAddress::toString() const {
    if (kind == Kind::Unix)
        return kUnixPrefix + path;
    const QString h = host.contains(u':') ? u'[' + host + u']' : host;
    return kTcpPrefix + h + u':' + QString::number(port);
}
