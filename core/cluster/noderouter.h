#pragma once

#include "clusterbroker.h"
#include "gateway/delivery.h"
#include "gateway/phpbridge.h"
#include "php/phprequest.h"

#include <QHash>
#include <QMutex>
#include <QObject>
#include <QPointer>

#include <functional>
#include <vector>

class Gateway;

/// Delivery for a whole node: its engine threads (each a Gateway of its own, on its own
/// thread) and, with --cluster, the other nodes through the broker. A thread is a local node:
/// client ids name it, a push to a client goes to that thread only, a push to a user or group
/// goes only to the threads (and nodes) that have members, and answers are gathered. Lives on
/// the engine's thread; every call and answer is made there.
class NodeRouter final : public QObject, public Delivery {
    Q_OBJECT
public:
    NodeRouter(quint32 nodeTag, QObject *parent = nullptr);
    ~NodeRouter() override;

    /// The next engine thread's gateway (shard index = order of addition). Call before use.
    void addShard(Gateway *gateway);
    int shardCount() const { return int(m_shards.size()); }
    Gateway *shard(int index) const { return m_shards.at(size_t(index)); }
    /// The other nodes; null: this node is the whole service.
    void setBroker(ClusterBroker *broker) { m_broker = broker; }
    ClusterBroker *broker() const { return m_broker; }
    quint32 nodeTag() const { return m_nodeTag; }

    /// What a thread's registry reports (on that thread): a user or group got its first
    /// member there, or lost its last. Thread-safe.
    void membershipChanged(int shard, bool isGroup, const QString &name, bool present);

    // Delivery: the whole cluster
    void deliver(const PushTarget &target, const OutboundMessage &message, bool waitForAll,
                 Done done) override;
    void closeClient(const QByteArray &clientId, int code, const QByteArray &reason,
                     Found done) override;
    void setMembership(const QByteArray &clientId, const QString &group, bool join,
                       Found done) override;
    void clients(std::function<void(const QList<ClientInfo> &)> done) override;
    void client(const QByteArray &clientId, Found done) override;
    void groups(std::function<void(const QHash<QString, QList<QByteArray>> &)> done) override;

    // This node only (what the broker runs for other nodes)
    void deliverLocal(const PushTarget &target, const OutboundMessage &message, Done done);
    void clientsLocal(std::function<void(const QList<ClientInfo> &)> done);
    void groupsLocal(std::function<void(const QHash<QString, QList<QByteArray>> &)> done);

    /// Console replay and "debug next message", routed to the client's thread.
    void replay(const QByteArray &clientId, const ReplayRequest &replay,
                std::function<void(bool ok, const QString &error)> done);
    void addToNextMessage(const QByteArray &clientId, const PhpParams &params,
                          std::function<void(bool found)> done);

private:
    /// Runs `work` with shard `index`'s gateway on its thread.
    void onShard(int index, std::function<void(Gateway *)> work);
    /// Answers on this object's thread (now, if already on it).
    void answer(std::function<void()> fn);
    /// The local shard a client id names, or -1 (another node, or not an id of ours).
    int localShardOf(const QByteArray &clientId) const;
    /// Where a client lives: `local` on its shard's thread, `remote` with the node that holds
    /// it, or `nowhere` (not an id of ours, or a node the cluster does not know).
    void forOwner(const QByteArray &clientId, std::function<void(Gateway *)> local,
                  std::function<void(quint32 nodeTag)> remote, std::function<void()> nowhere);
    /// Shards with members of a user or group; all shards for everyone.
    QList<int> shardsFor(const PushTarget &target) const;

    quint32 m_nodeTag;
    std::vector<Gateway *> m_shards; // not owned
    QPointer<ClusterBroker> m_broker;
    mutable QMutex m_membersMutex;
    QHash<QString, quint64> m_users;  // user → bit per shard with members
    QHash<QString, quint64> m_groups; // group → bit per shard with members
};
