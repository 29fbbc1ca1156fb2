#include "http/requesttrust.h"

#include <QHostAddress>

namespace {

// Host and Origin values quoted back in an error message are cut here.
constexpr qsizetype kMaxQuotedBytes = 200;
constexpr quint32 kMaxPort = 65535;

bool isNameChar(char c) {
    // RFC 3986 reg-name: unreserved, sub-delims and pct-encoded
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           QByteArrayView("-._~!$&'()*+,;=%").contains(c);
}

std::optional<quint16> parsePort(QByteArrayView digits) {
    if (digits.isEmpty() || digits.size() > 5)
        return std::nullopt;
    quint32 port = 0;
    for (char c : digits) {
        if (c < '0' || c > '9')
            return std::nullopt;
        port = port * 10 + quint32(c - '0');
    }
    if (port > kMaxPort)
        return std::nullopt;
    return quint16(port);
}

QString quoted(QByteArrayView value) {
    return QString::fromUtf8(value.first(std::min(value.size(), kMaxQuotedBytes)));
}

HttpResponse misdirected(const QString &why) {
    return HttpResponse::jsonError(421, "misdirected_request", why);
}

HttpResponse foreignOrigin(const QString &what) {
    return HttpResponse::jsonError(
        403, "origin_not_allowed",
        QStringLiteral("requests from web pages of other sites are refused (%1); allow the site "
                       "with --push-allowed-origins")
            .arg(what));
}

} // namespace

RequestTrust::RequestTrust(const QStringList &allowedHosts, bool allowIpLiteralHosts,
                           const QStringList &allowedOrigins)
    : m_anyIpLiteral(allowIpLiteralHosts) {
    for (const QString &entry : allowedHosts) {
        if (std::optional<HostPort> h = parseHost(entry.trimmed().toUtf8()))
            m_hosts.append(*h);
    }
    for (const QString &entry : allowedOrigins) {
        const QString e = entry.trimmed();
        if (e == QLatin1String("*")) {
            m_anyOrigin = true;
            continue;
        }
        QByteArray bytes = e.toUtf8();
        if (bytes.endsWith('/'))
            bytes.chop(1); // "https://app.example/" as a browser address bar shows it
        const QByteArray normalized = normalizedOrigin(bytes);
        if (!normalized.isEmpty())
            m_origins.append(normalized);
    }
}

std::optional<RequestTrust::HostPort> RequestTrust::parseHost(QByteArrayView host) {
    HostPort out;
    QByteArrayView portPart;
    bool hasPort = false;
    if (host.startsWith('[')) {
        const qsizetype close = host.indexOf(']');
        if (close < 0)
            return std::nullopt;
        const QByteArray inner = host.sliced(1, close - 1).toByteArray();
        QHostAddress address;
        if (inner.isEmpty() || inner.contains('%') ||
            !address.setAddress(QString::fromLatin1(inner)) ||
            address.protocol() != QAbstractSocket::IPv6Protocol)
            return std::nullopt;
        out.name = host.first(close + 1).toByteArray().toLower();
        const QByteArrayView rest = host.sliced(close + 1);
        if (!rest.isEmpty()) {
            if (!rest.startsWith(':'))
                return std::nullopt;
            hasPort = true;
            portPart = rest.sliced(1);
        }
    } else {
        const qsizetype colon = host.indexOf(':');
        if (colon >= 0 && host.indexOf(':', colon + 1) >= 0)
            return std::nullopt; // a bare IPv6 address: it needs brackets
        const QByteArrayView name = colon < 0 ? host : host.first(colon);
        if (name.isEmpty())
            return std::nullopt;
        for (char c : name) {
            if (!isNameChar(c))
                return std::nullopt;
        }
        out.name = name.toByteArray().toLower();
        if (colon >= 0) {
            hasPort = true;
            portPart = host.sliced(colon + 1);
        }
    }
    if (hasPort) {
        out.port = parsePort(portPart);
        if (!out.port)
            return std::nullopt; // "host:" (empty port) too: no browser sends it
    }
    return out;
}

bool RequestTrust::isIpLiteral(const QByteArray &name) {
    if (name.startsWith('['))
        return name.endsWith(']'); // parseHost validated the address
    const QList<QByteArray> parts = name.split('.');
    if (parts.size() != 4)
        return false;
    for (const QByteArray &part : parts) {
        if (part.isEmpty() || part.size() > 3)
            return false;
        for (char c : part) {
            if (c < '0' || c > '9')
                return false;
        }
        if (part.toInt() > 255)
            return false;
    }
    return true;
}

QByteArray RequestTrust::normalizedOrigin(QByteArrayView origin) {
    const qsizetype sep = origin.indexOf("://");
    if (sep <= 0)
        return {};
    const QByteArray scheme = origin.first(sep).toByteArray().toLower();
    for (qsizetype i = 0; i < scheme.size(); ++i) {
        const char c = scheme[i];
        const bool letter = c >= 'a' && c <= 'z';
        if (!letter && (i == 0 || !((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')))
            return {};
    }
    const std::optional<HostPort> authority = parseHost(origin.sliced(sep + 3));
    if (!authority)
        return {}; // also a path, a query or userinfo: an origin has none
    QByteArray out = scheme + "://" + authority->name;
    const bool defaultPort =
        authority->port && (((scheme == "http" || scheme == "ws") && *authority->port == 80) ||
                            ((scheme == "https" || scheme == "wss") && *authority->port == 443));
    if (authority->port && !defaultPort)
        out += ':' + QByteArray::number(*authority->port);
    return out;
}

bool RequestTrust::isHostAllowed(QByteArrayView host, quint16 localPort) const {
    const std::optional<HostPort> h = parseHost(host);
    if (!h)
        return false;
    // What an entry without a port accepts: no port, or the port the request came in on.
    const bool portAsArrived = !h->port || (localPort != 0 && *h->port == localPort);
    for (const HostPort &entry : m_hosts) {
        if (entry.name != h->name)
            continue;
        if (entry.port ? h->port == entry.port : portAsArrived)
            return true;
    }
    return m_anyIpLiteral && portAsArrived && isIpLiteral(h->name);
}

bool RequestTrust::isOriginAllowed(QByteArrayView origin) const {
    if (m_anyOrigin)
        return true;
    const QByteArray normalized = normalizedOrigin(origin);
    return !normalized.isEmpty() && m_origins.contains(normalized);
}

std::optional<HttpResponse> RequestTrust::check(const HttpRequest &head) const {
    const QList<QByteArray> hosts = head.headerValues("Host");
    if (hosts.size() != 1)
        return misdirected(QStringLiteral("send exactly one Host header"));
    if (!isHostAllowed(hosts.first(), head.localPort))
        return misdirected(QStringLiteral("Host \"%1\" is not a name of this server (a guard "
                                          "against DNS rebinding); add it with "
                                          "--push-allowed-hosts")
                               .arg(quoted(hosts.first())));
    const QList<QByteArray> origins = head.headerValues("Origin");
    for (const QByteArray &origin : origins) {
        if (!isOriginAllowed(origin))
            return foreignOrigin(QStringLiteral("Origin \"%1\"").arg(quoted(origin)));
    }
    if (origins.isEmpty() && !m_anyOrigin && head.hasHeader("Sec-Fetch-Site")) {
        const QByteArray site = head.header("Sec-Fetch-Site").toLower();
        if (site != "same-origin" && site != "none")
            return foreignOrigin(QStringLiteral("Sec-Fetch-Site: %1").arg(quoted(site)));
    }
    return std::nullopt;
}
