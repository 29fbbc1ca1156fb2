#pragma once

#include "clientsession.h"
#include "config/configuration.h"
#include "gatewaysnapshot.h"
#include "messagerouter.h"
#include "php/phpbackend.h"

#include <QElapsedTimer>
#include <QHash>
#include <QMutex>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <memory>

class HttpServer;
class Metrics;
class QTcpServer;
class QTcpSocket;
class QWebSocketServer;
class TrafficLog;
struct TrafficEntry;

/// The WebSocket side: accepts connections, turns events into PHP requests through a
/// PhpBackend, sends PHP's replies back, and implements MessageRouter for pushes.
class Gateway final : public QObject, public MessageRouter {
    Q_OBJECT
public:
    /// `backend`, `log` and `metrics` are not owned and must outlive the gateway.
    Gateway(const Configuration &config, PhpBackend *backend, TrafficLog *log, Metrics *metrics,
            QObject *parent = nullptr);
    ~Gateway() override;

    /// Starts listening; false with a message naming the problem.
    bool start(QString *error);
    /// Graceful stop: stop accepting, let in-flight PHP requests finish (bounded wait), then
    /// close every client with 1001. Emits stopped() when done.
    void stop();
    bool isListening() const;
    quint16 serverPort() const;

    /// HTML served on GET / of the WebSocket port (the demo page); empty: 404.
    void setIndexPage(const QByteArray &html);
    /// Plain HTTP requests below `prefix` ("/_wsgate/…") on the WebSocket port go to `server`
    /// (the push API); null server: none do.
    void setHttpPrefix(const QByteArray &prefix, HttpServer *server);
    /// Extra params for every PHP request (e.g. WS_PUSH_URL), set before start().
    void setExtraParams(const QList<QPair<QByteArray, QByteArray>> &params);
    /// Per-message debugLogged() lines; off by default, and then they cost nothing.
    void setDebugLogging(bool enabled) { m_debugLogging = enabled; }
    /// How often snapshot() is refreshed; 0 (default) keeps no snapshot.
    void setSnapshotInterval(int ms);
    /// The last published snapshot; safe from any thread.
    std::shared_ptr<const GatewaySnapshot> snapshot() const;

    /// Re-sends the PHP request logged as traffic entry `entryId` (a Php row), as if from its
    /// client; the reply goes to that client if it is still connected. False if unknown.
    bool replay(quint64 entryId, QString *error);

    int clientCount() const { return int(m_clients.size()); }

    // MessageRouter
    DeliveryResult sendToClient(const QByteArray &clientId, const OutboundMessage &m) override;
    DeliveryResult sendToUser(const QString &user, const OutboundMessage &m) override;
    DeliveryResult sendToGroup(const QString &group, const OutboundMessage &m) override;
    DeliveryResult broadcast(const OutboundMessage &m) override;
    bool closeClient(const QByteArray &clientId, int code, const QString &reason) override;
    bool joinGroup(const QByteArray &clientId, const QString &group) override;
    bool leaveGroup(const QByteArray &clientId, const QString &group) override;
    QJsonArray clientList() const override;
    QJsonObject clientInfo(const QByteArray &clientId) const override;
    QJsonObject groupList() const override;

Q_SIGNALS:
    /// Fires once after stop() has closed every client.
    void stopped();
    /// Fires for every error worth a log line (client errors, PHP failures).
    void errorLogged(const QString &message);
    /// Fires when a client connects or disconnects (for info-level logs).
    void clientEvent(const QString &message);
    /// Fires per message in, PHP exchange and reply out, only with setDebugLogging(true).
    void debugLogged(const QString &message);

private:
    struct PendingUpgrade;

    void onNewTcpConnection();
    void onHandshakeData(QTcpSocket *socket);
    void onWebSocketConnected();
    void refuseHandshake(QTcpSocket *socket, int status, const QByteArray &reason,
                         const QByteArray &body, const QByteArray &contentType = "text/plain");
    void onMessage(ClientSession *session, QByteArray payload, bool binary);
    void onDisconnected(ClientSession *session);
    void dispatchNext(ClientSession *session);
    void onPhpReply(const QByteArray &clientId, const PhpRequest &request, bool binary,
                    bool replayed, const PhpResponse &response);
    /// Logs one PHP exchange (traffic log, metrics, last error).
    void recordPhp(const QByteArray &clientId, const char *event, const PhpRequest &request,
                   const PhpResponse &response);
    void applyControlHeaders(ClientSession *session, const PhpResponse &response);
    void reportPhpFailure(ClientSession *session, const PhpResponse &response);
    void sendEvent(ClientSession *session, const char *event, const QByteArray &closeCode,
                   const QByteArray &closeReason);
    void deliver(ClientSession *session, const OutboundMessage &m, const QString &text,
                 DeliveryResult &result);
    void logPush(const QString &target, const OutboundMessage &m, const DeliveryResult &result);
    /// Sends PHP's reply body to the client and logs it.
    void sendReply(ClientSession *session, const QByteArray &body, bool binary);
    /// Sends a reply or push; `text`, when given, is `payload` already decoded (broadcasts
    /// decode once). Closes the client (1008) instead when its send buffer is over the mark.
    void sendToSession(ClientSession *session, const QByteArray &payload, bool binary,
                       const QString *text = nullptr);
    void closeSession(ClientSession *session, int code, const QString &reason);
    void removeSession(ClientSession *session);
    void sweep();
    void publishSnapshot();
    void maybeFinishStop();
    PhpRequest buildRequest(const ClientSession &session, const char *event, const QByteArray &body,
                            const QByteArray &contentType,
                            QList<QPair<QByteArray, QByteArray>> extra) const;
    bool originAllowed(const QByteArray &origin) const;
    void logError(const QByteArray &clientId, const QString &code, const QString &message);
    QByteArray newClientId() const;
    QJsonObject sessionJson(const ClientSession &session) const;

    Configuration m_config;
    PhpBackend *m_backend;
    TrafficLog *m_log;
    Metrics *m_metrics;
    QTcpServer *m_tcpServer = nullptr;
    QWebSocketServer *m_wsServer = nullptr;
    QTimer m_sweepTimer;
    QTimer m_snapshotTimer;
    QByteArray m_indexPage;
    QByteArray m_httpPrefix;
    QPointer<HttpServer> m_httpPrefixServer;
    QList<QPair<QByteArray, QByteArray>> m_extraParams;

    QHash<QByteArray, ClientSession *> m_clients; // owned
    QHash<QWebSocket *, ClientSession *> m_bySocket;
    QHash<QString, QSet<ClientSession *>> m_users;
    QHash<QString, QSet<ClientSession *>> m_groups;
    QHash<QTcpSocket *, QElapsedTimer> m_handshakes; // waiting for their head or PHP's open reply
    /// Upgrades handed to QWebSocketServer, keyed by peer address and port, until it hands
    /// back the QWebSocket.
    QHash<QByteArray, std::shared_ptr<PendingUpgrade>> m_pendingUpgrades;

    QElapsedTimer m_pingCheck; // since the sweep last walked the clients for idle pings
    bool m_stopping = false;
    bool m_debugLogging = false;
    QElapsedTimer m_stopTimer;

    mutable QMutex m_snapshotMutex;
    std::shared_ptr<const GatewaySnapshot> m_snapshot;
    QString m_lastPhpError;
    qint64 m_lastPhpErrorMs = 0;
    qint64 m_lastPhpOkMs = 0;
};
