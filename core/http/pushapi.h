#pragma once

#include "http/httprequest.h"
#include "http/httpresponder.h"
#include "http/httpresponse.h"
#include "http/httpserver.h"
#include "http/requesttrust.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>

#include <functional>
#include <initializer_list>
#include <optional>
#include <utility>

class AdminApi;
class Delivery;
class PushFields;
struct OutboundMessage;

/// Settings of the push API.
struct PushApiOptions {
    QByteArray token; // empty: no Authorization needed
    /// A pushed message's limit in bytes, inclusive (larger: 413 payload_too_large). The engine
    /// sets min(--max-message, --send-buffer): a message the send buffer could never take is
    /// refused up front instead of being reported as buffer_full by every client.
    qsizetype maxMessageBytes = 16 * 1024 * 1024;
    /// Host headers accepted (see RequestTrust for the matching rules); others get 421. The
    /// loopback names are always safe: a DNS-rebinding page sends its own name, never these.
    /// The engine adds the listen host(s) and --push-allowed-hosts.
    QStringList allowedHosts = {QStringLiteral("localhost"), QStringLiteral("127.0.0.1"),
                                QStringLiteral("[::1]")};
    /// Also accept any IP-literal Host: the engine sets it when listening on a wildcard address.
    bool allowIpLiteralHosts = false;
    /// Origins whose pages may call the API (--push-allowed-origins); "*" any. Other requests
    /// with Origin, or with a cross-site Sec-Fetch-Site, get 403.
    QStringList allowedOrigins;
};

/// The push API routes (DESIGN.md "Push API") over a Delivery, answered asynchronously.
///
/// Every request is checked from its head, in this order, before any body is read: Host and
/// Origin (RequestTrust: 421, 403; /health too), token (401; not /health), route (404), method
/// (405, with Allow), for POST the media type (form or JSON, even with an empty body, else
/// 415), for GET/HEAD the absence of a body (400). POST fields come from the body only.
class PushApi final : public QObject {
    Q_OBJECT
public:
    struct RequestCount {
        QByteArray route; // route pattern ("/clients/{id}"), "unmatched" for unknown paths
        int status = 0;
        quint64 count = 0;
    };

    /// `delivery` must outlive this object and live on its thread (or be null: state calls
    /// then answer 503). Its answers may come later; they are sent when they come (the
    /// server answers 504 if they take longer than its handlerTimeoutMs).
    explicit PushApi(Delivery *delivery, const PushApiOptions &options = {},
                     QObject *parent = nullptr);
    ~PushApi() override;

    /// Serves this API on `server` (on this object's thread): sets its handler, head check and
    /// authorizer (a request is authorized when it passes the Host/Origin checks and carries
    /// the token, or no token is set). With a `prefix` ("/_wsgate") the routes live below it
    /// (the gateway's own port hands such requests over): give that server
    /// publicServerOptions(). The first server attached is the one /metrics reports.
    void attach(HttpServer *server, const QByteArray &prefix = {});
    /// `base` hardened for the API on the public WebSocket port: every 4xx and every answer to
    /// a request without a valid token closes the connection (so /health cannot hold a slot),
    /// at most 8 anonymous connections per address, a quarter of maxConnections reserved for
    /// authorized clients (see HttpServer's admission rules).
    static HttpServer::Options publicServerOptions(HttpServer::Options base);

    /// The whole API (HttpServer::Handler).
    void handle(const HttpRequest &request, HttpResponder respond);
    /// Refuses a request from its head alone (HttpServer::HeadCheck); nullopt: read the body.
    std::optional<HttpResponse> checkHead(const HttpRequest &head);
    /// HttpServer::Authorizer: the trust checks pass and the token is right (or none is set).
    bool authorizes(const HttpRequest &head) const;

    /// GET /metrics body, whole: it includes the push APIs' own counters (metricsText()).
    /// Without one, /metrics serves metricsText({this}).
    void setMetricsProvider(std::function<QByteArray()> provider);
    /// GET /fpm: nullopt means "unknown" (503 fpm_status_unknown).
    void setFpmStatusProvider(std::function<std::optional<QJsonObject>()> provider);
    /// GET /nodes: the cluster's live nodes (this one alone without --cluster).
    void setNodesProvider(std::function<QJsonArray()> provider);
    /// Extra fields merged into GET /health's {"status":"ok"}.
    void setHealthProvider(std::function<QJsonObject()> provider);
    /// Hands /admin and everything below it to `admin` (authorizer, head check and handler),
    /// with this API's Host/Origin checks; without one those paths are 404s like any unknown
    /// route. `admin` must outlive this object or be unset first.
    void setAdminApi(AdminApi *admin);

    const PushApiOptions &options() const { return m_options; }
    QList<RequestCount> requestCounts() const;
    quint64 requestCount(const QByteArray &route, int status) const;
    /// Prometheus text for the counters of these APIs and their servers, added up: each
    /// family once, however many listeners serve the API (--push-prefix is a second one).
    static QByteArray metricsText(std::initializer_list<const PushApi *> apis);

    /// A close code a server may send: 1000-1003, 1007-1014, 3000-4999.
    static bool isValidCloseCode(int code);

signals:
    /// A call was answered with a 4xx/5xx status (queued): for the application log.
    void requestFailed(const QString &peer, const QByteArray &method, const QByteArray &path,
                       int status, const QByteArray &code, const QString &message);

private:
    enum class Route {
        Unmatched,
        Send,
        Broadcast,
        Close,
        Join,
        Leave,
        Clients,
        Client,
        Groups,
        Health,
        Metrics,
        Fpm,
        Nodes
    };
    /// What an answer given later needs of its request.
    struct Call {
        Route route = Route::Unmatched;
        QString peer;
        QByteArray method;
        QByteArray path;
        HttpResponder respond;
    };

    static Route routeOf(const QByteArray &path);
    static QByteArray labelOf(Route route);
    std::optional<HttpResponse> preflight(const HttpRequest &request, Route route) const;
    bool hasToken(const HttpRequest &request) const;
    void dispatch(const HttpRequest &request, const Call &call);
    /// The message and binary fields, checked; a response when they are refused.
    std::optional<HttpResponse> readMessage(const PushFields &fields, OutboundMessage *out) const;
    void send(const PushFields &fields, const Call &call);
    void broadcast(const PushFields &fields, const Call &call);
    void closeClient(const PushFields &fields, const Call &call);
    void membership(const PushFields &fields, bool join, const Call &call);
    void client(const HttpRequest &request, const Call &call);
    /// Counts, signals and sends the answer (skipped when the request is no longer pending).
    static void finish(const QPointer<PushApi> &api, const Call &call, HttpResponse response);
    void count(const Call &call, const HttpResponse &response);

    bool isAdminRequest(const HttpRequest &request) const;

    Delivery *m_delivery = nullptr;
    AdminApi *m_admin = nullptr;
    PushApiOptions m_options;
    RequestTrust m_trust;
    QPointer<HttpServer> m_server;
    std::function<QByteArray()> m_metricsProvider;
    std::function<std::optional<QJsonObject>()> m_fpmStatusProvider;
    std::function<QJsonArray()> m_nodesProvider;
    std::function<QJsonObject()> m_healthProvider;
    QMap<std::pair<QByteArray, int>, quint64> m_counts;
};
