#include "gateway/handshaketriage.h"
#include "testmain.h"

#include <QTest>

using Action = HandshakeDecision::Action;
Q_DECLARE_METATYPE(HandshakeDecision::Action)

namespace {

const QByteArray Key = "dGhlIHNhbXBsZSBub25jZQ==";

QByteArray upgradeHead(const QByteArray &extra = {},
                       const QByteArray &requestLine = "GET /ws HTTP/1.1") {
    return requestLine +
           "\r\nHost: example.org:8080\r\nUpgrade: websocket\r\n"
           "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: " +
           Key + "\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n";
}

/// Parses `head` the way the front does (stopping at the end of the head), then decides.
HandshakeDecision decide(const QByteArray &head, const HandshakeTriage::Settings &s = {},
                         bool byteByByte = false) {
    HttpRequestParser parser(HandshakeTriage::parserLimits());
    qsizetype off = 0;
    while (off < head.size()) {
        const qsizetype n = byteByByte ? 1 : head.size() - off;
        const auto r = parser.feed(QByteArrayView(head).sliced(off, n));
        if (r.status == HttpRequestParser::Status::Error)
            return HandshakeTriage::parseError(parser.error(), parser.errorDetail());
        if (r.status != HttpRequestParser::Status::Incomplete)
            return HandshakeTriage::decide(parser.request(), s);
        off += n;
    }
    return {}; // incomplete: Refuse with status 0
}

} // namespace

class TestHandshakeTriage final : public QObject {
    Q_OBJECT
private slots:
    void decisions_data() {
        QTest::addColumn<QByteArray>("head");
        QTest::addColumn<Action>("action");
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("code");
        QTest::newRow("valid upgrade") << upgradeHead() << Action::Upgrade << 101 << QByteArray();
        QTest::newRow("percent-encoded path")
            << upgradeHead({}, "GET /w%73?x=1 HTTP/1.1") << Action::Upgrade << 101 << QByteArray();
        QTest::newRow("other path") << upgradeHead({}, "GET /other HTTP/1.1") << Action::Refuse
                                    << 404 << QByteArray("not_found");
        QTest::newRow("POST upgrade") << upgradeHead({}, "POST /ws HTTP/1.1") << Action::Refuse
                                      << 405 << QByteArray("method_not_allowed");
        QTest::newRow("HTTP/1.0") << upgradeHead({}, "GET /ws HTTP/1.0") << Action::Refuse << 400
                                  << QByteArray("bad_handshake");
        QTest::newRow("plain GET on the path")
            << QByteArray("GET /ws HTTP/1.1\r\nHost: a\r\n\r\n") << Action::Refuse << 426
            << QByteArray("upgrade_required");
        QTest::newRow("plain GET elsewhere") << QByteArray("GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
                                             << Action::Refuse << 404 << QByteArray("not_found");
        QTest::newRow("no key") << QByteArray(
                                       "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                                       "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                       "X-A: " +
                                       QByteArray(7000, 'a') + "\r\n\r\n")
                                << Action::Refuse << 400 << QByteArray("bad_handshake");
        QTest::newRow("short key")
            << QByteArray("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: "
                          "Upgrade\r\nSec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 13\r\n\r\n")
            << Action::Refuse << 400 << QByteArray("bad_handshake");
        QTest::newRow("version 8") << QByteArray("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: "
                                                 "websocket\r\nConnection: Upgrade\r\n"
                                                 "Sec-WebSocket-Key: " +
                                                 Key + "\r\nSec-WebSocket-Version: 8\r\n\r\n")
                                   << Action::Refuse << 426 << QByteArray("unsupported_version");
        QTest::newRow("versions 8, 13")
            << QByteArray("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: "
                          "websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: " +
                          Key + "\r\nSec-WebSocket-Version: 8, 13\r\n\r\n")
            << Action::Upgrade << 101 << QByteArray();
        for (const char *bad : {"013", "+13", "256", "1e1"}) {
            QTest::newRow(
                qPrintable(QStringLiteral("version %1 malformed").arg(QLatin1String(bad))))
                << QByteArray("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: "
                              "websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: " +
                              Key + "\r\nSec-WebSocket-Version: 8," + bad + "\r\n\r\n")
                << Action::Refuse << 400 << QByteArray("bad_handshake");
        }
        QTest::newRow("upgrade h2c") << QByteArray("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n"
                                                   "Connection: Upgrade\r\nSec-WebSocket-Key: " +
                                                   Key + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
                                     << Action::Refuse << 400 << QByteArray("bad_handshake");
        QTest::newRow("no Connection: upgrade")
            << QByteArray("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                          "Connection: keep-alive\r\nSec-WebSocket-Key: " +
                          Key + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
            << Action::Refuse << 400 << QByteArray("bad_handshake");
        QTest::newRow("host with userinfo")
            << QByteArray("GET /ws HTTP/1.1\r\nHost: u@a\r\nUpgrade: "
                          "websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: " +
                          Key + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
            << Action::Refuse << 400 << QByteArray("bad_handshake");
        QTest::newRow("a body") << upgradeHead("Content-Length: 5\r\n") << Action::Refuse << 400
                                << QByteArray("bad_handshake");
        QTest::newRow("8 KiB header line")
            << upgradeHead("X-Big: " + QByteArray(8190, 'b') + "\r\n") << Action::Refuse << 431
            << QByteArray("header_line_too_long");
        QTest::newRow("folded header") << upgradeHead("X-A: one\r\n two\r\n") << Action::Refuse
                                       << 400 << QByteArray("bad_request");
        QTest::newRow("bare LF") << QByteArray("GET /ws HTTP/1.1\nHost: a\nUpgrade: websocket\n"
                                               "Connection: Upgrade\nSec-WebSocket-Key: " +
                                               Key + "\nSec-WebSocket-Version: 13\n\n")
                                 << Action::Refuse << 400 << QByteArray("bad_request");
        QTest::newRow("101 header lines") << [] {
            QByteArray extra;
            for (int i = 0; i < 96; ++i)
                extra += "X-" + QByteArray::number(i) + ": v\r\n";
            return upgradeHead(extra);
        }() << Action::Refuse << 431 << QByteArray("too_many_headers");
    }
    void decisions() {
        QFETCH(QByteArray, head);
        QFETCH(Action, action);
        QFETCH(int, status);
        QFETCH(QByteArray, code);
        for (const bool slow : {false, true}) {
            const HandshakeDecision d = decide(head, {}, slow);
            QCOMPARE(d.action, action);
            QCOMPARE(d.status, status);
            QCOMPARE(d.code, code);
            if (action == Action::Refuse) {
                const QByteArray bytes = d.response().toBytes();
                QVERIFY(bytes.startsWith("HTTP/1.1 " + QByteArray::number(status) + ' '));
                QVERIFY(bytes.contains("Connection: close\r\n"));
                QVERIFY(!d.response().body().isEmpty());
            }
        }
    }

    void extraHeaders() {
        const HandshakeDecision v =
            decide(QByteArray("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: "
                              "websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: " +
                              Key + "\r\nSec-WebSocket-Version: 7\r\n\r\n"));
        QCOMPARE(v.response().header("Sec-WebSocket-Version"), QByteArray("13"));
        const HandshakeDecision m = decide(upgradeHead({}, "PUT /ws HTTP/1.1"));
        QCOMPARE(m.response().header("Allow"), QByteArray("GET"));
    }

    void indexPageAndPushPrefix() {
        HandshakeTriage::Settings s;
        s.indexPage = true;
        s.pushPrefix = "/_wsgate";
        QCOMPARE(decide("GET / HTTP/1.1\r\nHost: a\r\n\r\n", s).action, Action::IndexPage);
        QCOMPARE(decide("GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n", s).action,
                 Action::IndexPage);
        QCOMPARE(decide("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", s).status, 404);
        QCOMPARE(
            decide("POST /_wsgate/send HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n", s).action,
            Action::PushApi);
        QCOMPARE(decide("GET /_wsgatex HTTP/1.1\r\nHost: a\r\n\r\n", s).status, 404);
        s.indexPage = false;
        QCOMPARE(decide("GET / HTTP/1.1\r\nHost: a\r\n\r\n", s).status, 404);
    }

    void hosts_data() {
        QTest::addColumn<QByteArray>("host");
        QTest::addColumn<bool>("valid");
        QTest::newRow("name") << QByteArray("example.org") << true;
        QTest::newRow("name:port") << QByteArray("example.org:8080") << true;
        QTest::newRow("ipv4") << QByteArray("127.0.0.1:80") << true;
        QTest::newRow("ipv6") << QByteArray("[::1]:8080") << true;
        QTest::newRow("ipv6 no port") << QByteArray("[::1]") << true;
        QTest::newRow("empty") << QByteArray() << false;
        QTest::newRow("userinfo") << QByteArray("u@host") << false;
        QTest::newRow("port only") << QByteArray(":80") << false;
        QTest::newRow("bad port") << QByteArray("a:8x") << false;
        QTest::newRow("long port") << QByteArray("a:123456") << false;
        QTest::newRow("empty port") << QByteArray("a:") << false;
        QTest::newRow("bad ipv6") << QByteArray("[zz]:1") << false;
        // Found by fuzz_handshaketriage: QUrl (tolerant) took these for [::] and [::1].
        QTest::newRow("space in ipv6") << QByteArray("[:: 0]:80") << false;
        QTest::newRow("space after ipv6") << QByteArray("[::1 ]") << false;
        QTest::newRow("percent in ipv6") << QByteArray("[::%31]") << false;
        QTest::newRow("space") << QByteArray("a b") << false;
    }
    void hosts() {
        QFETCH(QByteArray, host);
        QFETCH(bool, valid);
        QCOMPARE(HandshakeTriage::isValidHost(host), valid);
    }

    void keys() {
        QVERIFY(HandshakeTriage::isValidKey(Key));
        QVERIFY(!HandshakeTriage::isValidKey("dGhlIHNhbXBsZSBub25jZQ"));
        QVERIFY(!HandshakeTriage::isValidKey("dGhlIHNhbXBsZSBub25jZQ=!"));
        QVERIFY(!HandshakeTriage::isValidKey("YWJj"));
    }
};

WSGATE_TEST_MAIN(TestHandshakeTriage)
#include "tst_handshaketriage.moc"
