#include "noderouter.h"

#include "clientroute.h"
#include "clusterbroker.h"
#include "gateway/gateway.h"

#include <QThread>

#include <memory>

namespace {

const QByteArray ClusterUnavailable = QByteArrayLiteral("cluster_unavailable");

/// Counts answers still to come and adds up the parts; `finish` runs once, with the total.
template <typename Total> struct Gather {
    Total total{};
    int pending = 0;
    std::function<void(const Total &)> finish;
    void done() {
        if (--pending == 0)
            finish(total);
    }
};

} // namespace

NodeRouter::NodeRouter(quint32 nodeTag, QObject *parent)
    : QObject(parent)
    , m_nodeTag(nodeTag & ClientRoute::TagMask) {}

NodeRouter::~NodeRouter() = default;

void NodeRouter::addShard(Gateway *gateway) {
    m_shards.push_back(gateway);
}

void NodeRouter::onShard(int index, std::function<void(Gateway *)> work) {
    Gateway *g = m_shards.at(size_t(index));
    if (g->thread() == QThread::currentThread()) {
        work(g);
        return;
    }
    // The gateway is the context: if it is gone, so is the work.
    QMetaObject::invokeMethod(
        g, [g, work = std::move(work)] { work(g); }, Qt::QueuedConnection);
}

void NodeRouter::answer(std::function<void()> fn) {
    if (thread() == QThread::currentThread()) {
        fn();
        return;
    }
    QMetaObject::invokeMethod(this, std::move(fn), Qt::QueuedConnection);
}

int NodeRouter::localShardOf(const QByteArray &clientId) const {
    const auto route = ClientRoute::of(clientId);
    if (!route || route->nodeTag != m_nodeTag || route->shard >= int(m_shards.size()))
        return -1;
    return route->shard;
}

void NodeRouter::membershipChanged(int shard, bool isGroup, const QString &name, bool present) {
    bool nodeChanged = false;
    {
        QMutexLocker lock(&m_membersMutex);
        QHash<QString, quint64> &index = isGroup ? m_groups : m_users;
        const quint64 bit = quint64(1) << shard;
        quint64 &bits = index[name];
        const bool before = bits != 0;
        bits = present ? bits | bit : bits & ~bit;
        const bool after = bits != 0;
        if (!after)
            index.remove(name);
        nodeChanged = before != after;
    }
    if (!nodeChanged)
        return;
    // The node as a whole got its first member, or lost its last: the cluster's business.
    QPointer<NodeRouter> self(this);
    QMetaObject::invokeMethod(
        this,
        [self, isGroup, name, present] {
            if (self && self->m_broker)
                self->m_broker->setInterest(isGroup, name, present);
        },
        Qt::QueuedConnection);
}

QList<int> NodeRouter::shardsFor(const PushTarget &target) const {
    QList<int> out;
    if (target.kind == PushTarget::Kind::Everyone) {
        for (int i = 0; i < int(m_shards.size()); ++i)
            out << i;
        return out;
    }
    QMutexLocker lock(&m_membersMutex);
    const QHash<QString, quint64> &index =
        target.kind == PushTarget::Kind::User ? m_users : m_groups;
    const quint64 bits = index.value(QString::fromUtf8(target.name));
    for (int i = 0; i < int(m_shards.size()); ++i) {
        if (bits & (quint64(1) << i))
            out << i;
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// This node

void NodeRouter::deliverLocal(const PushTarget &target, const OutboundMessage &m, Done done) {
    if (target.kind == PushTarget::Kind::Client) {
        const int shard = localShardOf(target.name);
        if (shard < 0) {
            done(DeliveryResult{});
            return;
        }
        onShard(shard, [this, target, m, done](Gateway *g) {
            const DeliveryResult r = g->deliverHere(target, m);
            answer([done, r] { done(r); });
        });
        return;
    }
    const QList<int> shards = shardsFor(target);
    if (shards.isEmpty()) {
        done(DeliveryResult{});
        return;
    }
    auto gather = std::make_shared<Gather<DeliveryResult>>();
    gather->pending = int(shards.size());
    gather->finish = done;
    for (int shard : shards) {
        onShard(shard, [this, target, m, gather](Gateway *g) {
            const DeliveryResult r = g->deliverHere(target, m);
            answer([gather, r] {
                gather->total.add(r);
                gather->done();
            });
        });
    }
}

void NodeRouter::clientsLocal(std::function<void(const QList<ClientInfo> &)> done) {
    auto gather = std::make_shared<Gather<QList<ClientInfo>>>();
    gather->pending = int(m_shards.size());
    gather->finish = done;
    for (int i = 0; i < int(m_shards.size()); ++i) {
        onShard(i, [this, gather](Gateway *g) {
            g->clients([this, gather](const QList<ClientInfo> &list) {
                answer([gather, list] {
                    gather->total.append(list);
                    gather->done();
                });
            });
        });
    }
}

void NodeRouter::groupsLocal(std::function<void(const QHash<QString, QList<QByteArray>> &)> done) {
    using Groups = QHash<QString, QList<QByteArray>>;
    auto gather = std::make_shared<Gather<Groups>>();
    gather->pending = int(m_shards.size());
    gather->finish = done;
    for (int i = 0; i < int(m_shards.size()); ++i) {
        onShard(i, [this, gather](Gateway *g) {
            g->groups([this, gather](const Groups &groups) {
                answer([gather, groups] {
                    for (auto it = groups.cbegin(); it != groups.cend(); ++it)
                        gather->total[it.key()].append(it.value());
                    gather->done();
                });
            });
        });
    }
}

// ---------------------------------------------------------------------------------------------
// The whole cluster

void NodeRouter::deliver(const PushTarget &target, const OutboundMessage &m, bool waitForAll,
                         Done done) {
    if (target.kind == PushTarget::Kind::Client) {
        const auto route = ClientRoute::of(target.name);
        if (route && route->nodeTag != m_nodeTag && m_broker) {
            if (!m_broker->isAvailable()) {
                DeliveryResult r;
                r.error = ClusterUnavailable;
                done(r);
                return;
            }
            if (!m_broker->knowsNode(route->nodeTag)) {
                done(DeliveryResult{}); // an unknown or dead node: unknown_client
                return;
            }
            m_broker->deliverToNode(route->nodeTag, target, m, waitForAll, std::move(done));
            return;
        }
        deliverLocal(target, m, std::move(done));
        return;
    }
    if (!m_broker) {
        deliverLocal(target, m, std::move(done));
        return;
    }
    // Here and at the other nodes, in parallel; the answer waits for both parts.
    auto gather = std::make_shared<Gather<DeliveryResult>>();
    gather->pending = 2;
    gather->finish = std::move(done);
    deliverLocal(target, m, [gather](const DeliveryResult &r) {
        gather->total.add(r);
        gather->done();
    });
    if (!m_broker->isAvailable()) {
        DeliveryResult remote;
        remote.exact = false;
        remote.error = ClusterUnavailable;
        gather->total.add(remote);
        gather->done();
        return;
    }
    m_broker->publish(target, m, waitForAll, [gather](const DeliveryResult &r) {
        gather->total.add(r);
        gather->done();
    });
}

void NodeRouter::forOwner(const QByteArray &clientId, std::function<void(Gateway *)> local,
                          std::function<void(quint32 nodeTag)> remote,
                          std::function<void()> nowhere) {
    const int shard = localShardOf(clientId);
    if (shard >= 0) {
        onShard(shard, std::move(local));
        return;
    }
    const auto route = ClientRoute::of(clientId);
    const bool otherNode = route && m_broker && route->nodeTag != m_nodeTag;
    // While Redis is away no node is known: the broker answers cluster_unavailable, as a send
    // does, rather than "unknown client".
    if (!otherNode || (m_broker->isAvailable() && !m_broker->knowsNode(route->nodeTag))) {
        nowhere();
        return;
    }
    remote(route->nodeTag);
}

void NodeRouter::closeClient(const QByteArray &clientId, int code, const QByteArray &reason,
                             Found done) {
    forOwner(
        clientId,
        [this, clientId, code, reason, done](Gateway *g) {
            g->closeClient(clientId, code, reason,
                           [this, done](const ClientLookup &r) { answer([done, r] { done(r); }); });
        },
        [this, clientId, code, reason, done](quint32 tag) {
            m_broker->closeOnNode(tag, clientId, code, reason, done);
        },
        [done] { done({}); });
}

void NodeRouter::setMembership(const QByteArray &clientId, const QString &group, bool join,
                               Found done) {
    forOwner(
        clientId,
        [this, clientId, group, join, done](Gateway *g) {
            g->setMembership(clientId, group, join, [this, done](const ClientLookup &r) {
                answer([done, r] { done(r); });
            });
        },
        [this, clientId, group, join, done](quint32 tag) {
            m_broker->membershipOnNode(tag, clientId, group, join, done);
        },
        [done] { done({}); });
}

void NodeRouter::client(const QByteArray &clientId, Found done) {
    forOwner(
        clientId,
        [this, clientId, done](Gateway *g) {
            g->client(clientId,
                      [this, done](const ClientLookup &r) { answer([done, r] { done(r); }); });
        },
        [this, clientId, done](quint32 tag) { m_broker->clientOnNode(tag, clientId, done); },
        [done] { done({}); });
}

void NodeRouter::clients(std::function<void(const QList<ClientInfo> &)> done) {
    if (!m_broker || !m_broker->isAvailable()) {
        clientsLocal(std::move(done));
        return;
    }
    auto gather = std::make_shared<Gather<QList<ClientInfo>>>();
    gather->pending = 2;
    gather->finish = std::move(done);
    clientsLocal([gather](const QList<ClientInfo> &list) {
        gather->total.append(list);
        gather->done();
    });
    m_broker->gatherClients([gather](const QList<ClientInfo> &list, bool) {
        gather->total.append(list);
        gather->done();
    });
}

void NodeRouter::groups(std::function<void(const QHash<QString, QList<QByteArray>> &)> done) {
    using Groups = QHash<QString, QList<QByteArray>>;
    if (!m_broker || !m_broker->isAvailable()) {
        groupsLocal(std::move(done));
        return;
    }
    auto gather = std::make_shared<Gather<Groups>>();
    gather->pending = 2;
    gather->finish = std::move(done);
    const auto merge = [gather](const Groups &groups) {
        for (auto it = groups.cbegin(); it != groups.cend(); ++it)
            gather->total[it.key()].append(it.value());
        gather->done();
    };
    groupsLocal(merge);
    m_broker->gatherGroups([merge](const Groups &groups, bool) { merge(groups); });
}

// ---------------------------------------------------------------------------------------------
// Console

void NodeRouter::replay(const QByteArray &clientId, const ReplayRequest &replay,
                        std::function<void(bool, const QString &)> done) {
    const int shard = localShardOf(clientId);
    if (shard < 0) {
        done(false, QStringLiteral("client %1 is not connected to this gateway")
                        .arg(QString::fromLatin1(clientId)));
        return;
    }
    onShard(shard, [this, clientId, replay, done](Gateway *g) {
        QString error;
        const bool ok = g->replay(clientId, replay, &error);
        answer([done, ok, error] { done(ok, error); });
    });
}

void NodeRouter::addToNextMessage(const QByteArray &clientId, const PhpParams &params,
                                  std::function<void(bool)> done) {
    const int shard = localShardOf(clientId);
    if (shard < 0) {
        done(false);
        return;
    }
    onShard(shard, [this, clientId, params, done](Gateway *g) {
        const bool found = g->addToNextMessage(clientId, params);
        answer([done, found] { done(found); });
    });
}
