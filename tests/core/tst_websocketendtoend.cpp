// End to end: a QWebSocket client against our stack — a QTcpServer whose accepted descriptors
// we take raw, the request head read by us, WebSocketUpgrader (QWebSocketServer) for the 101,
// then WebSocketConnection over an FdStream or a QtSocketStream.

#include "websocket/fdstream.h"
#include "websocket/qtsocketstream.h"
#include "websocket/websocketconnection.h"
#include "websocket/websocketupgrader.h"

#include "testmain.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>

#include <memory>
#include <vector>

using Initiator = WebSocketCloseInfo::Initiator;

namespace {

constexpr qint64 kMaxMessageBytes = 4 * 1024 * 1024;

/// One accepted connection: reads the head, negotiates, then runs the WebSocket and echoes.
class ServerConnection final : public ByteStream::Listener, public WebSocketConnection::Handler {
public:
    ServerConnection(std::unique_ptr<ByteStream> stream, WebSocketUpgrader *upgrader)
        : m_stream(std::move(stream))
        , m_upgrader(upgrader) {
        m_stream->setListener(this);
    }

    // Handshake front (ByteStream::Listener)
    void onStreamData(QByteArrayView data) override {
        m_head.append(data);
        const qsizetype end = m_head.indexOf("\r\n\r\n");
        if (end < 0 || m_negotiating)
            return;
        m_negotiating = true;
        const qsizetype headBytes = end + 4;
        m_upgrader->negotiate(
            m_head.first(headBytes), m_stream->peerAddress(), m_stream->peerPort(), false,
            [this, headBytes](const WebSocketUpgrader::Result &r) { upgraded(r, headBytes); });
    }
    void onStreamClosed(ByteStream::CloseReason, const QString &) override { streamGone = true; }

    // WebSocketConnection::Handler
    void onWebSocketMessage(QByteArray payload, bool binary) override {
        messages.append({payload, binary});
        if (echo)
            ws->sendMessage(payload, binary);
    }
    void onWebSocketPong(qint64 rttMs) override { pongs.append(rttMs); }
    void onWebSocketClosing(int code, const QByteArray &reason) override {
        closings.append({code, reason});
    }
    void onWebSocketClosed(const WebSocketCloseInfo &info) override { closed.append(info); }

    std::unique_ptr<WebSocketConnection> ws;
    WebSocketUpgrader::Result result;
    bool echo = true;
    bool streamGone = false;
    QList<std::pair<QByteArray, bool>> messages;
    QList<qint64> pongs;
    QList<std::pair<int, QByteArray>> closings;
    QList<WebSocketCloseInfo> closed;

private:
    void upgraded(const WebSocketUpgrader::Result &r, qsizetype headBytes) {
        result = r;
        m_stream->write(r.response);
        if (!r.accepted) {
            m_stream->shutdownWrite();
            return;
        }
        const QByteArray leftover = m_head.sliced(headBytes);
        m_head.clear();
        WebSocketConnection::Limits limits;
        limits.maxMessageBytes = kMaxMessageBytes;
        ws = std::make_unique<WebSocketConnection>(std::move(m_stream), limits, this);
        ws->start(leftover);
    }

    std::unique_ptr<ByteStream> m_stream;
    WebSocketUpgrader *m_upgrader;
    QByteArray m_head;
    bool m_negotiating = false;
};

/// Takes each accepted descriptor raw (no QTcpSocket is made by QTcpServer).
class RawServer final : public QTcpServer {
public:
    bool useQtSocket = false;
    WebSocketUpgrader upgrader{QStringLiteral("wsgate-e2e")};
    std::vector<std::unique_ptr<ServerConnection>> connections;

protected:
    void incomingConnection(qintptr fd) override {
        std::unique_ptr<ByteStream> stream;
        if (useQtSocket) {
            auto socket = std::make_unique<QTcpSocket>();
            if (!socket->setSocketDescriptor(fd))
                qFatal("setSocketDescriptor failed");
            stream = std::make_unique<QtSocketStream>(std::move(socket));
        } else {
            stream = FdStream::adopt(int(fd));
        }
        connections.push_back(std::make_unique<ServerConnection>(std::move(stream), &upgrader));
    }
};

} // namespace

/// End-to-end tests: QWebSocket client ↔ WebSocketUpgrader + WebSocketConnection.
class TestWebSocketEndToEnd final : public QObject {
    Q_OBJECT
private slots:
    void exchange_data();
    void exchange();
    void serverCloses_data();
    void serverCloses();
    void refusedHandshake();

private:
    void transports();
    // Starts the server and connects a client; the server connection once upgraded.
    ServerConnection *connectClient(RawServer &server, QWebSocket &client,
                                    const QString &path = "/ws");
};

void TestWebSocketEndToEnd::transports() {
    QTest::addColumn<bool>("qtSocket");
    QTest::newRow("FdStream") << false;
    QTest::newRow("QtSocketStream") << true;
}

void TestWebSocketEndToEnd::exchange_data() {
    transports();
}

void TestWebSocketEndToEnd::serverCloses_data() {
    transports();
}

ServerConnection *TestWebSocketEndToEnd::connectClient(RawServer &server, QWebSocket &client,
                                                       const QString &path) {
    if (!server.isListening() && !server.listen(QHostAddress::LocalHost, 0))
        return nullptr;
    QSignalSpy connected(&client, &QWebSocket::connected);
    client.open(QUrl(QStringLiteral("ws://127.0.0.1:%1%2").arg(server.serverPort()).arg(path)));
    if (!connected.wait(5000) && connected.isEmpty())
        return nullptr;
    if (server.connections.empty() || !server.connections.back()->ws)
        return nullptr;
    return server.connections.back().get();
}

void TestWebSocketEndToEnd::exchange() {
    QFETCH(bool, qtSocket);
    RawServer server;
    server.useQtSocket = qtSocket;
    QWebSocket client;
    client.setMaxAllowedIncomingMessageSize(kMaxMessageBytes);
    ServerConnection *conn = connectClient(server, client);
    QVERIFY(conn);
    QVERIFY(conn->result.accepted);
    QVERIFY(conn->result.response.startsWith("HTTP/1.1 101"));
    QCOMPARE(client.state(), QAbstractSocket::ConnectedState);

    QSignalSpy texts(&client, &QWebSocket::textMessageReceived);
    QSignalSpy binaries(&client, &QWebSocket::binaryMessageReceived);

    // Text with non-ASCII, and binary: echoed.
    const QString text = QStringLiteral("héllo 一二三 € 🚀");
    client.sendTextMessage(text);
    QTRY_COMPARE(texts.size(), 1);
    QCOMPARE(texts[0][0].toString(), text);
    QCOMPARE(conn->messages[0].first, text.toUtf8());
    const QByteArray bin("\x00\xff\x10 binary", 10);
    client.sendBinaryMessage(bin);
    QTRY_COMPARE(binaries.size(), 1);
    QCOMPARE(binaries[0][0].toByteArray(), bin);
    QVERIFY(conn->messages[1].second);

    // 1 MiB each way.
    QByteArray mib(1024 * 1024, Qt::Uninitialized);
    for (qsizetype i = 0; i < mib.size(); ++i)
        mib[i] = char(i * 31);
    client.sendBinaryMessage(mib);
    QTRY_COMPARE_WITH_TIMEOUT(binaries.size(), 2, 10000);
    QCOMPARE(binaries[1][0].toByteArray(), mib);
    const QString bigText(1024 * 1024 / 3, QChar(0x4E00)); // ~1 MiB of 3-byte characters
    client.sendTextMessage(bigText);
    QTRY_COMPARE_WITH_TIMEOUT(texts.size(), 2, 10000);
    QCOMPARE(texts[1][0].toString(), bigText);

    // Fragments of 7 bytes: QWebSocket cuts UTF-8 characters across them (which its own
    // receiving side would refuse); ours assembles them.
    client.setOutgoingFrameSize(7);
    const QString fragmented = QStringLiteral("€€€ 一二三四五六七八九十 ok");
    client.sendTextMessage(fragmented);
    QTRY_COMPARE(conn->messages.size(), 5);
    QCOMPARE(conn->messages[4].first, fragmented.toUtf8());
    QTRY_COMPARE(texts.size(), 3);
    QCOMPARE(texts[2][0].toString(), fragmented);
    client.setOutgoingFrameSize(512 * 1024);

    // Ping from the client: answered by us with its payload.
    QSignalSpy clientPongs(&client, &QWebSocket::pong);
    client.ping("client-ping");
    QTRY_COMPARE(clientPongs.size(), 1);
    QCOMPARE(clientPongs[0][1].toByteArray(), QByteArray("client-ping"));
    // Ping from us: QWebSocket answers it.
    QVERIFY(conn->ws->ping("server-ping"));
    QTRY_COMPARE(conn->pongs.size(), 1);

    // Close from the client with a code and a reason.
    QSignalSpy disconnected(&client, &QWebSocket::disconnected);
    client.close(QWebSocketProtocol::CloseCode(4000), QStringLiteral("client bye"));
    QTRY_COMPARE(conn->closed.size(), 1);
    QCOMPARE(conn->closings.size(), 1);
    QCOMPARE(conn->closings[0].first, 4000);
    QCOMPARE(conn->closings[0].second, QByteArray("client bye"));
    const WebSocketCloseInfo info = conn->closed[0];
    QCOMPARE(info.initiator, Initiator::Peer);
    QCOMPARE(info.code, 4000);
    QCOMPARE(info.sentCode, 4000);
    QVERIFY(info.clean);
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(int(client.closeCode()), 4000);
    QCOMPARE(conn->messages.size(), 5);
}

void TestWebSocketEndToEnd::serverCloses() {
    QFETCH(bool, qtSocket);
    RawServer server;
    server.useQtSocket = qtSocket;
    QWebSocket client;
    ServerConnection *conn = connectClient(server, client);
    QVERIFY(conn);
    QSignalSpy disconnected(&client, &QWebSocket::disconnected);
    conn->ws->close(4001, "server bye");
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(int(client.closeCode()), 4001);
    QCOMPARE(client.closeReason(), QStringLiteral("server bye"));
    QTRY_COMPARE(conn->closed.size(), 1);
    const WebSocketCloseInfo info = conn->closed[0];
    QCOMPARE(info.initiator, Initiator::Local);
    QCOMPARE(info.sentCode, 4001);
    QCOMPARE(info.code, 4001); // QWebSocket echoes our code
    QVERIFY(info.clean);
    QCOMPARE(conn->closings.size(), 0);
}

void TestWebSocketEndToEnd::refusedHandshake() {
    // A head Qt refuses: its answer goes out, and nothing is upgraded.
    RawServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QTcpSocket raw;
    raw.connectToHost(QHostAddress::LocalHost, server.serverPort());
    QVERIFY(raw.waitForConnected(5000));
    raw.write("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 7\r\n\r\n");
    QByteArray answer;
    QTRY_VERIFY((answer += raw.readAll(), answer.contains("\r\n\r\n")));
    QVERIFY(answer.startsWith("HTTP/1.1 400 Bad Request"));
    QTRY_COMPARE(raw.state(), QAbstractSocket::UnconnectedState); // our FIN, then it closed
    QCOMPARE(server.connections.size(), size_t(1));
    QVERIFY(!server.connections[0]->ws);
    QVERIFY(!server.connections[0]->result.accepted);
}

WSGATE_TEST_MAIN(TestWebSocketEndToEnd)
#include "tst_websocketendtoend.moc"
