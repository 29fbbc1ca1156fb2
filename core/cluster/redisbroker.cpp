#include "redisbroker.h"

#include "clientroute.h"
#include "noderouter.h"
#include "redislink.h"
#include "version.h"

#include <hiredis/hiredis.h>

#include <QDateTime>
#include <QJsonDocument>

namespace {

constexpr int SweepIntervalMs = 250;
const QByteArray Unavailable = QByteArrayLiteral("cluster_unavailable");
const QByteArray Unreachable = QByteArrayLiteral("node_unreachable");

QByteArray kindName(PushTarget::Kind kind) {
    switch (kind) {
    case PushTarget::Kind::Client:
        return "client";
    case PushTarget::Kind::User:
        return "user";
    case PushTarget::Kind::Group:
        return "group";
    case PushTarget::Kind::Everyone:
        break;
    }
    return "all";
}

PushTarget::Kind kindOf(const QString &name) {
    if (name == QLatin1String("client"))
        return PushTarget::Kind::Client;
    if (name == QLatin1String("user"))
        return PushTarget::Kind::User;
    if (name == QLatin1String("group"))
        return PushTarget::Kind::Group;
    return PushTarget::Kind::Everyone;
}

DeliveryResult unavailable() {
    DeliveryResult r;
    r.exact = false;
    r.error = Unavailable;
    return r;
}

QJsonObject resultJson(const DeliveryResult &r) {
    return {{QStringLiteral("m"), r.matched},
            {QStringLiteral("d"), r.delivered},
            {QStringLiteral("f"), r.bufferFull}};
}

ClientInfo clientFromJson(const QJsonObject &o) {
    ClientInfo c;
    c.id = o.value(QStringLiteral("id")).toString().toLatin1();
    c.peer = o.value(QStringLiteral("peer")).toString();
    c.path = o.value(QStringLiteral("path")).toString();
    c.query = o.value(QStringLiteral("query")).toString();
    c.origin = o.value(QStringLiteral("origin")).toString();
    c.user = o.value(QStringLiteral("user")).toString();
    for (const QJsonValue &g : o.value(QStringLiteral("groups")).toArray())
        c.groups << g.toString();
    c.connectedMs =
        QDateTime::fromString(o.value(QStringLiteral("connected_at")).toString(), Qt::ISODateWithMs)
            .toMSecsSinceEpoch();
    c.messagesIn = qint64(o.value(QStringLiteral("messages_in")).toDouble());
    c.messagesOut = qint64(o.value(QStringLiteral("messages_out")).toDouble());
    c.bytesIn = qint64(o.value(QStringLiteral("bytes_in")).toDouble());
    c.bytesOut = qint64(o.value(QStringLiteral("bytes_out")).toDouble());
    c.queueDepth = o.value(QStringLiteral("queue_depth")).toInt();
    c.queuedBytes = qint64(o.value(QStringLiteral("queued_bytes")).toDouble());
    c.sendBufferBytes = qint64(o.value(QStringLiteral("send_buffer_bytes")).toDouble());
    c.node = o.value(QStringLiteral("node")).toString();
    return c;
}

} // namespace

/// What a node waits for from the others: how many answers, what they add up to, until when.
struct RedisBroker::Request {
    int expected = -1; // -1 until known (the answers may come before PUBLISH's count)
    int received = 0;
    qint64 deadline = 0;
    DeliveryResult result;
    QList<ClientInfo> clients;
    QHash<QString, QList<QByteArray>> groups;
    std::optional<ClientInfo> client;
    bool found = false;
    bool truncated = false;
    std::function<void(Request &)> onAnswer;
    std::function<void(Request &, bool complete)> finish;
    QJsonObject last; // the answer's header
    QByteArray lastPayload;
};

RedisBroker::RedisBroker(const Settings &settings, NodeRouter *router, QObject *parent)
    : ClusterBroker(parent)
    , m_settings(settings)
    , m_router(router)
    , m_commands(new RedisLink(settings.address, QStringLiteral("commands"), this))
    , m_subscriber(new RedisLink(settings.address, QStringLiteral("subscriber"), this)) {
    m_clock.start();
    m_startedMs = QDateTime::currentMSecsSinceEpoch();
    m_subscriber->setMessageHandler([this](const QByteArray &channel, const QByteArray &payload) {
        onMessage(channel, payload);
    });
    // Always: this node's own channel and the one every node hears.
    m_subscriber->subscribe({nodeChannel(settings.nodeId), key("all")});
    for (RedisLink *link : {m_commands, m_subscriber}) {
        connect(link, &RedisLink::up, this, [this] {
            availability();
            heartbeat();
        });
        connect(link, &RedisLink::down, this, [this, link](const QString &reason) {
            Q_EMIT logLine(QStringLiteral("warning"),
                           QStringLiteral("cluster: Redis %1 link down: %2; reconnecting")
                               .arg(link == m_commands ? QStringLiteral("command")
                                                       : QStringLiteral("subscriber"),
                                    reason));
            availability();
        });
    }
    m_heartbeat.setInterval(HeartbeatMs);
    connect(&m_heartbeat, &QTimer::timeout, this, &RedisBroker::heartbeat);
    m_sweep.setInterval(SweepIntervalMs);
    connect(&m_sweep, &QTimer::timeout, this, &RedisBroker::sweep);
}

RedisBroker::~RedisBroker() {
    const auto requests = m_requests.keys();
    for (quint64 id : requests)
        finishRequest(id, false);
}

void RedisBroker::start() {
    m_commands->start();
    m_subscriber->start();
    m_heartbeat.start();
    m_sweep.start();
}

QByteArray RedisBroker::key(const QByteArray &suffix) const {
    return m_settings.clusterName.toUtf8() + ':' + suffix;
}

QByteArray RedisBroker::nodeChannel(const QString &nodeId) const {
    return key("node:" + nodeId.toUtf8());
}

QByteArray RedisBroker::targetChannel(const PushTarget &t) const {
    return t.kind == PushTarget::Kind::Everyone ? key("all") : key(kindName(t.kind) + ':' + t.name);
}

bool RedisBroker::isAvailable() const {
    return m_commands->isUp() && m_subscriber->isUp();
}

void RedisBroker::availability() {
    const bool now = isAvailable();
    if (now == m_available)
        return;
    m_available = now;
    if (!now)
        ++m_outages;
    Q_EMIT logLine(now ? QStringLiteral("info") : QStringLiteral("warning"),
                   now ? QStringLiteral("cluster: connected to Redis %1 as node %2")
                             .arg(m_settings.address.toString(true), m_settings.nodeId)
                       : QStringLiteral("cluster: Redis unavailable: pushes to other nodes "
                                        "answer 503 cluster_unavailable until it is back"));
    Q_EMIT availabilityChanged(now);
}

bool RedisBroker::knowsNode(quint32 tag) const {
    return m_nodes.contains(tag);
}

QJsonArray RedisBroker::nodes() const {
    QJsonArray out;
    QJsonObject self{
        {QStringLiteral("id"), m_settings.nodeId},
        {QStringLiteral("self"), true},
        {QStringLiteral("address"), m_settings.wsUrl},
        {QStringLiteral("push"), m_settings.pushUrl},
        {QStringLiteral("admin"), adminUrlJson()},
        {QStringLiteral("version"), QStringLiteral(WSGATE_VERSION)},
        {QStringLiteral("connections"), double(m_connectionCount ? m_connectionCount() : 0)},
        {QStringLiteral("started"),
         QDateTime::fromMSecsSinceEpoch(m_startedMs).toUTC().toString(Qt::ISODate)}};
    out.append(self);
    for (const Node &n : m_nodes)
        out.append(n.info);
    return out;
}

QJsonObject RedisBroker::health() const {
    QJsonObject o{
        {QStringLiteral("state"), isAvailable() ? QStringLiteral("up") : QStringLiteral("down")},
        {QStringLiteral("node"), m_settings.nodeId},
        {QStringLiteral("nodes"), int(m_nodes.size()) + 1}};
    if (!isAvailable())
        o.insert(QStringLiteral("error"),
                 m_commands->isUp() ? m_subscriber->lastError() : m_commands->lastError());
    return o;
}

// ---------------------------------------------------------------------------------------------
// Sending and awaiting

void RedisBroker::send(const QByteArray &channel, const QJsonObject &header,
                       const QByteArray &payload, std::function<void(int)> published) {
    const QByteArray message =
        QJsonDocument(header).toJson(QJsonDocument::Compact) + '\n' + payload;
    const bool taken =
        m_commands->command({"PUBLISH", channel, message}, [published](const redisReply *r) {
            if (published)
                published(r && r->type == REDIS_REPLY_INTEGER ? int(r->integer) : -1);
        });
    if (taken) {
        ++m_published;
    } else {
        ++m_refused;
        if (published)
            published(-1);
    }
}

void RedisBroker::reply(const QString &toNode, QJsonObject header) {
    header.insert(QStringLiteral("o"), m_settings.nodeId);
    send(nodeChannel(toNode), header, {}, nullptr);
}

quint64 RedisBroker::await(int expected, std::function<void(Request &)> onAnswer,
                           std::function<void(Request &, bool)> finish) {
    const quint64 id = m_nextRequest++;
    auto r = std::make_shared<Request>();
    r->expected = expected;
    r->deadline = m_clock.elapsed() + GatherTimeoutMs;
    r->onAnswer = std::move(onAnswer);
    r->finish = std::move(finish);
    m_requests.insert(id, r);
    return id;
}

void RedisBroker::finishRequest(quint64 id, bool complete) {
    const std::shared_ptr<Request> r = m_requests.take(id);
    if (!r)
        return;
    if (!complete)
        ++m_gatherTimeouts;
    if (r->finish)
        r->finish(*r, complete);
}

void RedisBroker::addDeliveryAnswer(Request &r) {
    r.result.matched += r.last.value(QStringLiteral("m")).toInt();
    r.result.delivered += r.last.value(QStringLiteral("d")).toInt();
    r.result.bufferFull += r.last.value(QStringLiteral("f")).toInt();
}

QByteArray RedisBroker::notAnswered() const {
    return isAvailable() ? Unreachable : Unavailable;
}

std::function<void(int)>
RedisBroker::failUnlessHeard(quint64 id, std::function<void(const QByteArray &)> fail) {
    return [this, id, fail](int subscribers) {
        // Nobody will answer, and the client is not known to be gone: Redis refused the
        // message, or nobody listens on a node the registry still has (its subscriber link
        // reconnecting, or dead less than NodeTimeoutMs ago). Told to try again, not "unknown".
        if (subscribers > 0 || !m_requests.remove(id))
            return;
        if (subscribers == 0)
            ++m_unreachable;
        fail(subscribers == 0 ? Unreachable : Unavailable);
    };
}

std::function<void(int)> RedisBroker::expectEveryOtherNode(quint64 id) {
    return [this, id](int subscribers) {
        const auto it = m_requests.constFind(id);
        if (it == m_requests.constEnd())
            return;
        if (subscribers < 0)
            return finishRequest(id, false);
        (*it)->expected = std::max(0, subscribers - 1); // every subscriber but this node
        if ((*it)->received >= (*it)->expected)
            finishRequest(id, true);
    };
}

void RedisBroker::answered(quint64 id, const QJsonObject &header, const QByteArray &payload) {
    const auto it = m_requests.constFind(id);
    if (it == m_requests.constEnd())
        return; // too late: already answered without it
    const std::shared_ptr<Request> r = *it;
    r->last = header;
    r->lastPayload = payload;
    ++r->received;
    if (r->onAnswer)
        r->onAnswer(*r);
    if (r->expected >= 0 && r->received >= r->expected)
        finishRequest(id, true);
}

// ---------------------------------------------------------------------------------------------
// Remote work

void RedisBroker::publish(const PushTarget &target, const OutboundMessage &m, bool waitForAll,
                          Delivery::Done done) {
    if (!isAvailable()) {
        ++m_refused;
        done(unavailable());
        return;
    }
    const QByteArray channel = targetChannel(target);
    quint64 id = 0;
    if (waitForAll) {
        id = await(-1, addDeliveryAnswer, [done](Request &r, bool complete) {
            r.result.exact = complete;
            done(r.result);
        });
    }
    QJsonObject header{{QStringLiteral("t"), QStringLiteral("push")},
                       {QStringLiteral("k"), QString::fromLatin1(kindName(target.kind))},
                       {QStringLiteral("n"), QString::fromUtf8(target.name)},
                       {QStringLiteral("b"), m.binary},
                       {QStringLiteral("o"), m_settings.nodeId},
                       {QStringLiteral("r"), double(id)}};
    // Our own subscription hears it too (and skips it): the other nodes are one fewer.
    const bool selfListens = m_subscriber->isSubscribed(channel);
    send(channel, header, m.payload, [this, id, done, selfListens](int subscribers) {
        if (subscribers < 0) {
            if (id)
                m_requests.remove(id);
            done(unavailable());
            return;
        }
        const int nodes = std::max(0, subscribers - (selfListens ? 1 : 0));
        if (!id) {
            DeliveryResult r;
            r.nodes = nodes;
            r.exact = nodes == 0;
            done(r);
            return;
        }
        const auto it = m_requests.constFind(id);
        if (it == m_requests.constEnd())
            return;
        (*it)->expected = nodes;
        (*it)->result.nodes = nodes;
        if ((*it)->received >= nodes)
            finishRequest(id, true);
    });
}

void RedisBroker::deliverToNode(quint32 tag, const PushTarget &target, const OutboundMessage &m,
                                bool, Delivery::Done done) {
    const auto node = m_nodes.constFind(tag);
    if (!isAvailable() || node == m_nodes.constEnd()) {
        if (!isAvailable())
            ++m_refused;
        done(isAvailable() ? DeliveryResult{} : unavailable());
        return;
    }
    // One client: always wait for its node's answer, so that an unknown id is a 404.
    const quint64 id = await(1, addDeliveryAnswer, [this, done](Request &r, bool complete) {
        r.result.nodes = 1;
        r.result.exact = complete;
        if (!complete) // heard, perhaps delivered, but not known to be: the sender decides
            r.result.error = notAnswered();
        done(r.result);
    });
    const QJsonObject header{{QStringLiteral("t"), QStringLiteral("push")},
                             {QStringLiteral("k"), QStringLiteral("client")},
                             {QStringLiteral("n"), QString::fromLatin1(target.name)},
                             {QStringLiteral("b"), m.binary},
                             {QStringLiteral("o"), m_settings.nodeId},
                             {QStringLiteral("r"), double(id)}};
    send(nodeChannel(node->id), header, m.payload, failUnlessHeard(id, [done](const QByteArray &e) {
             DeliveryResult r = unavailable();
             r.nodes = 1;
             r.error = e;
             done(r);
         }));
}

void RedisBroker::readFound(Request &r) {
    r.found = r.last.value(QStringLiteral("f")).toBool();
}

ClientLookup RedisBroker::foundOf(const Request &r) {
    return ClientLookup{r.found};
}

void RedisBroker::askNode(quint32 tag, QJsonObject question,
                          std::function<void(Request &)> onAnswer,
                          std::function<ClientLookup(const Request &)> answer,
                          Delivery::Found done) {
    const auto node = m_nodes.constFind(tag);
    if (!isAvailable() || node == m_nodes.constEnd()) {
        done(ClientLookup{false, isAvailable() ? QByteArray() : Unavailable});
        return;
    }
    const quint64 id =
        await(1, std::move(onAnswer), [this, answer, done](Request &r, bool complete) {
            done(complete ? answer(r) : ClientLookup{false, notAnswered()});
        });
    question.insert(QStringLiteral("o"), m_settings.nodeId);
    question.insert(QStringLiteral("r"), double(id));
    send(nodeChannel(node->id), question, {}, failUnlessHeard(id, [done](const QByteArray &e) {
             done(ClientLookup{false, e});
         }));
}

void RedisBroker::closeOnNode(quint32 tag, const QByteArray &clientId, int code,
                              const QByteArray &reason, Delivery::Found done) {
    askNode(tag,
            {{QStringLiteral("t"), QStringLiteral("close")},
             {QStringLiteral("n"), QString::fromLatin1(clientId)},
             {QStringLiteral("c"), code},
             {QStringLiteral("s"), QString::fromUtf8(reason)}},
            readFound, foundOf, std::move(done));
}

void RedisBroker::membershipOnNode(quint32 tag, const QByteArray &clientId, const QString &group,
                                   bool join, Delivery::Found done) {
    askNode(tag,
            {{QStringLiteral("t"), QStringLiteral("member")},
             {QStringLiteral("n"), QString::fromLatin1(clientId)},
             {QStringLiteral("g"), group},
             {QStringLiteral("j"), join}},
            readFound, foundOf, std::move(done));
}

void RedisBroker::clientOnNode(quint32 tag, const QByteArray &clientId, Delivery::Found done) {
    askNode(
        tag,
        {{QStringLiteral("t"), QStringLiteral("client")},
         {QStringLiteral("n"), QString::fromLatin1(clientId)}},
        [](Request &r) {
            const QJsonValue c = r.last.value(QStringLiteral("c"));
            if (c.isObject())
                r.client = clientFromJson(c.toObject());
        },
        [](const Request &r) {
            return ClientLookup{r.client.has_value(), {}, r.client};
        },
        std::move(done));
}

void RedisBroker::gatherClients(std::function<void(const QList<ClientInfo> &, bool)> done) {
    if (!isAvailable()) {
        done({}, false);
        return;
    }
    const quint64 id = await(
        -1,
        [](Request &r) {
            for (const QJsonValue &v : r.last.value(QStringLiteral("l")).toArray())
                r.clients.append(clientFromJson(v.toObject()));
            r.truncated = r.truncated || r.last.value(QStringLiteral("x")).toBool();
        },
        [done](Request &r, bool complete) { done(r.clients, complete && !r.truncated); });
    send(key("all"),
         {{QStringLiteral("t"), QStringLiteral("clients")},
          {QStringLiteral("o"), m_settings.nodeId},
          {QStringLiteral("r"), double(id)}},
         {}, expectEveryOtherNode(id));
}

void RedisBroker::gatherGroups(
    std::function<void(const QHash<QString, QList<QByteArray>> &, bool)> done) {
    if (!isAvailable()) {
        done({}, false);
        return;
    }
    const quint64 id = await(
        -1,
        [](Request &r) {
            const QJsonObject g = r.last.value(QStringLiteral("g")).toObject();
            for (auto it = g.constBegin(); it != g.constEnd(); ++it) {
                for (const QJsonValue &member : it.value().toArray())
                    r.groups[it.key()].append(member.toString().toLatin1());
            }
        },
        [done](Request &r, bool complete) { done(r.groups, complete); });
    send(key("all"),
         {{QStringLiteral("t"), QStringLiteral("groups")},
          {QStringLiteral("o"), m_settings.nodeId},
          {QStringLiteral("r"), double(id)}},
         {}, expectEveryOtherNode(id));
}

// ---------------------------------------------------------------------------------------------
// What other nodes ask of this one

void RedisBroker::onMessage(const QByteArray &channel, const QByteArray &message) {
    Q_UNUSED(channel);
    ++m_received;
    const qsizetype nl = message.indexOf('\n');
    if (nl < 0)
        return;
    const QJsonObject header = QJsonDocument::fromJson(message.left(nl)).object();
    const QByteArray payload = message.mid(nl + 1);
    if (header.value(QStringLiteral("o")).toString() == m_settings.nodeId)
        return; // our own publish, heard on our own subscription: delivered here already
    const QString type = header.value(QStringLiteral("t")).toString();
    const quint64 request = quint64(header.value(QStringLiteral("r")).toDouble());
    if (type == QLatin1String("ack") || type == QLatin1String("found") ||
        type == QLatin1String("info") || type == QLatin1String("list")) {
        answered(request, header, payload);
        return;
    }
    onCommand(header, payload);
}

void RedisBroker::onCommand(const QJsonObject &h, const QByteArray &payload) {
    const QString type = h.value(QStringLiteral("t")).toString();
    const QString origin = h.value(QStringLiteral("o")).toString();
    const double request = h.value(QStringLiteral("r")).toDouble();
    const QByteArray name = h.value(QStringLiteral("n")).toString().toUtf8();
    if (type == QLatin1String("push")) {
        const PushTarget target{kindOf(h.value(QStringLiteral("k")).toString()), name};
        const OutboundMessage m{payload, h.value(QStringLiteral("b")).toBool()};
        m_router->deliverLocal(target, m, [this, origin, request](const DeliveryResult &r) {
            if (request == 0)
                return;
            QJsonObject a = resultJson(r);
            a.insert(QStringLiteral("t"), QStringLiteral("ack"));
            a.insert(QStringLiteral("r"), request);
            reply(origin, a);
        });
    } else if (type == QLatin1String("close")) {
        m_router->closeClient(name, h.value(QStringLiteral("c")).toInt(),
                              h.value(QStringLiteral("s")).toString().toUtf8(),
                              [this, origin, request](const ClientLookup &r) {
                                  reply(origin, {{QStringLiteral("t"), QStringLiteral("found")},
                                                 {QStringLiteral("r"), request},
                                                 {QStringLiteral("f"), r.found}});
                              });
    } else if (type == QLatin1String("member")) {
        m_router->setMembership(name, h.value(QStringLiteral("g")).toString(),
                                h.value(QStringLiteral("j")).toBool(),
                                [this, origin, request](const ClientLookup &r) {
                                    reply(origin, {{QStringLiteral("t"), QStringLiteral("found")},
                                                   {QStringLiteral("r"), request},
                                                   {QStringLiteral("f"), r.found}});
                                });
    } else if (type == QLatin1String("client")) {
        m_router->client(name, [this, origin, request](const ClientLookup &l) {
            const std::optional<ClientInfo> &c = l.info;
            QJsonObject info;
            if (c) {
                info = c->toJson();
                info.insert(QStringLiteral("node"), m_settings.nodeId);
            }
            reply(origin, {{QStringLiteral("t"), QStringLiteral("info")},
                           {QStringLiteral("r"), request},
                           {QStringLiteral("c"), c ? QJsonValue(info) : QJsonValue()}});
        });
    } else if (type == QLatin1String("clients")) {
        m_router->clientsLocal([this, origin, request](const QList<ClientInfo> &list) {
            QJsonArray l;
            for (const ClientInfo &c : list) {
                if (l.size() >= MaxClientsPerAnswer)
                    break;
                QJsonObject o = c.toJson();
                o.insert(QStringLiteral("node"), m_settings.nodeId);
                l.append(o);
            }
            reply(origin, {{QStringLiteral("t"), QStringLiteral("list")},
                           {QStringLiteral("r"), request},
                           {QStringLiteral("l"), l},
                           {QStringLiteral("x"), list.size() > MaxClientsPerAnswer}});
        });
    } else if (type == QLatin1String("left")) {
        forgetNode(origin, qint64(h.value(QStringLiteral("h")).toDouble()));
    } else if (type == QLatin1String("groups")) {
        m_router->groupsLocal([this, origin, request](const QHash<QString, QList<QByteArray>> &g) {
            QJsonObject groups;
            for (auto it = g.cbegin(); it != g.cend(); ++it) {
                QJsonArray members;
                for (const QByteArray &id : it.value())
                    members.append(QString::fromLatin1(id));
                groups.insert(it.key(), members);
            }
            reply(origin, {{QStringLiteral("t"), QStringLiteral("list")},
                           {QStringLiteral("r"), request},
                           {QStringLiteral("g"), groups}});
        });
    }
}

void RedisBroker::sweep() {
    const qint64 now = m_clock.elapsed();
    QList<quint64> expired;
    for (auto it = m_requests.cbegin(); it != m_requests.cend(); ++it) {
        if (it.value()->deadline <= now)
            expired << it.key();
    }
    for (quint64 id : expired)
        finishRequest(id, false);
    if (!m_toUnsubscribe.isEmpty())
        flushSubscriptions();
    if (!isAvailable()) {
        // Nothing waits for a cluster that is away: what was pending ends now.
        const auto pending = m_requests.keys();
        for (quint64 id : pending)
            finishRequest(id, false);
    }
}
