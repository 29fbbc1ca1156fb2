#pragma once

#include "http/httprequest.h"
#include "http/httpresponse.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QStringList>

#include <optional>

/// Trust checks on a request head: its Host (DNS rebinding) and, for a browser's request, its
/// Origin (CSRF). A pure value: no sockets, no logging.
///
/// Host. The request must carry exactly one Host (an HTTP/1.0 request without one is refused
/// too), `name` or `name:port`, IPv6 in brackets. It is allowed when it matches an allowed
/// entry, names compared case-insensitively (no other normalization: "localhost." is not
/// "localhost"), ports as numbers:
///   - an entry with a port ("wsgate.lan:8081") matches only a Host with exactly that port;
///   - an entry without a port ("wsgate.lan") matches a Host without a port (a proxy or the
///     default port in front) and a Host whose port is the one the request arrived on
///     (HttpRequest::localPort), so the entries need no port when the port is chosen late.
/// With allowIpLiteralHosts (a wildcard listen address), every IP literal ("192.0.2.7",
/// "[2001:db8::7]") is allowed as if it were an entry without a port: an IP literal cannot be
/// rebound to another server.
///
/// Origin. A request with an Origin header (even "null"), or without one but with a
/// Sec-Fetch-Site other than "same-origin" or "none", comes from a web page: it is allowed only
/// when its Origin is an allowed one, compared as scheme://host[:port] with scheme and host
/// lower-cased and the default port (80 for http/ws, 443 for https/wss) dropped on both sides.
/// The entry "*" allows every origin, and requests with Sec-Fetch-Site but no Origin.
class RequestTrust final {
public:
    struct HostPort {
        QByteArray name; // lower-cased; IPv6 with its brackets
        std::optional<quint16> port;
    };

    /// Nothing allowed: every request is refused with 421.
    RequestTrust() = default;
    /// Malformed entries are ignored; configuration code checks them with parseHost() and
    /// normalizedOrigin() first.
    RequestTrust(const QStringList &allowedHosts, bool allowIpLiteralHosts,
                 const QStringList &allowedOrigins);

    /// 421 misdirected_request or 403 origin_not_allowed (JSON errors); nullopt: go on.
    std::optional<HttpResponse> check(const HttpRequest &head) const;
    bool isHostAllowed(QByteArrayView host, quint16 localPort) const;
    bool isOriginAllowed(QByteArrayView origin) const;

    /// A Host header value (or allowed-hosts entry) split; nullopt when malformed.
    static std::optional<HostPort> parseHost(QByteArrayView host);
    /// "scheme://host[:port]" normalized as above; empty when malformed (and for "null").
    static QByteArray normalizedOrigin(QByteArrayView origin);
    /// 192.0.2.7 (four decimal parts) or a bracketed IPv6 address.
    static bool isIpLiteral(const QByteArray &name);

private:
    QList<HostPort> m_hosts;
    QList<QByteArray> m_origins; // normalized
    bool m_anyIpLiteral = false;
    bool m_anyOrigin = false;
};
