// libFuzzer entry point for HandshakeTriage: request heads are read with HttpRequestParser
// exactly as WebSocketFront::onData() does (random chunks, one feed each, stopping at the end
// of the head) and decided with the settings the input's first byte picks. Every decision must
// serialise; a refusal has a 4xx/5xx status and a body; an upgrade is granted only to a head a
// WebSocket handshake accepts, checked here independently of the triage's own helpers.
// Build and run with scripts/fuzz.sh.

#include "gateway/handshaketriage.h"
#include "http/httprequestparser.h"

#include <QDateTime>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "CHECK failed at line %d: %s\n", __LINE__, #cond);                \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)

namespace {

using Action = HandshakeDecision::Action;

bool isBase64Char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

// 16 bytes in base64: 22 alphabet characters and "==".
bool referenceKey(QByteArrayView key) {
    if (key.size() != 24 || !key.endsWith("=="))
        return false;
    return std::all_of(key.begin(), key.end() - 2, isBase64Char);
}

// What a Host may never hold, whatever the triage thinks of its form: nothing that ends an
// authority or a header, and a port of digits only.
bool plausibleHost(QByteArrayView host) {
    if (host.isEmpty())
        return false;
    for (const char c : host) {
        if (uchar(c) <= 0x20 || uchar(c) >= 0x7f || std::strchr("/?#@\\\"<>{}|^`", c))
            return false;
    }
    const qsizetype close = host.front() == '[' ? host.indexOf(']') : -1;
    if (host.front() == '[' && close < 2)
        return false;
    const qsizetype colon = host.indexOf(':', close < 0 ? 0 : close);
    if (colon < 0)
        return close < 0 || close == host.size() - 1;
    if (close >= 0 && colon != close + 1)
        return false;
    const QByteArrayView port = host.sliced(colon + 1);
    return !port.isEmpty() && port.size() <= 5 &&
           std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool hasUpgradeToken(QByteArrayView connection) {
    for (const QByteArray &part : connection.toByteArray().split(',')) {
        if (part.trimmed().compare("upgrade", Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

bool offersVersion13(const HttpRequest &head) {
    bool found = false;
    for (const QByteArray &line : head.headerValues("Sec-WebSocket-Version")) {
        for (const QByteArray &v : line.split(',')) {
            if (v.trimmed() == "13")
                found = true;
        }
    }
    return found;
}

// The decision as WebSocketFront::answer() sends it: a status line, sane headers, the body
// (none for a 1xx).
void checkResponse(const HandshakeDecision &d) {
    const HttpResponse response = d.response();
    HttpResponse::Framing framing;
    framing.keepAlive = false;
    framing.date = QDateTime::fromSecsSinceEpoch(0, Qt::UTC);
    const QByteArray bytes = response.toBytes(framing);
    CHECK(bytes.startsWith("HTTP/1.1 " + QByteArray::number(d.status) + ' '));
    const qsizetype headEnd = bytes.indexOf("\r\n\r\n");
    CHECK(headEnd > 0);
    const QByteArray head = bytes.first(headEnd + 2);
    for (const QByteArray &line : head.split('\n')) {
        if (line.isEmpty())
            continue;
        CHECK(line.endsWith('\r') && line.indexOf('\r') == line.size() - 1);
    }
    const bool bodyless = d.status < 200;
    CHECK(bytes.sliced(headEnd + 4) == (bodyless ? QByteArray() : response.body()));
    if (!bodyless)
        CHECK(head.contains("\r\nContent-Length: " + QByteArray::number(response.body().size()) +
                            "\r\n"));
    CHECK(response.closeConnection());
    if (d.action == Action::Refuse) {
        CHECK(d.status >= 400 && d.status <= 599);
        CHECK(!response.body().isEmpty() && !d.code.isEmpty());
    }
}

void checkDecision(const HttpRequest &head, const HandshakeTriage::Settings &s,
                   const HandshakeDecision &d) {
    checkResponse(d);
    switch (d.action) {
    case Action::Upgrade: {
        CHECK(d.status == 101);
        CHECK(head.method == "GET");
        CHECK(head.versionMajor == 1 && head.versionMinor >= 1);
        const auto path = HttpRequest::percentDecoded(head.path);
        CHECK(path && *path == s.path);
        CHECK(!head.bodyExpected());
        CHECK(head.header("Upgrade").trimmed().compare("websocket", Qt::CaseInsensitive) == 0);
        CHECK(hasUpgradeToken(head.header("Connection")));
        CHECK(plausibleHost(head.header("Host")));
        CHECK(offersVersion13(head));
        CHECK(referenceKey(head.header("Sec-WebSocket-Key").trimmed()));
        for (const auto &[name, value] : head.headers)
            CHECK(name.size() + value.size() + 4 <= HandshakeTriage::MaxHeaderLineBytes);
        break;
    }
    case Action::IndexPage:
        CHECK(s.indexPage && head.method == "GET" && !head.hasHeader("Upgrade"));
        CHECK(head.path == "/" || head.path == "/index.html");
        break;
    case Action::PushApi:
        CHECK(!s.pushPrefix.isEmpty() && !head.hasHeader("Upgrade"));
        CHECK(head.path.startsWith(s.pushPrefix + '/'));
        break;
    case Action::Refuse:
        break;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2)
        return 0;
    // Header: byte 0 picks the settings, byte 1 seeds the chunking.
    HandshakeTriage::Settings settings;
    settings.indexPage = data[0] & 1;
    settings.pushPrefix = data[0] & 2 ? QByteArray("/_wsgate") : QByteArray();
    settings.path = data[0] & 4 ? QByteArray("/") : QByteArray("/ws");
    const uint32_t seed = data[1];
    const QByteArrayView input(reinterpret_cast<const char *>(data + 2), qsizetype(size - 2));

    // The key and host checks on their own, on the raw input.
    if (input.size() <= 64) {
        if (HandshakeTriage::isValidKey(input))
            CHECK(referenceKey(input));
        if (HandshakeTriage::isValidHost(input))
            CHECK(plausibleHost(input));
    }

    // WebSocketFront::onData(): one feed per read, the head's bytes up to `consumed`.
    HttpRequestParser parser(HandshakeTriage::parserLimits());
    uint32_t rng = seed * 2654435761u + 1;
    qsizetype pos = 0;
    while (pos < input.size()) {
        rng = rng * 1103515245u + 12345u;
        const qsizetype chunk =
            std::min(1 + qsizetype((rng >> 16) % (seed & 1 ? 4096 : 32)), input.size() - pos);
        const QByteArrayView view = input.sliced(pos, chunk);
        const HttpRequestParser::Result r = parser.feed(view);
        CHECK(r.consumed >= 0 && r.consumed <= view.size());
        if (r.status == HttpRequestParser::Status::Error) {
            const HandshakeDecision d =
                HandshakeTriage::parseError(parser.error(), parser.errorDetail());
            CHECK(d.action == Action::Refuse);
            checkResponse(d);
            return 0;
        }
        if (r.status != HttpRequestParser::Status::Incomplete) {
            CHECK(parser.headersComplete());
            const HandshakeDecision d = HandshakeTriage::decide(parser.request(), settings);
            checkDecision(parser.request(), settings, d);
            return 0;
        }
        CHECK(r.consumed == view.size());
        pos += chunk;
    }
    return 0;
}
