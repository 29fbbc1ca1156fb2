#pragma once

#include "config/configuration.h"
#include "php/phpbackend.h"
#include "php/phprequest.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QObject>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

class AdminApi;
class FastCgiPool;
class NodeRouter;
class RedisBroker;
class Delivery;
struct FpmReport;
struct GatewaySnapshot;
class FpmPoller;
class Gateway;
class HttpServer;
class MemoryBudget;
class ManagedPhp;
class Metrics;
class PushApi;
class QTimer;
class TrafficLog;

/// Everything a running wsgate needs, built from one Configuration: managed PHP (--demo), the
/// FastCGI pool, the gateway, the push API and the PHP-FPM status poller. wsgated runs it on
/// the main thread, the console on a worker thread of its own.
class Engine final : public QObject {
    Q_OBJECT
public:
    explicit Engine(const Configuration &config, QObject *parent = nullptr);
    ~Engine() override;

    /// Starts every part; false (and everything stopped) with a message naming the problem.
    bool start(QString *error);
    /// Graceful stop (see Gateway::stop); emits stopped() when done.
    void stop();
    bool isRunning() const { return m_running; }
    /// The cluster as the console shows it; any thread.
    struct ClusterState {
        bool enabled = false; // --cluster given
        bool up = false;      // Redis reachable
        int nodes = 0;        // live nodes, this one included (0 until the first heartbeat)
    };
    ClusterState clusterState() const;

    const Configuration &config() const { return m_config; }
    // Parts; null when not running (or, for managedPhp, when not in --demo).
    /// The first engine thread's gateway (the only one without --threads).
    Gateway *gateway() const;
    /// Every connection of the node (all engine threads and, with --cluster, the other
    /// nodes): for the push API and the console. Use on the engine's thread.
    Delivery *delivery() const;
    NodeRouter *router() const { return m_router.get(); }
    int threadCount() const { return int(m_shards.size()); }
    /// Snapshots of every engine thread, merged; thread-safe. Null when none is published.
    std::shared_ptr<const GatewaySnapshot> snapshot() const;
    /// How often each thread publishes its snapshot (0: none); call on the engine's thread.
    void setSnapshotInterval(int ms);
    /// snapshot() for the admin API, published now if none is being published: from the first
    /// call on every thread publishes at least every second, until a while after the last
    /// call (nothing is built for a reader that never comes). On the engine's thread.
    std::shared_ptr<const GatewaySnapshot> adminSnapshot();
    /// Random for each start(): the admin API's X-WsGate-Instance (a reader sees a restart).
    QByteArray instanceId() const { return m_instanceId; }
    PushApi *pushApi() const { return m_pushApi.get(); }
    /// The admin API served with pushApi() (under /admin/); null when that is not running.
    AdminApi *adminApi() const { return m_adminApi.get(); }
    HttpServer *httpServer() const { return m_httpServer.get(); }
    FpmPoller *fpmPoller() const { return m_fpmPoller.get(); }
    /// The poller's state and what the PHP-FPM view needs besides (managed PHP, the
    /// --fastcgi address): for the console and GET /admin/fpm. On the engine's thread.
    FpmReport fpmReport() const;
    ManagedPhp *managedPhp() const { return m_managedPhp.get(); }
    /// The first engine thread's FastCGI pool.
    FastCgiPool *pool() const;
    // Always there, thread-safe to read from any thread.
    TrafficLog *trafficLog() const { return m_log.get(); }
    Metrics *metrics() const { return m_metrics.get(); }
    /// The gateway-wide memory budgets; null when not running.
    MemoryBudget *budget() const { return m_budget.get(); }

    /// Prometheus text for GET /metrics: gateway counters, pool gauges, PHP-FPM gauges.
    QByteArray metricsText() const;

Q_SIGNALS:
    /// Fires when start() has brought every part up.
    void started();
    /// Fires once when a stop has completed.
    void stopped();
    /// Fires for every line worth logging; level is "debug", "info" or "warning".
    void logLine(const QString &level, const QString &text);

private:
    struct Shard;

    /// Destroys every part, users before what they point into.
    void teardown();
    /// Builds and starts engine thread `index` (its own FastCGI pool and gateway); on its own
    /// QThread for index > 0. False with a message.
    bool startShard(int index, quint16 port, QString *error);
    void destroyShard(Shard &shard);
    /// Runs `work` on the shard's thread and waits for it.
    static void onShardThread(Shard &shard, const std::function<void()> &work);
    /// Every engine thread's FastCGI pool added up, and the handshakes in progress.
    PhpBackendStats backendStats(int *handshakes) const;
    void closePushServers();
    bool startManagedPhp(QString *error);
    bool listenPushApi(QString *error);
    void logClientErrors(HttpServer *server);
    std::unique_ptr<PushApi> makePushApi(const QStringList &hosts, bool anyIpLiteral);
    std::unique_ptr<AdminApi> makeAdminApi();
    /// The snapshot interval each thread gets: the owner's, or the admin API's while it reads.
    void applySnapshotInterval(bool wait);
    void attachPushApis();
    /// What PHP gets in every request besides the CGI params: where the push API is.
    PhpParams extraParams() const;
    void logStarted();
    void startCluster();
    QJsonArray nodesJson() const;
    /// GET /admin/snapshot's "cluster": {enabled, up, nodes, node, members}.
    QJsonObject clusterJson() const;
    /// Where this node's admin API is reached from elsewhere, for the registry; empty when it
    /// serves none (no push token, or neither a push listener nor --push-prefix).
    QString adminUrl() const;

    Configuration m_config;
    std::unique_ptr<TrafficLog> m_log;
    std::unique_ptr<Metrics> m_metrics;
    std::unique_ptr<MemoryBudget> m_budget;
    std::unique_ptr<ManagedPhp> m_managedPhp;
    std::vector<std::unique_ptr<Shard>> m_shards;
    std::unique_ptr<NodeRouter> m_router;
    std::unique_ptr<RedisBroker> m_broker; // with --cluster
    int m_shardsRunning = 0;
    std::unique_ptr<FastCgiPool> m_statusPool;
    std::unique_ptr<HttpServer> m_httpServer;
    std::unique_ptr<HttpServer> m_prefixHttpServer; // the push API on the WebSocket port
    std::unique_ptr<PushApi> m_pushApi;
    std::unique_ptr<PushApi> m_prefixPushApi; // its own Host list: the WebSocket port's
    std::unique_ptr<AdminApi> m_adminApi;     // served by m_pushApi
    std::unique_ptr<AdminApi> m_prefixAdminApi;
    QByteArray m_instanceId;
    int m_ownerSnapshotMs = 0;     // setSnapshotInterval()
    bool m_adminSnapshots = false; // the admin API asked lately
    QTimer *m_adminSnapshotLinger = nullptr;
    std::unique_ptr<FpmPoller> m_fpmPoller;
    bool m_running = false;
    bool m_leaving = false; // the gateways stopped, the cluster registry being left
    std::atomic<bool> m_clusterUp{false};
    std::atomic<int> m_clusterNodes{0};
};
