#include "configurationvalues.h"

#include <QHostAddress>
#include <QRegularExpression>
#include <QUrl>

#include <limits>
#include <utility>

namespace {

constexpr int MaxDnsNameChars = 253;
constexpr int MaxUserNameChars = 32;

/// Dot-separated DNS labels; underscores too, as container and test host names use them.
bool isDnsName(const QString &text) {
    static const QRegularExpression name(QStringLiteral(
        "^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}"
        "[A-Za-z0-9_])?)*$"));
    return text.size() <= MaxDnsNameChars && name.match(text).hasMatch();
}

bool parseOriginList(const QString &text, bool strict, QStringList &out, QString *error) {
    QStringList list;
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString origin = part.trimmed();
        if (origin != QLatin1String("*")) {
            const QUrl url(origin);
            // Strict: what a browser sends, scheme://host[:port], a trailing slash tolerated.
            const bool extra = !url.userInfo().isEmpty() || url.hasQuery() || url.hasFragment() ||
                               (!url.path().isEmpty() && url.path() != QLatin1String("/"));
            if (!url.isValid() || url.scheme().isEmpty() || url.host().isEmpty() ||
                (strict && extra)) {
                *error =
                    QStringLiteral("\"%1\" is not an origin like https://example.com").arg(origin);
                return false;
            }
        }
        list << origin;
    }
    out = list;
    return true;
}

} // namespace

namespace ConfigurationValues {

bool parseHostPort(const QString &text, QString &host, quint16 &port, QString *error) {
    const int colon = text.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0) {
        *error = QStringLiteral("expected HOST:PORT, got \"%1\"").arg(text);
        return false;
    }
    QString h = text.left(colon);
    if (h.startsWith(QLatin1Char('[')) && h.endsWith(QLatin1Char(']')))
        h = h.mid(1, h.size() - 2);
    bool ok = false;
    const uint p = text.mid(colon + 1).toUInt(&ok);
    if (!ok || p > 65535) {
        *error = QStringLiteral("bad port in \"%1\" (0-65535)").arg(text);
        return false;
    }
    if (h.isEmpty()) {
        *error = QStringLiteral("missing host in \"%1\"").arg(text);
        return false;
    }
    if (h != QLatin1String("localhost") && h != QLatin1String("*") && QHostAddress(h).isNull()) {
        *error = QStringLiteral("\"%1\" is not an IP address (use 0.0.0.0, ::, 127.0.0.1 or "
                                "localhost)")
                     .arg(h);
        return false;
    }
    host = h;
    port = static_cast<quint16>(p);
    return true;
}

QString hostPortText(const QString &host, quint16 port) {
    const bool v6 = host.contains(QLatin1Char(':'));
    return QStringLiteral("%1:%2")
        .arg(v6 ? QLatin1Char('[') + host + QLatin1Char(']') : host)
        .arg(port);
}

bool isLoopbackHost(const QString &host) {
    if (host == QLatin1String("localhost"))
        return true;
    const QHostAddress a(host);
    return !a.isNull() && a.isLoopback();
}

bool parseInt(const QString &text, qint64 min, qint64 max, qint64 &out, QString *error) {
    bool ok = false;
    const qint64 v = text.trimmed().toLongLong(&ok);
    if (!ok || v < min || v > max) {
        *error = QStringLiteral("expected a whole number from %1 to %2, got \"%3\"")
                     .arg(min)
                     .arg(max)
                     .arg(text);
        return false;
    }
    out = v;
    return true;
}

bool parseBytes(const QString &text, qint64 min, qint64 max, qint64 &out, QString *error) {
    QString t = text.trimmed().toUpper();
    qint64 factor = 1;
    for (const auto &[suffix, f] : {std::pair<QString, qint64>{QStringLiteral("KIB"), 1024},
                                    {QStringLiteral("MIB"), 1 << 20},
                                    {QStringLiteral("GIB"), 1 << 30},
                                    {QStringLiteral("K"), 1024},
                                    {QStringLiteral("M"), 1 << 20},
                                    {QStringLiteral("G"), 1 << 30}}) {
        if (t.endsWith(suffix)) {
            factor = f;
            t.chop(suffix.size());
            break;
        }
    }
    bool ok = false;
    const qint64 v = t.trimmed().toLongLong(&ok);
    if (!ok || v < 0 || v > std::numeric_limits<qint64>::max() / factor || v * factor < min ||
        v * factor > max) {
        *error = QStringLiteral("expected a size from %1 to %2 bytes (suffixes K, M, G), got "
                                "\"%3\"")
                     .arg(min)
                     .arg(max)
                     .arg(text);
        return false;
    }
    out = v * factor;
    return true;
}

bool parseSwitch(const QString &text, bool &out, QString *error) {
    const QString t = text.trimmed().toLower();
    if (t.isEmpty() || t == QLatin1String("true") || t == QLatin1String("1") ||
        t == QLatin1String("on") || t == QLatin1String("yes")) {
        out = true;
        return true;
    }
    if (t == QLatin1String("false") || t == QLatin1String("0") || t == QLatin1String("off") ||
        t == QLatin1String("no")) {
        out = false;
        return true;
    }
    *error = QStringLiteral("expected true or false, got \"%1\"").arg(text);
    return false;
}

bool parseOrigins(const QString &text, QStringList &out, QString *error) {
    return parseOriginList(text, false, out, error);
}

bool parseStrictOrigins(const QString &text, QStringList &out, QString *error) {
    return parseOriginList(text, true, out, error);
}

bool parseHosts(const QString &text, QStringList &out, QString *error) {
    QStringList list;
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString item = part.trimmed().toLower();
        QString name = item;
        QString port;
        if (item.startsWith(QLatin1Char('['))) {
            const int close = item.indexOf(QLatin1Char(']'));
            name = item.mid(1, close - 1);
            port = close < 0 ? QString() : item.mid(close + 1);
            const bool portOk = port.isEmpty() || port.startsWith(QLatin1Char(':'));
            if (close < 0 || !portOk || name.contains(QLatin1Char('%')) ||
                QHostAddress(name).protocol() != QHostAddress::IPv6Protocol)
                name.clear(); // refused below
            else
                port = port.mid(1);
        } else if (const int colon = item.indexOf(QLatin1Char(':')); colon >= 0) {
            name = item.left(colon);
            port = item.mid(colon + 1);
            if (!isDnsName(name))
                name.clear();
        } else if (!isDnsName(name)) {
            name.clear();
        }
        bool portOk = true;
        if (!port.isEmpty() || item.endsWith(QLatin1Char(':'))) {
            bool digits = !port.isEmpty();
            for (const QChar ch : port)
                digits = digits && ch.isDigit();
            const uint p = port.toUInt(&portOk);
            portOk = portOk && digits && p >= 1 && p <= 65535;
        }
        if (name.isEmpty() || !portOk) {
            *error = QStringLiteral("\"%1\" is not a Host value like example.com or "
                                    "example.com:8081")
                         .arg(part.trimmed());
            return false;
        }
        list << item;
    }
    out = list;
    return true;
}

bool isName(const QString &text) {
    static const QRegularExpression name(QStringLiteral("^[A-Za-z0-9_.-]{1,64}$"));
    return name.match(text).hasMatch();
}

bool isUserName(const QString &text) {
    static const QRegularExpression user(QStringLiteral("^[A-Za-z0-9_][A-Za-z0-9_.-]*\\$?$"));
    return text.size() <= MaxUserNameChars && user.match(text).hasMatch();
}

bool isServerName(const QString &text) {
    return isDnsName(text) || !QHostAddress(text).isNull();
}

} // namespace ConfigurationValues
