#pragma once

#include "clientsession.h"
#include "delivery.h"
#include "gatewaysnapshot.h"
#include "phpbridge.h"
#include "websocketfront.h"

#include <QElapsedTimer>
#include <QMutex>
#include <QObject>
#include <QTimer>

#include <memory>

class KeepAliveSweep;
class MemoryBudget;
class Metrics;
class Outbox;
class PhpBackend;
class SessionRegistry;
class TrafficLog;
class TrafficRecorder;

/// The WebSocket side of one engine thread, wiring its parts: the front (edge and
/// handshakes), the session registry, the bridge to PHP, the outbox, the traffic recorder and
/// the keep-alive sweep. Implements Delivery for the connections it holds.
class Gateway final : public QObject, public Delivery, private SessionEvents {
    Q_OBJECT
public:
    struct Settings {
        WebSocketFront::Settings front;
        PhpBridge::Settings bridge;
        qint64 sendBufferBytes = 8 * 1024 * 1024;
        bool closeSlowConsumers = false;
        int pingIntervalSec = 30;
        int closeGraceMs = 5000;
        int fragmentTimeoutMs = 30000;
    };

    /// `backend`, `log`, `metrics` and `budget` are not owned and must outlive the gateway.
    Gateway(const Settings &settings, PhpBackend *backend, TrafficLog *log, Metrics *metrics,
            MemoryBudget *budget, QObject *parent = nullptr);
    ~Gateway() override;

    /// Starts listening; false with a message naming the problem.
    bool start(QString *error);
    /// Graceful stop: stop accepting, drop what is queued (logged), let requests with PHP
    /// finish (bounded wait), then close every client with 1001. Emits stopped() when done.
    void stop();
    bool isListening() const;
    quint16 serverPort() const;
    const Settings &settings() const { return m_settings; }

    WebSocketFront *front() const { return m_front; }
    TrafficRecorder *recorder() const { return m_recorder; }
    /// Per-message debugLogged() lines; off by default, and then they cost nothing.
    void setDebugLogging(bool enabled);
    /// Told (on this gateway's thread) when a user or group gets its first member here or
    /// loses its last: the node's router keeps which threads have members.
    void setMembershipListener(
        std::function<void(bool isGroup, const QString &name, bool present)> listener);
    /// How often snapshot() is refreshed; 0 (default) keeps no snapshot.
    void setSnapshotInterval(int ms);
    /// The last published snapshot; safe from any thread.
    std::shared_ptr<const GatewaySnapshot> snapshot() const;
    int clientCount() const;

    /// Sends `replay` to PHP as client `clientId`, behind its queued messages (marked
    /// WS_REPLAY=1; its reply's control headers apply only when asked). False when the client
    /// has left or cannot take it.
    bool replay(const QByteArray &clientId, const ReplayRequest &replay, QString *error);
    /// The client's next message carries `params` too, once (console: "debug next message"
    /// with an Xdebug trigger). False when the client has left.
    bool addToNextMessage(const QByteArray &clientId, const PhpParams &params);
    /// Replays the message of traffic entry `entryId` (a Php row still in the log).
    bool replay(quint64 entryId, QString *error);

    // Delivery
    void deliver(const PushTarget &target, const OutboundMessage &message, bool waitForAll,
                 Done done) override;
    void closeClient(const QByteArray &clientId, int code, const QByteArray &reason,
                     Found done) override;
    void setMembership(const QByteArray &clientId, const QString &group, bool join,
                       Found done) override;
    void clients(std::function<void(const QList<ClientInfo> &)> done) override;
    void client(const QByteArray &clientId, Found done) override;
    void groups(std::function<void(const QHash<QString, QList<QByteArray>> &)> done) override;

    /// The local part of a delivery, answered at once.
    DeliveryResult deliverHere(const PushTarget &target, const OutboundMessage &message);

Q_SIGNALS:
    /// Fires once after stop() has closed every client.
    void stopped();
    /// Fires for every error worth a log line (client errors, PHP failures, drops).
    void errorLogged(const QString &message);
    /// Fires when a client connects or disconnects (for info-level logs).
    void clientEvent(const QString &message);
    /// Fires per message in, PHP exchange and reply out, only with setDebugLogging(true).
    void debugLogged(const QString &message);

private:
    // SessionEvents
    void sessionMessage(ClientSession *session, QByteArray payload, bool binary) override;
    void sessionPong(ClientSession *session, qint64 rttMs) override;
    void sessionClosing(ClientSession *session, int code, const QByteArray &reason) override;
    void sessionDrained(ClientSession *session) override;
    void sessionMessageBegun(ClientSession *session) override;
    void sessionClosed(ClientSession *session, const WebSocketCloseInfo &info) override;

    void onUpgrade(WebSocketFront::Upgrade &&upgrade);
    bool onTick(qint64 nowMs); // true: tick again next second
    void publishSnapshot();
    void maybeFinishStop();

    Settings m_settings;
    PhpBackend *m_backend;
    TrafficLog *m_log;
    MemoryBudget *m_budget;
    TrafficRecorder *m_recorder;
    std::unique_ptr<SessionRegistry> m_registry;
    std::unique_ptr<Outbox> m_outbox;
    std::unique_ptr<PhpBridge> m_bridge;
    KeepAliveSweep *m_sweep;
    WebSocketFront *m_front;
    QTimer m_snapshotTimer;
    bool m_stopping = false;
    bool m_closedAll = false;
    QElapsedTimer m_stopTimer;
    mutable QMutex m_snapshotMutex;
    std::shared_ptr<const GatewaySnapshot> m_snapshot;
};
