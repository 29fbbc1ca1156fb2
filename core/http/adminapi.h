#pragma once

#include "fpm/fpmreport.h"
#include "http/httprequest.h"
#include "http/httpresponder.h"
#include "http/httpresponse.h"
#include "http/requesttrust.h"

#include <QByteArray>
#include <QJsonObject>
#include <QMap>
#include <QObject>
#include <QString>

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>

class AdminTrafficFeed;
class Metrics;
class TrafficLog;
struct GatewaySnapshot;
struct ReplayRequest;

/// Settings of the admin API.
struct AdminApiOptions {
    QByteArray token;      // the push token: every admin route; empty: the admin API is off
    QByteArray readToken;  // --admin-read-token: the GET routes only; empty: none
    QByteArray instanceId; // X-WsGate-Instance: new on every start of the engine
};

/// The admin API: what the console shows of a running gateway, for a console attached from
/// elsewhere (or a script). Served by PushApi under /admin/ on the push listener and below
/// --push-prefix, with the push API's Host/Origin checks and hardening.
///
/// Access. Always a token, whatever the address: without a push token configured every route
/// answers 403 admin_needs_token. `Authorization: Bearer <push token>` may do everything;
/// `Bearer <admin read token>` (--admin-read-token) only the GET routes (POST: 403
/// read_only_token). Missing or wrong: 401 unauthorized with WWW-Authenticate, as the push
/// API. Order of the checks, all from the head: Host/Origin (421/403), 403
/// admin_needs_token, 401, 404 not_found, 405 (with Allow), 403 read_only_token, POST media
/// type (form or JSON, 415), GET with a body (400). Errors are {"error","message"} JSON.
///
/// GET /admin/traffic?since=ID&max=N&wait=SEC — the traffic log, long-polled:
///   200 application/x-ndjson, one TrafficEntryJson object per line, the entries with
///   id > since, oldest first, at most max (default 1000, capped at 10000) and ~4 MiB (one
///   entry always). None yet: waits up to wait seconds (default 0, capped at 30; decimals
///   allowed) and answers as soon as one is logged (within 50 ms), or empty when the wait
///   ends. A since beyond the log's end answers at once, empty. Headers on every answer:
///     X-WsGate-Instance    random per engine start: a change means a restart, so start again
///                          from since=0
///     X-WsGate-First-Id    the oldest entry still in the ring (0: none)
///     X-WsGate-Last-Id     the newest id ever given (0: none)
///     X-WsGate-Next-Since  the since of the next call (the last id returned, else Last-Id)
///     X-WsGate-Skipped     entries after since the reader will never get (it fell behind
///                          the ring); 0 normally
///     X-WsGate-More        1: more entries are there already, ask again at once
///     X-WsGate-Count       lines in this answer
///   409 traffic_log_off when the gateway keeps no log (--traffic-log 0, wsgated's default).
///   503 too_many_readers when 64 readers wait already. 400 on a malformed since/max/wait.
///   Secrets are masked (TrafficEntryJson): always, whoever asks.
/// GET /admin/snapshot — 200 {"instance", "snapshot": snapshotJson(), "counters", "cluster"};
///   503 snapshot_unavailable before the gateway runs. snapshotFromJson() reads "snapshot"
///   back. "counters" (Metrics): {connections, messages_in, messages_out, queued_messages,
///   php_failures (every PHP result but ok)}: connections and queued_messages now, the others
///   since the start. "cluster": {enabled (--cluster), up (Redis reachable), nodes (live
///   nodes, this one included; 0 until the first heartbeat; 1 without --cluster), node (this
///   node's id, "" when none), members [{node, admin_url, connections}]}: the registry's live
///   nodes, this one first (without --cluster just this one). admin_url is where that node's
///   admin API is reached, as it advertises it: http(s)://host:port of its push listener
///   (https with --push-tls-cert; a wildcard address becomes the machine's host name), or,
///   without a push listener, the WebSocket port's URL plus --push-prefix; null when the node
///   serves no admin API (no push token) or is too old to say.
/// GET /admin/fpm — 200 {"instance", "fpm": FpmReport::toJson()}: the PHP-FPM poller's state,
///   history and warnings, as the console's PHP-FPM view shows them (state "Unknown" and no
///   status until the first poll answered); 503 fpm_unavailable when nothing polls (the
///   gateway is not running).
/// GET /admin/config — 200 {"instance", "version", "config": the options as the config file
///   has them, secrets "********"}.
/// POST /admin/replay — form or JSON fields: entry (required: a php row's id in this
///   gateway's log), body or body_base64 (the message instead of the logged one), binary
///   (0/1; default: as logged), user, groups (comma list; "" for none: sent as WS_USER and
///   WS_GROUPS instead of the session's), apply_control_headers (0/1: the reply's X-WS-*
///   act on the live session; default 0). Sent to PHP as the entry's client, behind its
///   queued messages, marked WS_REPLAY=1; the new exchange is logged with replay_of = entry.
///   200 {"ok":true,"entry":ID,"client":"…"} (queued); 400 bad or missing fields; 404
///   entry_not_found (not in the ring) or unknown_client (the client has left); 409
///   not_replayable (not a PHP message exchange, or its body was truncated), replay_refused
///   (the client's queue is full, it is closing, the inbound budget is spent) or
///   traffic_log_off; 503 cluster_unavailable or node_unreachable (the client's node could not
///   be asked whether it is there).
class AdminApi final : public QObject {
    Q_OBJECT
public:
    /// Unavailable: `error` is the code (cluster_unavailable, node_unreachable).
    enum class ReplayStatus { Queued, UnknownClient, Refused, Unavailable };
    using ReplayDone = std::function<void(ReplayStatus status, const QString &error)>;
    /// Sends `replay` to PHP as client `clientId` (NodeRouter::replay); `done` is called on
    /// this object's thread, now or later.
    using ReplayHook = std::function<void(const QByteArray &clientId, const ReplayRequest &replay,
                                          ReplayDone done)>;
    /// The gateway's state now; null when it is not running.
    using SnapshotProvider = std::function<std::shared_ptr<const GatewaySnapshot>()>;
    using ConfigProvider = std::function<QJsonObject()>;
    using FpmProvider = std::function<FpmReport()>;
    /// GET /admin/snapshot's "cluster" (Engine::clusterJson).
    using ClusterProvider = std::function<QJsonObject()>;

    /// `log` must outlive this object.
    AdminApi(TrafficLog *log, const AdminApiOptions &options, QObject *parent = nullptr);
    ~AdminApi() override;

    /// The Host/Origin checks of the API this one is served with (PushApi::setAdminApi gives
    /// its own); until set, every request is refused (421).
    void setRequestTrust(const RequestTrust &trust) { m_trust = trust; }
    void setSnapshotProvider(SnapshotProvider provider);
    void setConfigProvider(ConfigProvider provider);
    void setReplayHook(ReplayHook hook);
    void setFpmProvider(FpmProvider provider);
    /// The snapshot's "counters"; thread-safe, must outlive this object. Unset: all 0.
    void setMetrics(const Metrics *metrics) { m_metrics = metrics; }
    /// Unset: a gateway alone ({enabled: false, members: []}).
    void setClusterProvider(ClusterProvider provider);

    /// "/admin" and everything below it.
    static bool isAdminPath(const QByteArray &path);
    /// HttpServer::Authorizer for admin paths: trusted, and one of the tokens.
    bool authorizes(const HttpRequest &head) const;
    /// HttpServer::HeadCheck for admin paths: the refusal, or nullopt to read the body.
    std::optional<HttpResponse> checkHead(const HttpRequest &head);
    /// HttpServer::Handler for admin paths.
    void handle(const HttpRequest &request, HttpResponder respond);

    /// The snapshot's JSON: time, time_ms, listening, clients (ClientInfo::toJson plus
    /// last_activity_at and php_in_flight), groups, users, pool {connections, busy, idle,
    /// queued, queued_bytes, queued_owners, max_connections}, handshakes, budgets
    /// {inbound_bytes, inbound_limit, outbound_bytes, outbound_limit}, php {last_error,
    /// last_error_at, last_ok_at} (times ISO 8601 UTC, null when never).
    static QJsonObject snapshotJson(const GatewaySnapshot &snapshot);
    /// The inverse of snapshotJson(), for a console attached from elsewhere; nullopt when
    /// `snapshot` is not one (no time_ms or clients, a client without an id).
    static std::optional<GatewaySnapshot> snapshotFromJson(const QJsonObject &snapshot);
    /// GET /admin/snapshot's "counters".
    static QJsonObject countersJson(const Metrics *metrics);

    /// Readers of /admin/traffic waiting now.
    int waitingReaders() const;
    quint64 requestCount(const QByteArray &route, int status) const;
    /// Prometheus text: wsgate_admin_requests_total{route,status}, these APIs' counts added
    /// up (the push listener's and the --push-prefix one's).
    static QByteArray metricsText(std::initializer_list<const AdminApi *> apis);

private:
    enum class Route { Unmatched, Traffic, Snapshot, Fpm, Config, Replay };
    enum class Access { None, Read, Full };
    struct Call {
        Route route = Route::Unmatched;
        HttpResponder respond;
    };

    static Route routeOf(const QByteArray &path);
    static QByteArray labelOf(Route route);
    Access accessOf(const HttpRequest &head) const;
    std::optional<HttpResponse> preflight(const HttpRequest &request, Route route) const;
    void replay(const HttpRequest &request, const Call &call);
    void finish(const Call &call, HttpResponse response);
    void count(Route route, const HttpResponse &response);

    TrafficLog *m_log;
    AdminApiOptions m_options;
    RequestTrust m_trust;
    std::unique_ptr<AdminTrafficFeed> m_feed;
    SnapshotProvider m_snapshotProvider;
    ConfigProvider m_configProvider;
    ReplayHook m_replayHook;
    FpmProvider m_fpmProvider;
    const Metrics *m_metrics = nullptr;
    ClusterProvider m_clusterProvider;
    QMap<std::pair<QByteArray, int>, quint64> m_counts;
};
