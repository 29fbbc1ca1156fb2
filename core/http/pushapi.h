#pragma once

#include "http/httprequest.h"
#include "http/httpresponse.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QString>

#include <functional>
#include <optional>
#include <utility>

class HttpServer;
class MessageRouter;
struct OutboundMessage;

/// Settings of the push API.
struct PushApiOptions {
    QByteArray token;                             // empty: no Authorization needed
    qsizetype maxMessageBytes = 16 * 1024 * 1024; // inclusive, like the WebSocket limit
    bool queryFieldsOnPost = true;                // POST fields may come in the query string;
                                                  // the body wins on a clash
};

/// The push API routes (DESIGN.md "Push API") over a MessageRouter, answered synchronously.
class PushApi final : public QObject {
    Q_OBJECT
public:
    struct RequestCount {
        QByteArray route; // route pattern ("/clients/{id}"), "unmatched" for unknown paths
        int status = 0;
        quint64 count = 0;
    };

    /// `router` must outlive this object (or be null: state calls then answer 503).
    explicit PushApi(MessageRouter *router, const PushApiOptions &options = {},
                     QObject *parent = nullptr);
    ~PushApi() override;

    /// Serves this API on `server`: sets its handler and head check. With a `prefix` ("/_wsgate")
    /// the routes live below it (the gateway's own port hands such requests over); the first
    /// server attached is the one whose counters /metrics reports.
    void attach(HttpServer *server, const QByteArray &prefix = {});

    /// The whole API as a plain function (HttpServer::Handler).
    HttpResponse handle(const HttpRequest &request);
    /// Refuses a request from its head alone (HttpServer::HeadCheck): unknown route, missing
    /// token, wrong method or media type. nullopt: read the body.
    std::optional<HttpResponse> checkHead(const HttpRequest &head);

    /// GET /metrics body: this text, then ownMetricsText().
    void setMetricsProvider(std::function<QByteArray()> provider);
    /// GET /fpm: nullopt means "unknown" (503 fpm_status_unknown).
    void setFpmStatusProvider(std::function<std::optional<QJsonObject>()> provider);
    /// Extra fields merged into GET /health's {"status":"ok"}.
    void setHealthProvider(std::function<QJsonObject()> provider);

    const PushApiOptions &options() const { return m_options; }
    QList<RequestCount> requestCounts() const;
    quint64 requestCount(const QByteArray &route, int status) const;
    /// Prometheus text for this API's counters (and the attached server's).
    QByteArray ownMetricsText() const;

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
        Fpm
    };
    using Fields = QMap<QByteArray, QByteArray>;

    static Route routeOf(const QByteArray &path);
    static QByteArray labelOf(Route route);
    std::optional<HttpResponse> preflight(const HttpRequest &request, Route route) const;
    std::optional<HttpResponse> readFields(const HttpRequest &request, Fields *fields) const;
    bool authorized(const HttpRequest &request) const;
    HttpResponse dispatch(const HttpRequest &request, Route route);
    /// The message and binary fields, checked; a response when they are refused.
    std::optional<HttpResponse> readMessage(const Fields &fields, OutboundMessage *out) const;
    HttpResponse send(const Fields &fields);
    HttpResponse broadcast(const Fields &fields);
    HttpResponse closeClient(const Fields &fields);
    HttpResponse membership(const Fields &fields, bool join);
    HttpResponse client(const HttpRequest &request);
    HttpResponse finish(const HttpRequest &request, Route route, HttpResponse response);

    MessageRouter *m_router = nullptr;
    PushApiOptions m_options;
    QPointer<HttpServer> m_server;
    std::function<QByteArray()> m_metricsProvider;
    std::function<std::optional<QJsonObject>()> m_fpmStatusProvider;
    std::function<QJsonObject()> m_healthProvider;
    QMap<std::pair<QByteArray, int>, quint64> m_counts;
};
