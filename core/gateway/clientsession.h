#pragma once

#include "php/phpbackend.h"
#include "php/phprequest.h"
#include "websocket/websocketconnection.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <memory>

class SessionEvents;
struct ReplayRequest;

/// One WebSocket connection's state: its connection, identity, bindings, the queue of
/// messages waiting for PHP and its counters. Kept small: an idle connection is mostly this.
class ClientSession final : public WebSocketConnection::Handler {
public:
    /// A message (or a replay) waiting for PHP, in arrival order.
    struct Pending {
        QByteArray payload;
        qint64 receivedMs = 0;
        bool binary = false;
        std::shared_ptr<const ReplayRequest> replay; // null for the client's own message
        PhpParams extraParams;                       // sent after the usual ones
    };

    ClientSession(QByteArray id, std::shared_ptr<const PhpParamBlock> cgi, SessionEvents *events);
    ~ClientSession() override;
    ClientSession(const ClientSession &) = delete;
    ClientSession &operator=(const ClientSession &) = delete;

    /// Takes the upgraded connection (not started: the gateway sends the open reply's welcome
    /// first, then starts it).
    void setConnection(std::unique_ptr<WebSocketConnection> connection) {
        m_connection = std::move(connection);
    }
    WebSocketConnection *connection() const { return m_connection.get(); }

    const QByteArray id;
    /// CGI params and the handshake's HTTP_*, fixed for the connection.
    const std::shared_ptr<const PhpParamBlock> cgi;
    /// WS_USER and WS_GROUPS as PHP gets them: built when the user or groups change, not per
    /// message.
    const QByteArray &userParam() const { return m_userParam; }
    const QByteArray &groupsParam() const { return m_groupsParam; }
    const QString &user() const { return m_user; }
    const QStringList &groups() const { return m_groups; } // sorted
    /// Registry only: keep the registry's indexes in step.
    void setUser(const QString &user);
    bool addGroup(const QString &group);
    bool removeGroup(const QString &group);

    QList<Pending> queue;
    PhpParams nextMessageParams; // added to the next message only (console: "debug next")
    qint64 queuedBytes = 0;
    PhpBackend::Ticket ticket = 0; // the request with PHP (or in the pool's queue); 0: none
    bool inFlight = false;
    qint64 inFlightBytes = 0;    // charged to the inbound budget until PHP answers
    bool closing = false;        // we started closing: nothing more goes to PHP
    bool closeEventDue = false;  // PHP knows this client (open accepted, or messages): send close
    int closeAfterReplyCode = 0; // X-WS-Close: close once the current reply is sent
    QByteArray closeAfterReplyReason;

    qint64 connectedMs = 0;    // ms since the epoch
    qint64 lastActivityMs = 0; // ms since the epoch (shown)
    qint64 lastActivity = 0;   // monotonic ms (KeepAliveSweep::nowMs()): idle pings
    qint64 pingSentMs = 0;     // monotonic ms of our outstanding ping; 0: none
    qint64 messagesIn = 0;
    qint64 messagesOut = 0;
    qint64 bytesIn = 0;
    qint64 bytesOut = 0;
    int sweepBucket = 0;
    int sweepSlot = -1; // index in the keep-alive sweep's bucket; -1: not in one

    /// "1.2.3.4:5678"
    QString peer() const;
    /// A param of the connection's own block (REQUEST_URI, HTTP_ORIGIN …); empty when absent.
    QByteArray cgiParam(QByteArrayView name) const;

private:
    // WebSocketConnection::Handler: forwarded to the gateway with this session.
    void onWebSocketMessage(QByteArray payload, bool binary) override;
    void onWebSocketPong(qint64 rttMs) override;
    void onWebSocketClosing(int code, const QByteArray &reason) override;
    void onWebSocketDrained() override;
    void onWebSocketMessageBegun() override;
    void onWebSocketClosed(const WebSocketCloseInfo &info) override;

    SessionEvents *m_events;
    std::unique_ptr<WebSocketConnection> m_connection;
    QString m_user;
    QStringList m_groups;
    QByteArray m_userParam;
    QByteArray m_groupsParam;
};

/// What a session reports to the gateway.
class SessionEvents {
public:
    virtual ~SessionEvents() = default;
    virtual void sessionMessage(ClientSession *session, QByteArray payload, bool binary) = 0;
    virtual void sessionPong(ClientSession *session, qint64 rttMs) = 0;
    virtual void sessionClosing(ClientSession *session, int code, const QByteArray &reason) = 0;
    virtual void sessionDrained(ClientSession *session) = 0;
    /// A message has begun and is not complete yet.
    virtual void sessionMessageBegun(ClientSession *) {}
    /// The connection is over; the gateway removes (and deletes) the session.
    virtual void sessionClosed(ClientSession *session, const WebSocketCloseInfo &info) = 0;
};
