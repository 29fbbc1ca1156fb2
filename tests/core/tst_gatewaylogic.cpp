// The gateway's logic over the in-process fake PHP backend: ordering, queues, control
// headers, the error policy, events, replay, budgets and the messages never answered.
#include "gatewayharness.h"
#include "gatewaytestbed.h"
#include "rawwebsocketclient.h"
#include "tcpstates.h"
#include "testmain.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

namespace {

QByteArray param(const PhpRequest &r, QByteArrayView name) {
    return FakePhpBackend::param(r, name);
}

QByteArray event(const FakePhpBackend::Record &r) {
    return param(r.request, "WS_EVENT");
}

QList<FakePhpBackend::Record> recordsOf(const FakePhpBackend &b, QByteArrayView wsEvent) {
    QList<FakePhpBackend::Record> out;
    for (const auto &r : b.records()) {
        if (event(r) == wsEvent)
            out.append(r);
    }
    return out;
}

QJsonObject json(const QByteArray &text) {
    return QJsonDocument::fromJson(text).object();
}

} // namespace

class TestGatewayLogic final : public QObject {
    Q_OBJECT
private slots:
    void echoesInOrderOneAtATime() {
        GatewayTestbed t;
        t.backend.setDelayMs(1);
        QHash<QByteArray, int> inFlight;
        int overlaps = 0;
        connect(&t.backend, &FakePhpBackend::submitted, this, [&](const PhpRequest &r) {
            int open = 0;
            for (const auto &rec : t.backend.records())
                open += rec.request.owner == r.owner && !rec.answered && !rec.cancelled;
            overlaps += open > 1;
        });
        QVERIFY(t.start());
        TestClient c;
        QVERIFY(c.open(t.url()));
        for (int i = 0; i < 50; ++i)
            c.socket.sendTextMessage(QStringLiteral("m%1").arg(i));
        QVERIFY(c.waitForMessages(50));
        for (int i = 0; i < 50; ++i)
            QCOMPARE(c.messages[i], QByteArray("m") + QByteArray::number(i));
        QCOMPARE(overlaps, 0);
        QCOMPARE(t.backend.submittedCount(), 50);
    }

    void paramsOfAMessage() {
        GatewayTestbed t;
        QVERIFY(t.start());
        TestClient c;
        QNetworkRequest req(QUrl(t.url(QStringLiteral("/ws?room=a%20b"))));
        req.setRawHeader("Cookie", "PHPSESSID=abc");
        QVERIFY(c.open(req));
        c.socket.sendBinaryMessage(QByteArray("\x00\x01", 2));
        QVERIFY(c.waitForMessages(1));
        QCOMPARE(c.binary.value(0), false); // the fake answers text/plain
        const PhpRequest &r = t.backend.records().first().request;
        QCOMPARE(param(r, "WS_EVENT"), QByteArray("message"));
        QCOMPARE(param(r, "WS_MESSAGE_TYPE"), QByteArray("binary"));
        QCOMPARE(param(r, "CONTENT_TYPE"), QByteArray("application/octet-stream"));
        QCOMPARE(param(r, "CONTENT_LENGTH"), QByteArray("2"));
        QCOMPARE(param(r, "QUERY_STRING"), QByteArray("room=a%20b"));
        QCOMPARE(param(r, "HTTP_COOKIE"), QByteArray("PHPSESSID=abc"));
        QCOMPARE(param(r, "SERVER_NAME"), QByteArray("gw.test"));
        QCOMPARE(param(r, "HTTP_HOST"), QByteArray("127.0.0.1:") + QByteArray::number(t.port()));
        const QByteArray id = param(r, "WS_CLIENT_ID");
        QCOMPARE(id.size(), 32);
        QVERIFY(id.startsWith("0000000a"));
        QCOMPARE(r.owner, id);
        QVERIFY(r.body == QByteArray("\x00\x01", 2));
    }

    void firstFrameInTheHeadsPacketIsAnswered() {
        GatewayTestbed t;
        QVERIFY(t.start());
        RawWebSocketClient c;
        QVERIFY(c.open(t.port(), "/ws", RawWebSocketClient::frame(1, "early")));
        QVERIFY(c.waitForMessages(1));
        QCOMPARE(c.messages.first(), QByteArray("early"));
    }

    void splitUtf8AcrossFragmentsReachesPhp() {
        GatewayTestbed t;
        QVERIFY(t.start());
        RawWebSocketClient c;
        QVERIFY(c.open(t.port()));
        c.send(RawWebSocketClient::frame(1, "\xe2\x82", false) +
               RawWebSocketClient::frame(0, "\xac", true));
        QVERIFY(c.waitForMessages(1));
        QCOMPARE(c.messages.first(), QByteArray("\xe2\x82\xac"));
        QCOMPARE(c.closeCode, -1);
    }

    void fragmentedMessageLimitIsInBytes() {
        Gateway::Settings s = GatewayTestbed::defaults();
        s.front.connectionLimits.maxMessageBytes = 1000;
        GatewayTestbed t(s);
        QVERIFY(t.start());
        RawWebSocketClient ok;
        QVERIFY(ok.open(t.port()));
        QByteArray frames;
        for (int i = 0; i < 10; ++i)
            frames += RawWebSocketClient::frame(i ? 0 : 1, QByteArray(100, 'a'), i == 9);
        ok.send(frames);
        QVERIFY(ok.waitForMessages(1));
        QCOMPARE(ok.messages.first().size(), 1000);
        RawWebSocketClient big;
        QVERIFY(big.open(t.port()));
        // 334 characters of 3 bytes in fragments: 1,002 bytes, but 334 UTF-16 units.
        const QByteArray yi("\xe4\xb8\x80");
        QByteArray f;
        for (int i = 0; i < 167; ++i)
            f += RawWebSocketClient::frame(i ? 0 : 1, yi + yi, i == 166);
        big.send(f);
        QVERIFY(big.waitForClose());
        QCOMPARE(big.closeCode, 1009);
        QTRY_COMPARE(t.errors(Metrics::MessageTooBig), 1);
        QVERIFY(t.logRowsContaining(QStringLiteral("1009")) >= 1);
    }

    void invalidUtf8ClosesWith1007AndIsCounted() {
        GatewayTestbed t;
        QVERIFY(t.start());
        RawWebSocketClient c;
        QVERIFY(c.open(t.port()));
        c.send(RawWebSocketClient::frame(1, "\xc3\x28"));
        QVERIFY(c.waitForClose());
        QCOMPARE(c.closeCode, 1007);
        QTRY_COMPARE(t.errors(Metrics::InvalidUtf8), 1);
    }

    void controlHeadersApplyBeforeTheReply() {
        GatewayTestbed t;
        t.backend.setScript([](const PhpRequest &r) {
            return FakePhpBackend::reply(200, "joined " + r.body,
                                         {{"X-WS-Join", "room"}, {"X-WS-User", "alice"}});
        });
        QVERIFY(t.start());
        TestClient c;
        QVERIFY(c.open(t.url()));
        int matchedWhenSeen = -1;
        connect(&c.socket, &QWebSocket::textMessageReceived, this, [&](const QString &m) {
            if (m.startsWith(QLatin1String("joined")) && matchedWhenSeen < 0)
                matchedWhenSeen =
                    t.gateway->deliverHere({PushTarget::Kind::Group, "room"}, {"hi", false})
                        .matched;
        });
        c.socket.sendTextMessage(QStringLiteral("x"));
        QVERIFY(c.waitForMessages(2));
        QCOMPARE(matchedWhenSeen, 1);
        QCOMPARE(c.messages.last(), QByteArray("hi"));
        QCOMPARE(t.gateway->deliverHere({PushTarget::Kind::User, "alice"}, {"u", false}).delivered,
                 1);
        c.socket.sendTextMessage(QStringLiteral("y"));
        QVERIFY(c.waitForMessages(4));
        const PhpRequest &second = t.backend.records().last().request;
        QCOMPARE(param(second, "WS_USER"), QByteArray("alice"));
        QCOMPARE(param(second, "WS_GROUPS"), QByteArray("room"));
    }

    void invalidCloseCodeFromPhpBecomes1011() {
        GatewayTestbed t;
        t.backend.setScript([](const PhpRequest &) {
            return FakePhpBackend::reply(200, "bye", {{"X-WS-Close", "1005 going"}});
        });
        QVERIFY(t.start());
        TestClient c;
        QVERIFY(c.open(t.url()));
        c.socket.sendTextMessage(QStringLiteral("x"));
        QVERIFY(c.waitForDisconnect());
        QCOMPARE(c.messages.value(0), QByteArray("bye"));
        QCOMPARE(c.closeCode, 1011);
        QCOMPARE(t.errors(Metrics::InvalidControlHeader), 1);
        QVERIFY(t.logRowsContaining(QStringLiteral("1005")) >= 1);
    }

    void phpFailuresByPolicy_data() {
        QTest::addColumn<int>("policy");
        QTest::addColumn<int>("outcome");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("code");
        QTest::addColumn<int>("closeCode");
        using P = PhpBridge::ErrorPolicy;
        QTest::newRow("message/unavailable")
            << int(P::Message) << int(PhpOutcome::Unavailable) << 200 << "php_unavailable" << -1;
        QTest::newRow("message/status 500")
            << int(P::Message) << int(PhpOutcome::Ok) << 500 << "php_status" << -1;
        QTest::newRow("close/timeout")
            << int(P::Close) << int(PhpOutcome::Timeout) << 200 << "php_timeout" << 1013;
        QTest::newRow("close/bad response")
            << int(P::Close) << int(PhpOutcome::BadResponse) << 200 << "php_bad_response" << 1011;
        QTest::newRow("close/status 500")
            << int(P::Close) << int(PhpOutcome::Ok) << 500 << "php_status" << 1011;
    }
    void phpFailuresByPolicy() {
        QFETCH(int, policy);
        QFETCH(int, outcome);
        QFETCH(int, status);
        QFETCH(QString, code);
        QFETCH(int, closeCode);
        Gateway::Settings s = GatewayTestbed::defaults();
        s.bridge.onPhpError = PhpBridge::ErrorPolicy(policy);
        GatewayTestbed t(s);
        t.backend.setScript([=](const PhpRequest &) {
            return outcome == int(PhpOutcome::Ok)
                       ? FakePhpBackend::reply(status, "oops")
                       : FakePhpBackend::failure(PhpOutcome(outcome), QStringLiteral("boom"));
        });
        QVERIFY(t.start());
        // Raw: Qt 6.4's own client takes 1012-1014 for protocol errors.
        RawWebSocketClient c;
        QVERIFY(c.open(t.port()));
        c.sendText("x");
        if (closeCode < 0) {
            QVERIFY(c.waitForMessages(1));
            const QJsonObject o = json(c.messages.first());
            QCOMPARE(o.value("error").toString(), code);
            if (status != 200)
                QCOMPARE(o.value("status").toInt(), status);
        } else {
            QVERIFY(c.waitForClose());
            QCOMPARE(c.closeCode, closeCode);
            QCOMPARE(c.closeReason, code.toLatin1());
        }
    }

    void invalidUtf8TextReply() {
        for (const bool asBinary : {false, true}) {
            Gateway::Settings s = GatewayTestbed::defaults();
            s.bridge.invalidUtf8AsBinary = asBinary;
            GatewayTestbed t(s);
            t.backend.setScript(
                [](const PhpRequest &) { return FakePhpBackend::reply(200, "\xff\xfe ok"); });
            QVERIFY(t.start());
            TestClient c;
            QVERIFY(c.open(t.url()));
            c.socket.sendTextMessage(QStringLiteral("x"));
            QVERIFY(c.waitForMessages(1));
            if (asBinary) {
                QVERIFY(c.binary.first());
                QCOMPARE(c.messages.first(), QByteArray("\xff\xfe ok"));
            } else {
                QVERIFY(!c.binary.first());
                QCOMPARE(json(c.messages.first()).value("error").toString(),
                         QStringLiteral("invalid_utf8_reply"));
            }
            QCOMPARE(t.errors(Metrics::InvalidUtf8Reply), 1);
        }
    }

    void queueFullClosesAndCountsEveryDrop() {
        Gateway::Settings s = GatewayTestbed::defaults();
        s.bridge.queueLimit = 3;
        GatewayTestbed t(s);
        t.backend.setHeld(true);
        QVERIFY(t.start());
        TestClient c;
        QVERIFY(c.open(t.url()));
        for (int i = 0; i < 5; ++i)
            c.socket.sendTextMessage(QStringLiteral("m%1").arg(i));
        QVERIFY(c.waitForDisconnect());
        QCOMPARE(c.closeCode, 1008);
        QCOMPARE(t.dropped(Metrics::DropQueueFull), 4); // three queued and the one too many
        QCOMPARE(t.errors(Metrics::QueueFull), 1);
        t.backend.release();
        // The one with PHP comes back to a client that is gone: dropped, and said so.
        QTRY_COMPARE(t.dropped(Metrics::DropClientClosed), 1);
        QCOMPARE(t.budget.inboundBytes(), 0);
    }

    void queueLimitInBytes() {
        Gateway::Settings s = GatewayTestbed::defaults();
        s.bridge.queueBytes = 1000;
        GatewayTestbed t(s);
        t.backend.setHeld(true);
        QVERIFY(t.start());
        TestClient c;
        QVERIFY(c.open(t.url()));
        c.socket.sendTextMessage(QString(600, QLatin1Char('a'))); // with PHP
        c.socket.sendTextMessage(QString(600, QLatin1Char('b'))); // queued: 600
        c.socket.sendTextMessage(QString(600, QLatin1Char('c'))); // 1,200 > 1,000
        QVERIFY(c.waitForDisconnect());
        QCOMPARE(c.closeCode, 1008);
        QCOMPARE(t.dropped(Metrics::DropQueueFull), 2);
    }

    void messagesQueuedWhenTheClientLeavesAreCounted() {
        GatewayTestbed t;
        t.backend.setHeld(true);
        QVERIFY(t.start());
        TestClient c;
        QVERIFY(c.open(t.url()));
        for (int i = 0; i < 3; ++i)
            c.socket.sendTextMessage(QStringLiteral("m%1").arg(i));
        QTRY_COMPARE(t.backend.submittedCount(), 1);
        QTRY_COMPARE(t.gateway->clientCount(), 1);
        c.socket.close();
        QTRY_COMPARE(t.gateway->clientCount(), 0);
        QCOMPARE(t.dropped(Metrics::DropClientClosed), 2);
        t.backend.release();
        QTRY_COMPARE(t.dropped(Metrics::DropClientClosed), 3);
        QVERIFY(t.logRowsContaining(QStringLiteral("dropped_client_closed")) >= 2);
        QCOMPARE(t.budget.inboundBytes(), 0);
    }

    void messagesWhileClosingAreCounted() {
        GatewayTestbed t;
        t.backend.setScript([](const PhpRequest &) {
            return FakePhpBackend::reply(200, "bye", {{"X-WS-Close", "4000 done"}});
        });
        QVERIFY(t.start());
        RawWebSocketClient c;
        QVERIFY(c.open(t.port()));
        c.sendText("first");
        QVERIFY(c.waitForClose());
        QCOMPARE(c.closeCode, 4000);
        c.sendText("late 1");
        c.sendText("late 2");
        c.send(RawWebSocketClient::closeFrame(1000));
        QTRY_COMPARE(t.gateway->clientCount(), 0);
        QCOMPARE(t.dropped(Metrics::DropClosing), 2);
    }

    void closeEventComesAfterTheLastReply() {
        Gateway::Settings s = GatewayTestbed::defaults();
        s.bridge.closeEvents = true;
        GatewayTestbed t(s);
        t.backend.setHeld(true);
        QVERIFY(t.start());
        TestClient c;
        QVERIFY(c.open(t.url()));
        c.socket.sendTextMessage(QStringLiteral("last words"));
        QTRY_COMPARE(t.backend.submittedCount(), 1);
        c.socket.close(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("bye"));
        QTRY_COMPARE(t.gateway->clientCount(), 0);
        QCOMPARE(recordsOf(t.backend, "close").size(), 0); // PHP still has the message
        t.backend.release();
        QTRY_COMPARE(recordsOf(t.backend, "close").size(), 1);
        const PhpRequest &close = recordsOf(t.backend, "close").first().request;
        QCOMPARE(param(close, "WS_CLOSE_CODE"), QByteArray("1000"));
        QCOMPARE(param(close, "WS_CLOSE_REASON"), QByteArray("bye"));
    }

    void replayIsQueuedMarkedAndKeepsTheIdentity() {
        GatewayTestbed t;
        t.backend.setScript([](const PhpRequest &r) {
            return FakePhpBackend::reply(200, "re:" + r.body, {{"X-WS-User", "mallory"}});
        });
        t.backend.setHeld(true);
        QVERIFY(t.start());
        TestClient c;
        QVERIFY(c.open(t.url()));
        c.socket.sendTextMessage(QStringLiteral("own"));
        QTRY_COMPARE(t.backend.submittedCount(), 1);
        ReplayRequest replay;
        replay.entryId = 7;
        replay.body = "again";
        QString error;
        QVERIFY(t.gateway->replay(t.onlyClientId(), replay, &error));
        QCOMPARE(t.backend.submittedCount(), 1); // behind the client's own message
        t.backend.release();
        QTRY_COMPARE(t.backend.submittedCount(), 2);
        QTRY_COMPARE(t.backend.heldCount(), 1);
        t.backend.release();
        QVERIFY2(c.waitForMessages(2), qPrintable(QString::number(c.messages.size())));
        const PhpRequest &r = t.backend.records().last().request;
        QCOMPARE(param(r, "WS_REPLAY"), QByteArray("1"));
        QCOMPARE(r.body, QByteArray("again"));
        QCOMPARE(param(t.backend.records().first().request, "WS_REPLAY"), QByteArray());
        // The client's own reply set the user; the replay's X-WS-User did not apply again.
        QCOMPARE(param(r, "WS_USER"), QByteArray("mallory"));
        QVERIFY(t.logRowsContaining(QStringLiteral("replay of #7")) == 1);
    }

    void replayOfAClientThatLeft() {
        GatewayTestbed t;
        QVERIFY(t.start());
        QString error;
        ReplayRequest replay;
        replay.body = "x";
        QVERIFY(!t.gateway->replay("0000000a00000000000000000000dead", replay, &error));
        QVERIFY(error.contains(QLatin1String("has left")));
    }

    void inboundBudgetClosesWith1013() {
        GatewayTestbed t(GatewayTestbed::defaults(), 1000);
        t.backend.setHeld(true);
        QVERIFY(t.start());
        RawWebSocketClient c;
        QVERIFY(c.open(t.port()));
        for (int i = 0; i < 3; ++i)
            c.sendText(QByteArray(400, 'x'));
        QVERIFY(c.waitForClose());
        QCOMPARE(c.closeCode, 1013);
        QCOMPARE(t.dropped(Metrics::DropMemoryBudget), 2);
        QCOMPARE(t.errors(Metrics::MemoryBudget), 1);
        t.backend.release();
        QTRY_COMPARE(t.budget.inboundBytes(), 0);
    }

    void slowConsumerReplyClosesAtOnce() {
        Gateway::Settings s = GatewayTestbed::defaults();
        s.sendBufferBytes = 64 * 1024;
        s.closeGraceMs = 300;
        GatewayTestbed t(s);
        t.backend.setScript([](const PhpRequest &) {
            return FakePhpBackend::reply(200, QByteArray(512 * 1024, 'z'));
        });
        QVERIFY(t.start());
        RawWebSocketClient c;
        QVERIFY(c.open(t.port()));
        c.stopReading();
        for (int i = 0; i < 20; ++i)
            c.sendText("more");
        QTRY_VERIFY_WITH_TIMEOUT(t.errors(Metrics::SlowConsumerClosed) == 1, 10000);
        // No grace period: the close frame would wait behind what the client does not read.
        QTRY_COMPARE_WITH_TIMEOUT(t.gateway->clientCount(), 0, 1000);
        QCOMPARE(t.errors(Metrics::CloseTimeout), 0);
    }

    void pingFloodDoesNotGrowTheSendBuffer() {
        GatewayTestbed t;
        QVERIFY(t.start());
        RawWebSocketClient c;
        QVERIFY(c.open(t.port()));
        c.stopReading();
        QByteArray pings;
        for (int i = 0; i < 2000; ++i)
            pings += RawWebSocketClient::frame(9, QByteArray(125, 'p'));
        for (int round = 0; round < 20; ++round)
            c.send(pings); // 40,000 pings, ~5.3 MB of pongs if each were answered
        QTest::qWait(300);
        qint64 queued = -1;
        t.gateway->clients(
            [&](const QList<ClientInfo> &l) { queued = l.value(0).sendBufferBytes; });
        QVERIFY2(queued >= 0 && queued < 4096, QByteArray::number(queued).constData());
    }

    void unsolicitedPongsAreNotLiveness() {
        Gateway::Settings s = GatewayTestbed::defaults();
        s.pingIntervalSec = 1;
        GatewayTestbed t(s);
        QVERIFY(t.start());
        RawWebSocketClient c;
        QVERIFY(c.open(t.port()));
        QElapsedTimer timer;
        timer.start();
        while (!c.disconnected && timer.elapsed() < 8000) {
            c.send(RawWebSocketClient::frame(10, "unasked"));
            QTest::qWait(200);
        }
        QVERIFY(c.disconnected);
        QCOMPARE(t.errors(Metrics::IdleTimeout), 1);
    }

    void unfinishedMessageTimesOut() {
        Gateway::Settings s = GatewayTestbed::defaults();
        s.pingIntervalSec = 4; // each session looked at every second
        s.fragmentTimeoutMs = 500;
        GatewayTestbed t(s);
        QVERIFY(t.start());
        RawWebSocketClient c, late;
        QVERIFY(c.open(t.port()));
        QVERIFY(late.open(t.port()));
        c.send(RawWebSocketClient::frame(1, "start of", false));
        QVERIFY(c.waitForClose(5000));
        QCOMPARE(c.closeCode, 1008);
        QCOMPARE(t.errors(Metrics::FragmentTimeout), 1);
        // Begun after the sweep looked at the session (and planned its next look): the timeout
        // still holds, counted from the first fragment, not before it.
        QTest::qWait(1200);
        late.send(RawWebSocketClient::frame(1, "start of", false));
        QElapsedTimer since;
        since.start();
        QVERIFY(late.waitForClose(5000));
        QVERIFY2(since.elapsed() >= 450, QByteArray::number(since.elapsed()).constData());
        QCOMPARE(late.closeCode, 1008);
        QCOMPARE(t.errors(Metrics::FragmentTimeout), 2);
    }

    void unfinishedMessageTimesOutToTheSecond() {
        // With the default ping interval a bucket is looked at every 7 s; a message begun is
        // watched every tick, so a 1 s timeout closes within about 2 s, not 8.
        Gateway::Settings s = GatewayTestbed::defaults();
        s.pingIntervalSec = 30;
        s.fragmentTimeoutMs = 1000;
        GatewayTestbed t(s);
        QVERIFY(t.start());
        for (int i = 0; i < 2; ++i) {
            RawWebSocketClient c;
            QVERIFY(c.open(t.port()));
            QTest::qWait(300 + 400 * i); // begun at different points of the tick
            c.send(RawWebSocketClient::frame(1, "start of", false));
            QElapsedTimer since;
            since.start();
            QVERIFY(c.waitForClose(6000));
            QCOMPARE(c.closeCode, 1008);
            QVERIFY2(since.elapsed() >= 950 && since.elapsed() < 3500,
                     QByteArray::number(since.elapsed()).constData());
        }
        QCOMPARE(t.errors(Metrics::FragmentTimeout), 2);
    }

    void closedClientThatNeverReadsIsAbortedWithoutPings() {
        Gateway::Settings s = GatewayTestbed::defaults();
        s.pingIntervalSec = 0;
        s.closeGraceMs = 300;
        GatewayTestbed t(s);
        QVERIFY(t.start());
        RawWebSocketClient c;
        QVERIFY(c.open(t.port()));
        c.stopReading();
        QTRY_COMPARE(t.gateway->clientCount(), 1);
        bool found = false;
        t.gateway->closeClient(t.onlyClientId(), 4000, "go",
                               [&](const ClientLookup &r) { found = r.found; });
        QVERIFY(found);
        QTRY_COMPARE_WITH_TIMEOUT(t.gateway->clientCount(), 0, 5000);
        QCOMPARE(t.errors(Metrics::CloseTimeout), 1);
    }

    void abortedNonReaderLeavesNoOrphanSocket() {
        // A client that stopped reading with megabytes queued for it, aborted after the close
        // grace: reset, so the kernel does not keep an orphan holding what it never took.
        if (!QFile::exists(QStringLiteral("/proc/net/tcp")))
            QSKIP("reads the kernel's sockets from /proc/net/tcp");
        Gateway::Settings s = GatewayTestbed::defaults();
        s.pingIntervalSec = 0;
        s.closeGraceMs = 300;
        s.sendBufferBytes = 64 * 1024 * 1024;
        GatewayTestbed t(s);
        QVERIFY(t.start());
        RawWebSocketClient c;
        QVERIFY(c.open(t.port()));
        c.stopReading();
        QTRY_COMPARE(t.gateway->clientCount(), 1);
        for (int i = 0; i < 128; ++i) // 8 MiB: more than the kernel's buffers on loopback
            t.gateway->deliverHere({}, {QByteArray(64 * 1024, 'p'), true});
        QTest::qWait(200);
        bool found = false;
        t.gateway->closeClient(t.onlyClientId(), 4000, "go",
                               [&](const ClientLookup &r) { found = r.found; });
        QVERIFY(found);
        QTRY_COMPARE_WITH_TIMEOUT(t.gateway->clientCount(), 0, 5000);
        QCOMPARE(t.errors(Metrics::CloseTimeout), 1);
        QTRY_VERIFY_WITH_TIMEOUT(tcpStatesOnPort(t.port()).isEmpty(), 3000);
    }

    void broadcastCountsAndBackpressure() {
        Gateway::Settings s = GatewayTestbed::defaults();
        s.sendBufferBytes = 128 * 1024;
        GatewayTestbed t(s);
        QVERIFY(t.start());
        TestClient a, b;
        RawWebSocketClient stuck;
        QVERIFY(a.open(t.url()));
        QVERIFY(b.open(t.url()));
        QVERIFY(stuck.open(t.port()));
        stuck.stopReading();
        QTRY_COMPARE(t.gateway->clientCount(), 3);
        DeliveryResult last;
        // 300 × 64 KiB: more than the kernel's socket buffers take for the stuck client.
        for (int i = 0; i < 300; ++i) {
            last = t.gateway->deliverHere({}, {QByteArray(64 * 1024, 'b'), false});
            QTest::qWait(0);
        }
        QCOMPARE(last.matched, 3);
        QCOMPARE(last.delivered, 2);
        QCOMPARE(last.bufferFull, 1);
        QVERIFY(a.waitForMessages(300));
        QVERIFY(b.waitForMessages(300));
    }

    void stopDrainsThenCloses() {
        GatewayTestbed t;
        t.backend.setHeld(true);
        QVERIFY(t.start());
        TestClient c;
        QVERIFY(c.open(t.url()));
        c.socket.sendTextMessage(QStringLiteral("with php"));
        c.socket.sendTextMessage(QStringLiteral("queued"));
        QTRY_COMPARE(t.backend.submittedCount(), 1);
        QSignalSpy stopped(t.gateway.get(), &Gateway::stopped);
        t.gateway->stop();
        QCOMPARE(t.dropped(Metrics::DropShutdown), 1);
        QTest::qWait(100);
        QCOMPARE(stopped.size(), 0); // waiting for PHP
        t.backend.release();
        QVERIFY(c.waitForMessages(1));
        QVERIFY(c.waitForDisconnect());
        QCOMPARE(c.closeCode, 1001);
        QTRY_COMPARE_WITH_TIMEOUT(stopped.size(), 1, 5000);
    }
};

WSGATE_TEST_MAIN(TestGatewayLogic)
#include "tst_gatewaylogic.moc"
