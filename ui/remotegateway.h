#pragma once

#include "enginesample.h"
#include "fpmsample.h"
#include "gateway/delivery.h"
#include "gateway/phpbridge.h"
#include "observe/trafficentry.h"
#include "remoteidbook.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>
#include <QUrl>
#include <QVector>

#include <functional>

class QNetworkAccessManager;
class QNetworkReply;
class QNetworkRequest;

/// Where a console attaches: a wsgated's push listener (or its --push-prefix) and a token.
struct RemoteTarget {
    QUrl url;                     // http(s)://host:port[/prefix]
    QByteArray token;             // the push token, or an admin read token
    QByteArray trustedCertSha256; // hex; an https certificate accepted although unverified
};

/// A running wsgated seen through its admin API, fed to the console as EngineController feeds
/// it from an engine of its own: traffic entries (long-polled, /admin/traffic), a sample of the
/// gateway (/admin/snapshot) and of PHP-FPM (/admin/fpm) a few times a second, and the
/// actions (push, close, replay) as push and admin API calls.
///
/// Entry ids. The daemon numbers its entries from 1 on every start (a new X-WsGate-Instance);
/// the console keeps one id per entry for its whole life, over restarts and several nodes, so
/// each entry gets the next id of a RemoteIdBook shared by every attached daemon, which also
/// turns replay_of into console ids. An entry of an earlier instance can no longer be replayed
/// by the daemon: replay() says so.
///
/// Access. A token that may only read (--admin-read-token) is found out at attach time (a POST
/// without fields answers 403 read_only_token instead of 400); readOnly() is then true and
/// every action answers that it is not allowed, without a request.
///
/// Bounds: each answer is read up to MaxAnswerBytes, at most one traffic poll, one snapshot
/// and one FPM request are in flight, and a lost daemon is retried once a second.
class RemoteGateway final : public QObject {
    Q_OBJECT
public:
    enum class Link { Connecting, Live, Lost, Refused };
    Q_ENUM(Link)
    using Target = PushTarget::Kind;
    /// A node of the daemon's cluster (--cluster), as its snapshot lists them.
    struct Member {
        QString node;
        QUrl adminUrl; // empty when the node does not publish one
        qint64 connections = 0;
        bool attached = false; // the node this console reads
        bool operator==(const Member &o) const {
            return node == o.node && adminUrl == o.adminUrl && connections == o.connections &&
                   attached == o.attached;
        }
    };

    /// `ids` is shared with the other attached daemons and must outlive this object.
    RemoteGateway(const RemoteTarget &target, RemoteIdBook *ids, QObject *parent = nullptr);
    ~RemoteGateway() override;

    void start();
    void stop();

    const RemoteTarget &target() const { return m_target; }
    Link link() const { return m_link; }
    /// Why the link is Lost or Refused, or a note while Live (no traffic log kept); else empty.
    QString problem() const { return m_problem; }
    bool readOnly() const { return m_readOnly; }
    /// The daemon's X-WsGate-Instance; empty before the first answer.
    QByteArray instance() const { return m_instance; }
    /// The daemon's version and its options (secrets masked), from /admin/config.
    QString version() const { return m_version; }
    QJsonObject config() const { return m_config; }
    /// ws:// URL the daemon's clients connect to, as seen from here; empty before /admin/config.
    QString listenUrl() const;
    /// This daemon in RemoteIdBook::Origin::node.
    QByteArray nodeKey() const { return m_target.url.toString().toUtf8(); }
    /// Daemon restarts seen while attached.
    int restarts() const { return m_restarts; }
    /// The cluster's nodes; empty without --cluster.
    QList<Member> members() const { return m_members; }

    void push(Target target, const QByteArray &name, const OutboundMessage &message,
              QObject *context, std::function<void(const DeliveryResult &, const QString &)> done);
    void closeClient(const QByteArray &clientId, int code, const QString &reason, QObject *context,
                     std::function<void(bool found, const QString &error)> done);
    /// `request.entryId` is a console id; the body, user, groups and control-header choice go
    /// with it (POST /admin/replay).
    void replay(const ReplayRequest &request, QObject *context,
                std::function<void(bool ok, const QString &error)> done);

    static QString linkText(Link link);

Q_SIGNALS:
    /// Fires when link(), problem() or readOnly() changed.
    void linkChanged();
    /// Fires with each batch of new entries (console ids, oldest first).
    void entriesArrived(const QVector<TrafficEntry> &entries);
    /// Fires with each snapshot answered.
    void sampled(const EngineSample &sample);
    /// Fires with each /admin/fpm answered.
    void fpmSampled(const FpmSample &sample);
    /// Fires for notes worth the gateway log (restarts, entries skipped).
    void logLines(const QStringList &lines);
    /// Fires when members() changed.
    void membersChanged();

private:
    struct Answer;
    using Handler = std::function<void(const Answer &)>;

    QNetworkRequest request(const QString &path, const QString &query = {}) const;
    void get(const QString &path, const QString &query, int timeoutMs, Handler handler);
    void post(const QString &path, const QByteArray &form, QObject *context, Handler handler);
    void watch(QNetworkReply *reply, int timeoutMs, Handler handler);
    void setLink(Link link, const QString &problem);
    void fetchConfig();
    void probeAccess();
    void pollTraffic();
    void pollSnapshot();
    void pollFpm();
    void onTraffic(const Answer &answer);
    void onSnapshot(const Answer &answer);
    void onFpm(const Answer &answer);
    /// Notes a failed request: 401/403 are Refused, the rest Lost (retried).
    void failed(const Answer &answer);
    bool noteInstance(const QByteArray &instance);

    RemoteTarget m_target;
    QNetworkAccessManager *m_net;
    Link m_link = Link::Connecting;
    QString m_problem;
    QString m_certProblem; // the last unverified certificate, with its fingerprint
    bool m_running = false;
    bool m_readOnly = false;
    bool m_configured = false;
    QByteArray m_instance;
    QString m_version;
    QJsonObject m_config;
    RemoteIdBook *m_ids;
    quint64 m_since = 0; // the daemon's id of the last entry received
    int m_restarts = 0;
    QTimer m_snapshotTimer;
    QTimer m_fpmTimer;
    QTimer m_retryTimer;
    bool m_trafficInFlight = false;
    bool m_snapshotInFlight = false;
    bool m_fpmInFlight = false;
    bool m_noTrafficLog = false;
    QElapsedTimer m_rateClock;
    qint64 m_lastIn = -1;
    qint64 m_lastOut = -1;
    double m_rateIn = 0;
    double m_rateOut = 0;
    QList<Member> m_members;
};
