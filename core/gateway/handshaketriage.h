#pragma once

#include "http/httprequest.h"
#include "http/httprequestparser.h"
#include "http/httpresponse.h"

#include <QByteArray>
#include <QList>

/// What to do with one request head on the WebSocket port, decided from the head alone: the
/// checks QWebSocketServer's handshake makes (and a few it does not), so that nothing is kept
/// for a request Qt would refuse, and every refusal has a status, a body and a stable code.
struct HandshakeDecision {
    enum class Action {
        Upgrade,   // a valid WebSocket handshake for our path
        IndexPage, // GET / (the demo page)
        PushApi,   // plain HTTP below the push prefix: hand the connection to the HTTP server
        Refuse,    // answer `status` and close
    };

    Action action = Action::Refuse;
    int status = 0;
    QByteArray code;    // stable snake_case name for logs and counters ("bad_handshake" …)
    QByteArray message; // one line for the client and the log
    QList<HttpResponse::Header> headers; // e.g. Allow, Sec-WebSocket-Version

    /// The refusal as an HTTP response (text body, "Connection: close").
    HttpResponse response() const;
};

/// Decides what a request head on the WebSocket port is; pure.
class HandshakeTriage final {
public:
    static constexpr qsizetype MaxHeaderLineBytes = 8 * 1024; // Qt's MAX_HEADERLINE_LENGTH
    static constexpr int MaxHeaderLines = 100;                // Qt's MAX_HEADERLINES
    static constexpr qsizetype MaxHeadBytes = 64 * 1024;

    struct Settings {
        QByteArray path = "/ws"; // the WebSocket path (decoded form)
        QByteArray pushPrefix;   // "/_wsgate"; empty: none
        bool indexPage = false;  // GET / is served
    };

    /// Limits for the HttpRequestParser that reads heads on the WebSocket port.
    static HttpRequestParser::Limits parserLimits();
    /// The refusal for a head the parser rejected (400, 414, 431, 501, 505 …).
    static HandshakeDecision parseError(HttpRequestParser::Error error, const QByteArray &detail);
    static HandshakeDecision decide(const HttpRequest &head, const Settings &settings);
    /// A Host header value a URL authority can hold: reg-name, IPv4 or [IPv6], optional port.
    static bool isValidHost(QByteArrayView host);
    /// A Sec-WebSocket-Key: base64 of exactly 16 bytes.
    static bool isValidKey(QByteArrayView key);
};
