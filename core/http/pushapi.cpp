#include "http/pushapi.h"

#include "gateway/delivery.h"
#include "http/adminapi.h"
#include "http/apirequest.h"
#include "http/httpserver.h"
#include "http/pushanswer.h"
#include "http/pushfields.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace {

// client_id, user and group names: generous, but bounded before they reach the delivery.
constexpr qsizetype kMaxNameBytes = 256;
// A close frame carries at most 125 payload bytes, two of them the code.
constexpr qsizetype kMaxCloseReasonBytes = 123;
constexpr int kDefaultCloseCode = 1000;
// The API on the public port: anonymous connections one address may hold, and the share of
// the connection slots kept for authorized clients (PHP's pushes).
constexpr int kPublicMaxAnonymousPerAddress = 8;
constexpr int kPublicReservedDivisor = 4;

const QByteArray kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

HttpResponse error(int status, QByteArrayView code, const QString &message) {
    return HttpResponse::jsonError(status, code, message);
}

HttpResponse missing(const char *field) {
    return error(400, "missing_field", QStringLiteral("%1 is required").arg(QLatin1String(field)));
}

bool isValidUtf8(QByteArrayView bytes) {
    return PushFields::isValidUtf8(bytes);
}

} // namespace

PushApi::PushApi(Delivery *delivery, const PushApiOptions &options, QObject *parent)
    : QObject(parent)
    , m_delivery(delivery)
    , m_options(options)
    , m_trust(options.allowedHosts, options.allowIpLiteralHosts, options.allowedOrigins) {}

PushApi::~PushApi() = default;

HttpServer::Options PushApi::publicServerOptions(HttpServer::Options base) {
    base.closeOnClientError = true;
    base.closeUnauthorized = true;
    base.maxConnectionsPerAddress = kPublicMaxAnonymousPerAddress;
    base.reservedConnections = base.maxConnections / kPublicReservedDivisor;
    return base;
}

void PushApi::attach(HttpServer *server, const QByteArray &prefix) {
    if (!m_server)
        m_server = server;
    server->setAuthorizer([this](const HttpRequest &r) { return authorizes(r); });
    if (prefix.isEmpty()) {
        server->setHandler(
            [this](const HttpRequest &r, HttpResponder respond) { handle(r, std::move(respond)); });
        server->setHeadCheck([this](const HttpRequest &r) { return checkHead(r); });
        return;
    }
    // "/_wsgate/send" is routed as "/send"; "/_wsgate" alone and other paths are not routes.
    const auto strip = [prefix](HttpRequest r) -> std::optional<HttpRequest> {
        if (!r.path.startsWith(prefix + '/'))
            return std::nullopt;
        r.path = r.path.mid(prefix.size());
        return r;
    };
    // Admin paths take other tokens: authorize what the route sees (below the prefix).
    server->setAuthorizer([this, strip](const HttpRequest &r) {
        const std::optional<HttpRequest> routed = strip(r);
        return authorizes(routed ? *routed : r);
    });
    server->setHandler([this, strip](const HttpRequest &r, HttpResponder respond) {
        const std::optional<HttpRequest> routed = strip(r);
        if (routed)
            handle(*routed, std::move(respond));
        else
            respond(error(404, "not_found", QStringLiteral("no such route")));
    });
    server->setHeadCheck([this, strip](const HttpRequest &r) -> std::optional<HttpResponse> {
        const std::optional<HttpRequest> routed = strip(r);
        if (!routed)
            return error(404, "not_found", QStringLiteral("no such route"));
        return checkHead(*routed);
    });
}

void PushApi::setMetricsProvider(std::function<QByteArray()> provider) {
    m_metricsProvider = std::move(provider);
}

void PushApi::setFpmStatusProvider(std::function<std::optional<QJsonObject>()> provider) {
    m_fpmStatusProvider = std::move(provider);
}

void PushApi::setNodesProvider(std::function<QJsonArray()> provider) {
    m_nodesProvider = std::move(provider);
}

void PushApi::setHealthProvider(std::function<QJsonObject()> provider) {
    m_healthProvider = std::move(provider);
}

void PushApi::setAdminApi(AdminApi *admin) {
    m_admin = admin;
    if (admin)
        admin->setRequestTrust(m_trust);
}

bool PushApi::isAdminRequest(const HttpRequest &request) const {
    return m_admin && AdminApi::isAdminPath(request.path);
}

bool PushApi::isValidCloseCode(int code) {
    // 1004-1006 and 1015 are reserved (never on the wire); 1012-1014 are IANA-registered.
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

PushApi::Route PushApi::routeOf(const QByteArray &path) {
    static const QMap<QByteArray, Route> exact = {
        {"/send", Route::Send},     {"/broadcast", Route::Broadcast}, {"/close", Route::Close},
        {"/join", Route::Join},     {"/leave", Route::Leave},         {"/clients", Route::Clients},
        {"/groups", Route::Groups}, {"/health", Route::Health},       {"/metrics", Route::Metrics},
        {"/fpm", Route::Fpm},       {"/nodes", Route::Nodes},
    };
    const auto it = exact.find(path);
    if (it != exact.end())
        return *it;
    if (path.startsWith("/clients/") && path.size() > 9 && path.indexOf('/', 9) < 0)
        return Route::Client;
    return Route::Unmatched;
}

QByteArray PushApi::labelOf(Route route) {
    switch (route) {
    case Route::Send:
        return "/send";
    case Route::Broadcast:
        return "/broadcast";
    case Route::Close:
        return "/close";
    case Route::Join:
        return "/join";
    case Route::Leave:
        return "/leave";
    case Route::Clients:
        return "/clients";
    case Route::Client:
        return "/clients/{id}";
    case Route::Groups:
        return "/groups";
    case Route::Health:
        return "/health";
    case Route::Metrics:
        return "/metrics";
    case Route::Fpm:
        return "/fpm";
    case Route::Nodes:
        return "/nodes";
    case Route::Unmatched:
        break;
    }
    return "unmatched";
}

bool PushApi::hasToken(const HttpRequest &request) const {
    const QByteArray bearer = ApiRequest::bearerOf(request);
    return !bearer.isEmpty() && ApiRequest::constantTimeEquals(bearer, m_options.token);
}

bool PushApi::authorizes(const HttpRequest &head) const {
    if (isAdminRequest(head))
        return m_admin->authorizes(head);
    return !m_trust.check(head) && (m_options.token.isEmpty() || hasToken(head));
}

std::optional<HttpResponse> PushApi::preflight(const HttpRequest &request, Route route) const {
    if (std::optional<HttpResponse> untrusted = m_trust.check(request))
        return untrusted;
    if (!m_options.token.isEmpty() && route != Route::Health && !hasToken(request))
        return ApiRequest::unauthorized(request);
    if (route == Route::Unmatched)
        return error(404, "not_found",
                     QStringLiteral("no such route: %1").arg(QString::fromUtf8(request.path)));
    const bool post = route == Route::Send || route == Route::Broadcast || route == Route::Close ||
                      route == Route::Join || route == Route::Leave;
    if (auto refusal = ApiRequest::checkMethod(request, post, labelOf(route)))
        return refusal;
    return ApiRequest::checkBody(request, post, labelOf(route));
}

std::optional<HttpResponse> PushApi::checkHead(const HttpRequest &head) {
    if (isAdminRequest(head))
        return m_admin->checkHead(head);
    const Route route = routeOf(head.path);
    std::optional<HttpResponse> refusal = preflight(head, route);
    if (refusal)
        count(Call{route, head.peer, head.method, head.path.left(kMaxNameBytes), {}}, *refusal);
    return refusal;
}

void PushApi::handle(const HttpRequest &request, HttpResponder respond) {
    if (isAdminRequest(request))
        return m_admin->handle(request, std::move(respond));
    const Call call{routeOf(request.path), request.peer, request.method,
                    request.path.left(kMaxNameBytes), std::move(respond)};
    if (std::optional<HttpResponse> refusal = preflight(request, call.route))
        return finish(this, call, std::move(*refusal));
    dispatch(request, call);
}

void PushApi::dispatch(const HttpRequest &request, const Call &call) {
    const Route route = call.route;
    const bool needsDelivery = route != Route::Health && route != Route::Metrics &&
                               route != Route::Fpm && route != Route::Nodes;
    if (needsDelivery && !m_delivery)
        return finish(this, call,
                      error(503, "unavailable", QStringLiteral("the gateway is not running")));

    // Fields never come from the query string of a POST: a page can put them there without
    // any body or media type (a no-cors "form"), and the query lands in access logs.
    PushFields fields;
    if (request.method == "POST") {
        if (std::optional<HttpResponse> bad = PushFields::parse(request, &fields))
            return finish(this, call, std::move(*bad));
        if (fields.isEmpty() && !request.query.isEmpty())
            return finish(this, call,
                          error(400, "missing_field",
                                QStringLiteral("send the fields in the body (form or JSON): the "
                                               "query string of a POST is ignored")));
    }
    const QPointer<PushApi> self(this);
    switch (route) {
    case Route::Send:
        return send(fields, call);
    case Route::Broadcast:
        return broadcast(fields, call);
    case Route::Close:
        return closeClient(fields, call);
    case Route::Join:
        return membership(fields, true, call);
    case Route::Leave:
        return membership(fields, false, call);
    case Route::Clients: {
        // ?user=alice / ?group=lobby: a user's presence or a group's members, cluster-wide.
        const auto query =
            HttpRequest::parseUrlEncoded(request.query).value_or(QList<HttpRequest::Header>{});
        QString user, group;
        for (const auto &[name, value] : query) {
            if (name == "user")
                user = QString::fromUtf8(value);
            else if (name == "group")
                group = QString::fromUtf8(value);
        }
        return m_delivery->clients([self, call, user, group](const QList<ClientInfo> &list) {
            QJsonArray clients;
            for (const ClientInfo &info : list) {
                if ((user.isEmpty() || info.user == user) &&
                    (group.isEmpty() || info.groups.contains(group)))
                    clients.append(info.toJson());
            }
            finish(self, call,
                   HttpResponse::json(200, {{"count", clients.size()}, {"clients", clients}}));
        });
    }
    case Route::Client:
        return client(request, call);
    case Route::Groups:
        return m_delivery->groups([self, call](const QHash<QString, QList<QByteArray>> &groups) {
            QJsonObject object;
            for (auto it = groups.begin(); it != groups.end(); ++it) {
                QJsonArray members;
                for (const QByteArray &id : it.value())
                    members.append(QString::fromLatin1(id));
                object.insert(it.key(), members);
            }
            finish(self, call, HttpResponse::json(200, {{"groups", object}}));
        });
    case Route::Health: {
        QJsonObject health{{"status", "ok"}};
        if (m_healthProvider) {
            const QJsonObject extra = m_healthProvider();
            for (auto it = extra.begin(); it != extra.end(); ++it)
                health.insert(it.key(), it.value());
        }
        return finish(this, call, HttpResponse::json(200, health));
    }
    case Route::Metrics: {
        const QByteArray text = m_metricsProvider ? m_metricsProvider() : metricsText({this});
        return finish(this, call, HttpResponse::text(200, text, kPrometheusContentType));
    }
    case Route::Fpm: {
        const std::optional<QJsonObject> status =
            m_fpmStatusProvider ? m_fpmStatusProvider() : std::nullopt;
        if (!status)
            return finish(this, call,
                          error(503, "fpm_status_unknown",
                                QStringLiteral("no PHP-FPM pool status has been read yet")));
        return finish(this, call, HttpResponse::json(200, *status));
    }
    case Route::Nodes:
        return finish(this, call,
                      HttpResponse::json(
                          200, {{"nodes", m_nodesProvider ? m_nodesProvider() : QJsonArray()}}));
    case Route::Unmatched:
        break;
    }
    finish(this, call, error(404, "not_found", QStringLiteral("no such route")));
}

std::optional<HttpResponse> PushApi::readMessage(const PushFields &fields,
                                                 OutboundMessage *out) const {
    if (!fields.contains("message"))
        return missing("message");
    const QByteArray message = fields.value("message");
    const auto binary = fields.flag("binary");
    if (!binary)
        return error(400, "bad_request", QStringLiteral("binary must be 0 or 1"));
    if (message.size() > m_options.maxMessageBytes)
        return error(
            413, "payload_too_large",
            QStringLiteral("message is larger than %1 bytes").arg(m_options.maxMessageBytes));
    if (!*binary && !isValidUtf8(message))
        return error(400, "invalid_utf8",
                     QStringLiteral("a text message must be UTF-8; send binary=1 for bytes"));
    *out = OutboundMessage{message, *binary};
    return std::nullopt;
}

void PushApi::send(const PushFields &fields, const Call &call) {
    OutboundMessage out;
    if (auto refused = readMessage(fields, &out))
        return finish(this, call, std::move(*refused));
    const std::optional<bool> wait = fields.flag("wait");
    if (!wait)
        return finish(this, call, error(400, "bad_request", QStringLiteral("wait must be 0 or 1")));

    const QByteArray clientId = fields.value("client_id");
    const QByteArray user = fields.value("user");
    const QByteArray group = fields.value("group");
    const int targets = int(!clientId.isEmpty()) + int(!user.isEmpty()) + int(!group.isEmpty());
    if (targets == 0)
        return finish(this, call, missing("client_id, user or group"));
    if (targets > 1)
        return finish(this, call,
                      error(400, "bad_request",
                            QStringLiteral("give only one of client_id, user and group")));
    if (clientId.size() > kMaxNameBytes || user.size() > kMaxNameBytes ||
        group.size() > kMaxNameBytes)
        return finish(this, call,
                      error(400, "bad_request",
                            QStringLiteral("names are at most %1 bytes").arg(kMaxNameBytes)));
    if (!isValidUtf8(user) || !isValidUtf8(group))
        return finish(this, call,
                      error(400, "invalid_utf8", QStringLiteral("user and group must be UTF-8")));

    PushTarget target;
    if (!clientId.isEmpty())
        target = {PushTarget::Kind::Client, clientId};
    else if (!user.isEmpty())
        target = {PushTarget::Kind::User, user};
    else
        target = {PushTarget::Kind::Group, group};
    const bool toClient = target.kind == PushTarget::Kind::Client;
    m_delivery->deliver(target, out, *wait,
                        [self = QPointer<PushApi>(this), call, toClient](const DeliveryResult &r) {
                            finish(self, call,
                                   toClient ? PushAnswer::toClient(r) : PushAnswer::toNamed(r));
                        });
}

void PushApi::broadcast(const PushFields &fields, const Call &call) {
    OutboundMessage out;
    if (auto refused = readMessage(fields, &out))
        return finish(this, call, std::move(*refused));
    const std::optional<bool> wait = fields.flag("wait");
    if (!wait)
        return finish(this, call, error(400, "bad_request", QStringLiteral("wait must be 0 or 1")));
    m_delivery->deliver({PushTarget::Kind::Everyone, {}}, out, *wait,
                        [self = QPointer<PushApi>(this), call](const DeliveryResult &r) {
                            finish(self, call, PushAnswer::toEveryone(r));
                        });
}

void PushApi::closeClient(const PushFields &fields, const Call &call) {
    const QByteArray clientId = fields.value("client_id");
    if (clientId.isEmpty())
        return finish(this, call, missing("client_id"));
    int code = kDefaultCloseCode;
    if (fields.contains("code")) {
        const std::optional<int> parsed = fields.integer("code");
        if (!parsed || !isValidCloseCode(*parsed))
            return finish(this, call,
                          error(400, "invalid_close_code",
                                QStringLiteral("code must be 1000-1003, 1007-1014 or 3000-4999")));
        code = *parsed;
    }
    const QByteArray reason = fields.value("reason");
    if (reason.size() > kMaxCloseReasonBytes || !isValidUtf8(reason))
        return finish(this, call,
                      error(400, "invalid_close_reason",
                            QStringLiteral("reason must be UTF-8, at most %1 bytes")
                                .arg(kMaxCloseReasonBytes)));
    m_delivery->closeClient(clientId, code, reason,
                            [self = QPointer<PushApi>(this), call](const ClientLookup &r) {
                                finish(self, call, PushAnswer::found(r));
                            });
}

void PushApi::membership(const PushFields &fields, bool join, const Call &call) {
    const QByteArray clientId = fields.value("client_id");
    const QByteArray group = fields.value("group");
    if (clientId.isEmpty())
        return finish(this, call, missing("client_id"));
    if (group.isEmpty())
        return finish(this, call, missing("group"));
    if (group.size() > kMaxNameBytes || !isValidUtf8(group))
        return finish(
            this, call,
            error(400, "bad_request",
                  QStringLiteral("group must be UTF-8, at most %1 bytes").arg(kMaxNameBytes)));
    m_delivery->setMembership(clientId, QString::fromUtf8(group), join,
                              [self = QPointer<PushApi>(this), call](const ClientLookup &r) {
                                  finish(self, call, PushAnswer::found(r));
                              });
}

void PushApi::client(const HttpRequest &request, const Call &call) {
    const std::optional<QByteArray> id = HttpRequest::percentDecoded(request.path.mid(9));
    if (!id || id->isEmpty() || id->size() > kMaxNameBytes)
        return finish(this, call, error(400, "bad_request", QStringLiteral("malformed client id")));
    m_delivery->client(*id, [self = QPointer<PushApi>(this), call](const ClientLookup &r) {
        finish(self, call,
               r.info ? HttpResponse::json(200, r.info->toJson()) : PushAnswer::found(r));
    });
}

void PushApi::finish(const QPointer<PushApi> &api, const Call &call, HttpResponse response) {
    if (!call.respond.isPending())
        return; // answered meanwhile (504) or the connection is gone: nobody to tell
    if (api)
        api->count(call, response);
    call.respond(std::move(response));
}

void PushApi::count(const Call &call, const HttpResponse &response) {
    const int status = response.status();
    ++m_counts[{labelOf(call.route), status}];
    if (status < 400)
        return;
    QByteArray code;
    QString message;
    const QJsonDocument doc = QJsonDocument::fromJson(response.body());
    if (doc.isObject()) {
        code = doc.object().value("error").toString().toUtf8();
        message = doc.object().value("message").toString();
    }
    QMetaObject::invokeMethod(
        this,
        [this, peer = call.peer, method = call.method, path = call.path, status, code, message] {
            emit requestFailed(peer, method, path, status, code, message);
        },
        Qt::QueuedConnection);
}

QList<PushApi::RequestCount> PushApi::requestCounts() const {
    QList<RequestCount> list;
    for (auto it = m_counts.begin(); it != m_counts.end(); ++it)
        list.append({it.key().first, it.key().second, it.value()});
    return list;
}

quint64 PushApi::requestCount(const QByteArray &route, int status) const {
    return m_counts.value({route, status}, 0);
}

QByteArray PushApi::metricsText(std::initializer_list<const PushApi *> apis) {
    QList<const ApiRequest::Counts *> counts;
    quint64 accepted = 0;
    qint64 open = 0;
    quint64 refused[int(HttpServer::ClientError::Count)] = {};
    bool served = false;
    for (const PushApi *api : apis) {
        if (!api)
            continue;
        counts.append(&api->m_counts);
        if (!api->m_server)
            continue;
        served = true;
        const HttpServer::Counters &c = api->m_server->counters();
        accepted += c.connectionsAccepted;
        open += api->m_server->connectionCount();
        for (int k = 0; k < int(HttpServer::ClientError::Count); ++k)
            refused[k] += c.error(HttpServer::ClientError(k));
    }
    QByteArray out;
    ApiRequest::appendCounts(out, "wsgate_push_requests_total",
                             "Push API requests by route and status code.", counts);
    if (!served)
        return out;
    out += "# HELP wsgate_push_http_connections_total Push API connections accepted.\n"
           "# TYPE wsgate_push_http_connections_total counter\n"
           "wsgate_push_http_connections_total " +
           QByteArray::number(accepted) + '\n';
    out += "# HELP wsgate_push_http_open_connections Push API connections open now.\n"
           "# TYPE wsgate_push_http_open_connections gauge\n"
           "wsgate_push_http_open_connections " +
           QByteArray::number(open) + '\n';
    out += "# HELP wsgate_push_http_client_errors_total Push API requests refused by the HTTP "
           "layer, by kind.\n"
           "# TYPE wsgate_push_http_client_errors_total counter\n";
    for (int k = 0; k < int(HttpServer::ClientError::Count); ++k) {
        out += "wsgate_push_http_client_errors_total{kind=\"" +
               QByteArray(HttpServer::clientErrorName(HttpServer::ClientError(k))) + "\"} " +
               QByteArray::number(refused[k]) + '\n';
    }
    return out;
}
