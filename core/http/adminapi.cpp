#include "http/adminapi.h"

#include "gateway/gatewaysnapshot.h"
#include "gateway/phpbridge.h"
#include "http/admintrafficfeed.h"
#include "http/apirequest.h"
#include "http/pushfields.h"
#include "observe/metrics.h"
#include "observe/trafficlog.h"

#include "version.h"

#include <QDateTime>
#include <QJsonArray>
#include <QPointer>

namespace {

constexpr qsizetype kMaxNameBytes = 256; // user and group names, as the push API
constexpr int kMaxGroups = 256;
constexpr int kMaxEntryIdDigits = 20;

HttpResponse error(int status, QByteArrayView code, const QString &message) {
    return HttpResponse::jsonError(status, code, message);
}

QJsonValue isoTimeOrNull(qint64 ms) {
    if (ms <= 0)
        return QJsonValue(QJsonValue::Null);
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

/// isoTimeOrNull read back: 0 for null.
qint64 msOfIsoTime(const QJsonValue &v) {
    const QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
    return t.isValid() ? t.toMSecsSinceEpoch() : 0;
}

std::optional<quint64> entryIdOf(const QByteArray &text) {
    if (text.isEmpty() || text.size() > kMaxEntryIdDigits)
        return std::nullopt;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
    }
    bool ok = false;
    const quint64 id = text.toULongLong(&ok);
    return ok && id > 0 ? std::optional<quint64>(id) : std::nullopt;
}

} // namespace

AdminApi::AdminApi(TrafficLog *log, const AdminApiOptions &options, QObject *parent)
    : QObject(parent)
    , m_log(log)
    , m_options(options) {
    TrafficEntryJson::Options json;
    // PHP may echo what it was given (a params dump): the tokens never leave unmasked.
    json.scrub = {options.token, options.readToken};
    m_feed = std::make_unique<AdminTrafficFeed>(log, options.instanceId, json);
}

AdminApi::~AdminApi() = default;

void AdminApi::setSnapshotProvider(SnapshotProvider provider) {
    m_snapshotProvider = std::move(provider);
}

void AdminApi::setConfigProvider(ConfigProvider provider) {
    m_configProvider = std::move(provider);
}

void AdminApi::setReplayHook(ReplayHook hook) {
    m_replayHook = std::move(hook);
}

void AdminApi::setFpmProvider(FpmProvider provider) {
    m_fpmProvider = std::move(provider);
}

void AdminApi::setClusterProvider(ClusterProvider provider) {
    m_clusterProvider = std::move(provider);
}

bool AdminApi::isAdminPath(const QByteArray &path) {
    return path == "/admin" || path.startsWith("/admin/");
}

AdminApi::Route AdminApi::routeOf(const QByteArray &path) {
    if (path == "/admin/traffic")
        return Route::Traffic;
    if (path == "/admin/snapshot")
        return Route::Snapshot;
    if (path == "/admin/fpm")
        return Route::Fpm;
    if (path == "/admin/config")
        return Route::Config;
    if (path == "/admin/replay")
        return Route::Replay;
    return Route::Unmatched;
}

QByteArray AdminApi::labelOf(Route route) {
    switch (route) {
    case Route::Traffic:
        return "/admin/traffic";
    case Route::Snapshot:
        return "/admin/snapshot";
    case Route::Fpm:
        return "/admin/fpm";
    case Route::Config:
        return "/admin/config";
    case Route::Replay:
        return "/admin/replay";
    case Route::Unmatched:
        break;
    }
    return "/admin/unmatched";
}

AdminApi::Access AdminApi::accessOf(const HttpRequest &head) const {
    if (m_options.token.isEmpty())
        return Access::None;
    const QByteArray bearer = ApiRequest::bearerOf(head);
    if (bearer.isEmpty())
        return Access::None;
    if (ApiRequest::constantTimeEquals(bearer, m_options.token))
        return Access::Full;
    if (!m_options.readToken.isEmpty() &&
        ApiRequest::constantTimeEquals(bearer, m_options.readToken))
        return Access::Read;
    return Access::None;
}

bool AdminApi::authorizes(const HttpRequest &head) const {
    return !m_trust.check(head) && accessOf(head) != Access::None;
}

std::optional<HttpResponse> AdminApi::preflight(const HttpRequest &request, Route route) const {
    if (std::optional<HttpResponse> untrusted = m_trust.check(request))
        return untrusted;
    if (m_options.token.isEmpty())
        return error(403, "admin_needs_token",
                     QStringLiteral("the admin API needs a token, whatever the address: start the "
                                    "gateway with --push-token TOKEN or --push-token-file FILE "
                                    "(--admin-read-token TOKEN adds a read-only one)"));
    const Access access = accessOf(request);
    if (access == Access::None)
        return ApiRequest::unauthorized(request);
    if (route == Route::Unmatched)
        return error(404, "not_found",
                     QStringLiteral("no such route: %1 (admin routes: /admin/traffic, "
                                    "/admin/snapshot, /admin/fpm, /admin/config, /admin/replay)")
                         .arg(QString::fromUtf8(request.path)));
    const bool post = route == Route::Replay;
    if (auto refusal = ApiRequest::checkMethod(request, post, labelOf(route)))
        return refusal;
    if (post && access != Access::Full)
        return error(403, "read_only_token",
                     QStringLiteral("this token may only read; %1 needs the push token")
                         .arg(QString::fromUtf8(labelOf(route))));
    return ApiRequest::checkBody(request, post, labelOf(route));
}

std::optional<HttpResponse> AdminApi::checkHead(const HttpRequest &head) {
    const Route route = routeOf(head.path);
    std::optional<HttpResponse> refusal = preflight(head, route);
    if (refusal)
        count(route, *refusal);
    return refusal;
}

void AdminApi::handle(const HttpRequest &request, HttpResponder respond) {
    const Call call{routeOf(request.path), std::move(respond)};
    if (std::optional<HttpResponse> refusal = preflight(request, call.route))
        return finish(call, std::move(*refusal));
    switch (call.route) {
    case Route::Traffic: {
        AdminTrafficFeed::Query query;
        if (std::optional<HttpResponse> bad = AdminTrafficFeed::parseQuery(request.query, &query))
            return finish(call, std::move(*bad));
        const QPointer<AdminApi> self(this);
        const HttpResponder responder = call.respond;
        return m_feed->serve(
            query,
            [self, call](HttpResponse response) {
                if (self)
                    self->finish(call, std::move(response));
            },
            [responder] { return responder.isPending(); });
    }
    case Route::Snapshot: {
        const std::shared_ptr<const GatewaySnapshot> snapshot =
            m_snapshotProvider ? m_snapshotProvider() : nullptr;
        if (!snapshot)
            return finish(call, error(503, "snapshot_unavailable",
                                      QStringLiteral("the gateway is not running")));
        const QJsonObject cluster = m_clusterProvider ? m_clusterProvider()
                                                      : QJsonObject{{"enabled", false},
                                                                    {"up", false},
                                                                    {"nodes", 1},
                                                                    {"node", QString()},
                                                                    {"members", QJsonArray()}};
        return finish(
            call, HttpResponse::json(200, {{"instance", QString::fromLatin1(m_options.instanceId)},
                                           {"snapshot", snapshotJson(*snapshot)},
                                           {"counters", countersJson(m_metrics)},
                                           {"cluster", cluster}}));
    }
    case Route::Fpm: {
        const std::optional<FpmReport> report =
            m_fpmProvider ? std::optional<FpmReport>(m_fpmProvider()) : std::nullopt;
        if (!report || !report->polling)
            return finish(
                call, error(503, "fpm_unavailable", QStringLiteral("the gateway is not running")));
        return finish(
            call, HttpResponse::json(200, {{"instance", QString::fromLatin1(m_options.instanceId)},
                                           {"fpm", report->toJson()}}));
    }
    case Route::Config:
        return finish(
            call, HttpResponse::json(
                      200, {{"instance", QString::fromLatin1(m_options.instanceId)},
                            {"version", QStringLiteral(WSGATE_VERSION)},
                            {"config", m_configProvider ? m_configProvider() : QJsonObject()}}));
    case Route::Replay:
        return replay(request, call);
    case Route::Unmatched:
        break;
    }
    finish(call, error(404, "not_found", QStringLiteral("no such route")));
}

void AdminApi::replay(const HttpRequest &request, const Call &call) {
    PushFields fields;
    if (std::optional<HttpResponse> bad = PushFields::parse(request, &fields))
        return finish(call, std::move(*bad));
    const std::optional<quint64> entryId = entryIdOf(fields.value("entry").trimmed());
    if (!entryId)
        return finish(call, error(400, "missing_field",
                                  QStringLiteral("entry (the id of a php row) is required")));
    if (!m_log->enabled())
        return finish(call, error(409, "traffic_log_off",
                                  QStringLiteral("this gateway keeps no traffic log to replay "
                                                 "from: start it with --traffic-log N")));
    TrafficEntry entry;
    if (!m_log->entry(*entryId, &entry))
        return finish(call, error(404, "entry_not_found",
                                  QStringLiteral("entry %1 is not in the traffic log (it keeps "
                                                 "the newest %2)")
                                      .arg(*entryId)
                                      .arg(m_log->capacity())));
    if (!entry.php || entry.clientId.isEmpty())
        return finish(call, error(409, "not_replayable",
                                  QStringLiteral("entry %1 is a %2 row, not a PHP exchange")
                                      .arg(*entryId)
                                      .arg(QLatin1String(TrafficEntry::kindName(entry.kind)))));
    ReplayRequest r;
    r.entryId = *entryId;
    QString why;
    // A new body makes the logged one irrelevant, truncated or not; the event must still be a
    // message.
    PhpExchange logged = *entry.php;
    if (fields.contains("body") || fields.contains("body_base64"))
        logged.requestBodyTruncated = false;
    if (!PhpBridge::messageOf(logged, &r, &why))
        return finish(call, error(409, "not_replayable", why));
    if (fields.contains("body") && fields.contains("body_base64"))
        return finish(
            call, error(400, "bad_request", QStringLiteral("give body or body_base64, not both")));
    if (fields.contains("body")) {
        r.body = fields.value("body");
    } else if (fields.contains("body_base64")) {
        const auto decoded = QByteArray::fromBase64Encoding(
            fields.value("body_base64"), QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded)
            return finish(call,
                          error(400, "bad_request", QStringLiteral("body_base64 is not base64")));
        r.body = decoded.decoded;
    }
    if (fields.contains("binary")) {
        const std::optional<bool> binary = fields.flag("binary");
        if (!binary)
            return finish(call, error(400, "bad_request", QStringLiteral("binary must be 0 or 1")));
        r.binary = *binary;
    }
    if (!r.binary && !PushFields::isValidUtf8(r.body))
        return finish(call, error(400, "invalid_utf8",
                                  QStringLiteral("a text message must be UTF-8; send binary=1")));
    const std::optional<bool> apply = fields.flag("apply_control_headers");
    if (!apply)
        return finish(call, error(400, "bad_request",
                                  QStringLiteral("apply_control_headers must be 0 or 1")));
    r.applyControlHeaders = *apply;
    if (fields.contains("user")) {
        const QByteArray user = fields.value("user");
        if (user.size() > kMaxNameBytes || !PushFields::isValidUtf8(user))
            return finish(
                call,
                error(400, "bad_request",
                      QStringLiteral("user must be UTF-8, at most %1 bytes").arg(kMaxNameBytes)));
        r.user = QString::fromUtf8(user);
    }
    if (fields.contains("groups")) {
        QStringList groups;
        for (const QByteArray &g : fields.value("groups").split(',')) {
            const QByteArray name = g.trimmed();
            if (name.isEmpty())
                continue;
            if (name.size() > kMaxNameBytes || !PushFields::isValidUtf8(name))
                return finish(call, error(400, "bad_request",
                                          QStringLiteral("groups must be UTF-8 names of at most "
                                                         "%1 bytes")
                                              .arg(kMaxNameBytes)));
            groups << QString::fromUtf8(name);
        }
        if (groups.size() > kMaxGroups)
            return finish(call, error(400, "bad_request",
                                      QStringLiteral("at most %1 groups").arg(kMaxGroups)));
        r.groups = groups;
    }
    if (!m_replayHook)
        return finish(call,
                      error(503, "unavailable", QStringLiteral("the gateway is not running")));
    const QPointer<AdminApi> self(this);
    const QByteArray clientId = entry.clientId;
    const quint64 id = *entryId;
    m_replayHook(clientId, r, [self, call, clientId, id](ReplayStatus status, const QString &why) {
        if (!self)
            return;
        switch (status) {
        case ReplayStatus::Queued:
            return self->finish(
                call, HttpResponse::json(200, {{"ok", true},
                                               {"entry", double(id)},
                                               {"client", QString::fromLatin1(clientId)}}));
        case ReplayStatus::UnknownClient:
            return self->finish(
                call,
                error(404, "unknown_client",
                      QStringLiteral("client %1 has left").arg(QString::fromLatin1(clientId))));
        case ReplayStatus::Unavailable:
            return self->finish(call,
                                error(503, why.toLatin1(),
                                      QStringLiteral("the node of client %1 could not be asked")
                                          .arg(QString::fromLatin1(clientId))));
        case ReplayStatus::Refused:
            break;
        }
        self->finish(call, error(409, "replay_refused", why));
    });
}

QJsonObject AdminApi::snapshotJson(const GatewaySnapshot &s) {
    QJsonArray clients;
    for (const ClientSnapshot &c : s.clients) {
        QJsonObject o = c.toJson();
        o.insert(QStringLiteral("last_activity_at"), isoTimeOrNull(c.lastActivityMs));
        o.insert(QStringLiteral("php_in_flight"), c.phpInFlight);
        clients.append(o);
    }
    return {
        {QStringLiteral("time"), isoTimeOrNull(s.timeMs)},
        {QStringLiteral("time_ms"), double(s.timeMs)},
        {QStringLiteral("listening"), s.listening},
        {QStringLiteral("clients"), clients},
        {QStringLiteral("groups"), QJsonArray::fromStringList(s.groups)},
        {QStringLiteral("users"), QJsonArray::fromStringList(s.users)},
        {QStringLiteral("pool"),
         QJsonObject{{QStringLiteral("connections"), s.pool.connections},
                     {QStringLiteral("busy"), s.pool.busy},
                     {QStringLiteral("idle"), s.pool.idle},
                     {QStringLiteral("queued"), s.pool.queued},
                     {QStringLiteral("queued_bytes"), double(s.pool.queuedBytes)},
                     {QStringLiteral("queued_owners"), s.pool.queuedOwners},
                     {QStringLiteral("max_connections"), s.pool.maxConnections}}},
        {QStringLiteral("handshakes"), s.handshakes},
        {QStringLiteral("budgets"),
         QJsonObject{{QStringLiteral("inbound_bytes"), double(s.inboundBytes)},
                     {QStringLiteral("inbound_limit"), double(s.inboundBudget)},
                     {QStringLiteral("outbound_bytes"), double(s.outboundBytes)},
                     {QStringLiteral("outbound_limit"), double(s.outboundBudget)}}},
        {QStringLiteral("php"),
         QJsonObject{{QStringLiteral("last_error"), s.lastPhpError},
                     {QStringLiteral("last_error_at"), isoTimeOrNull(s.lastPhpErrorMs)},
                     {QStringLiteral("last_ok_at"), isoTimeOrNull(s.lastPhpOkMs)}}},
    };
}

std::optional<GatewaySnapshot> AdminApi::snapshotFromJson(const QJsonObject &json) {
    const QJsonValue time = json.value(QLatin1String("time_ms"));
    const QJsonValue clients = json.value(QLatin1String("clients"));
    if (!time.isDouble() || !clients.isArray())
        return std::nullopt;
    GatewaySnapshot s;
    s.timeMs = time.toInteger();
    s.listening = json.value(QLatin1String("listening")).toBool();
    for (const QJsonValue &v : clients.toArray()) {
        std::optional<ClientInfo> client = ClientInfo::fromJson(v.toObject());
        if (!client)
            return std::nullopt;
        s.clients.append(std::move(*client));
    }
    for (const QJsonValue &v : json.value(QLatin1String("groups")).toArray())
        s.groups.append(v.toString());
    for (const QJsonValue &v : json.value(QLatin1String("users")).toArray())
        s.users.append(v.toString());
    const QJsonObject pool = json.value(QLatin1String("pool")).toObject();
    const auto poolInt = [&pool](const char *key) {
        return int(pool.value(QLatin1String(key)).toInteger());
    };
    s.pool.connections = poolInt("connections");
    s.pool.busy = poolInt("busy");
    s.pool.idle = poolInt("idle");
    s.pool.queued = poolInt("queued");
    s.pool.queuedBytes = pool.value(QLatin1String("queued_bytes")).toInteger();
    s.pool.queuedOwners = poolInt("queued_owners");
    s.pool.maxConnections = poolInt("max_connections");
    s.handshakes = int(json.value(QLatin1String("handshakes")).toInteger());
    const QJsonObject budgets = json.value(QLatin1String("budgets")).toObject();
    s.inboundBytes = budgets.value(QLatin1String("inbound_bytes")).toInteger();
    s.inboundBudget = budgets.value(QLatin1String("inbound_limit")).toInteger();
    s.outboundBytes = budgets.value(QLatin1String("outbound_bytes")).toInteger();
    s.outboundBudget = budgets.value(QLatin1String("outbound_limit")).toInteger();
    const QJsonObject php = json.value(QLatin1String("php")).toObject();
    s.lastPhpError = php.value(QLatin1String("last_error")).toString();
    s.lastPhpErrorMs = msOfIsoTime(php.value(QLatin1String("last_error_at")));
    s.lastPhpOkMs = msOfIsoTime(php.value(QLatin1String("last_ok_at")));
    return s;
}

QJsonObject AdminApi::countersJson(const Metrics *m) {
    const auto load = [](const std::atomic<qint64> &v) {
        return double(v.load(std::memory_order_relaxed));
    };
    qint64 phpFailures = 0;
    if (m) {
        for (int r = Metrics::PhpOk + 1; r < Metrics::PhpResultCount; ++r)
            phpFailures += m->phpResults[size_t(r)].load(std::memory_order_relaxed);
    }
    return {{QStringLiteral("connections"), m ? load(m->connectionsCurrent) : 0.0},
            {QStringLiteral("messages_in"), m ? load(m->messagesIn) : 0.0},
            {QStringLiteral("messages_out"), m ? load(m->messagesOut) : 0.0},
            {QStringLiteral("queued_messages"), m ? load(m->queuedMessages) : 0.0},
            {QStringLiteral("php_failures"), double(phpFailures)}};
}

int AdminApi::waitingReaders() const {
    return m_feed->waiting();
}

void AdminApi::finish(const Call &call, HttpResponse response) {
    if (!call.respond.isPending())
        return; // answered meanwhile (504) or the connection is gone
    count(call.route, response);
    call.respond(std::move(response));
}

void AdminApi::count(Route route, const HttpResponse &response) {
    ++m_counts[{labelOf(route), response.status()}];
}

quint64 AdminApi::requestCount(const QByteArray &route, int status) const {
    return m_counts.value({route, status}, 0);
}

QByteArray AdminApi::metricsText(std::initializer_list<const AdminApi *> apis) {
    QList<const ApiRequest::Counts *> counts;
    for (const AdminApi *api : apis) {
        if (api)
            counts.append(&api->m_counts);
    }
    QByteArray out;
    ApiRequest::appendCounts(out, "wsgate_admin_requests_total",
                             "Admin API requests by route and status code.", counts);
    return out;
}
