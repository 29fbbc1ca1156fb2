#pragma once

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>

class QWebSocket;
class QWebSocketServer;

/// Lets QWebSocketServer negotiate a WebSocket upgrade without handing it our socket: Qt reads
/// the head from an in-memory socket, validates it and writes its answer (the 101, or its
/// refusal), which the caller sends on the real connection. The frames afterwards are ours.
class WebSocketUpgrader final : public QObject {
    Q_OBJECT
public:
    struct Result {
        bool accepted = false;
        QByteArray response; // to write to the client as it is (empty: Qt wrote nothing)
        QString subprotocol; // the one Qt chose (the client's order wins), or empty
        QString error;       // why Qt refused, when it did
    };
    using Done = std::function<void(const Result &)>;

    explicit WebSocketUpgrader(const QString &serverName, QObject *parent = nullptr);
    ~WebSocketUpgrader() override;

    /// Negotiates the upgrade requested by `head` (the complete request head through CRLFCRLF).
    /// `done` runs later from the event loop, exactly once, unless cancel(ticket) comes first;
    /// it may delete the upgrader. `secure` only changes the URL scheme Qt records internally
    /// (ws/wss), never its answer. Returns the ticket (never 0).
    quint64 negotiate(const QByteArray &head, const QHostAddress &peer, quint16 peerPort,
                      bool secure, Done done);
    /// Forgets a negotiation: its `done` never runs. Unknown or finished tickets are ignored.
    void cancel(quint64 ticket);
    /// Subprotocols to accept, as QWebSocketServer::setSupportedSubprotocols().
    void setSupportedSubprotocols(const QStringList &protocols);
    QStringList supportedSubprotocols() const;

private:
    struct Pending {
        Result result;
        Done done;
    };

    void deliver(quint64 ticket);

    QWebSocketServer *m_server;       // child; never listens
    QWebSocket *m_upgraded = nullptr; // Qt's product of the negotiation running now
    QHash<quint64, Pending> m_pending;
    quint64 m_nextTicket = 1;
};
