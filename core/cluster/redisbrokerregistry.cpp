// RedisBroker, the part that keeps state with Redis: which user and group channels this node
// listens on, its heartbeat in the node registry and the dead nodes it drops, metrics.

#include "redisbroker.h"

#include "noderouter.h"
#include "redislink.h"
#include "version.h"

#include <hiredis/hiredis.h>

#include <algorithm>

#include <QDateTime>
#include <QJsonDocument>

void RedisBroker::setInterest(bool isGroup, const QString &name, bool present) {
    const QByteArray channel = key((isGroup ? "group:" : "user:") + name.toUtf8());
    if (present) {
        if (!m_toUnsubscribe.remove(channel))
            m_toSubscribe.insert(channel);
    } else {
        m_toSubscribe.remove(channel);
        if (m_subscriber->isSubscribed(channel))
            m_toUnsubscribe.insert(channel, m_clock.elapsed() + UnsubscribeDelayMs);
    }
    if (!m_flushScheduled && !m_toSubscribe.isEmpty()) {
        // Batched: the members a burst of connections brings are one SUBSCRIBE.
        m_flushScheduled = true;
        QMetaObject::invokeMethod(this, &RedisBroker::flushSubscriptions, Qt::QueuedConnection);
    }
}

void RedisBroker::flushSubscriptions() {
    m_flushScheduled = false;
    if (!m_toSubscribe.isEmpty()) {
        m_subscriber->subscribe(QList<QByteArray>(m_toSubscribe.begin(), m_toSubscribe.end()));
        m_toSubscribe.clear();
    }
    QList<QByteArray> due;
    const qint64 now = m_clock.elapsed();
    for (auto it = m_toUnsubscribe.begin(); it != m_toUnsubscribe.end();) {
        if (it.value() <= now) {
            due.append(it.key());
            it = m_toUnsubscribe.erase(it);
        } else {
            ++it;
        }
    }
    if (!due.isEmpty())
        m_subscriber->unsubscribe(due);
}

QJsonValue RedisBroker::adminUrlJson() const {
    return m_settings.adminUrl.isEmpty() ? QJsonValue(QJsonValue::Null)
                                         : QJsonValue(m_settings.adminUrl);
}

void RedisBroker::heartbeat() {
    // Registered only while both links are up: a node in the registry hears its own channel.
    if (!isAvailable() || m_left)
        return;
    // Scores are Redis's own time: the machines' clocks need not agree.
    m_commands->command({"TIME"}, [this](const redisReply *r) {
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 || m_left)
            return; // (left since it asked: no heartbeat after ZREM)
        const qint64 nowMs = QByteArray(r->element[0]->str).toLongLong() * 1000 +
                             QByteArray(r->element[1]->str).toLongLong() / 1000;
        const QJsonObject info{
            {QStringLiteral("id"), m_settings.nodeId},
            {QStringLiteral("tag"), double(m_settings.nodeTag)},
            {QStringLiteral("address"), m_settings.wsUrl},
            {QStringLiteral("push"), m_settings.pushUrl},
            {QStringLiteral("admin"), adminUrlJson()},
            {QStringLiteral("version"), QStringLiteral(WSGATE_VERSION)},
            {QStringLiteral("connections"), double(m_connectionCount ? m_connectionCount() : 0)},
            {QStringLiteral("started"),
             QDateTime::fromMSecsSinceEpoch(m_startedMs).toUTC().toString(Qt::ISODate)}};
        const QByteArray id = m_settings.nodeId.toUtf8();
        m_lastHeartbeatMs = nowMs;
        m_commands->command({"ZADD", key("nodes"), QByteArray::number(nowMs), id}, nullptr);
        m_commands->command(
            {"HSET", key("nodeinfo"), id, QJsonDocument(info).toJson(QJsonDocument::Compact)},
            nullptr);
        const QByteArray oldest = QByteArray::number(nowMs - NodeTimeoutMs);
        const QByteArray maxNodes = QByteArray::number(MaxNodes);
        // Dead nodes leave the registry; the live ones are what routing knows.
        m_commands->command(
            {"ZRANGEBYSCORE", key("nodes"), "-inf", "(" + oldest, "LIMIT", "0", maxNodes},
            [this](const redisReply *dead) {
                if (!dead || dead->type != REDIS_REPLY_ARRAY || dead->elements == 0)
                    return;
                QList<QByteArray> zrem{"ZREM", key("nodes")};
                QList<QByteArray> hdel{"HDEL", key("nodeinfo")};
                for (size_t i = 0; i < dead->elements; ++i) {
                    const QByteArray id(dead->element[i]->str, qsizetype(dead->element[i]->len));
                    zrem << id;
                    hdel << id;
                }
                m_commands->command(zrem, nullptr);
                m_commands->command(hdel, nullptr);
            });
        m_commands->command(
            // the freshest first, should there be more than MaxNodes
            {"ZREVRANGEBYSCORE", key("nodes"), "+inf", oldest, "WITHSCORES", "LIMIT", "0",
             maxNodes},
            [this, nowMs](const redisReply *live) {
                if (!live || live->type != REDIS_REPLY_ARRAY)
                    return;
                const bool full = live->elements >= 2 * size_t(MaxNodes);
                if (full && !m_registryFull)
                    Q_EMIT logLine(QStringLiteral("warning"),
                                   QStringLiteral("cluster: the registry holds %1 live nodes or "
                                                  "more; routing knows %1 of them")
                                       .arg(MaxNodes));
                m_registryFull = full;
                QList<QByteArray> args{"HMGET", key("nodeinfo")};
                QList<qint64> beats; // each node's last heartbeat, Redis's clock
                for (size_t i = 0; i + 1 < live->elements; i += 2) {
                    args << QByteArray(live->element[i]->str, qsizetype(live->element[i]->len));
                    beats << QByteArray(live->element[i + 1]->str).toLongLong();
                }
                if (args.size() == 2) {
                    keepRecentNodes({}, nowMs);
                    return;
                }
                m_commands->command(args, [this, beats, nowMs](const redisReply *infos) {
                    if (!infos || infos->type != REDIS_REPLY_ARRAY)
                        return;
                    QHash<quint32, Node> nodes;
                    for (size_t i = 0; i < infos->elements && i < size_t(beats.size()); ++i) {
                        const redisReply *e = infos->element[i];
                        if (e->type != REDIS_REPLY_STRING)
                            continue;
                        const QJsonObject o =
                            QJsonDocument::fromJson(QByteArray(e->str, qsizetype(e->len))).object();
                        const QString id = o.value(QStringLiteral("id")).toString();
                        if (id.isEmpty() || id == m_settings.nodeId)
                            continue;
                        const quint32 tag = quint32(o.value(QStringLiteral("tag")).toDouble());
                        nodes.insert(tag, Node{id, o, beats.at(qsizetype(i))});
                    }
                    keepRecentNodes(std::move(nodes), nowMs);
                });
            });
    });
}

void RedisBroker::keepRecentNodes(QHash<quint32, Node> read, qint64 nowMs) {
    const qint64 local = m_clock.elapsed();
    for (auto it = m_leftNodes.begin(); it != m_leftNodes.end();)
        it = it->untilMs < local ? m_leftNodes.erase(it) : std::next(it);
    const auto leftSince = [this](const Node &n) {
        const auto left = m_leftNodes.constFind(n.id);
        return left != m_leftNodes.cend() && n.heartbeatMs <= left->heartbeatMs;
    };
    for (auto it = read.begin(); it != read.end();) {
        if (leftSince(*it)) { // read before its goodbye reached Redis
            it = read.erase(it);
        } else {
            it->readMs = local;
            ++it;
        }
    }
    // A node the read misses but seen inside the timeout stays: after Redis restarts empty,
    // the registry fills again one heartbeat at a time, and a push to a node that has not
    // re-registered yet is not a push to an unknown client. Both clocks bound it (a Redis
    // failed over to a machine whose clock is behind must not keep dead nodes longer).
    for (auto it = m_nodes.cbegin(); it != m_nodes.cend(); ++it) {
        // (a node that left is out of m_nodes already: forgetNode, and the filter above)
        if (read.contains(it.key()) || it->heartbeatMs < nowMs - NodeTimeoutMs ||
            local - it->readMs > NodeTimeoutMs)
            continue;
        const bool sameNodeNewTag =
            std::any_of(read.cbegin(), read.cend(), [&](const Node &n) { return n.id == it->id; });
        if (!sameNodeNewTag)
            read.insert(it.key(), *it);
    }
    m_nodes = std::move(read);
    Q_EMIT nodeCountChanged(int(m_nodes.size()) + 1);
}

void RedisBroker::forgetNode(const QString &nodeId, qint64 lastHeartbeatMs) {
    const auto before = m_nodes.size();
    for (auto it = m_nodes.begin(); it != m_nodes.end();)
        it = it->id == nodeId ? m_nodes.erase(it) : std::next(it);
    if (m_nodes.size() == before)
        return; // not one we knew: m_leftNodes holds only nodes that were in m_nodes
    m_leftNodes.insert(nodeId, LeftNode{lastHeartbeatMs, m_clock.elapsed() + NodeTimeoutMs});
    Q_EMIT nodeCountChanged(int(m_nodes.size()) + 1);
}

void RedisBroker::leave(std::function<void()> done) {
    m_left = true;
    m_heartbeat.stop();
    // Disconnected and told from the event loop, not from inside hiredis's reply callback.
    const auto finish = [this, done] {
        QMetaObject::invokeMethod(
            this,
            [this, done] {
                m_sweep.stop();
                m_commands->stop();
                m_subscriber->stop();
                const auto pending = m_requests.keys();
                for (quint64 request : pending)
                    finishRequest(request, false);
                done();
            },
            Qt::QueuedConnection);
    };
    const QByteArray id = m_settings.nodeId.toUtf8();
    // Said on the channel every node hears, or a node that still remembers our last heartbeat
    // would keep us for up to NodeTimeoutMs (see keepRecentNodes).
    send(key("all"),
         {{QStringLiteral("t"), QStringLiteral("left")},
          {QStringLiteral("o"), m_settings.nodeId},
          {QStringLiteral("h"), double(m_lastHeartbeatMs)}},
         {}, nullptr);
    // Redis answers in order, so HDEL's answer means both were done.
    if (!m_commands->command({"ZREM", key("nodes"), id}, nullptr) ||
        !m_commands->command({"HDEL", key("nodeinfo"), id},
                             [finish](const redisReply *) { finish(); }))
        finish();
}

void RedisBroker::appendPrometheus(QByteArray &out) const {
    const auto metric = [&out](const char *name, const char *type, const char *help, qint64 v) {
        out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n' +
               name + ' ' + QByteArray::number(v) + '\n';
    };
    metric("wsgate_cluster_up", "gauge", "1 while the cluster's Redis is reachable.",
           isAvailable() ? 1 : 0);
    metric("wsgate_cluster_nodes", "gauge", "Live nodes in the registry, this one included.",
           m_nodes.size() + 1);
    metric("wsgate_cluster_published_total", "counter", "Messages published to Redis.",
           m_published.load());
    metric("wsgate_cluster_received_total", "counter", "Messages received from Redis.",
           m_received.load());
    metric("wsgate_cluster_refused_total", "counter",
           "Remote work refused at once: Redis unavailable or its queue bound reached.",
           m_refused.load());
    metric("wsgate_cluster_gather_timeouts_total", "counter",
           "Answers from other nodes that did not all come in time.", m_gatherTimeouts.load());
    metric("wsgate_cluster_unreachable_total", "counter",
           "Sends to a client whose node is registered but was not listening (503).",
           m_unreachable.load());
    metric("wsgate_cluster_outages_total", "counter", "Times Redis became unavailable.",
           m_outages.load());
}
