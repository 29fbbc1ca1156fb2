#include "engine.h"

#include "fastcgi/fastcgipool.h"
#include "fpm/fpmpoller.h"
#include "fpm/managedphp.h"
#include "gateway/gateway.h"
#include "http/httpserver.h"
#include "http/messagerouterdelivery.h"
#include "http/pushapi.h"
#include "observe/metrics.h"
#include "observe/trafficlog.h"

#include <QDir>
#include <QDirIterator>
#include <QEventLoop>
#include <QFile>
#include <QHostAddress>
#include <QJsonObject>
#include <QMetaEnum>
#include <QStandardPaths>
#include <QTimer>

namespace {

// Headless default: nobody watches the charts; the console sets its own (1 s).
constexpr int FpmPollIntervalMs = 5000;
constexpr int ManagedPhpChildren = 8;
constexpr int ManagedPhpStartTimeoutMs = 15000;

QHostAddress hostAddress(const QString &host) {
    if (host == QLatin1String("localhost"))
        return QHostAddress::LocalHost;
    if (host == QLatin1String("*"))
        return QHostAddress::Any;
    return QHostAddress(host);
}

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

} // namespace

// Resources of a static library are not linked in unless something refers to them.
static void initCoreResources() {
    Q_INIT_RESOURCE(core);
}

Engine::Engine(const Configuration &config, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_log(std::make_unique<TrafficLog>(config.trafficLogEntries, config.trafficBodyCapBytes))
    , m_metrics(std::make_unique<Metrics>()) {
    initCoreResources();
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
    // Order matters: the gateway and poller hold raw pointers into the pools.
    m_fpmPoller.reset();
    m_pushApi.reset();
    m_prefixHttpServer.reset();
    m_httpServer.reset();
    m_gateway.reset();
    m_pool.reset();
    m_statusPool.reset();
    m_managedPhp.reset();
}

bool Engine::start(QString *error) {
    if (m_running)
        return true;
    Configuration &c = m_config;

    if (c.demo) {
        ManagedPhp::Options php;
        php.maxChildren = ManagedPhpChildren;
        php.maxMessageBytes = c.maxMessageBytes;
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
            Q_EMIT logLine(
                bad ? QStringLiteral("warning") : QStringLiteral("info"),
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
    }

    FastCgiPoolOptions poolOptions;
    poolOptions.address = c.fastcgi;
    poolOptions.maxConnections = c.fastcgiPool;
    poolOptions.connectTimeoutMs = c.fastcgiConnectTimeoutMs;
    poolOptions.readTimeoutMs = c.fastcgiTimeoutMs;
    poolOptions.idleTimeoutMs = c.fastcgiIdleMs;
    poolOptions.keepAlive = c.fastcgiIdleMs > 0;
    // Queue as many requests as connections could have queued messages, not more.
    poolOptions.maxQueued = std::max(1024, c.queueLimit * 64);
    m_pool = std::make_unique<FastCgiPool>(poolOptions);
    connect(m_pool.get(), &FastCgiPool::connectionError, this, [this](const QString &message) {
        Q_EMIT logLine(QStringLiteral("warning"), QStringLiteral("FastCGI: ") + message);
    });

    // The status poller gets its own single connection so it never waits behind the gateway.
    FastCgiPoolOptions statusOptions = poolOptions;
    statusOptions.maxConnections = 1;
    statusOptions.maxQueued = 4;
    statusOptions.keepAlive = false;
    m_statusPool = std::make_unique<FastCgiPool>(statusOptions);
    m_fpmPoller = std::make_unique<FpmPoller>(m_statusPool.get());
    m_fpmPoller->setStatusPath(c.fpmStatusPath);
    m_fpmPoller->setPingPath(c.fpmPingPath);
    m_fpmPoller->setInterval(std::chrono::milliseconds(FpmPollIntervalMs));
    m_fpmPoller->setGatewayPoolSize(c.fastcgiPool);

    m_gateway = std::make_unique<Gateway>(c, m_pool.get(), m_log.get(), m_metrics.get());
    connect(m_gateway.get(), &Gateway::errorLogged, this,
            [this](const QString &m) { Q_EMIT logLine(QStringLiteral("warning"), m); });
    connect(m_gateway.get(), &Gateway::clientEvent, this,
            [this](const QString &m) { Q_EMIT logLine(QStringLiteral("info"), m); });
    if (c.logLevel == QLatin1String("debug")) {
        // Only then: the per-message lines are formatted at all.
        m_gateway->setDebugLogging(true);
        connect(m_gateway.get(), &Gateway::debugLogged, this,
                [this](const QString &m) { Q_EMIT logLine(QStringLiteral("debug"), m); });
    }
    connect(m_gateway.get(), &Gateway::stopped, this, [this] {
        m_running = false;
        if (m_fpmPoller)
            m_fpmPoller->stop();
        closePushServers();
        if (m_managedPhp)
            m_managedPhp->stop();
        Q_EMIT stopped();
    });
    if (c.demo) {
        QFile page(QStringLiteral(":/wsgate/demo/index.html"));
        if (page.open(QIODevice::ReadOnly))
            m_gateway->setIndexPage(page.readAll());
    }

    if (c.pushEnabled || !c.pushPrefix.isEmpty()) {
        HttpServer::Options httpOptions;
        httpOptions.limits.maxBodyBytes = c.maxMessageBytes + 64 * 1024; // fields around it
        PushApiOptions pushOptions;
        pushOptions.token = c.pushToken.toUtf8();
        pushOptions.maxMessageBytes = c.maxMessageBytes;
        m_pushApi = std::make_unique<PushApi>(
            new MessageRouterDelivery(m_gateway.get(), m_gateway.get()), pushOptions);
        m_pushApi->setMetricsProvider([this] { return metricsText(); });
        m_pushApi->setFpmStatusProvider([this]() -> std::optional<QJsonObject> {
            if (!m_fpmPoller)
                return std::nullopt;
            const auto status = m_fpmPoller->lastStatus();
            if (!status)
                return std::nullopt;
            return status->toJson();
        });
        m_pushApi->setHealthProvider([this] {
            return QJsonObject{{QStringLiteral("connections"), m_gateway->clientCount()},
                               {QStringLiteral("listening"), m_gateway->isListening()}};
        });
        const auto logClientErrors = [this](HttpServer *server) {
            connect(
                server, &HttpServer::clientError, this,
                [this](HttpServer::ClientError kind, const QString &peer, const QString &detail) {
                    Q_EMIT logLine(
                        QStringLiteral("warning"),
                        QStringLiteral("push API: %1 from %2: %3")
                            .arg(QLatin1String(HttpServer::clientErrorName(kind)), peer, detail));
                });
        };
        // The first server attached is the one /metrics counts: the listener when there is one.
        if (c.pushEnabled) {
            m_httpServer = std::make_unique<HttpServer>(httpOptions);
            m_pushApi->attach(m_httpServer.get());
            logClientErrors(m_httpServer.get());
        }
        if (!c.pushPrefix.isEmpty()) {
            // Never listens: the gateway hands it the requests below the prefix on its port.
            m_prefixHttpServer = std::make_unique<HttpServer>(httpOptions);
            m_pushApi->attach(m_prefixHttpServer.get(), c.pushPrefix.toUtf8());
            logClientErrors(m_prefixHttpServer.get());
            m_gateway->setHttpPrefix(c.pushPrefix.toUtf8(), m_prefixHttpServer.get());
        }
    }
    if (c.pushEnabled) {
        if (!m_httpServer->listen(hostAddress(c.pushHost), c.pushPort)) {
            *error = QStringLiteral("--push-listen %1:%2: %3")
                         .arg(c.pushHost)
                         .arg(c.pushPort)
                         .arg(m_httpServer->errorString());
            teardown();
            return false;
        }
        c.pushPort = m_httpServer->serverPort();
    }

    if (!m_gateway->start(error)) {
        teardown();
        return false;
    }
    c.listenPort = m_gateway->serverPort();
    // Where PHP pushes to: set after start() because with --push-prefix alone the URL holds the
    // WebSocket port's real number; no connection is accepted before we return to the loop.
    if (!c.pushUrl().isEmpty()) {
        QList<QPair<QByteArray, QByteArray>> extra;
        extra.append(qMakePair(QByteArray("WS_PUSH_URL"), c.pushUrl().toUtf8()));
        if (!c.pushToken.isEmpty())
            extra.append(qMakePair(QByteArray("WS_PUSH_TOKEN"), c.pushToken.toUtf8()));
        m_gateway->setExtraParams(extra);
    }
    m_fpmPoller->start();
    m_running = true;
    Q_EMIT logLine(QStringLiteral("info"),
                   QStringLiteral("listening on %1 → PHP-FPM %2, script %3 (%4 mode, events %5, "
                                  "pool %6)")
                       .arg(c.listenUrl(), c.fastcgi.toString(), c.script,
                            c.mode == Configuration::BodyMode::Raw ? QStringLiteral("raw")
                                                                   : QStringLiteral("form"),
                            c.eventsText())
                       .arg(c.fastcgiPool));
    if (c.pushEnabled)
        Q_EMIT logLine(QStringLiteral("info"),
                       QStringLiteral("push API on %1%2")
                           .arg(c.pushUrl(), c.pushToken.isEmpty()
                                                 ? QStringLiteral(" (no token: loopback only)")
                                                 : QStringLiteral(" (bearer token required)")));
    if (!c.pushPrefix.isEmpty())
        Q_EMIT logLine(QStringLiteral("info"),
                       QStringLiteral("push API also under %1 on the WebSocket port (bearer token "
                                      "required)")
                           .arg(c.pushPrefix));
    if (c.demo)
        Q_EMIT logLine(QStringLiteral("info"),
                       QStringLiteral("demo: open http://%1:%2/ in a browser")
                           .arg(c.listenHost == QLatin1String("0.0.0.0")
                                    ? QStringLiteral("127.0.0.1")
                                    : c.listenHost)
                           .arg(c.listenPort));
    Q_EMIT started();
    return true;
}

void Engine::stop() {
    if (!m_running || !m_gateway) {
        Q_EMIT stopped();
        return;
    }
    closePushServers();
    m_gateway->stop();
}

QByteArray Engine::metricsText() const {
    QByteArray out;
    out.reserve(8192);
    m_metrics->appendPrometheus(out);
    if (m_pool) {
        const PhpBackendStats s = m_pool->stats();
        out += "# HELP wsgate_fastcgi_connections FastCGI connections by state.\n"
               "# TYPE wsgate_fastcgi_connections gauge\n";
        out += "wsgate_fastcgi_connections{state=\"busy\"} " + QByteArray::number(s.busy) + '\n';
        out += "wsgate_fastcgi_connections{state=\"idle\"} " + QByteArray::number(s.idle) + '\n';
        out += "# HELP wsgate_fastcgi_queue_depth Requests waiting for a FastCGI connection.\n"
               "# TYPE wsgate_fastcgi_queue_depth gauge\n";
        out += "wsgate_fastcgi_queue_depth " + QByteArray::number(s.queued) + '\n';
        out += "# HELP wsgate_fastcgi_pool_size Maximum FastCGI connections.\n"
               "# TYPE wsgate_fastcgi_pool_size gauge\n";
        out += "wsgate_fastcgi_pool_size " + QByteArray::number(s.maxConnections) + '\n';
    }
    if (m_pushApi)
        out += m_pushApi->ownMetricsText();
    if (m_fpmPoller)
        m_fpmPoller->appendMetrics(out);
    return out;
}
