#pragma once

#include "http/httprequest.h"
#include "php/phprequest.h"

#include <QHostAddress>
#include <QString>

#include <memory>

/// The CGI/1.1 params fixed for one WebSocket connection, as nginx's fastcgi_params would set
/// them: built once from the handshake head and the connection's addresses, shared by every
/// request the connection makes.
class CgiParams final {
public:
    struct Settings {
        QString script;     // SCRIPT_FILENAME
        QString docroot;    // DOCUMENT_ROOT; empty: the script's directory
        QString serverName; // SERVER_NAME
        bool https = false;
        PhpParams extra; // e.g. WS_PUSH_URL, WS_NODE: after the CGI params, before HTTP_*
    };
    struct Endpoints {
        QHostAddress remoteAddress;
        quint16 remotePort = 0;
        QHostAddress localAddress;
        quint16 localPort = 0;
    };

    /// SCRIPT_NAME for a script below (or not below) its document root.
    static QByteArray scriptName(const QString &script, const QString &docroot);
    /// The block for one connection: CGI params, then `extra`, then every handshake header as
    /// HTTP_* (repeated headers joined; Cookie with "; "), except hop-by-hop headers, Proxy
    /// (httpoxy), Content-Length/-Type, and names PHP would see with '_' or other characters.
    static PhpParams build(const Settings &settings, const Endpoints &endpoints,
                           const HttpRequest &head);
    /// The HTTP_* name for a header name; empty when it must not be forwarded.
    static QByteArray headerParamName(QByteArrayView name);
};
