// Engine, its HTTP side: the push API on its own listener and below --push-prefix on the
// WebSocket port, the admin API they serve, and the metrics text.

#include "engine.h"

#include "cluster/noderouter.h"
#include "cluster/redisbroker.h"
#include "config/configurationvalues.h"
#include "engine/gatewaysettings.h"
#include "fpm/fpmpoller.h"
#include "fpm/fpmreport.h"
#include "fpm/managedphp.h"
#include "gateway/gatewaysnapshot.h"
#include "gateway/memorybudget.h"
#include "http/adminapi.h"
#include "http/httpserver.h"
#include "http/pushapi.h"
#include "observe/metrics.h"
#include "observe/trafficlog.h"

#include <QHostAddress>
#include <QHostInfo>
#include <QMetaEnum>
#include <QTcpSocket>

namespace {

// An admin reader's long poll waits up to 30 s: the push servers' handler timeout (their 504)
// must be longer.
constexpr int PushHandlerTimeoutMs = 35000;

/// Host names the push API is reached by on `host`, besides the loopback names it always
/// accepts (a name without a port matches the port the request came in on).
QStringList hostNames(const QString &host) {
    QStringList names{QStringLiteral("localhost"), QStringLiteral("127.0.0.1"),
                      QStringLiteral("[::1]")};
    if (!isWildcardHost(host) && host != QLatin1String("localhost"))
        names << (host.contains(QLatin1Char(':')) ? QLatin1Char('[') + host + QLatin1Char(']')
                                                  : host);
    names.removeDuplicates();
    return names;
}

} // namespace

bool Engine::listenPushApi(QString *error) {
    const Configuration &c = m_config;
    if (!c.pushEnabled)
        return true;
    HttpServer::Options httpOptions;
    httpOptions.limits.maxBodyBytes = c.maxMessageBytes + 64 * 1024; // fields around it
    httpOptions.handlerTimeoutMs = PushHandlerTimeoutMs;
    m_httpServer = std::make_unique<HttpServer>(httpOptions);
    logClientErrors(m_httpServer.get());
    if (!c.pushTlsCert.isEmpty()) {
        QSslConfiguration tls;
        if (!loadTlsFiles(c.pushTlsCert, c.pushTlsKey,
                          QStringLiteral("--push-tls-cert/--push-tls-key"), &tls, error))
            return false;
        m_httpServer->setTlsConfiguration(tls);
    }
    if (!m_httpServer->listen(hostAddressOf(c.pushHost), c.pushPort)) {
        *error = QStringLiteral("--push-listen %1:%2: %3")
                     .arg(c.pushHost)
                     .arg(c.pushPort)
                     .arg(m_httpServer->errorString());
        return false;
    }
    m_config.pushPort = m_httpServer->serverPort();
    return true;
}

void Engine::logClientErrors(HttpServer *server) {
    connect(server, &HttpServer::clientError, this,
            [this](HttpServer::ClientError kind, const QString &peer, const QString &detail) {
                Q_EMIT logLine(
                    QStringLiteral("warning"),
                    QStringLiteral("push API: %1 from %2: %3")
                        .arg(QLatin1String(HttpServer::clientErrorName(kind)), peer, detail));
            });
}

std::unique_ptr<PushApi> Engine::makePushApi(const QStringList &hosts, bool anyIpLiteral) {
    const Configuration &c = m_config;
    PushApiOptions o;
    o.token = c.pushToken.toUtf8();
    // A message no client's send buffer could take is refused up front (413).
    o.maxMessageBytes = qsizetype(std::min(c.maxMessageBytes, c.sendBufferBytes));
    o.allowedOrigins = c.pushAllowedOrigins;
    o.allowedHosts = hosts + c.pushAllowedHosts;
    o.allowIpLiteralHosts = anyIpLiteral;
    auto api = std::make_unique<PushApi>(m_router.get(), o);
    api->setMetricsProvider([this] { return metricsText(); });
    api->setFpmStatusProvider([this]() -> std::optional<QJsonObject> {
        if (!m_fpmPoller)
            return std::nullopt;
        const auto status = m_fpmPoller->lastStatus();
        if (!status)
            return std::nullopt;
        return status->toJson();
    });
    api->setHealthProvider([this] {
        QJsonObject h{{QStringLiteral("connections"), double(m_metrics->connectionsCurrent.load())},
                      {QStringLiteral("listening"), gateway() && gateway()->isListening()}};
        if (m_broker)
            h.insert(QStringLiteral("cluster"), m_broker->health());
        return h;
    });
    api->setNodesProvider([this] { return nodesJson(); });
    return api;
}

std::unique_ptr<AdminApi> Engine::makeAdminApi() {
    const Configuration &c = m_config;
    AdminApiOptions o;
    o.token = c.pushToken.toUtf8();
    o.readToken = c.adminReadToken.toUtf8();
    o.instanceId = m_instanceId;
    auto admin = std::make_unique<AdminApi>(m_log.get(), o);
    admin->setSnapshotProvider([this] { return adminSnapshot(); });
    admin->setConfigProvider([this] { return m_config.toJson(true); });
    admin->setFpmProvider([this] { return fpmReport(); });
    admin->setMetrics(m_metrics.get());
    admin->setClusterProvider([this] { return clusterJson(); });
    NodeRouter *router = m_router.get();
    admin->setReplayHook([router](const QByteArray &clientId, const ReplayRequest &replay,
                                  AdminApi::ReplayDone done) {
        // Asked first so that "gone" is a 404 and the replay's own refusals a 409.
        router->client(clientId, [router, clientId, replay, done](const ClientLookup &r) {
            if (!r.error.isEmpty())
                return done(AdminApi::ReplayStatus::Unavailable, QString::fromLatin1(r.error));
            if (!r.found)
                return done(AdminApi::ReplayStatus::UnknownClient, {});
            router->replay(clientId, replay, [done](bool ok, const QString &error) {
                done(ok ? AdminApi::ReplayStatus::Queued : AdminApi::ReplayStatus::Refused, error);
            });
        });
    });
    return admin;
}

void Engine::attachPushApis() {
    const Configuration &c = m_config;
    // The push listener's API, then the one below --push-prefix: /metrics adds both up.
    if (m_httpServer) {
        m_pushApi = makePushApi(hostNames(c.pushHost), isWildcardHost(c.pushHost));
        m_adminApi = makeAdminApi();
        m_pushApi->setAdminApi(m_adminApi.get());
        m_pushApi->attach(m_httpServer.get());
    }
    if (c.pushPrefix.isEmpty())
        return;
    // Never listens: the front hands it the requests below the prefix on its port.
    HttpServer::Options options;
    options.limits.maxBodyBytes = c.maxMessageBytes + 64 * 1024;
    options.handlerTimeoutMs = PushHandlerTimeoutMs;
    m_prefixHttpServer = std::make_unique<HttpServer>(PushApi::publicServerOptions(options));
    logClientErrors(m_prefixHttpServer.get());
    QStringList hosts = hostNames(c.listenHost);
    if (!c.serverName.isEmpty())
        hosts << c.serverName.toLower();
    m_prefixPushApi = makePushApi(hosts, isWildcardHost(c.listenHost));
    m_prefixAdminApi = makeAdminApi();
    m_prefixPushApi->setAdminApi(m_prefixAdminApi.get());
    m_prefixPushApi->attach(m_prefixHttpServer.get(), c.pushPrefix.toUtf8());
    HttpServer *server = m_prefixHttpServer.get();
    gateway()->front()->setHttpHandoff(
        [server](QTcpSocket *socket, const QByteArray &read) { server->adopt(socket, read); });
}

FpmReport Engine::fpmReport() const {
    FpmReport r;
    if (const FpmPoller *poller = m_fpmPoller.get()) {
        r.polling = true;
        r.state = poller->state();
        r.lastError = poller->lastError();
        r.status = poller->lastStatus();
        r.quality = poller->lastQuality();
        r.lastPollMs = poller->lastPollMs();
        r.history = poller->history();
        r.warnings = poller->warnings();
        r.pingOk = poller->pingOk();
        r.pingUs = poller->pingUs();
    }
    r.enableConfigLines = FpmPoller::enableConfigLines();
    if (const ManagedPhp *php = m_managedPhp.get()) {
        r.managedPhpState = QString::fromLatin1(
            QMetaEnum::fromType<ManagedPhp::State>().valueToKey(int(php->state())));
        r.managedPhpError = php->lastError();
        r.managedPhpConfigPath = php->configPath();
    }
    r.fastcgiAddress = m_config.fastcgi.toString();
    r.fpmStatusPath = m_config.fpmStatusPath;
    r.gatewayPoolSize = m_config.fastcgiPool;
    return r;
}

QJsonObject Engine::clusterJson() const {
    const ClusterState state = clusterState();
    QJsonArray members;
    for (const QJsonValue &v : nodesJson()) {
        const QJsonObject n = v.toObject();
        const QJsonValue admin = n.value(QStringLiteral("admin"));
        members.append(QJsonObject{
            {QStringLiteral("node"), n.value(QStringLiteral("id")).toString()},
            {QStringLiteral("admin_url"), admin.isString() ? admin : QJsonValue()},
            {QStringLiteral("connections"), n.value(QStringLiteral("connections")).toDouble()}});
    }
    return {{QStringLiteral("enabled"), state.enabled},
            {QStringLiteral("up"), state.up},
            // Without --cluster the node is the whole of it.
            {QStringLiteral("nodes"), state.enabled ? state.nodes : 1},
            {QStringLiteral("node"), m_config.nodeId},
            {QStringLiteral("members"), members}};
}

QString Engine::adminUrl() const {
    const Configuration &c = m_config;
    if (c.pushToken.isEmpty())
        return {};
    // Another machine asks: a wildcard listener is reached by this machine's name.
    const auto reachable = [](const QString &host) {
        return isWildcardHost(host) ? QHostInfo::localHostName() : host;
    };
    if (c.pushEnabled)
        return QStringLiteral("%1://%2").arg(
            c.pushTlsCert.isEmpty() ? QStringLiteral("http") : QStringLiteral("https"),
            ConfigurationValues::hostPortText(reachable(c.pushHost), c.pushPort));
    if (c.pushPrefix.isEmpty())
        return {};
    return QStringLiteral("%1://%2%3")
        .arg(c.tlsCert.isEmpty() ? QStringLiteral("http") : QStringLiteral("https"),
             ConfigurationValues::hostPortText(reachable(c.listenHost), c.listenPort),
             c.pushPrefix);
}

QByteArray Engine::metricsText() const {
    QByteArray out;
    out.reserve(8192);
    m_metrics->appendPrometheus(out);
    if (m_budget)
        m_budget->appendPrometheus(out);
    if (m_broker)
        m_broker->appendPrometheus(out);
    if (!m_shards.empty()) {
        int handshakes = 0;
        const PhpBackendStats s = backendStats(&handshakes);
        out += "# HELP wsgate_handshakes Connections not upgraded yet.\n"
               "# TYPE wsgate_handshakes gauge\nwsgate_handshakes " +
               QByteArray::number(handshakes) + '\n';
        out += "# HELP wsgate_fastcgi_connections FastCGI connections by state.\n"
               "# TYPE wsgate_fastcgi_connections gauge\n";
        out += "wsgate_fastcgi_connections{state=\"busy\"} " + QByteArray::number(s.busy) + '\n';
        out += "wsgate_fastcgi_connections{state=\"idle\"} " + QByteArray::number(s.idle) + '\n';
        out += "# HELP wsgate_fastcgi_queue_depth Requests waiting for a FastCGI connection.\n"
               "# TYPE wsgate_fastcgi_queue_depth gauge\n";
        out += "wsgate_fastcgi_queue_depth " + QByteArray::number(s.queued) + '\n';
        out += "# HELP wsgate_fastcgi_queue_bytes Bodies of the requests waiting.\n"
               "# TYPE wsgate_fastcgi_queue_bytes gauge\n";
        out += "wsgate_fastcgi_queue_bytes " + QByteArray::number(s.queuedBytes) + '\n';
        out += "# HELP wsgate_fastcgi_pool_size Maximum FastCGI connections.\n"
               "# TYPE wsgate_fastcgi_pool_size gauge\n";
        out += "wsgate_fastcgi_pool_size " + QByteArray::number(s.maxConnections) + '\n';
    }
    // Each family once: the push listener's API and the --push-prefix one's added up.
    if (m_pushApi || m_prefixPushApi)
        out += PushApi::metricsText({m_pushApi.get(), m_prefixPushApi.get()});
    if (m_adminApi || m_prefixAdminApi)
        out += AdminApi::metricsText({m_adminApi.get(), m_prefixAdminApi.get()});
    if (m_fpmPoller)
        m_fpmPoller->appendMetrics(out);
    return out;
}
