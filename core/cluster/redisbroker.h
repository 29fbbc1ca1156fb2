#pragma once

#include "clusterbroker.h"
#include "config/redisaddress.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QSet>
#include <QTimer>

#include <atomic>
#include <functional>
#include <memory>

class NodeRouter;
class RedisLink;

/// The cluster over Redis (or Valkey), after Centrifugo's Redis broker: each node has a
/// channel of its own for commands addressed to it (a push to one of its clients, a close, a
/// membership change, a client lookup), which keeps their order; a node subscribes to a user's
/// or group's channel only while it has local members (subscribes batched, unsubscribes a few
/// seconds late), so a fan-out costs what it reaches; broadcasts and cluster-wide lookups go on
/// one channel every node listens to; a registry of nodes with heartbeats (a sorted set scored
/// with Redis's own clock, so machines' clocks need not agree). Answers that need other nodes
/// are gathered with a timeout. While Redis is away, remote work fails at once.
class RedisBroker final : public ClusterBroker {
    Q_OBJECT
public:
    struct Settings {
        RedisAddress address;
        QString clusterName = QStringLiteral("wsgate"); // key and channel prefix
        QString nodeId;
        quint32 nodeTag = 0;
        QString wsUrl;    // advertised in the registry
        QString pushUrl;  // advertised in the registry
        QString adminUrl; // advertised in the registry ("admin"); empty: none (null)
    };

    static constexpr int HeartbeatMs = 2000;
    static constexpr int NodeTimeoutMs = 6000;   // a node whose heartbeat is older is dead
    static constexpr int GatherTimeoutMs = 2000; // answers from other nodes
    static constexpr int UnsubscribeDelayMs = 5000;
    static constexpr int MaxClientsPerAnswer = 10000;
    /// Live nodes a registry read takes (the most recent heartbeats): routing knows these, and
    /// for NodeTimeoutMs the ones earlier reads took.
    static constexpr int MaxNodes = 1000;

    RedisBroker(const Settings &settings, NodeRouter *router, QObject *parent = nullptr);
    ~RedisBroker() override;

    void start();
    /// Leaves the registry before the node stops and tells the others, who drop it now rather
    /// than 6 s later; then disconnects from Redis. `done`, from the event loop, once Redis
    /// answered, failed or timed out (≤ 2.5 s), or soon while Redis is away.
    void leave(std::function<void()> done);
    /// Connections held here, for the registry's heartbeat.
    void setConnectionCount(std::function<qint64()> count) { m_connectionCount = std::move(count); }

    bool isAvailable() const override;
    bool knowsNode(quint32 nodeTag) const override;
    void deliverToNode(quint32 nodeTag, const PushTarget &target, const OutboundMessage &message,
                       bool waitForAll, Delivery::Done done) override;
    void publish(const PushTarget &target, const OutboundMessage &message, bool waitForAll,
                 Delivery::Done done) override;
    void closeOnNode(quint32 nodeTag, const QByteArray &clientId, int code,
                     const QByteArray &reason, Delivery::Found done) override;
    void membershipOnNode(quint32 nodeTag, const QByteArray &clientId, const QString &group,
                          bool join, Delivery::Found done) override;
    void clientOnNode(quint32 nodeTag, const QByteArray &clientId, Delivery::Found done) override;
    void gatherClients(std::function<void(const QList<ClientInfo> &, bool)> done) override;
    void gatherGroups(
        std::function<void(const QHash<QString, QList<QByteArray>> &, bool)> done) override;
    void setInterest(bool isGroup, const QString &name, bool present) override;
    QJsonArray nodes() const override;

    /// For GET /health: {"state":"up"|"down","nodes":N,"error":…}.
    QJsonObject health() const;
    /// Prometheus text for the cluster.
    void appendPrometheus(QByteArray &out) const;

private:
    struct Node {
        QString id;
        QJsonObject info;
        qint64 heartbeatMs = 0; // its last heartbeat's score, Redis's clock
        qint64 readMs = 0;      // when a registry read last had it, m_clock
    };
    struct LeftNode {
        qint64 heartbeatMs = 0; // its last heartbeat before it left, Redis's clock
        qint64 untilMs = 0;     // remembered until then, m_clock
    };
    struct Request; // an answer (or answers) awaited from other nodes

    QByteArray key(const QByteArray &suffix) const;
    /// The registry's "admin": the URL, or null.
    QJsonValue adminUrlJson() const;
    QByteArray nodeChannel(const QString &nodeId) const;
    QByteArray targetChannel(const PushTarget &target) const;
    /// Publishes header + payload on `channel`; `published` gets the number of subscribers
    /// (-1 when Redis did not take it).
    void send(const QByteArray &channel, const QJsonObject &header, const QByteArray &payload,
              std::function<void(int subscribers)> published);
    void reply(const QString &toNode, QJsonObject header);
    quint64 await(int expected, std::function<void(Request &)> onAnswer,
                  std::function<void(Request &, bool complete)> finish);
    void answered(quint64 id, const QJsonObject &header, const QByteArray &payload);
    void finishRequest(quint64 id, bool complete);
    /// A push's answer (matched, delivered, buffer full) added to the request's result.
    static void addDeliveryAnswer(Request &r);
    /// A request to one node that timed out, or ended as the node left: "node_unreachable"
    /// while Redis is up, else "cluster_unavailable".
    QByteArray notAnswered() const;
    /// send()'s callback for a request to one node: when nobody heard it, the request ends and
    /// `fail` gets "cluster_unavailable" (Redis refused it) or "node_unreachable" (nobody
    /// listens on the node's channel).
    std::function<void(int)> failUnlessHeard(quint64 id,
                                             std::function<void(const QByteArray &error)> fail);
    /// A question about one client (`question`: its type and fields) to the node that holds
    /// it: not asked when the node is unknown (not found) or Redis is away; `answer` makes the
    /// lookup from the node's reply (read by `onAnswer`), or `done` is told why none came.
    void askNode(quint32 tag, QJsonObject question, std::function<void(Request &)> onAnswer,
                 std::function<ClientLookup(const Request &)> answer, Delivery::Found done);
    /// A close's or a group change's reply: whether the node had the client.
    static void readFound(Request &r);
    static ClientLookup foundOf(const Request &r);
    /// send()'s callback for a request to every node: it awaits as many answers as there
    /// were other subscribers.
    std::function<void(int)> expectEveryOtherNode(quint64 id);
    void onMessage(const QByteArray &channel, const QByteArray &payload);
    void onCommand(const QJsonObject &header, const QByteArray &payload);
    void heartbeat();
    /// The registry's live nodes become m_nodes, with the known ones it misses but that beat
    /// inside NodeTimeoutMs of `nowMs` (Redis's clock).
    void keepRecentNodes(QHash<quint32, Node> read, qint64 nowMs);
    /// A node that said it left (graceful stop) is dropped now, and a registry read from
    /// before it left does not bring it back.
    void forgetNode(const QString &nodeId, qint64 lastHeartbeatMs);
    void sweep();
    void flushSubscriptions();
    void availability();

    Settings m_settings;
    NodeRouter *m_router;
    RedisLink *m_commands;
    RedisLink *m_subscriber;
    QTimer m_heartbeat;
    QTimer m_sweep;
    QElapsedTimer m_clock;
    qint64 m_startedMs = 0;
    std::function<qint64()> m_connectionCount;
    QHash<quint32, Node> m_nodes;         // live nodes but this one, by tag
    QHash<QString, LeftNode> m_leftNodes; // by id
    bool m_registryFull = false;          // the last read was cut at MaxNodes (said once)
    qint64 m_lastHeartbeatMs = 0;         // ours, Redis's clock
    quint64 m_nextRequest = 1;
    QHash<quint64, std::shared_ptr<Request>> m_requests;
    QSet<QByteArray> m_toSubscribe;
    QHash<QByteArray, qint64> m_toUnsubscribe; // channel → when (m_clock ms)
    bool m_flushScheduled = false;
    bool m_available = false;
    bool m_left = false;
    std::atomic<qint64> m_published{0};
    std::atomic<qint64> m_received{0};
    std::atomic<qint64> m_refused{0};
    std::atomic<qint64> m_gatherTimeouts{0};
    std::atomic<qint64> m_unreachable{0}; // sends to a registered node nobody listened for
    std::atomic<qint64> m_outages{0};
};
