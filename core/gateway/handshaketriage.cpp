#include "handshaketriage.h"

#include <QUrl>

#include <algorithm>
#include <limits>

namespace {

constexpr int WebSocketVersion = 13;
constexpr uint MaxWebSocketVersion = 255; // the header's grammar: 0-255

HandshakeDecision refuse(int status, QByteArrayView code, QByteArrayView message,
                         QList<HttpResponse::Header> headers = {}) {
    HandshakeDecision d;
    d.action = HandshakeDecision::Action::Refuse;
    d.status = status;
    d.code = code.toByteArray();
    d.message = message.toByteArray();
    d.headers = std::move(headers);
    return d;
}

HandshakeDecision act(HandshakeDecision::Action action) {
    HandshakeDecision d;
    d.action = action;
    d.status = action == HandshakeDecision::Action::Upgrade ? 101 : 200;
    return d;
}

bool hasToken(QByteArrayView list, QByteArrayView token) {
    for (const QByteArray &part : list.toByteArray().split(',')) {
        if (QByteArrayView(part).trimmed().compare(token, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

bool isRegNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

} // namespace

HttpResponse HandshakeDecision::response() const {
    HttpResponse r =
        HttpResponse::text(status, QByteArray::number(status) + ' ' +
                                       HttpResponse::reasonPhrase(status) + ": " + message + '\n');
    for (const auto &[name, value] : headers)
        r.setHeader(name, value);
    r.setCloseConnection(true);
    return r;
}

HttpRequestParser::Limits HandshakeTriage::parserLimits() {
    HttpRequestParser::Limits l;
    l.maxRequestLineBytes = MaxHeaderLineBytes;
    l.maxHeaderBytes = MaxHeadBytes;
    l.maxHeaderCount = MaxHeaderLines;
    // Not read here: an upgrade with a body is refused by decide(); a push API request's body
    // is read, with its own limit, by the HTTP server it is handed to.
    l.maxBodyBytes = std::numeric_limits<qsizetype>::max() / 2;
    return l;
}

HandshakeDecision HandshakeTriage::parseError(HttpRequestParser::Error error,
                                              const QByteArray &detail) {
    const int status = HttpRequestParser::statusCodeFor(error);
    return refuse(status ? status : 400, HttpRequestParser::errorName(error), detail);
}

bool HandshakeTriage::isValidHost(QByteArrayView host) {
    if (host.isEmpty())
        return false;
    qsizetype end = host.size();
    if (host.front() == '[') {
        const qsizetype close = host.indexOf(']');
        if (close < 0)
            return false;
        // IPv6 or IPvFuture characters only: QUrl reads "[:: 0]" as [::] (found by fuzzing).
        for (qsizetype i = 1; i < close; ++i) {
            if (!isRegNameChar(host[i]) && host[i] != ':')
                return false;
        }
        const QString literal = QString::fromLatin1(host.sliced(1, close - 1));
        if (QUrl(QStringLiteral("ws://[") + literal + QStringLiteral("]/")).host().isEmpty())
            return false;
        end = close + 1;
    } else {
        const qsizetype colon = host.indexOf(':');
        end = colon < 0 ? host.size() : colon;
        if (end == 0)
            return false;
        for (qsizetype i = 0; i < end; ++i) {
            if (!isRegNameChar(host[i]))
                return false;
        }
    }
    if (end == host.size())
        return true;
    if (host[end] != ':' || end + 1 == host.size() || host.size() - end - 1 > 5)
        return false;
    for (qsizetype i = end + 1; i < host.size(); ++i) {
        if (host[i] < '0' || host[i] > '9')
            return false;
    }
    return true;
}

bool HandshakeTriage::isValidKey(QByteArrayView key) {
    if (key.size() != 24 || !key.endsWith("=="))
        return false;
    const auto decoded =
        QByteArray::fromBase64Encoding(key.toByteArray(), QByteArray::AbortOnBase64DecodingErrors);
    return decoded && decoded.decoded.size() == 16;
}

HandshakeDecision HandshakeTriage::decide(const HttpRequest &head, const Settings &s) {
    using Action = HandshakeDecision::Action;
    const bool upgrade = head.hasHeader("Upgrade");
    if (!upgrade && !s.pushPrefix.isEmpty() && head.path.startsWith(s.pushPrefix + '/'))
        return act(Action::PushApi);
    const auto decoded = HttpRequest::percentDecoded(head.path);
    if (!decoded)
        return refuse(400, "bad_request", "malformed percent-encoding in the path");
    if (!upgrade) {
        if (head.method == "GET" && (head.path == "/" || head.path == "/index.html") && s.indexPage)
            return act(Action::IndexPage);
        if (*decoded == s.path)
            return refuse(426, "upgrade_required",
                          "this is a WebSocket endpoint: connect with a WebSocket client",
                          {{"Upgrade", "websocket"}, {"Sec-WebSocket-Version", "13"}});
        return refuse(404, "not_found", "not found");
    }
    if (*decoded != s.path)
        return refuse(404, "not_found", "no WebSocket endpoint at this path");
    if (head.method != "GET")
        return refuse(405, "method_not_allowed", "a WebSocket handshake is a GET",
                      {{"Allow", "GET"}});
    if (head.versionMajor != 1 || head.versionMinor < 1)
        return refuse(400, "bad_handshake", "a WebSocket handshake needs HTTP/1.1");
    for (const auto &[name, value] : head.headers) {
        if (name.size() + value.size() + 4 > MaxHeaderLineBytes)
            return refuse(431, "header_line_too_long", "a header line is longer than 8 KiB");
    }
    if (head.bodyExpected())
        return refuse(400, "bad_handshake", "a WebSocket handshake has no body");
    if (head.header("Upgrade").trimmed().compare("websocket", Qt::CaseInsensitive) != 0)
        return refuse(400, "bad_handshake", "Upgrade must be \"websocket\"");
    if (!hasToken(head.header("Connection"), "upgrade"))
        return refuse(400, "bad_handshake", "Connection must contain \"Upgrade\"");
    if (!isValidHost(head.header("Host")))
        return refuse(400, "bad_handshake", "missing or malformed Host");
    bool version13 = false;
    bool anyVersion = false;
    for (const QByteArray &line : head.headerValues("Sec-WebSocket-Version")) {
        for (const QByteArray &v : line.split(',')) {
            const QByteArray t = v.trimmed();
            if (t.isEmpty())
                continue;
            // RFC 6455 §4.1: 0-255 written without leading zeros ("013" and "+13" are not 13,
            // though toUInt() reads them so; found by the triage fuzzer).
            const bool digits = t.size() <= 3 && std::all_of(t.cbegin(), t.cend(), [](char c) {
                                    return c >= '0' && c <= '9';
                                });
            bool ok = digits && (t.size() == 1 || t.front() != '0');
            const uint n = ok ? t.toUInt(&ok) : 0;
            if (!ok || n > MaxWebSocketVersion)
                return refuse(400, "bad_handshake", "malformed Sec-WebSocket-Version");
            anyVersion = true;
            version13 = version13 || n == uint(WebSocketVersion);
        }
    }
    if (!version13)
        return refuse(anyVersion ? 426 : 400, "unsupported_version",
                      anyVersion ? "only WebSocket version 13 is supported"
                                 : "missing Sec-WebSocket-Version",
                      {{"Sec-WebSocket-Version", "13"}});
    if (!isValidKey(head.header("Sec-WebSocket-Key").trimmed()))
        return refuse(400, "bad_handshake", "missing or malformed Sec-WebSocket-Key");
    return act(Action::Upgrade);
}
