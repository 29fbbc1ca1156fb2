#include "engine.h"

#include "cluster/clientroute.h"
#include "cluster/noderouter.h"
#include "cluster/redisbroker.h"
#include "config/configurationvalues.h"
#include "engine/gatewaysettings.h"
#include "fastcgi/fastcgipool.h"
#include "fpm/fpmpoller.h"
#include "fpm/managedphp.h"
#include "gateway/gateway.h"
#include "gateway/gatewaysnapshot.h"
#include "gateway/memorybudget.h"
#include "gateway/sessionregistry.h"
#include "gateway/trafficrecorder.h"
#include "http/adminapi.h"
#include "http/httpserver.h"
#include "http/pushapi.h"
#include "loop/enginedispatcher.h"
#include "observe/metrics.h"
#include "observe/trafficlog.h"

#include "version.h"

#include <QDir>
#include <QDirIterator>
#include <QEventLoop>
#include <QFile>
#include <QHostAddress>
#include <QJsonObject>
#include <QMetaEnum>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>

namespace {

// Headless default: nobody watches the charts; the console sets its own (1 s).
constexpr int FpmPollIntervalMs = 5000;
constexpr int ManagedPhpChildren = 8;
constexpr int ManagedPhpStartTimeoutMs = 15000;
constexpr int AutoTokenBytes = 32;       // --push-token auto: 256 random bits
constexpr int MinStrongTokenLength = 16; // shorter push tokens are warned about at start
constexpr int InstanceIdHexDigits = 32;  // 128 random bits
// The admin API's snapshots: published this often while it reads, until this long after.
constexpr int AdminSnapshotIntervalMs = 1000;
constexpr int AdminSnapshotLingerMs = 60000;

/// Copies the example handlers out of the resources so PHP-FPM can run them from disk.
bool extractExamples(const QString &targetDir, QString *error) {
    const QString root = QStringLiteral(":/wsgate/examples");
    QDirIterator it(root, QDir::Files, QDirIterator::Subdirectories);
    int copied = 0;
    while (it.hasNext()) {
        const QString source = it.next();
        const QString target = targetDir + source.mid(root.size());
        QDir().mkpath(QFileInfo(target).absolutePath());
        QFile::remove(target);
        if (!QFile::copy(source, target)) {
            *error = QStringLiteral("--demo: cannot write %1").arg(target);
            return false;
        }
        QFile::setPermissions(target, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup |
                                          QFile::ReadOther);
        ++copied;
    }
    if (copied == 0) {
        *error = QStringLiteral("--demo: the example handlers are missing from the build");
        return false;
    }
    return true;
}

QString randomToken() {
    QByteArray raw(AutoTokenBytes, Qt::Uninitialized);
    QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(raw.data()),
                                         reinterpret_cast<quint32 *>(raw.data() + raw.size()));
    return QString::fromLatin1(raw.toHex());
}

FastCgiPoolOptions poolOptionsFor(const Configuration &c, int connections) {
    FastCgiPoolOptions o;
    o.address = c.fastcgi;
    o.maxConnections = connections;
    o.connectTimeoutMs = c.fastcgiConnectTimeoutMs;
    o.readTimeoutMs = c.fastcgiTimeoutMs;
    o.deadlineMs = c.fastcgiDeadlineMs;
    o.idleTimeoutMs = c.fastcgiIdleMs;
    o.keepAlive = c.fastcgiIdleMs > 0;
    // Every queued request's body is a client message already charged to the inbound budget.
    o.maxQueuedBytes = c.inboundBudgetBytes;
    o.maxQueued = std::max(1024, c.queueLimit * 64);
    return o;
}

} // namespace

// Resources of a static library are not linked in unless something refers to them.
static void initCoreResources() {
    Q_INIT_RESOURCE(core);
}

/// One engine thread: its FastCGI pool and gateway (the first lives on the engine's thread).
struct Engine::Shard {
    QThread *thread = nullptr;  // null for the first
    QObject *context = nullptr; // lives on `thread`: runs work there
    std::unique_ptr<FastCgiPool> pool;
    std::unique_ptr<Gateway> gateway;
};

Engine::Engine(const Configuration &config, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_log(std::make_unique<TrafficLog>(config.trafficLogEntries, config.trafficBodyCapBytes))
    , m_metrics(std::make_unique<Metrics>())
    , m_adminSnapshotLinger(new QTimer(this)) {
    initCoreResources();
    m_adminSnapshotLinger->setSingleShot(true);
    m_adminSnapshotLinger->setInterval(AdminSnapshotLingerMs);
    connect(m_adminSnapshotLinger, &QTimer::timeout, this, [this] {
        m_adminSnapshots = false;
        applySnapshotInterval(false);
    });
}

Engine::~Engine() {
    teardown();
}

void Engine::closePushServers() {
    for (HttpServer *server : {m_httpServer.get(), m_prefixHttpServer.get()}) {
        if (server)
            server->close();
    }
}

void Engine::teardown() {
    // Order matters: the API and poller hold raw pointers into the router and the pools.
    m_fpmPoller.reset();
    m_prefixPushApi.reset();
    m_pushApi.reset();
    m_prefixAdminApi.reset(); // after the push APIs that hand requests to them
    m_adminApi.reset();
    m_adminSnapshots = false;
    m_adminSnapshotLinger->stop();
    m_prefixHttpServer.reset();
    m_httpServer.reset();
    m_broker.reset();
    m_router.reset();
    for (auto it = m_shards.rbegin(); it != m_shards.rend(); ++it)
        destroyShard(**it);
    m_shards.clear();
    m_statusPool.reset();
    m_budget.reset();
    m_managedPhp.reset();
}

void Engine::onShardThread(Shard &shard, const std::function<void()> &work) {
    if (!shard.thread)
        work();
    else
        QMetaObject::invokeMethod(shard.context, work, Qt::BlockingQueuedConnection);
}

void Engine::destroyShard(Shard &shard) {
    onShardThread(shard, [&shard] {
        shard.gateway.reset();
        shard.pool.reset();
    });
    if (shard.thread) {
        QMetaObject::invokeMethod(shard.context, "deleteLater");
        shard.thread->quit();
        shard.thread->wait();
        delete shard.thread;
        shard.thread = nullptr;
    }
}

Gateway *Engine::gateway() const {
    return m_shards.empty() ? nullptr : m_shards.front()->gateway.get();
}

FastCgiPool *Engine::pool() const {
    return m_shards.empty() ? nullptr : m_shards.front()->pool.get();
}

Delivery *Engine::delivery() const {
    return m_router.get();
}

void Engine::setSnapshotInterval(int ms) {
    m_ownerSnapshotMs = std::max(0, ms);
    applySnapshotInterval(false);
}

void Engine::applySnapshotInterval(bool wait) {
    int ms = m_ownerSnapshotMs;
    if (m_adminSnapshots)
        ms = ms > 0 ? std::min(ms, AdminSnapshotIntervalMs) : AdminSnapshotIntervalMs;
    for (auto &shard : m_shards) {
        Gateway *g = shard->gateway.get();
        if (wait) // the first snapshot is published before this returns
            onShardThread(*shard, [g, ms] { g->setSnapshotInterval(ms); });
        else
            QMetaObject::invokeMethod(
                g, [g, ms] { g->setSnapshotInterval(ms); }, Qt::AutoConnection);
    }
}

std::shared_ptr<const GatewaySnapshot> Engine::adminSnapshot() {
    if (m_shards.empty())
        return nullptr;
    m_adminSnapshotLinger->start();
    if (!m_adminSnapshots) {
        // Built on demand rather than always: a headless gateway nobody watches builds none.
        m_adminSnapshots = true;
        applySnapshotInterval(true);
    }
    return snapshot();
}

std::shared_ptr<const GatewaySnapshot> Engine::snapshot() const {
    if (m_shards.size() == 1)
        return m_shards.front()->gateway->snapshot();
    std::shared_ptr<GatewaySnapshot> merged;
    for (const auto &shard : m_shards) {
        const auto part = shard->gateway ? shard->gateway->snapshot() : nullptr;
        if (!part)
            continue;
        if (!merged) {
            merged = std::make_shared<GatewaySnapshot>(*part);
            continue;
        }
        merged->listening = merged->listening && part->listening;
        merged->clients += part->clients;
        merged->groups += part->groups;
        merged->users += part->users;
        merged->pool.add(part->pool);
        merged->handshakes += part->handshakes;
        if (part->lastPhpErrorMs > merged->lastPhpErrorMs) {
            merged->lastPhpError = part->lastPhpError;
            merged->lastPhpErrorMs = part->lastPhpErrorMs;
        }
        merged->lastPhpOkMs = std::max(merged->lastPhpOkMs, part->lastPhpOkMs);
    }
    if (merged) {
        merged->groups.removeDuplicates();
        merged->users.removeDuplicates();
    }
    return merged;
}

bool Engine::startManagedPhp(QString *error) {
    Configuration &c = m_config;
    ManagedPhp::Options php;
    php.maxChildren = ManagedPhpChildren;
    php.maxMessageBytes = c.maxMessageBytes;
    php.user = c.phpUser; // the workers' account when we run as root
    m_managedPhp = std::make_unique<ManagedPhp>(php);
    connect(m_managedPhp.get(), &ManagedPhp::logLines, this, [this](const QStringList &lines) {
        for (const QString &line : lines) {
            TrafficEntry e;
            e.kind = TrafficEntry::Kind::PhpLog;
            e.text = line;
            m_log->append(std::move(e));
            Q_EMIT logLine(QStringLiteral("info"), QStringLiteral("php-fpm: ") + line);
        }
    });
    connect(m_managedPhp.get(), &ManagedPhp::stateChanged, this, [this](ManagedPhp::State s) {
        const bool bad = s == ManagedPhp::State::Failed || s == ManagedPhp::State::Restarting;
        Q_EMIT logLine(bad ? QStringLiteral("warning") : QStringLiteral("info"),
                       QStringLiteral("managed PHP: %1%2")
                           .arg(QString::fromLatin1(
                                    QMetaEnum::fromType<ManagedPhp::State>().valueToKey(int(s))),
                                m_managedPhp->lastError().isEmpty()
                                    ? QString()
                                    : QStringLiteral(" (%1)").arg(m_managedPhp->lastError())));
    });
    m_managedPhp->start();
    // Accept clients only once PHP answers: an open event sent earlier would be refused.
    if (m_managedPhp->state() == ManagedPhp::State::Starting) {
        QEventLoop wait;
        connect(m_managedPhp.get(), &ManagedPhp::stateChanged, &wait, &QEventLoop::quit);
        QTimer::singleShot(ManagedPhpStartTimeoutMs, &wait, &QEventLoop::quit);
        wait.exec();
    }
    if (m_managedPhp->state() != ManagedPhp::State::Running) {
        *error = QStringLiteral("--demo: cannot start PHP: %1").arg(m_managedPhp->lastError());
        m_managedPhp.reset();
        return false;
    }
    const QString www = m_managedPhp->runtimeDir() + QStringLiteral("/www");
    if (!extractExamples(www, error)) {
        m_managedPhp.reset();
        return false;
    }
    const auto address = FastCgiAddress::parse(m_managedPhp->fastcgiAddress(), error);
    if (!address) {
        m_managedPhp.reset();
        return false;
    }
    c.fastcgi = *address;
    if (c.script.isEmpty())
        c.script = www + QStringLiteral("/chat.php");
    if (c.docroot.isEmpty())
        c.docroot = www;
    c.eventOpen = c.eventClose = c.eventMessage = true;
    return true;
}

bool Engine::start(QString *error) {
    if (m_running)
        return true;
    Configuration &c = m_config;
    if (c.demo && !startManagedPhp(error))
        return false;
    if (c.pushTokenAuto && c.pushToken.isEmpty())
        c.pushToken = randomToken();
    m_instanceId = randomToken().left(InstanceIdHexDigits).toLatin1();

    if (!c.clusterUrl.isEmpty() && c.nodeId.isEmpty())
        c.nodeId = randomToken().left(12);
    const quint32 nodeTag =
        c.nodeId.isEmpty() ? QRandomGenerator::system()->generate() : ClientRoute::tagOf(c.nodeId);
    m_budget = std::make_unique<MemoryBudget>(c.inboundBudgetBytes, c.outboundBudgetBytes);
    m_router = std::make_unique<NodeRouter>(nodeTag);

    // The status poller gets its own single connection so it never waits behind the gateway.
    FastCgiPoolOptions statusOptions = poolOptionsFor(c, 1);
    statusOptions.maxQueued = 4;
    statusOptions.keepAlive = false;
    m_statusPool = std::make_unique<FastCgiPool>(statusOptions);
    m_fpmPoller = std::make_unique<FpmPoller>(m_statusPool.get());
    m_fpmPoller->setStatusPath(c.fpmStatusPath);
    m_fpmPoller->setPingPath(c.fpmPingPath);
    m_fpmPoller->setInterval(std::chrono::milliseconds(FpmPollIntervalMs));
    m_fpmPoller->setGatewayPoolSize(c.fastcgiPool);

    if (!listenPushApi(error) || !startShard(0, c.listenPort, error)) {
        teardown();
        return false;
    }
    c.listenPort = gateway()->serverPort();
    // Where PHP pushes to: known once both ports are (with --push-prefix alone the URL holds
    // the WebSocket port's number); no connection is accepted before we return to the loop.
    gateway()->front()->setExtraParams(extraParams());
    for (int i = 1; i < c.threads; ++i) {
        if (!startShard(i, c.listenPort, error)) {
            teardown();
            return false;
        }
    }
    startCluster();
    attachPushApis();
    m_fpmPoller->start();
    m_running = true;
    m_shardsRunning = int(m_shards.size());
    logStarted();
    Q_EMIT started();
    return true;
}

Engine::ClusterState Engine::clusterState() const {
    ClusterState s;
    s.enabled = !m_config.clusterUrl.isEmpty();
    s.up = m_clusterUp;
    s.nodes = m_clusterNodes;
    return s;
}

void Engine::startCluster() {
    const Configuration &c = m_config;
    const auto address = c.redisAddress();
    if (c.clusterUrl.isEmpty() || !address)
        return;
    RedisBroker::Settings settings;
    settings.address = *address;
    settings.clusterName = c.clusterName;
    settings.nodeId = c.nodeId;
    settings.nodeTag = m_router->nodeTag();
    settings.wsUrl = c.listenUrl();
    settings.pushUrl = c.pushUrl();
    settings.adminUrl = adminUrl();
    m_broker = std::make_unique<RedisBroker>(settings, m_router.get());
    Metrics *metrics = m_metrics.get();
    m_broker->setConnectionCount([metrics] { return metrics->connectionsCurrent.load(); });
    connect(m_broker.get(), &ClusterBroker::logLine, this, &Engine::logLine);
    connect(m_broker.get(), &ClusterBroker::availabilityChanged, this,
            [this](bool up) { m_clusterUp = up; });
    connect(m_broker.get(), &ClusterBroker::nodeCountChanged, this,
            [this](int nodes) { m_clusterNodes = nodes; });
    m_router->setBroker(m_broker.get());
    // Not waited for: local delivery works from the start; remote work answers 503 until the
    // first connection to Redis is up.
    m_broker->start();
}

QJsonArray Engine::nodesJson() const {
    if (m_broker)
        return m_broker->nodes();
    const Configuration &c = m_config;
    return QJsonArray{
        QJsonObject{{QStringLiteral("id"), c.nodeId},
                    {QStringLiteral("self"), true},
                    {QStringLiteral("address"), c.listenUrl()},
                    {QStringLiteral("push"), c.pushUrl()},
                    {QStringLiteral("admin"), adminUrl().isEmpty() ? QJsonValue() : adminUrl()},
                    {QStringLiteral("version"), QStringLiteral(WSGATE_VERSION)},
                    {QStringLiteral("connections"), double(m_metrics->connectionsCurrent.load())},
                    {QStringLiteral("threads"), int(m_shards.size())}}};
}

bool Engine::startShard(int index, quint16 port, QString *error) {
    const Configuration &c = m_config;
    Gateway::Settings settings;
    if (!gatewaySettingsFrom(c, &settings, error))
        return false;
    settings.front.port = port;
    settings.front.clientIdPrefix = ClientRoute::idPrefix(m_router->nodeTag(), index);
    if (index > 0)
        settings.front.cgi.extra = extraParams();
    auto shard = std::make_unique<Shard>();
    Shard *sh = shard.get();
    if (index > 0) {
        sh->thread = new QThread;
        sh->thread->setObjectName(QStringLiteral("wsgate-engine-%1").arg(index));
        if (QAbstractEventDispatcher *dispatcher = createEngineEventDispatcher())
            sh->thread->setEventDispatcher(dispatcher);
        sh->context = new QObject;
        sh->context->moveToThread(sh->thread);
        sh->thread->start();
    }
    m_shards.push_back(std::move(shard));
    // Pool connections split between the threads: FPM's workers are the shared resource.
    const int poolSize =
        std::max(1, c.fastcgiPool / c.threads + (index < c.fastcgiPool % c.threads));
    QByteArray page;
    if (c.demo) {
        QFile file(QStringLiteral(":/wsgate/demo/index.html"));
        if (file.open(QIODevice::ReadOnly))
            page = file.readAll();
    }
    bool ok = false;
    NodeRouter *router = m_router.get();
    onShardThread(*sh, [&] {
        sh->pool = std::make_unique<FastCgiPool>(poolOptionsFor(c, poolSize));
        sh->gateway = std::make_unique<Gateway>(settings, sh->pool.get(), m_log.get(),
                                                m_metrics.get(), m_budget.get());
        sh->gateway->setDebugLogging(c.logLevel == QLatin1String("debug"));
        sh->gateway->front()->setIndexPage(page);
        sh->gateway->setMembershipListener(
            [router, index](bool isGroup, const QString &name, bool present) {
                router->membershipChanged(index, isGroup, name, present);
            });
        ok = sh->gateway->start(error);
    });
    if (!ok) {
        // As the push listener's: the option and address first ("Address already in use"
        // alone does not say which of the two ports).
        *error = QStringLiteral("--listen %1: %2")
                     .arg(ConfigurationValues::hostPortText(c.listenHost, port), *error);
        return false;
    }
    Gateway *g = sh->gateway.get();
    connect(sh->pool.get(), &FastCgiPool::connectionError, this, [this](const QString &message) {
        Q_EMIT logLine(QStringLiteral("warning"), QStringLiteral("FastCGI: ") + message);
    });
    connect(g, &Gateway::errorLogged, this,
            [this](const QString &m) { Q_EMIT logLine(QStringLiteral("warning"), m); });
    connect(g, &Gateway::clientEvent, this,
            [this](const QString &m) { Q_EMIT logLine(QStringLiteral("info"), m); });
    if (c.logLevel == QLatin1String("debug")) // only then: the per-message lines are formatted
        connect(g, &Gateway::debugLogged, this,
                [this](const QString &m) { Q_EMIT logLine(QStringLiteral("debug"), m); });
    connect(g, &Gateway::stopped, this, [this] {
        if (--m_shardsRunning > 0)
            return;
        m_running = false;
        if (m_fpmPoller)
            m_fpmPoller->stop();
        closePushServers();
        if (m_managedPhp)
            m_managedPhp->stop();
        if (m_broker) {
            m_leaving = true;
            m_broker->leave([this] {
                m_leaving = false;
                m_clusterUp = false;
                Q_EMIT stopped();
            });
        } else {
            Q_EMIT stopped();
        }
    });
    m_router->addShard(g);
    return true;
}

PhpParams Engine::extraParams() const {
    const Configuration &c = m_config;
    PhpParams extra;
    if (!c.pushUrl().isEmpty())
        extra.emplaceBack(QByteArrayLiteral("WS_PUSH_URL"), c.pushUrl().toUtf8());
    if (!c.pushToken.isEmpty())
        extra.emplaceBack(QByteArrayLiteral("WS_PUSH_TOKEN"), c.pushToken.toUtf8());
    if (!c.clusterUrl.isEmpty())
        extra.emplaceBack(QByteArrayLiteral("WS_NODE"), c.nodeId.toUtf8());
    return extra;
}

void Engine::logStarted() {
    const Configuration &c = m_config;
    Q_EMIT logLine(QStringLiteral("info"),
                   QStringLiteral("listening on %1 → PHP-FPM %2, script %3 (%4 mode, events %5, "
                                  "pool %6)")
                       .arg(c.listenUrl(), c.fastcgi.toString(), c.script,
                            c.mode == Configuration::BodyMode::Raw ? QStringLiteral("raw")
                                                                   : QStringLiteral("form"),
                            c.eventsText())
                       .arg(c.fastcgiPool));
    if (c.eventOpen && c.allowedOrigins.isEmpty())
        Q_EMIT logLine(QStringLiteral("info"),
                       QStringLiteral("origins: same-origin only (open events trust the session "
                                      "cookie; list others with --allowed-origins)"));
    if (c.pushEnabled)
        Q_EMIT logLine(QStringLiteral("info"),
                       QStringLiteral("push API on %1%2")
                           .arg(c.pushUrl(),
                                c.pushToken.isEmpty() ? QStringLiteral(" (no token: loopback only)")
                                : c.pushTokenAuto
                                    ? QStringLiteral(" (token generated at start, given to "
                                                     "PHP as WS_PUSH_TOKEN)")
                                    : QStringLiteral(" (bearer token required)")));
    if ((c.pushEnabled || !c.pushPrefix.isEmpty()) && !c.pushToken.isEmpty() &&
        c.pushToken.toUtf8().size() < MinStrongTokenLength)
        Q_EMIT logLine(
            QStringLiteral("warning"),
            QStringLiteral("the push token has only %1 character(s): use %2 or more random "
                           "ones (--push-token auto generates one); a short token "
                           "can be guessed, and the traffic log masks it wherever it "
                           "appears")
                .arg(c.pushToken.toUtf8().size())
                .arg(MinStrongTokenLength));
    if (c.pushEnabled || !c.pushPrefix.isEmpty())
        Q_EMIT logLine(QStringLiteral("info"),
                       c.pushToken.isEmpty()
                           ? QStringLiteral("admin API off: it needs --push-token")
                           : QStringLiteral("admin API on %1/admin/ (the push token%2; traffic "
                                            "log: %3)")
                                 .arg(c.pushUrl(),
                                      c.adminReadToken.isEmpty()
                                          ? QString()
                                          : QStringLiteral(", or --admin-read-token to read"),
                                      c.trafficLogEntries > 0
                                          ? QStringLiteral("%1 entries").arg(c.trafficLogEntries)
                                          : QStringLiteral("off, see --traffic-log")));
    if (!c.pushPrefix.isEmpty())
        Q_EMIT logLine(QStringLiteral("info"),
                       QStringLiteral("push API also under %1 on the WebSocket port (bearer token "
                                      "required)")
                           .arg(c.pushPrefix));
    if (c.demo)
        Q_EMIT logLine(
            QStringLiteral("info"),
            QStringLiteral("demo: open http://%1:%2/ in a browser")
                .arg(isWildcardHost(c.listenHost) ? QStringLiteral("127.0.0.1") : c.listenHost)
                .arg(c.listenPort));
}

void Engine::stop() {
    if (m_leaving)
        return; // stopped() follows
    if (!m_running || m_shards.empty()) {
        Q_EMIT stopped();
        return;
    }
    closePushServers();
    for (auto &shard : m_shards) {
        Gateway *g = shard->gateway.get();
        QMetaObject::invokeMethod(
            g, [g] { g->stop(); }, Qt::AutoConnection);
    }
}

PhpBackendStats Engine::backendStats(int *handshakes) const {
    // Read on each engine thread (a scrape every few seconds: a short blocking call each).
    PhpBackendStats s;
    *handshakes = 0;
    for (const auto &shard : m_shards) {
        PhpBackendStats part;
        int partHandshakes = 0;
        onShardThread(*shard, [&] {
            part = shard->pool->stats();
            partHandshakes = shard->gateway->front()->handshakeCount();
        });
        s.add(part);
        *handshakes += partHandshakes;
    }
    return s;
}
