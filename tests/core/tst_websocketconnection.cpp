#include "websocket/fdstream.h"
#include "websocket/websocketconnection.h"

#include "rawwebsocketpeer.h"
#include "testmain.h"

#include <QElapsedTimer>
#include <QTest>

#include <sys/socket.h>
#include <unistd.h>

using Initiator = WebSocketCloseInfo::Initiator;
Q_DECLARE_METATYPE(WebSocketCloseInfo::Initiator)

using namespace wstest;

namespace {

/// Records every callback; can delete the connection inside a chosen one.
class Recorder final : public WebSocketConnection::Handler {
public:
    void onWebSocketMessage(QByteArray payload, bool binary) override {
        messages.append({payload, binary});
        maybeDelete("message");
    }
    void onWebSocketPong(qint64 rttMs) override {
        pongs.append(rttMs);
        maybeDelete("pong");
    }
    void onWebSocketClosing(int code, const QByteArray &reason) override {
        closings.append({code, reason});
        maybeDelete("closing");
    }
    void onWebSocketDrained() override {
        ++drained;
        maybeDelete("drained");
    }
    void onWebSocketClosed(const WebSocketCloseInfo &info) override {
        closed.append(info);
        maybeDelete("closed");
    }

    QList<std::pair<QByteArray, bool>> messages;
    QList<qint64> pongs;
    QList<std::pair<int, QByteArray>> closings;
    QList<WebSocketCloseInfo> closed;
    int drained = 0;
    int callbacksAfterDelete = 0;
    std::unique_ptr<WebSocketConnection> *owner = nullptr;
    QByteArray deleteOn;

private:
    void maybeDelete(const char *event) {
        if (owner && !owner->get())
            ++callbacksAfterDelete;
        if (owner && deleteOn == event)
            owner->reset();
    }
};

struct Pair {
    std::unique_ptr<WebSocketConnection> conn;
    std::unique_ptr<RawWebSocketPeer> peer;
    Recorder handler;
};

// A connection on one end of a socketpair, the raw peer on the other.
void makePair(Pair &p, qint64 maxMessageBytes = 1 << 20, int serverSendBuffer = 0) {
    int sv[2];
    QVERIFY(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    if (serverSendBuffer > 0) {
        ::setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &serverSendBuffer, sizeof serverSendBuffer);
        ::setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &serverSendBuffer, sizeof serverSendBuffer);
    }
    auto stream = FdStream::adopt(sv[0]);
    QVERIFY(stream);
    WebSocketConnection::Limits limits;
    limits.maxMessageBytes = maxMessageBytes;
    p.peer = std::make_unique<RawWebSocketPeer>(sv[1]);
    p.conn = std::make_unique<WebSocketConnection>(std::move(stream), limits, &p.handler);
}

} // namespace

/// Tests of WebSocketConnection over FdStream on a socketpair, with a raw client on the other end.
class TestWebSocketConnection final : public QObject {
    Q_OBJECT
private slots:
    void messagesBothWays();
    void leftoverIsTheFirstFrame();
    void fragmentedInbound();
    void pingAnswered();
    void pingFloodWithoutReading();
    void pongs();
    void closeFromPeer_data();
    void closeFromPeer();
    void closeFromUs_data();
    void closeFromUs();
    void closeUnansweredThenAbort();
    void protocolErrors_data();
    void protocolErrors();
    void vanished();
    void streamGoneBeforeStart();
    void abortWhileOpen();
    void deleteInsideCallback_data();
    void deleteInsideCallback();
    void messageInProgressTime();
    void readingPaused();
    void drainedAfterBackpressure();
};

void TestWebSocketConnection::messagesBothWays() {
    Pair p;
    makePair(p);
    p.conn->start();
    QCOMPARE(p.conn->state(), WebSocketConnection::State::Open);
    p.peer->send(frame(kFin | kText, "héllo €") + frame(kFin | kBinary, QByteArray("\0\1\2", 3)));
    QTRY_COMPARE(p.handler.messages.size(), 2);
    QCOMPARE(p.handler.messages[0].first, QByteArray("héllo €"));
    QVERIFY(!p.handler.messages[0].second);
    QCOMPARE(p.handler.messages[1].first, QByteArray("\0\1\2", 3));
    QVERIFY(p.handler.messages[1].second);

    const QByteArray big(70000, 'b');
    QVERIFY(p.conn->sendMessage("text ✓", false));
    QVERIFY(p.conn->sendMessage(big, true));
    QVERIFY(p.conn->sendEncodedFrame(QByteArray::fromHex("8103") + "enc"));
    QTRY_COMPARE(p.peer->pump().frames.size(), 3);
    const auto &f = p.peer->frames;
    QCOMPARE(f[0].opcode, kText);
    QVERIFY(f[0].fin);
    QVERIFY(!f[0].masked);
    QCOMPARE(f[0].payload, QByteArray("text ✓"));
    QCOMPARE(f[1].opcode, kBinary);
    QCOMPARE(f[1].payload, big);
    QCOMPARE(f[2].payload, QByteArray("enc"));
    QCOMPARE(p.handler.closed.size(), 0);
    QCOMPARE(p.conn->stream()->peerPort(), quint16(0)); // a socketpair has no address
}

void TestWebSocketConnection::leftoverIsTheFirstFrame() {
    Pair p;
    makePair(p);
    // The head's packet carried one whole frame and half of the next.
    const QByteArray second = frame(kFin | kText, "second");
    p.conn->start(frame(kFin | kText, "first") + second.first(4));
    QCOMPARE(p.handler.messages.size(), 1); // delivered before start() returned
    QCOMPARE(p.handler.messages[0].first, QByteArray("first"));
    p.peer->send(second.sliced(4));
    QTRY_COMPARE(p.handler.messages.size(), 2);
    QCOMPARE(p.handler.messages[1].first, QByteArray("second"));
}

void TestWebSocketConnection::fragmentedInbound() {
    Pair p;
    makePair(p);
    p.conn->start();
    p.peer->send(frame(kText, "a\xe2\x82"));
    p.peer->send(frame(kFin | kPing, "mid"));
    p.peer->send(frame(kFin | kCont, "\xac"
                                     "b"));
    QTRY_COMPARE(p.handler.messages.size(), 1);
    QCOMPARE(p.handler.messages[0].first, QByteArray("a\xe2\x82\xac"
                                                     "b"));
    QTRY_COMPARE(p.peer->pump().frames.size(), 1);
    QCOMPARE(p.peer->frames[0].opcode, kPong);
    QCOMPARE(p.peer->frames[0].payload, QByteArray("mid"));
}

void TestWebSocketConnection::pingAnswered() {
    Pair p;
    makePair(p);
    p.conn->start();
    p.peer->send(frame(kFin | kPing, "abc"));
    p.peer->send(frame(kFin | kPing, ""));
    QTRY_COMPARE(p.peer->pump().frames.size(), 2);
    QCOMPARE(p.peer->frames[0].opcode, kPong);
    QCOMPARE(p.peer->frames[0].payload, QByteArray("abc"));
    QCOMPARE(p.peer->frames[1].opcode, kPong);
    QCOMPARE(p.peer->frames[1].payload, QByteArray());
    QCOMPARE(p.handler.pongs.size(), 0);
}

void TestWebSocketConnection::pingFloodWithoutReading() {
    // Small kernel buffers, a peer that pings flat out and never reads: at most one pong waits.
    Pair p;
    makePair(p, 1 << 20, 4096);
    p.conn->start();
    constexpr qint64 kPongFrameBytes = 2 + 125;
    qint64 maxQueued = 0;
    int sent = 0;
    QByteArray lastPayload;
    for (int round = 0; round < 400; ++round) {
        for (int i = 0; i < 50; ++i) {
            QByteArray payload = QByteArray::number(sent).rightJustified(125, '.');
            if (!p.peer->trySend(frame(kFin | kPing, payload)))
                break;
            lastPayload = payload;
            ++sent;
        }
        QCoreApplication::processEvents();
        maxQueued = std::max(maxQueued, p.conn->bytesToWrite());
        QVERIFY2(p.conn->bytesToWrite() <= kPongFrameBytes,
                 qPrintable(QString::number(p.conn->bytesToWrite())));
    }
    QVERIFY2(maxQueued > 0, "the kernel buffers never filled: the test proves nothing");
    QVERIFY(sent > 1000);
    // Now read everything: the last pong answers the last ping (the latest is the one kept).
    QTRY_VERIFY(!p.peer->pump().frames.isEmpty() && p.peer->frames.last().payload == lastPayload);
    QVERIFY(p.peer->frames.size() < sent); // coalesced
    for (const auto &f : std::as_const(p.peer->frames))
        QCOMPARE(f.opcode, kPong);
    QCOMPARE(p.handler.closed.size(), 0);
}

void TestWebSocketConnection::pongs() {
    Pair p;
    makePair(p);
    p.conn->start();
    // Pongs nobody asked for, empty or not: ignored.
    p.peer->send(frame(kFin | kPong, "unsolicited") + frame(kFin | kPong, "") +
                 frame(kFin | kText, "marker 0"));
    QTRY_COMPARE(p.handler.messages.size(), 1);
    QCOMPARE(p.handler.pongs.size(), 0);
    QVERIFY(p.conn->ping("p-1"));
    QVERIFY(!p.conn->ping(QByteArray(126, 'x'))); // over a control frame's payload
    QTRY_COMPARE(p.peer->pump().frames.size(), 1);
    QCOMPARE(p.peer->frames[0].opcode, kPing);
    QCOMPARE(p.peer->frames[0].payload, QByteArray("p-1"));
    p.peer->send(frame(kFin | kPong, "wrong payload") + frame(kFin | kText, "marker 1"));
    QTRY_COMPARE(p.handler.messages.size(), 2);
    QCOMPARE(p.handler.pongs.size(), 0); // not our payload: no answer
    p.peer->send(frame(kFin | kPong, "p-1"));
    p.peer->send(frame(kFin | kPong, "p-1")); // a second answer is not one
    p.peer->send(frame(kFin | kText, "marker 2"));
    QTRY_COMPARE(p.handler.messages.size(), 3);
    QCOMPARE(p.handler.pongs.size(), 1);
    QVERIFY(p.handler.pongs[0] >= 0);
}

void TestWebSocketConnection::closeFromPeer_data() {
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<int>("code");
    QTest::addColumn<QByteArray>("reason");
    QTest::addColumn<QByteArray>("answer");
    QTest::newRow("1000 with reason")
        << closeBody(1000, "bye") << 1000 << QByteArray("bye") << closeBody(1000);
    QTest::newRow("4000 no reason") << closeBody(4000) << 4000 << QByteArray() << closeBody(4000);
    QTest::newRow("no code") << QByteArray() << 1005 << QByteArray() << QByteArray();
}

void TestWebSocketConnection::closeFromPeer() {
    QFETCH(QByteArray, payload);
    QFETCH(int, code);
    QFETCH(QByteArray, reason);
    QFETCH(QByteArray, answer);
    Pair p;
    makePair(p);
    p.conn->start();
    p.peer->send(frame(kFin | kClose, payload) + frame(kFin | kText, "after close"));
    QTRY_COMPARE(p.handler.closed.size(), 1);
    QCOMPARE(p.handler.closings.size(), 1);
    QCOMPARE(p.handler.closings[0].first, code);
    QCOMPARE(p.handler.closings[0].second, reason);
    QCOMPARE(p.handler.messages.size(), 0);
    const WebSocketCloseInfo info = p.handler.closed[0];
    QCOMPARE(info.initiator, Initiator::Peer);
    QCOMPARE(info.code, code);
    QCOMPARE(info.reason, reason);
    QCOMPARE(info.sentCode, code);
    QVERIFY(info.clean);
    QCOMPARE(p.conn->state(), WebSocketConnection::State::Closed);
    QVERIFY(!p.conn->sendMessage("late", false));
    QTRY_VERIFY(p.peer->pump().eof);
    QCOMPARE(p.peer->frames.size(), 1);
    QCOMPARE(p.peer->frames[0].opcode, kClose);
    QCOMPARE(p.peer->frames[0].payload, answer);
}

void TestWebSocketConnection::closeFromUs_data() {
    QTest::addColumn<int>("code");
    QTest::addColumn<QByteArray>("reason");
    QTest::addColumn<int>("sentCode");
    QTest::addColumn<QByteArray>("sentReason");
    QTest::newRow("4001 done") << 4001 << QByteArray("done") << 4001 << QByteArray("done");
    QTest::newRow("1000 no reason") << 1000 << QByteArray() << 1000 << QByteArray();
    QTest::newRow("1005 becomes 1011") << 1005 << QByteArray("x") << 1011 << QByteArray("x");
    QTest::newRow("999 becomes 1011") << 999 << QByteArray() << 1011 << QByteArray();
    QTest::newRow("long reason cut at 123")
        << 1001 << QByteArray(200, 'r') << 1001 << QByteArray(123, 'r');
}

void TestWebSocketConnection::closeFromUs() {
    QFETCH(int, code);
    QFETCH(QByteArray, reason);
    QFETCH(int, sentCode);
    QFETCH(QByteArray, sentReason);
    Pair p;
    makePair(p);
    p.conn->start();
    p.conn->close(code, reason);
    QCOMPARE(p.conn->state(), WebSocketConnection::State::Closing);
    QVERIFY(!p.conn->sendMessage("no", false));
    QVERIFY(!p.conn->ping("no"));
    QTRY_COMPARE(p.peer->pump().frames.size(), 1);
    QCOMPARE(p.peer->frames[0].opcode, kClose);
    QCOMPARE(p.peer->frames[0].payload, closeBody(sentCode, sentReason));
    QVERIFY(!p.peer->eof); // we wait for the peer's close frame
    // The peer still had messages in flight, and a ping: dropped, counted, not answered.
    p.peer->send(frame(kFin | kText, "in flight") + frame(kFin | kPing, "x") + frame(kBinary, "a") +
                 frame(kFin | kCont, "b"));
    QTRY_COMPARE(p.conn->droppedWhileClosing(), 2);
    p.peer->send(frame(kFin | kClose, closeBody(1000, "ok")));
    QTRY_COMPARE(p.handler.closed.size(), 1);
    QCOMPARE(p.handler.messages.size(), 0);
    QCOMPARE(p.handler.closings.size(), 0);
    const WebSocketCloseInfo info = p.handler.closed[0];
    QCOMPARE(info.initiator, Initiator::Local);
    QCOMPARE(info.code, 1000);
    QCOMPARE(info.reason, QByteArray("ok"));
    QCOMPARE(info.sentCode, sentCode);
    QVERIFY(info.clean);
    QTRY_VERIFY(p.peer->pump().eof);
    QCOMPARE(p.peer->frames.size(), 1); // no pong after our close frame
}

void TestWebSocketConnection::closeUnansweredThenAbort() {
    Pair p;
    makePair(p);
    p.conn->start();
    QCOMPARE(p.conn->closingForMs(), 0);
    p.conn->close(1001, "bye");
    QTRY_VERIFY(p.conn->closingForMs() > 0);
    QCOMPARE(p.handler.closed.size(), 0);
    p.conn->abort();
    QCOMPARE(p.handler.closed.size(), 1);
    const WebSocketCloseInfo info = p.handler.closed[0];
    QCOMPARE(info.initiator, Initiator::Local);
    QCOMPARE(info.code, 1001);
    QCOMPARE(info.sentCode, 1001);
    QVERIFY(!info.clean);
    QCOMPARE(p.conn->closingForMs(), 0);
    p.conn->abort(); // nothing more
    QCOMPARE(p.handler.closed.size(), 1);
}

void TestWebSocketConnection::protocolErrors_data() {
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<int>("code");
    QTest::newRow("unmasked frame") << frame(kFin | kText, "x", false) << 1002;
    QTest::newRow("RSV1 without an extension") << frame(kFin | 0x40 | kText, "x") << 1002;
    QTest::newRow("continuation without a message") << frame(kFin | kCont, "x") << 1002;
    QTest::newRow("invalid close code") << frame(kFin | kClose, closeBody(1006)) << 1002;
    QTest::newRow("text not UTF-8") << frame(kFin | kText, "\xc0\xaf") << 1007;
    QTest::newRow("UTF-8 split then broken")
        << frame(kText, "\xe2\x82") + frame(kFin | kCont, "x") << 1007;
    QTest::newRow("over the limit of 1000") << frame(kFin | kBinary, QByteArray(1001, 'x')) << 1009;
    QTest::newRow("fragments over the limit")
        << frame(kBinary, QByteArray(600, 'x')) + frame(kFin | kCont, QByteArray(401, 'x')) << 1009;
}

void TestWebSocketConnection::protocolErrors() {
    QFETCH(QByteArray, input);
    QFETCH(int, code);
    Pair p;
    makePair(p, 1000);
    p.conn->start();
    p.peer->send(input + frame(kFin | kText, "never delivered"));
    // Our close frame with the code, then FIN; the connection waits for the peer's FIN.
    QTRY_VERIFY(p.peer->pump().eof);
    QCOMPARE(p.peer->frames.size(), 1);
    QCOMPARE(p.peer->frames[0].opcode, kClose);
    QCOMPARE(p.peer->frames[0].payload.first(2), closeBody(code));
    QCOMPARE(p.conn->state(), WebSocketConnection::State::Closing);
    QCOMPARE(p.handler.closed.size(), 0);
    p.peer->send(frame(kFin | kText, "discarded"));
    p.peer->shutdownWrite();
    QTRY_COMPARE(p.handler.closed.size(), 1);
    QCOMPARE(p.handler.messages.size(), 0);
    const WebSocketCloseInfo info = p.handler.closed[0];
    QCOMPARE(info.initiator, Initiator::ProtocolError);
    QCOMPARE(info.sentCode, code);
    QCOMPARE(info.code, code);
    QVERIFY(!info.detail.isEmpty());
    QVERIFY(!info.clean);
}

void TestWebSocketConnection::vanished() {
    Pair p;
    makePair(p);
    p.conn->start();
    p.peer->send(frame(kText, "half a message"));
    p.peer->closeFd();
    QTRY_COMPARE(p.handler.closed.size(), 1);
    const WebSocketCloseInfo info = p.handler.closed[0];
    QCOMPARE(info.initiator, Initiator::Vanished);
    QCOMPARE(info.code, 1006);
    QCOMPARE(info.sentCode, 0);
    QVERIFY(!info.clean);
    QVERIFY(!info.detail.isEmpty());
    QCOMPARE(p.handler.messages.size(), 0);
    QCOMPARE(p.conn->state(), WebSocketConnection::State::Closed);
}

void TestWebSocketConnection::streamGoneBeforeStart() {
    // The front's stream saw EOF while the upgrade was negotiated: start() reports it at once.
    int sv[2];
    QVERIFY(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    auto stream = FdStream::adopt(sv[0]);
    struct Front final : ByteStream::Listener {
        void onStreamData(QByteArrayView) override {}
        void onStreamClosed(ByteStream::CloseReason, const QString &) override { gone = true; }
        bool gone = false;
    } front;
    stream->setListener(&front);
    ::close(sv[1]);
    QTRY_VERIFY(front.gone);
    QVERIFY(!stream->isOpen());
    Recorder handler;
    WebSocketConnection conn(std::move(stream), {}, &handler);
    conn.start();
    QCOMPARE(handler.closed.size(), 1);
    QCOMPARE(handler.closed[0].initiator, Initiator::Vanished);
    QCOMPARE(handler.closed[0].code, 1006);
    QCOMPARE(conn.state(), WebSocketConnection::State::Closed);
}

void TestWebSocketConnection::abortWhileOpen() {
    Pair p;
    makePair(p);
    p.conn->start();
    p.conn->abort();
    QCOMPARE(p.handler.closed.size(), 1);
    QCOMPARE(p.handler.closed[0].initiator, Initiator::Aborted);
    QCOMPARE(p.handler.closed[0].code, 1006);
    QCOMPARE(p.handler.closed[0].sentCode, 0);
    p.conn->close(1000, {});
    p.conn->abort();
    QTRY_VERIFY(p.peer->pump().eof);
    QCOMPARE(p.peer->frames.size(), 0);
    QCOMPARE(p.handler.closed.size(), 1);
}

void TestWebSocketConnection::deleteInsideCallback_data() {
    QTest::addColumn<QByteArray>("event");
    for (const char *e : {"message", "pong", "closing", "closed", "drained"})
        QTest::newRow(e) << QByteArray(e);
}

void TestWebSocketConnection::deleteInsideCallback() {
    QFETCH(QByteArray, event);
    Pair p;
    makePair(p, 1 << 20, event == "drained" ? 4096 : 0);
    p.handler.owner = &p.conn;
    p.handler.deleteOn = event;
    p.conn->start();
    if (event == "message") {
        p.peer->send(frame(kFin | kText, "one") + frame(kFin | kText, "two"));
    } else if (event == "pong") {
        QVERIFY(p.conn->ping("x"));
        p.peer->send(frame(kFin | kPong, "x") + frame(kFin | kText, "two"));
    } else if (event == "closing") {
        p.peer->send(frame(kFin | kClose, closeBody(1000)) + frame(kFin | kText, "two"));
    } else if (event == "closed") {
        p.peer->closeFd();
    } else {
        QVERIFY(p.conn->sendMessage(QByteArray(100000, 'd'), true));
        QVERIFY(p.conn->bytesToWrite() > 0);
    }
    QTRY_VERIFY((p.peer->fd() >= 0 && p.peer->pump().eof, !p.conn));
    QCOMPARE(p.handler.callbacksAfterDelete, 0);
    if (event == "message")
        QCOMPARE(p.handler.messages.size(), 1);
    // Whatever was queued for later (notifier deletion, …) runs without touching freed memory.
    QCoreApplication::processEvents();
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    QCOMPARE(p.handler.callbacksAfterDelete, 0);
    if (p.peer->fd() >= 0)
        QTRY_VERIFY(p.peer->pump().eof); // the socket was closed with the connection
}

void TestWebSocketConnection::messageInProgressTime() {
    Pair p;
    makePair(p);
    p.conn->start();
    QCOMPARE(p.conn->messageInProgressForMs(), 0);
    const QByteArray f = frame(kFin | kBinary, QByteArray(500, 'z'));
    p.peer->send(f.first(100));
    QTRY_VERIFY(p.conn->bufferedInboundBytes() > 0);
    QTRY_VERIFY(p.conn->messageInProgressForMs() > 0);
    p.peer->send(f.sliced(100));
    QTRY_COMPARE(p.handler.messages.size(), 1);
    QCOMPARE(p.conn->messageInProgressForMs(), 0);
    QCOMPARE(p.conn->bufferedInboundBytes(), 0);
}

void TestWebSocketConnection::readingPaused() {
    Pair p;
    makePair(p);
    p.conn->setReadingPaused(true);
    p.conn->start();
    p.peer->send(frame(kFin | kText, "held back"));
    for (int i = 0; i < 20; ++i)
        QCoreApplication::processEvents();
    QCOMPARE(p.handler.messages.size(), 0);
    p.conn->setReadingPaused(false);
    QTRY_COMPARE(p.handler.messages.size(), 1);
}

void TestWebSocketConnection::drainedAfterBackpressure() {
    Pair p;
    makePair(p, 1 << 20, 4096);
    p.conn->start();
    QVERIFY(p.conn->sendMessage(QByteArray(300000, 'q'), true));
    QVERIFY(p.conn->bytesToWrite() > 0);
    // A ping while our queue is full: answered once it drains, after the message.
    p.peer->send(frame(kFin | kPing, "late"));
    QTRY_COMPARE(p.peer->pump().frames.size(), 2);
    QCOMPARE(p.peer->frames[0].payload.size(), 300000);
    QCOMPARE(p.peer->frames[1].opcode, kPong);
    QCOMPARE(p.peer->frames[1].payload, QByteArray("late"));
    QTRY_COMPARE(p.handler.drained, 1);
    QCOMPARE(p.conn->bytesToWrite(), 0);
}

WSGATE_TEST_MAIN(TestWebSocketConnection)
#include "tst_websocketconnection.moc"
