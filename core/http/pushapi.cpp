#include "http/pushapi.h"

#include "gateway/messagerouter.h"
#include "http/httpserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QStringDecoder>

#include <cmath>

namespace {

// client_id, user and group names: generous, but bounded before they reach the router.
constexpr qsizetype kMaxNameBytes = 256;
// A close frame carries at most 125 payload bytes, two of them the code.
constexpr qsizetype kMaxCloseReasonBytes = 123;
constexpr int kDefaultCloseCode = 1000;

const QByteArray kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

bool isValidUtf8(QByteArrayView bytes) {
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString decoded = decoder.decode(bytes);
    Q_UNUSED(decoded);
    return !decoder.hasError();
}

// Same time whatever the first differing byte: the token is not leaked by timing.
bool constantTimeEquals(QByteArrayView a, QByteArrayView b) {
    unsigned diff = a.size() == b.size() ? 0u : 1u;
    for (qsizetype i = 0; i < b.size(); ++i)
        diff |= unsigned(uchar(i < a.size() ? a[i] : 0) ^ uchar(b[i]));
    return diff == 0;
}

QByteArray mediaTypeOf(const QByteArray &contentType) {
    const qsizetype semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.left(semicolon)).trimmed().toLower();
}

std::optional<bool> parseFlag(const QByteArray &value) {
    const QByteArray v = value.trimmed().toLower();
    if (v.isEmpty() || v == "0" || v == "false" || v == "no" || v == "off")
        return false;
    if (v == "1" || v == "true" || v == "yes" || v == "on")
        return true;
    return std::nullopt;
}

std::optional<int> parseInt(const QByteArray &value) {
    const QByteArray v = value.trimmed();
    if (v.isEmpty() || v.size() > 9)
        return std::nullopt;
    for (char c : v) {
        if (c < '0' || c > '9')
            return std::nullopt;
    }
    return v.toInt();
}

// JSON values become the same bytes a form would carry; objects and arrays stay JSON text,
// so {"message": {...}} sends that JSON, as a PHP caller passing an array would expect.
QByteArray fieldBytes(const QJsonValue &v) {
    switch (v.type()) {
    case QJsonValue::String:
        return v.toString().toUtf8();
    case QJsonValue::Bool:
        return v.toBool() ? "true" : "false";
    case QJsonValue::Double: {
        const double d = v.toDouble();
        if (std::floor(d) == d && std::fabs(d) < 9.0e15)
            return QByteArray::number(qint64(d));
        return QByteArray::number(d, 'g', 17);
    }
    case QJsonValue::Array:
        return QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact);
    case QJsonValue::Object:
        return QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact);
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        break;
    }
    return {};
}

HttpResponse error(int status, QByteArrayView code, const QString &message) {
    return HttpResponse::jsonError(status, code, message);
}

HttpResponse missing(const char *field) {
    return error(400, "missing_field", QStringLiteral("%1 is required").arg(QLatin1String(field)));
}

QJsonObject counts(const DeliveryResult &r) {
    return {{"ok", true},
            {"matched", r.matched},
            {"delivered", r.delivered},
            {"buffer_full", r.bufferFull}};
}

} // namespace

PushApi::PushApi(MessageRouter *router, const PushApiOptions &options, QObject *parent)
    : QObject(parent)
    , m_router(router)
    , m_options(options) {}

PushApi::~PushApi() = default;

void PushApi::attach(HttpServer *server, const QByteArray &prefix) {
    if (!m_server)
        m_server = server;
    if (prefix.isEmpty()) {
        server->setHandler([this](const HttpRequest &r) { return handle(r); });
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
    server->setHandler([this, strip](const HttpRequest &r) {
        const std::optional<HttpRequest> routed = strip(r);
        return routed ? handle(*routed) : error(404, "not_found", QStringLiteral("no such route"));
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

void PushApi::setHealthProvider(std::function<QJsonObject()> provider) {
    m_healthProvider = std::move(provider);
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
        {"/fpm", Route::Fpm},
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
    case Route::Unmatched:
        break;
    }
    return "unmatched";
}

bool PushApi::authorized(const HttpRequest &request) const {
    const QByteArray auth = request.header("Authorization");
    if (auth.size() < 7 || QByteArrayView(auth).first(7).compare("Bearer ", Qt::CaseInsensitive))
        return false;
    return constantTimeEquals(QByteArrayView(auth).sliced(7).trimmed(), m_options.token);
}

std::optional<HttpResponse> PushApi::preflight(const HttpRequest &request, Route route) const {
    if (!m_options.token.isEmpty() && route != Route::Health && !authorized(request)) {
        HttpResponse r =
            error(401, "unauthorized", QStringLiteral("send Authorization: Bearer <token>"));
        r.setHeader("WWW-Authenticate", request.hasHeader("Authorization")
                                            ? "Bearer realm=\"wsgate\", error=\"invalid_token\""
                                            : "Bearer realm=\"wsgate\"");
        return r;
    }
    if (route == Route::Unmatched)
        return error(404, "not_found",
                     QStringLiteral("no such route: %1").arg(QString::fromUtf8(request.path)));
    const bool post = route == Route::Send || route == Route::Broadcast || route == Route::Close ||
                      route == Route::Join || route == Route::Leave;
    const bool allowed =
        post ? request.method == "POST" : (request.method == "GET" || request.method == "HEAD");
    if (!allowed) {
        HttpResponse r = error(405, "method_not_allowed",
                               QStringLiteral("%1 needs %2")
                                   .arg(QString::fromUtf8(labelOf(route)),
                                        post ? QStringLiteral("POST") : QStringLiteral("GET")));
        r.setHeader("Allow", post ? "POST" : "GET, HEAD");
        return r;
    }
    if (post && (request.bodyExpected() || !request.body.isEmpty())) {
        const QByteArray type = mediaTypeOf(request.header("Content-Type"));
        if (type != "application/x-www-form-urlencoded" && type != "application/json")
            return error(415, "unsupported_media_type",
                         QStringLiteral("send application/x-www-form-urlencoded or "
                                        "application/json (got \"%1\")")
                             .arg(QString::fromUtf8(type)));
    }
    return std::nullopt;
}

std::optional<HttpResponse> PushApi::checkHead(const HttpRequest &head) {
    const Route route = routeOf(head.path);
    std::optional<HttpResponse> refusal = preflight(head, route);
    if (refusal)
        return finish(head, route, std::move(*refusal));
    return std::nullopt;
}

HttpResponse PushApi::handle(const HttpRequest &request) {
    const Route route = routeOf(request.path);
    if (std::optional<HttpResponse> refusal = preflight(request, route))
        return finish(request, route, std::move(*refusal));
    return finish(request, route, dispatch(request, route));
}

std::optional<HttpResponse> PushApi::readFields(const HttpRequest &request, Fields *fields) const {
    if (m_options.queryFieldsOnPost && !request.query.isEmpty()) {
        const auto pairs = HttpRequest::parseUrlEncoded(request.query);
        if (!pairs)
            return error(400, "bad_request", QStringLiteral("malformed query string"));
        for (const auto &p : *pairs)
            fields->insert(p.first, p.second);
    }
    if (request.body.isEmpty())
        return std::nullopt;
    if (mediaTypeOf(request.header("Content-Type")) == "application/json") {
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(request.body, &parseError);
        if (parseError.error != QJsonParseError::NoError || !doc.isObject())
            return error(400, "bad_request",
                         parseError.error != QJsonParseError::NoError
                             ? QStringLiteral("malformed JSON: %1").arg(parseError.errorString())
                             : QStringLiteral("the JSON body must be an object"));
        const QJsonObject object = doc.object();
        for (auto it = object.begin(); it != object.end(); ++it) {
            if (it.value().isNull())
                continue;
            fields->insert(it.key().toUtf8(), fieldBytes(it.value()));
        }
        return std::nullopt;
    }
    const auto pairs = HttpRequest::parseUrlEncoded(request.body);
    if (!pairs)
        return error(400, "bad_request", QStringLiteral("malformed form body"));
    for (const auto &p : *pairs)
        fields->insert(p.first, p.second); // the last of repeated fields wins, as in PHP
    return std::nullopt;
}

HttpResponse PushApi::dispatch(const HttpRequest &request, Route route) {
    const bool needsRouter =
        route != Route::Health && route != Route::Metrics && route != Route::Fpm;
    if (needsRouter && !m_router)
        return error(503, "unavailable", QStringLiteral("the gateway is not running"));

    Fields fields;
    if (request.method == "POST") {
        if (std::optional<HttpResponse> bad = readFields(request, &fields))
            return *bad;
    }
    switch (route) {
    case Route::Send:
        return send(fields);
    case Route::Broadcast:
        return broadcast(fields);
    case Route::Close:
        return closeClient(fields);
    case Route::Join:
        return membership(fields, true);
    case Route::Leave:
        return membership(fields, false);
    case Route::Clients: {
        const QJsonArray list = m_router->clientList();
        return HttpResponse::json(200, {{"count", list.size()}, {"clients", list}});
    }
    case Route::Client:
        return client(request);
    case Route::Groups:
        return HttpResponse::json(200, {{"groups", m_router->groupList()}});
    case Route::Health: {
        QJsonObject health{{"status", "ok"}};
        if (m_healthProvider) {
            const QJsonObject extra = m_healthProvider();
            for (auto it = extra.begin(); it != extra.end(); ++it)
                health.insert(it.key(), it.value());
        }
        return HttpResponse::json(200, health);
    }
    case Route::Metrics: {
        QByteArray text = m_metricsProvider ? m_metricsProvider() : QByteArray();
        if (!text.isEmpty() && !text.endsWith('\n'))
            text += '\n';
        return HttpResponse::text(200, text + ownMetricsText(), kPrometheusContentType);
    }
    case Route::Fpm: {
        const std::optional<QJsonObject> status =
            m_fpmStatusProvider ? m_fpmStatusProvider() : std::nullopt;
        if (!status)
            return error(503, "fpm_status_unknown",
                         QStringLiteral("no PHP-FPM pool status has been read yet"));
        return HttpResponse::json(200, *status);
    }
    case Route::Unmatched:
        break;
    }
    return error(404, "not_found", QStringLiteral("no such route"));
}

std::optional<HttpResponse> PushApi::readMessage(const Fields &fields, OutboundMessage *out) const {
    if (!fields.contains("message"))
        return missing("message");
    const QByteArray message = fields.value("message");
    const auto binary = parseFlag(fields.value("binary"));
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

HttpResponse PushApi::send(const Fields &fields) {
    OutboundMessage out;
    if (auto refused = readMessage(fields, &out))
        return *refused;

    const QByteArray clientId = fields.value("client_id");
    const QByteArray user = fields.value("user");
    const QByteArray group = fields.value("group");
    const int targets = int(!clientId.isEmpty()) + int(!user.isEmpty()) + int(!group.isEmpty());
    if (targets == 0)
        return missing("client_id, user or group");
    if (targets > 1)
        return error(400, "bad_request",
                     QStringLiteral("give only one of client_id, user and group"));
    if (clientId.size() > kMaxNameBytes || user.size() > kMaxNameBytes ||
        group.size() > kMaxNameBytes)
        return error(400, "bad_request",
                     QStringLiteral("names are at most %1 bytes").arg(kMaxNameBytes));
    if (!isValidUtf8(user) || !isValidUtf8(group))
        return error(400, "invalid_utf8", QStringLiteral("user and group must be UTF-8"));

    if (!clientId.isEmpty()) {
        const DeliveryResult r = m_router->sendToClient(clientId, out);
        if (r.matched == 0)
            return error(404, "unknown_client", QStringLiteral("no client with that id"));
        if (r.bufferFull > 0)
            return error(503, "client_buffer_full",
                         QStringLiteral("the client's send buffer is full; message dropped"));
        if (r.delivered == 0)
            return error(503, "not_delivered", QStringLiteral("the client is closing"));
        return HttpResponse::text(200, "Message sent"); // the Go design's exact body
    }
    const DeliveryResult r = !user.isEmpty() ? m_router->sendToUser(QString::fromUtf8(user), out)
                                             : m_router->sendToGroup(QString::fromUtf8(group), out);
    // Partial delivery is reported in the counts; a total refusal is an error, never silent.
    if (r.delivered == 0 && r.bufferFull > 0) {
        QJsonObject body = counts(r);
        body.insert("ok", false);
        body.insert("error", "client_buffer_full");
        body.insert("message", "every matched client's send buffer is full; message dropped");
        return HttpResponse::json(503, body);
    }
    return HttpResponse::json(200, counts(r));
}

HttpResponse PushApi::broadcast(const Fields &fields) {
    OutboundMessage out;
    if (auto refused = readMessage(fields, &out))
        return *refused;
    return HttpResponse::json(200, counts(m_router->broadcast(out)));
}

HttpResponse PushApi::closeClient(const Fields &fields) {
    const QByteArray clientId = fields.value("client_id");
    if (clientId.isEmpty())
        return missing("client_id");
    int code = kDefaultCloseCode;
    if (fields.contains("code")) {
        const std::optional<int> parsed = parseInt(fields.value("code"));
        if (!parsed || !isValidCloseCode(*parsed))
            return error(400, "invalid_close_code",
                         QStringLiteral("code must be 1000-1003, 1007-1014 or 3000-4999"));
        code = *parsed;
    }
    const QByteArray reason = fields.value("reason");
    if (reason.size() > kMaxCloseReasonBytes || !isValidUtf8(reason))
        return error(
            400, "invalid_close_reason",
            QStringLiteral("reason must be UTF-8, at most %1 bytes").arg(kMaxCloseReasonBytes));
    if (!m_router->closeClient(clientId, code, QString::fromUtf8(reason)))
        return error(404, "unknown_client", QStringLiteral("no client with that id"));
    return HttpResponse::json(200, {{"ok", true}});
}

HttpResponse PushApi::membership(const Fields &fields, bool join) {
    const QByteArray clientId = fields.value("client_id");
    const QByteArray group = fields.value("group");
    if (clientId.isEmpty())
        return missing("client_id");
    if (group.isEmpty())
        return missing("group");
    if (group.size() > kMaxNameBytes || !isValidUtf8(group))
        return error(400, "bad_request",
                     QStringLiteral("group must be UTF-8, at most %1 bytes").arg(kMaxNameBytes));
    const QString name = QString::fromUtf8(group);
    const bool ok =
        join ? m_router->joinGroup(clientId, name) : m_router->leaveGroup(clientId, name);
    if (!ok)
        return error(404, "unknown_client", QStringLiteral("no client with that id"));
    return HttpResponse::json(200, {{"ok", true}});
}

HttpResponse PushApi::client(const HttpRequest &request) {
    const std::optional<QByteArray> id = HttpRequest::percentDecoded(request.path.mid(9));
    if (!id || id->isEmpty() || id->size() > kMaxNameBytes)
        return error(400, "bad_request", QStringLiteral("malformed client id"));
    const QJsonObject info = m_router->clientInfo(*id);
    if (info.isEmpty())
        return error(404, "unknown_client", QStringLiteral("no client with that id"));
    return HttpResponse::json(200, info);
}

HttpResponse PushApi::finish(const HttpRequest &request, Route route, HttpResponse response) {
    const int status = response.status();
    ++m_counts[{labelOf(route), status}];
    if (status >= 400) {
        QByteArray code;
        QString message;
        const QJsonDocument doc = QJsonDocument::fromJson(response.body());
        if (doc.isObject()) {
            code = doc.object().value("error").toString().toUtf8();
            message = doc.object().value("message").toString();
        }
        const QString peer = request.peer;
        const QByteArray method = request.method;
        const QByteArray path = request.path.left(kMaxNameBytes);
        QMetaObject::invokeMethod(
            this, [=] { emit requestFailed(peer, method, path, status, code, message); },
            Qt::QueuedConnection);
    }
    return response;
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

QByteArray PushApi::ownMetricsText() const {
    QByteArray out;
    out += "# HELP wsgate_push_requests_total Push API requests by route and status code.\n"
           "# TYPE wsgate_push_requests_total counter\n";
    for (auto it = m_counts.begin(); it != m_counts.end(); ++it) {
        out += "wsgate_push_requests_total{route=\"" + it.key().first + "\",status=\"" +
               QByteArray::number(it.key().second) + "\"} " + QByteArray::number(it.value()) + '\n';
    }
    if (!m_server)
        return out;
    const HttpServer::Counters &c = m_server->counters();
    out += "# HELP wsgate_push_http_connections_total Push API connections accepted.\n"
           "# TYPE wsgate_push_http_connections_total counter\n"
           "wsgate_push_http_connections_total " +
           QByteArray::number(c.connectionsAccepted) + '\n';
    out += "# HELP wsgate_push_http_open_connections Push API connections open now.\n"
           "# TYPE wsgate_push_http_open_connections gauge\n"
           "wsgate_push_http_open_connections " +
           QByteArray::number(m_server->connectionCount()) + '\n';
    out += "# HELP wsgate_push_http_client_errors_total Push API requests refused by the HTTP "
           "layer, by kind.\n"
           "# TYPE wsgate_push_http_client_errors_total counter\n";
    for (int k = 0; k < int(HttpServer::ClientError::Count); ++k) {
        const auto kind = HttpServer::ClientError(k);
        out += "wsgate_push_http_client_errors_total{kind=\"" +
               QByteArray(HttpServer::clientErrorName(kind)) + "\"} " +
               QByteArray::number(c.error(kind)) + '\n';
    }
    return out;
}
