#include "websocket/websocketupgrader.h"

#include <QCoreApplication>
#include <QTcpSocket>
#include <QWebSocket>
#include <QWebSocketServer>

#include <cstring>
#include <memory>
#include <utility>

namespace {

/// An in-memory "connection" for QWebSocketServer::handleConnection(): serves the request head
/// from memory and captures what Qt writes. It never emits disconnected() (the server would
/// deleteLater() it) and has no socket engine, so nothing touches the network.
class HandshakeSocket final : public QTcpSocket {
public:
    HandshakeSocket(const QByteArray &head, const QHostAddress &peer, quint16 peerPort)
        : m_head(head) {
        setPeerAddress(peer);
        setPeerPort(peerPort);
        setSocketState(QAbstractSocket::ConnectedState);
        setOpenMode(QIODevice::ReadWrite);
    }

    const QByteArray &written() const { return m_written; }
    bool closeRequested() const { return m_closed; }
    /// Unconnected and not open: the destructor then has nothing to abort or signal.
    void retire() {
        setSocketState(QAbstractSocket::UnconnectedState);
        setOpenMode(QIODevice::NotOpen);
    }

    qint64 bytesAvailable() const override {
        return QTcpSocket::bytesAvailable() + (m_head.size() - m_pos);
    }
    // Qt closes the socket on refusal; remember it, signal nothing.
    void close() override { m_closed = true; }

protected:
    qint64 readData(char *data, qint64 maxlen) override {
        const qint64 n = std::min<qint64>(maxlen, m_head.size() - m_pos);
        if (n <= 0)
            return 0;
        std::memcpy(data, m_head.constData() + m_pos, size_t(n));
        m_pos += n;
        return n;
    }
    qint64 readLineData(char *data, qint64 maxlen) override {
        return QIODevice::readLineData(data, maxlen);
    }
    qint64 skipData(qint64 maxSize) override {
        const qint64 n = std::min<qint64>(maxSize, m_head.size() - m_pos);
        m_pos += n;
        return n;
    }
    qint64 writeData(const char *data, qint64 len) override {
        if (!m_closed)
            m_written.append(data, qsizetype(len));
        return len;
    }

private:
    QByteArray m_head;
    qint64 m_pos = 0;
    QByteArray m_written;
    bool m_closed = false;
};

} // namespace

WebSocketUpgrader::WebSocketUpgrader(const QString &serverName, QObject *parent)
    : QObject(parent)
    , m_server(new QWebSocketServer(serverName, QWebSocketServer::NonSecureMode, this)) {
    // handleConnection() takes no handshake timeout (the caller has its own): none to start.
    m_server->setHandshakeTimeout(-1);
    connect(m_server, &QWebSocketServer::newConnection, this, [this] {
        while (QWebSocket *ws = m_server->nextPendingConnection()) {
            delete m_upgraded; // only one is expected; never keep a stray one
            m_upgraded = ws;
        }
    });
}

WebSocketUpgrader::~WebSocketUpgrader() = default;

quint64 WebSocketUpgrader::negotiate(const QByteArray &head, const QHostAddress &peer,
                                     quint16 peerPort, bool secure, Done done) {
    Q_UNUSED(secure); // Qt only records ws:// or wss:// in the QWebSocket we discard
    const quint64 ticket = m_nextTicket++;
    Result result;

    auto socket = std::make_unique<HandshakeSocket>(head, peer, peerPort);
    // Qt reads the head from a queued readyRead(): deliver that event now, so the answer is
    // known before negotiate() returns and nothing of it outlives this call.
    m_server->handleConnection(socket.get());
    QCoreApplication::sendPostedEvents(m_server, QEvent::MetaCall);
    QWebSocket *upgraded = std::exchange(m_upgraded, nullptr);

    result.response = socket->written();
    if (upgraded) {
        result.accepted = true;
        result.subprotocol = upgraded->subprotocol();
    } else if (!result.response.isEmpty()) {
        result.error = m_server->errorString();
    } else if (socket->closeRequested()) {
        result.error = QStringLiteral("not a valid WebSocket upgrade request (method, HTTP "
                                      "version, Host, Upgrade, Connection or Sec-WebSocket-Key)");
    } else {
        result.error = QStringLiteral("incomplete request head: no answer from Qt");
    }
    // The socket first: the QWebSocket then forgets it and has nothing to close on deletion.
    socket->retire();
    socket.reset();
    delete upgraded;

    m_pending.insert(ticket, Pending{std::move(result), std::move(done)});
    QMetaObject::invokeMethod(
        this, [this, ticket] { deliver(ticket); }, Qt::QueuedConnection);
    return ticket;
}

void WebSocketUpgrader::cancel(quint64 ticket) {
    m_pending.remove(ticket);
}

void WebSocketUpgrader::deliver(quint64 ticket) {
    const auto it = m_pending.find(ticket);
    if (it == m_pending.end())
        return;
    Pending pending = std::move(it.value());
    m_pending.erase(it);
    if (pending.done)
        pending.done(pending.result); // may delete us: nothing follows
}

void WebSocketUpgrader::setSupportedSubprotocols(const QStringList &protocols) {
    m_server->setSupportedSubprotocols(protocols);
}

QStringList WebSocketUpgrader::supportedSubprotocols() const {
    return m_server->supportedSubprotocols();
}
