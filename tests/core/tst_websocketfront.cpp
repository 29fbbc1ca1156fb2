// The WebSocket port's edge, from outside as an attacker would try it: rejected heads keep
// nothing, heads sent slowly, caps, deadlines, origins, open events and their rates.
#include "gatewayharness.h"
#include "gatewaytestbed.h"
#include "rawwebsocketclient.h"
#include "testmain.h"

#include <QElapsedTimer>
#include <QTcpSocket>
#include <QTest>

#include <malloc.h>

namespace {

/// Sends `bytes` on a fresh connection; returns what comes back until the server closes.
/// The gateway runs on this thread: wait with the event loop, never with blocking waits.
QByteArray exchange(quint16 port, const QByteArray &bytes, int timeoutMs = 5000) {
    QTcpSocket s;
    QByteArray got;
    QObject::connect(&s, &QTcpSocket::readyRead, [&] { got += s.readAll(); });
    s.connectToHost(QHostAddress::LocalHost, port);
    s.write(bytes);
    QElapsedTimer t;
    t.start();
    while (s.state() != QAbstractSocket::UnconnectedState && t.elapsed() < timeoutMs)
        QTest::qWait(5);
    return got + s.readAll();
}

QByteArray statusLine(const QByteArray &response) {
    return response.left(response.indexOf("\r\n"));
}

/// A head Qt would refuse (no Sec-WebSocket-Key) with eight 7 KiB headers: 56 KiB each.
QByteArray heavyBadHead() {
    QByteArray h = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n";
    for (int i = 0; i < 8; ++i)
        h += "X-Pad-" + QByteArray::number(i) + ": " + QByteArray(7 * 1024, 'p') + "\r\n";
    return h + "\r\n";
}

Gateway::Settings withOpenEvents() {
    Gateway::Settings s = GatewayTestbed::defaults();
    s.front.openEvents = true;
    return s;
}

} // namespace

class TestWebSocketFront final : public QObject {
    Q_OBJECT
private slots:
    void refusalsHaveStatusAndBody_data() {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<QByteArray>("status");
        QTest::newRow("plain GET /ws") << QByteArray("GET /ws HTTP/1.1\r\nHost: a\r\n\r\n")
                                       << QByteArray("HTTP/1.1 426 Upgrade Required");
        QTest::newRow("unknown path") << QByteArray("GET /nope HTTP/1.1\r\nHost: a\r\n\r\n")
                                      << QByteArray("HTTP/1.1 404 Not Found");
        QTest::newRow("no key") << heavyBadHead() << QByteArray("HTTP/1.1 400 Bad Request");
        QTest::newRow("folded header")
            << QByteArray(RawWebSocketClient::handshake("/ws", "X-A: 1\r\n  folded\r\n"))
            << QByteArray("HTTP/1.1 400 Bad Request");
        QTest::newRow("bare LF") << RawWebSocketClient::handshake().replace("\r\n", "\n")
                                 << QByteArray("HTTP/1.1 400 Bad Request");
        QTest::newRow("POST upgrade") << RawWebSocketClient::handshake().replace("GET", "POST")
                                      << QByteArray("HTTP/1.1 405 Method Not Allowed");
        QTest::newRow("head too large")
            << QByteArray("GET /ws HTTP/1.1\r\nHost: a\r\nX: " + QByteArray(70 * 1024, 'x') +
                          "\r\n\r\n")
            << QByteArray("HTTP/1.1 431 Request Header Fields Too Large");
    }
    void refusalsHaveStatusAndBody() {
        QFETCH(QByteArray, request);
        QFETCH(QByteArray, status);
        GatewayTestbed t;
        QVERIFY(t.start());
        const QByteArray response = exchange(t.port(), request);
        QCOMPARE(statusLine(response), status);
        QVERIFY(response.contains("Connection: close"));
        QVERIFY(!response.mid(response.indexOf("\r\n\r\n") + 4).isEmpty());
        QTRY_COMPARE(t.gateway->front()->handshakeCount(), 0);
        QCOMPARE(t.errors(Metrics::BadHandshake), 1);
    }

    void rejectedHeadsKeepNothing() {
        GatewayTestbed t;
        QVERIFY(t.start());
        const QByteArray bad = heavyBadHead();
        const auto batch = [&](int n) {
            for (int i = 0; i < n; ++i)
                QCOMPARE(statusLine(exchange(t.port(), bad)),
                         QByteArray("HTTP/1.1 400 Bad Request"));
        };
        batch(100); // warm up allocator arenas and Qt's caches
        QTRY_COMPARE(t.gateway->front()->handshakeCount(), 0);
        malloc_trim(0);
        const size_t before = mallinfo2().uordblks;
        batch(1500); // 84 MiB of heads
        QTRY_COMPARE(t.gateway->front()->handshakeCount(), 0);
        malloc_trim(0);
        const size_t after = mallinfo2().uordblks;
        const qint64 grown = qint64(after) - qint64(before);
        QVERIFY2(grown < 2 * 1024 * 1024, QByteArray::number(grown).constData());
        QCOMPARE(t.gateway->clientCount(), 0);
    }

    void aHeadSentAByteAtATimeIsParsedOnce() {
        GatewayTestbed t;
        QVERIFY(t.start());
        const quint64 before = t.gateway->front()->headBytesParsed();
        const QByteArray head =
            RawWebSocketClient::handshake("/ws", "X-Pad: " + QByteArray(2000, 'p') + "\r\n");
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, t.port());
        QTRY_COMPARE(s.state(), QAbstractSocket::ConnectedState);
        s.setSocketOption(QAbstractSocket::LowDelayOption, 1);
        for (qsizetype i = 0; i < head.size(); ++i) {
            s.write(head.mid(i, 1));
            s.flush();
            if (i % 16 == 0)
                QTest::qWait(1); // let the gateway read the pieces separately
        }
        QTRY_VERIFY(s.bytesAvailable() > 0);
        QVERIFY(s.readAll().startsWith("HTTP/1.1 101"));
        QCOMPARE(t.gateway->front()->headBytesParsed() - before, quint64(head.size()));
    }

    void handshakesPerAddressAreCapped() {
        Gateway::Settings s = GatewayTestbed::defaults();
        s.front.limits.maxHandshakesPerAddress = 3;
        GatewayTestbed t(s);
        QVERIFY(t.start());
        QList<QTcpSocket *> idle;
        for (int i = 0; i < 3; ++i) {
            auto *sock = new QTcpSocket(this);
            sock->connectToHost(QHostAddress::LocalHost, t.port());
            sock->write("GET /ws HT"); // never finished
            idle << sock;
        }
        QTRY_COMPARE(t.gateway->front()->handshakeCount(), 3);
        QCOMPARE(statusLine(exchange(t.port(), RawWebSocketClient::handshake())),
                 QByteArray("HTTP/1.1 503 Service Unavailable"));
        QCOMPARE(t.errors(Metrics::HandshakeLimit), 1);
        qDeleteAll(idle);
        QTRY_COMPARE(t.gateway->front()->handshakeCount(), 0);
        RawWebSocketClient c;
        QVERIFY(c.open(t.port()));
    }

    void slowHeadTimesOut_data() {
        QTest::addColumn<int>("quietMs");
        QTest::newRow("at once") << 0;
        // The sweep sleeps while nothing is due; a handshake beginning must wake it.
        QTest::newRow("on a quiet gateway, past the first tick") << 2500;
    }

    void slowHeadTimesOut() {
        QFETCH(int, quietMs);
        Gateway::Settings s = GatewayTestbed::defaults();
        s.front.handshakeTimeoutMs = 300;
        GatewayTestbed t(s);
        QVERIFY(t.start());
        QTest::qWait(quietMs);
        QElapsedTimer clock;
        clock.start();
        QTcpSocket sock;
        sock.connectToHost(QHostAddress::LocalHost, t.port());
        sock.write("GET /ws HTTP/1.1\r\nHost: a\r\n");
        QTRY_VERIFY_WITH_TIMEOUT(sock.state() == QAbstractSocket::UnconnectedState, 5000);
        QVERIFY2(clock.elapsed() < 2500, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(t.errors(Metrics::HandshakeTimeout), 1);
        QCOMPARE(t.gateway->front()->handshakeCount(), 0);
    }

    void originsSameOriginByDefaultWithOpenEvents() {
        Gateway::Settings s = withOpenEvents();
        s.front.sameOriginOnly = true;
        GatewayTestbed t(s);
        QVERIFY(t.start());
        QByteArray foreign =
            RawWebSocketClient::handshake("/ws", "Origin: http://evil.example\r\n");
        QCOMPARE(statusLine(exchange(t.port(), foreign)), QByteArray("HTTP/1.1 403 Forbidden"));
        QCOMPARE(t.errors(Metrics::OriginRefused), 1);
        QCOMPARE(t.backend.submittedCount(), 0); // PHP never saw it, cookie or not
        RawWebSocketClient same;
        // The raw client's Host is "127.0.0.1": the same origin is http://127.0.0.1 (port 80).
        QVERIFY(same.open(t.port(), "/ws", {}, "Origin: http://127.0.0.1\r\n"));
        QCOMPARE(statusLine(exchange(t.port(), RawWebSocketClient::handshake(
                                                   "/ws", "Origin: http://127.0.0.1:81\r\n"))),
                 QByteArray("HTTP/1.1 403 Forbidden"));
        RawWebSocketClient none;
        QVERIFY(none.open(t.port()));
    }

    void originsExplicitList() {
        Gateway::Settings s = GatewayTestbed::defaults();
        s.front.allowedOrigins = {QStringLiteral("https://app.example")};
        GatewayTestbed t(s);
        QVERIFY(t.start());
        RawWebSocketClient ok;
        QVERIFY(ok.open(t.port(), "/ws", {}, "Origin: https://APP.example\r\n"));
        QCOMPARE(statusLine(exchange(t.port(), RawWebSocketClient::handshake(
                                                   "/ws", "Origin: https://other.example\r\n"))),
                 QByteArray("HTTP/1.1 403 Forbidden"));
    }

    void openEventRefusalAndWelcome() {
        GatewayTestbed t(withOpenEvents());
        t.backend.setScript([](const PhpRequest &r) {
            const QByteArray q = FakePhpBackend::param(r, "QUERY_STRING");
            if (q == "deny")
                return FakePhpBackend::reply(401, "{\"error\":\"login\"}", {}, "application/json");
            if (q == "nocontent")
                return FakePhpBackend::reply(204, {});
            if (q == "continue")
                return FakePhpBackend::reply(100, {});
            if (FakePhpBackend::param(r, "WS_EVENT") == "open")
                return FakePhpBackend::reply(200, "welcome", {{"X-WS-User", "bob"}});
            return FakePhpBackend::reply(200, r.body);
        });
        QVERIFY(t.start());
        const QByteArray denied = exchange(t.port(), RawWebSocketClient::handshake("/ws?deny"));
        QCOMPARE(statusLine(denied), QByteArray("HTTP/1.1 401 Unauthorized"));
        QVERIFY(denied.endsWith("{\"error\":\"login\"}"));
        QCOMPARE(t.errors(Metrics::OpenRefused), 1);
        for (const QByteArray q : {"nocontent", "continue"}) {
            const QByteArray r = exchange(t.port(), RawWebSocketClient::handshake("/ws?" + q));
            QCOMPARE(statusLine(r), QByteArray("HTTP/1.1 502 Bad Gateway"));
            QVERIFY(r.contains("php_status"));
        }
        RawWebSocketClient c;
        QVERIFY(c.open(t.port(), "/ws?ok", RawWebSocketClient::frame(1, "after")));
        QVERIFY(c.waitForMessages(2));
        QCOMPARE(c.messages.first(), QByteArray("welcome")); // the open reply's body comes first
        QCOMPARE(c.messages.last(), QByteArray("after"));
        const QByteArray id = FakePhpBackend::param(t.backend.records().last().request, "WS_USER");
        QCOMPARE(id, QByteArray("bob"));
    }

    void bytesAfterTheHeadAreCappedWhilePhpDecides() {
        GatewayTestbed t(withOpenEvents());
        t.backend.setHeld(true);
        QVERIFY(t.start());
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, t.port());
        s.write(RawWebSocketClient::handshake());
        const QByteArray chunk = RawWebSocketClient::frame(2, QByteArray(60 * 1024, 'x'));
        for (int i = 0; i < 64; ++i) // 3.8 MiB streamed before the upgrade
            s.write(chunk);
        QTest::qWait(500);
        QVERIFY2(t.gateway->front()->bufferedBytes() <= 64 * 1024 + 320 * 1024,
                 QByteArray::number(t.gateway->front()->bufferedBytes()).constData());
        QCOMPARE(t.gateway->front()->handshakeCount(), 1);
    }

    void openWorkIsWithdrawnOrClosedWhenTheHandshakeDies() {
        Gateway::Settings s = withOpenEvents();
        s.bridge.closeEvents = true;
        GatewayTestbed t(s);
        t.backend.setHeld(true);
        QVERIFY(t.start());
        {
            QTcpSocket sock;
            sock.connectToHost(QHostAddress::LocalHost, t.port());
            sock.write(RawWebSocketClient::handshake());
            QTRY_COMPARE(t.backend.submittedCount(), 1);
        } // the client goes away while PHP has its open event
        QTRY_COMPARE(t.gateway->front()->handshakeCount(), 0);
        t.backend.release(); // PHP accepts the client that is gone: it is owed a close event
        QTRY_COMPARE(t.backend.submittedCount(), 2);
        const PhpRequest &close = t.backend.records().last().request;
        QCOMPARE(FakePhpBackend::param(close, "WS_EVENT"), QByteArray("close"));
        QCOMPARE(FakePhpBackend::param(close, "WS_CLOSE_CODE"), QByteArray("1006"));
    }

    void openEventsAreRateLimitedPerAddress() {
        Gateway::Settings s = withOpenEvents();
        s.front.limits.openRatePerAddress = 2;
        GatewayTestbed t(s);
        QVERIFY(t.start());
        RawWebSocketClient a, b;
        QVERIFY(a.open(t.port()));
        QVERIFY(b.open(t.port()));
        const QByteArray third = exchange(t.port(), RawWebSocketClient::handshake());
        QCOMPARE(statusLine(third), QByteArray("HTTP/1.1 503 Service Unavailable"));
        QVERIFY(third.contains("Retry-After: 1"));
        QCOMPARE(t.errors(Metrics::OpenRateLimited), 1);
        QCOMPARE(t.backend.submittedCount(), 2);
    }

    void maxConnections() {
        Gateway::Settings s = GatewayTestbed::defaults();
        s.front.maxConnections = 2;
        GatewayTestbed t(s);
        QVERIFY(t.start());
        RawWebSocketClient a, b;
        QVERIFY(a.open(t.port()));
        QVERIFY(b.open(t.port()));
        QCOMPARE(statusLine(exchange(t.port(), RawWebSocketClient::handshake())),
                 QByteArray("HTTP/1.1 503 Service Unavailable"));
        QCOMPARE(t.errors(Metrics::TooManyConnections), 1);
    }

    void indexPageAndPushPrefixHandoff() {
        Gateway::Settings s = GatewayTestbed::defaults();
        s.front.triage.indexPage = true;
        s.front.triage.pushPrefix = "/_wsgate";
        GatewayTestbed t(s);
        t.gateway->front()->setIndexPage("<html>demo</html>");
        QByteArray handedOver;
        std::unique_ptr<QTcpSocket> socket;
        t.gateway->front()->setHttpHandoff([&](QTcpSocket *sock, const QByteArray &read) {
            socket.reset(sock);
            handedOver = read;
            sock->write("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
            sock->disconnectFromHost();
        });
        QVERIFY(t.start());
        const QByteArray page = exchange(t.port(), "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        QCOMPARE(statusLine(page), QByteArray("HTTP/1.1 200 OK"));
        QVERIFY(page.endsWith("<html>demo</html>"));
        const QByteArray request = "POST /_wsgate/send HTTP/1.1\r\nHost: a\r\nContent-Type: "
                                   "application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\n"
                                   "message=x";
        QCOMPARE(statusLine(exchange(t.port(), request)), QByteArray("HTTP/1.1 204 No Content"));
        QCOMPARE(handedOver, request);
    }
};

WSGATE_TEST_MAIN(TestWebSocketFront)
#include "tst_websocketfront.moc"
