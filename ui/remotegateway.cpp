#include "remotegateway.h"

#include "config/configuration.h"
#include "http/adminapi.h"
#include "observe/trafficentryjson.h"

#include <QCryptographicHash>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslError>
#include <QUrlQuery>

namespace {

constexpr qint64 MaxAnswerBytes = 16 * 1024 * 1024; // the daemon's own cap is ~4 MiB a poll
constexpr int TrafficWaitSeconds = 20;              // below the daemon's 30 s long-poll cap
constexpr int TrafficTimeoutMs = (TrafficWaitSeconds + 15) * 1000;
constexpr int TrafficBatchEntries = 1000;
constexpr int RequestTimeoutMs = 5000;
constexpr int SnapshotIntervalMs = 500;
constexpr int FpmIntervalMs = 1000;
constexpr int RetryIntervalMs = 1000;
constexpr int NoLogRetryMs = 5000; // --traffic-log 0: ask again now and then (a restart)
constexpr int MaxMembers = 256;    // nodes listed from a snapshot
constexpr double RateSmoothing = 0.5;

QString errorCodeOf(const QByteArray &body) {
    return QJsonDocument::fromJson(body).object().value(QLatin1String("error")).toString();
}

QString messageOf(const QByteArray &body) {
    const QJsonObject o = QJsonDocument::fromJson(body).object();
    const QString message = o.value(QLatin1String("message")).toString();
    return message.isEmpty() ? o.value(QLatin1String("error")).toString() : message;
}

QByteArray formOf(const QList<std::pair<QByteArray, QByteArray>> &fields) {
    QByteArray out;
    for (const auto &[name, value] : fields) {
        if (!out.isEmpty())
            out += '&';
        out += name + '=' + value.toPercentEncoding();
    }
    return out;
}

template <typename Fn> auto guarded(QObject *context, Fn fn) {
    return [ctx = QPointer<QObject>(context), fn](auto &&...args) {
        if (ctx)
            fn(std::forward<decltype(args)>(args)...);
    };
}

} // namespace

struct RemoteGateway::Answer {
    int status = 0; // HTTP status; 0 when none came
    QByteArray body;
    QByteArray instance; // X-WsGate-Instance
    QNetworkReply *reply = nullptr;
    QString networkError; // set when the request itself failed
};

RemoteGateway::RemoteGateway(const RemoteTarget &target, RemoteIdBook *ids, QObject *parent)
    : QObject(parent)
    , m_target(target)
    , m_net(new QNetworkAccessManager(this))
    , m_ids(ids) {
    m_snapshotTimer.setInterval(SnapshotIntervalMs);
    m_fpmTimer.setInterval(FpmIntervalMs);
    m_retryTimer.setSingleShot(true);
    connect(&m_snapshotTimer, &QTimer::timeout, this, &RemoteGateway::pollSnapshot);
    connect(&m_fpmTimer, &QTimer::timeout, this, &RemoteGateway::pollFpm);
    connect(&m_retryTimer, &QTimer::timeout, this, [this] {
        if (!m_configured)
            fetchConfig();
        pollTraffic();
    });
}

RemoteGateway::~RemoteGateway() {
    m_running = false;
}

QString RemoteGateway::linkText(Link link) {
    switch (link) {
    case Link::Connecting:
        return tr("connecting");
    case Link::Live:
        return tr("live");
    case Link::Lost:
        return tr("connection lost, retrying");
    case Link::Refused:
        return tr("refused");
    }
    return {};
}

void RemoteGateway::start() {
    if (m_running)
        return;
    m_running = true;
    setLink(Link::Connecting, {});
    m_rateClock.start();
    fetchConfig();
    pollTraffic();
    pollSnapshot();
    pollFpm();
    m_snapshotTimer.start();
    m_fpmTimer.start();
}

void RemoteGateway::stop() {
    m_running = false;
    m_snapshotTimer.stop();
    m_fpmTimer.stop();
    m_retryTimer.stop();
    // Aborted from the event loop, not from inside the handler of an answer that stops us:
    // QNetworkReply warns when one still delivering its error is aborted.
    QTimer::singleShot(0, m_net, [net = m_net] {
        const QList<QNetworkReply *> replies = net->findChildren<QNetworkReply *>();
        for (QNetworkReply *reply : replies) {
            if (!reply->isFinished())
                reply->abort();
        }
    });
}

QString RemoteGateway::listenUrl() const {
    if (!m_configured)
        return {};
    Configuration c;
    QString error;
    if (!ConfigurationParser::applyJson(m_config, c, &error))
        return {};
    // A daemon listening on every address is reached at the host we reach its admin API on.
    const QHostAddress host(c.listenHost);
    if (host == QHostAddress::AnyIPv4 || host == QHostAddress::AnyIPv6 ||
        host == QHostAddress::Any ||
        (host.isLoopback() && !QHostAddress(m_target.url.host()).isLoopback()))
        c.listenHost = m_target.url.host();
    return c.listenUrl();
}

QNetworkRequest RemoteGateway::request(const QString &path, const QString &query) const {
    QUrl url = m_target.url;
    QString base = url.path();
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    url.setPath(base + path);
    url.setQuery(query);
    QNetworkRequest r(url);
    r.setRawHeader("Authorization", "Bearer " + m_target.token);
    r.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    r.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    return r;
}

void RemoteGateway::get(const QString &path, const QString &query, int timeoutMs, Handler handler) {
    watch(m_net->get(request(path, query)), timeoutMs, std::move(handler));
}

void RemoteGateway::post(const QString &path, const QByteArray &form, QObject *context,
                         Handler handler) {
    QNetworkRequest r = request(path);
    r.setHeader(QNetworkRequest::ContentTypeHeader,
                QByteArrayLiteral("application/x-www-form-urlencoded"));
    watch(m_net->post(r, form), RequestTimeoutMs, guarded(context, std::move(handler)));
}

void RemoteGateway::watch(QNetworkReply *reply, int timeoutMs, Handler handler) {
    reply->setProperty("tooLarge", false);
    auto *timer = new QTimer(reply);
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, reply, [reply] {
        reply->setProperty("timedOut", true);
        reply->abort();
    });
    timer->start(timeoutMs);
    connect(reply, &QNetworkReply::downloadProgress, reply, [reply](qint64 received, qint64) {
        if (received > MaxAnswerBytes) {
            reply->setProperty("tooLarge", true);
            reply->abort();
        }
    });
    connect(reply, &QNetworkReply::sslErrors, reply, [this, reply](const QList<QSslError> &e) {
        QSslCertificate peer = reply->sslConfiguration().peerCertificate();
        if (peer.isNull() && !e.isEmpty())
            peer = e.first().certificate();
        const QByteArray digest = peer.digest(QCryptographicHash::Sha256).toHex();
        if (!m_target.trustedCertSha256.isEmpty() &&
            digest.compare(m_target.trustedCertSha256, Qt::CaseInsensitive) == 0) {
            reply->ignoreSslErrors(e);
            return;
        }
        QStringList why;
        for (const QSslError &error : e)
            why << error.errorString();
        // Kept for every request that fails the same handshake: they share connections, and
        // only one of them reports the errors.
        m_certProblem = tr("certificate not trusted (%1; SHA-256 %2)")
                            .arg(why.join(QLatin1String(", ")), QString::fromLatin1(digest));
    });
    connect(reply, &QNetworkReply::finished, this, [this, reply, handler] {
        reply->deleteLater();
        Answer a;
        a.reply = reply;
        a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        a.instance = reply->rawHeader("X-WsGate-Instance");
        if (reply->property("tooLarge").toBool())
            a.networkError = tr("its answer is larger than %1 MiB").arg(MaxAnswerBytes >> 20);
        else if (reply->property("timedOut").toBool())
            a.networkError = tr("no answer within %1 s").arg(RequestTimeoutMs / 1000);
        else if (reply->error() == QNetworkReply::SslHandshakeFailedError &&
                 !m_certProblem.isEmpty())
            a.networkError = m_certProblem;
        else if (a.status == 0 && reply->error() != QNetworkReply::NoError)
            a.networkError = reply->errorString();
        if (a.networkError.isEmpty())
            a.body = reply->readAll();
        if (m_running || reply->operation() == QNetworkAccessManager::PostOperation)
            handler(a);
    });
}

void RemoteGateway::setLink(Link link, const QString &problem) {
    if (m_link == link && m_problem == problem)
        return;
    m_link = link;
    m_problem = problem;
    Q_EMIT linkChanged();
}

void RemoteGateway::failed(const Answer &a) {
    if (!m_running)
        return;
    if (a.status == 401 || a.status == 403) {
        setLink(Link::Refused,
                tr("%1 (HTTP %2): check the token").arg(messageOf(a.body)).arg(a.status));
        stop();
        return;
    }
    const QString why = !a.networkError.isEmpty()
                            ? a.networkError
                            : tr("HTTP %1 %2").arg(a.status).arg(messageOf(a.body));
    setLink(Link::Lost, why);
}

bool RemoteGateway::noteInstance(const QByteArray &instance) {
    if (instance.isEmpty() || instance == m_instance)
        return false;
    const bool restart = !m_instance.isEmpty();
    m_instance = instance;
    m_since = 0;
    if (restart) {
        ++m_restarts;
        m_lastIn = m_lastOut = -1;
        Q_EMIT logLines({tr("attached gateway restarted (instance %1): its entries continue "
                            "after #%2")
                             .arg(QString::fromLatin1(instance))
                             .arg(m_ids->lastId())});
    }
    return true;
}

void RemoteGateway::fetchConfig() {
    get(QStringLiteral("/admin/config"), {}, RequestTimeoutMs, [this](const Answer &a) {
        if (a.status != 200)
            return failed(a);
        const QJsonObject o = QJsonDocument::fromJson(a.body).object();
        m_config = o.value(QLatin1String("config")).toObject();
        m_version = o.value(QLatin1String("version")).toString();
        m_configured = true;
        probeAccess();
    });
}

void RemoteGateway::probeAccess() {
    // Without fields a full token gets 400 (entry missing), a read token 403 read_only_token:
    // the check the daemon makes before it reads anything.
    post(QStringLiteral("/admin/replay"), {}, this, [this](const Answer &a) {
        const bool readOnly =
            a.status == 403 && errorCodeOf(a.body) == QLatin1String("read_only_token");
        if (readOnly != m_readOnly) {
            m_readOnly = readOnly;
            Q_EMIT linkChanged();
        }
    });
}

void RemoteGateway::pollTraffic() {
    if (!m_running || m_trafficInFlight)
        return;
    m_trafficInFlight = true;
    const QString query = QStringLiteral("since=%1&max=%2&wait=%3")
                              .arg(m_since)
                              .arg(TrafficBatchEntries)
                              .arg(TrafficWaitSeconds);
    const QByteArray asked = m_instance;
    const quint64 askedSince = m_since;
    get(QStringLiteral("/admin/traffic"), query, TrafficTimeoutMs,
        [this, asked, askedSince](const Answer &a) {
            m_trafficInFlight = false;
            // The first answer names the instance; a new one is a restart. An answer about
            // another instance than the one now shown, or to an older since, is not about these
            // ids: ask again.
            if (a.status == 200) {
                if (a.instance != asked)
                    noteInstance(a.instance);
                if (a.instance != m_instance || askedSince != m_since)
                    return pollTraffic();
            }
            onTraffic(a);
        });
}

void RemoteGateway::onTraffic(const Answer &a) {
    if (a.status == 409 && errorCodeOf(a.body) == QLatin1String("traffic_log_off")) {
        m_noTrafficLog = true;
        if (m_link == Link::Live)
            setLink(Link::Live, messageOf(a.body));
        m_retryTimer.start(NoLogRetryMs);
        return;
    }
    if (a.status != 200) {
        failed(a);
        if (m_running)
            m_retryTimer.start(RetryIntervalMs);
        return;
    }
    if (m_noTrafficLog) {
        m_noTrafficLog = false;
        setLink(m_link, {});
    }
    QVector<TrafficEntry> entries;
    int bad = 0;
    quint64 lastRemote = 0;
    for (const QByteArray &line : a.body.split('\n')) {
        if (line.trimmed().isEmpty())
            continue;
        std::optional<TrafficEntry> entry =
            TrafficEntryJson::fromJson(QJsonDocument::fromJson(line).object());
        if (!entry || entry->id == 0) {
            ++bad;
            continue;
        }
        lastRemote = entry->id;
        entry->id = m_ids->add({nodeKey(), m_instance, lastRemote});
        if (entry->replayOf != 0) // 0 when the book forgot it: no link rather than a wrong one
            entry->replayOf = m_ids->find({nodeKey(), m_instance, entry->replayOf});
        entries.append(std::move(*entry));
    }
    bool nextOk = false;
    const quint64 next = a.reply->rawHeader("X-WsGate-Next-Since").toULongLong(&nextOk);
    if (nextOk)
        m_since = next;
    else if (lastRemote != 0)
        m_since = lastRemote;
    QStringList notes;
    const quint64 skipped = a.reply->rawHeader("X-WsGate-Skipped").toULongLong();
    if (skipped > 0)
        notes << tr("attached gateway: %1 entries were dropped from its ring before the "
                    "console read them")
                     .arg(skipped);
    if (bad > 0)
        notes << tr("attached gateway: %1 traffic entries could not be read").arg(bad);
    if (!notes.isEmpty())
        Q_EMIT logLines(notes);
    if (!entries.isEmpty())
        Q_EMIT entriesArrived(entries);
    pollTraffic(); // the next long poll at once
}

void RemoteGateway::pollSnapshot() {
    if (!m_running || m_snapshotInFlight)
        return;
    m_snapshotInFlight = true;
    get(QStringLiteral("/admin/snapshot"), {}, RequestTimeoutMs, [this](const Answer &a) {
        m_snapshotInFlight = false;
        onSnapshot(a);
    });
}

void RemoteGateway::onSnapshot(const Answer &a) {
    if (a.status != 200)
        return failed(a);
    const QJsonObject o = QJsonDocument::fromJson(a.body).object();
    std::optional<GatewaySnapshot> snapshot =
        AdminApi::snapshotFromJson(o.value(QLatin1String("snapshot")).toObject());
    if (!snapshot)
        return failed({200, {}, {}, nullptr, tr("its snapshot could not be read")});
    if (noteInstance(o.value(QLatin1String("instance")).toString().toLatin1()))
        pollTraffic(); // from since=0 of the new instance, unless a poll is out already
    if (!m_configured)
        fetchConfig();
    EngineSample sample;
    sample.snapshot = std::make_shared<const GatewaySnapshot>(std::move(*snapshot));
    const QJsonObject counters = o.value(QLatin1String("counters")).toObject();
    sample.connections = counters.value(QLatin1String("connections")).toInteger();
    sample.messagesIn = counters.value(QLatin1String("messages_in")).toInteger();
    sample.messagesOut = counters.value(QLatin1String("messages_out")).toInteger();
    sample.queuedMessages = counters.value(QLatin1String("queued_messages")).toInteger();
    sample.phpFailures = counters.value(QLatin1String("php_failures")).toInteger();
    const qint64 elapsedMs = m_rateClock.restart();
    if (m_lastIn >= 0 && elapsedMs > 0) {
        const double in = double(sample.messagesIn - m_lastIn) * 1000.0 / double(elapsedMs);
        const double out = double(sample.messagesOut - m_lastOut) * 1000.0 / double(elapsedMs);
        m_rateIn = RateSmoothing * std::max(0.0, in) + (1 - RateSmoothing) * m_rateIn;
        m_rateOut = RateSmoothing * std::max(0.0, out) + (1 - RateSmoothing) * m_rateOut;
    }
    m_lastIn = sample.messagesIn;
    m_lastOut = sample.messagesOut;
    sample.messagesInPerSec = m_rateIn;
    sample.messagesOutPerSec = m_rateOut;
    const QJsonObject cluster = o.value(QLatin1String("cluster")).toObject();
    sample.cluster = cluster.value(QLatin1String("enabled")).toBool();
    sample.clusterUp = cluster.value(QLatin1String("up")).toBool();
    sample.clusterNodes = cluster.value(QLatin1String("nodes")).toInt();
    QList<Member> members;
    const QString self = cluster.value(QLatin1String("node")).toString();
    for (const QJsonValue &v : cluster.value(QLatin1String("members")).toArray()) {
        if (members.size() >= MaxMembers)
            break;
        const QJsonObject m = v.toObject();
        Member member;
        member.node = m.value(QLatin1String("node")).toString();
        member.adminUrl = QUrl(m.value(QLatin1String("admin_url")).toString());
        if (!member.adminUrl.isValid() ||
            !member.adminUrl.scheme().startsWith(QLatin1String("http")))
            member.adminUrl.clear();
        member.connections = m.value(QLatin1String("connections")).toInteger();
        member.attached = !self.isEmpty() && member.node == self;
        members.append(member);
    }
    if (members != m_members) {
        m_members = members;
        Q_EMIT membersChanged();
    }
    if (m_link != Link::Live)
        setLink(Link::Live, {});
    Q_EMIT sampled(sample);
}

void RemoteGateway::pollFpm() {
    if (!m_running || m_fpmInFlight)
        return;
    m_fpmInFlight = true;
    get(QStringLiteral("/admin/fpm"), {}, RequestTimeoutMs, [this](const Answer &a) {
        m_fpmInFlight = false;
        onFpm(a);
    });
}

void RemoteGateway::onFpm(const Answer &a) {
    if (a.status == 404) { // a daemon older than /admin/fpm: the panel stays empty
        m_fpmTimer.stop();
        return;
    }
    if (a.status != 200)
        return; // the snapshot poll tells about the link
    const QJsonObject o = QJsonDocument::fromJson(a.body).object();
    std::optional<FpmReport> report = FpmReport::fromJson(o.value(QLatin1String("fpm")).toObject());
    if (!report)
        return;
    Q_EMIT fpmSampled(*report);
}

void RemoteGateway::push(Target target, const QByteArray &name, const OutboundMessage &message,
                         QObject *context,
                         std::function<void(const DeliveryResult &, const QString &)> done) {
    if (m_readOnly)
        return done({}, tr("the token of this gateway may only read"));
    QList<std::pair<QByteArray, QByteArray>> fields{{"message", message.payload}};
    if (message.binary)
        fields.emplaceBack("binary", "1");
    QString path = QStringLiteral("/send");
    switch (target) {
    case Target::Client:
        fields.emplaceBack("client_id", name);
        break;
    case Target::User:
        fields.emplaceBack("user", name);
        fields.emplaceBack("wait", "1");
        break;
    case Target::Group:
        fields.emplaceBack("group", name);
        fields.emplaceBack("wait", "1");
        break;
    case Target::Everyone:
        path = QStringLiteral("/broadcast");
        fields.emplaceBack("wait", "1");
        break;
    }
    post(path, formOf(fields), context, [target, done](const Answer &a) {
        DeliveryResult r;
        if (!a.networkError.isEmpty())
            return done(r, a.networkError);
        const QString code = errorCodeOf(a.body);
        if (target == Target::Client) {
            r.matched = a.status == 404 ? 0 : 1;
            r.delivered = a.status == 200 ? 1 : 0;
            r.bufferFull = code == QLatin1String("client_buffer_full") ? 1 : 0;
            if (a.status == 200 || a.status == 404 || r.bufferFull)
                return done(r, {});
            return done(r, messageOf(a.body));
        }
        if (a.status != 200)
            return done(r, tr("HTTP %1 %2").arg(a.status).arg(messageOf(a.body)));
        const QJsonObject o = QJsonDocument::fromJson(a.body).object();
        r.matched = o.value(QLatin1String("matched")).toInt();
        r.delivered = o.value(QLatin1String("delivered")).toInt();
        r.bufferFull = o.value(QLatin1String("buffer_full")).toInt();
        r.nodes = o.value(QLatin1String("nodes")).toInt();
        r.exact = o.value(QLatin1String("exact")).toBool(true);
        done(r, {});
    });
}

void RemoteGateway::closeClient(const QByteArray &clientId, int code, const QString &reason,
                                QObject *context, std::function<void(bool, const QString &)> done) {
    if (m_readOnly)
        return done(false, tr("the token of this gateway may only read"));
    const QByteArray form = formOf(
        {{"client_id", clientId}, {"code", QByteArray::number(code)}, {"reason", reason.toUtf8()}});
    post(QStringLiteral("/close"), form, context, [done](const Answer &a) {
        if (!a.networkError.isEmpty())
            return done(false, a.networkError);
        done(a.status == 200, a.status == 200 || a.status == 404 ? QString() : messageOf(a.body));
    });
}

void RemoteGateway::replay(const ReplayRequest &request, QObject *context,
                           std::function<void(bool, const QString &)> done) {
    if (m_readOnly)
        return done(false, tr("the token of this gateway may only read"));
    if (!request.extraParams.isEmpty())
        return done(false, tr("extra params (an Xdebug trigger) cannot be sent through the "
                              "admin API of an attached gateway"));
    const std::optional<RemoteIdBook::Origin> origin = m_ids->origin(request.entryId);
    if (!origin || origin->node != nodeKey())
        return done(false, tr("#%1 was not logged by %2 (or too long ago): it cannot replay it")
                               .arg(request.entryId)
                               .arg(m_target.url.toDisplayString()));
    if (origin->instance != m_instance)
        return done(false, tr("#%1 was logged before the attached gateway restarted: it can no "
                              "longer replay it")
                               .arg(request.entryId));
    QList<std::pair<QByteArray, QByteArray>> fields{
        {"entry", QByteArray::number(origin->remoteId)},
        {"body_base64", request.body.toBase64()},
        {"binary", request.binary ? "1" : "0"},
        {"apply_control_headers", request.applyControlHeaders ? "1" : "0"}};
    if (request.user)
        fields.emplaceBack("user", request.user->toUtf8());
    if (request.groups)
        fields.emplaceBack("groups", request.groups->join(QLatin1Char(',')).toUtf8());
    post(QStringLiteral("/admin/replay"), formOf(fields), context, [done](const Answer &a) {
        if (!a.networkError.isEmpty())
            return done(false, a.networkError);
        done(a.status == 200, a.status == 200 ? QString() : messageOf(a.body));
    });
}
