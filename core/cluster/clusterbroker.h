#pragma once

#include "gateway/delivery.h"

#include <QJsonArray>
#include <QObject>

#include <functional>
#include <optional>

/// What a node asks of the other nodes of its cluster; implemented over Redis (RedisBroker).
/// Calls and answers are on the broker's thread (the engine's). Nothing waits without bound:
/// every gathered answer has a timeout, and while the cluster is unavailable remote work
/// fails at once.
class ClusterBroker : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    ~ClusterBroker() override = default;

    /// Connected and subscribed: remote work can be attempted.
    virtual bool isAvailable() const = 0;
    /// A live node has this tag (from the registry).
    virtual bool knowsNode(quint32 nodeTag) const = 0;

    /// A push to one client of another node, on that node's own channel (which keeps order).
    virtual void deliverToNode(quint32 nodeTag, const PushTarget &target,
                               const OutboundMessage &message, bool waitForAll,
                               Delivery::Done done) = 0;
    /// A push to a user, a group or everyone, to every other node with members; `done` gets
    /// the number of nodes reached, and with `waitForAll` their exact counts.
    virtual void publish(const PushTarget &target, const OutboundMessage &message, bool waitForAll,
                         Delivery::Done done) = 0;
    virtual void closeOnNode(quint32 nodeTag, const QByteArray &clientId, int code,
                             const QByteArray &reason, Delivery::Found done) = 0;
    virtual void membershipOnNode(quint32 nodeTag, const QByteArray &clientId, const QString &group,
                                  bool join, Delivery::Found done) = 0;
    virtual void clientOnNode(quint32 nodeTag, const QByteArray &clientId,
                              Delivery::Found done) = 0;
    /// Every other live node's clients / groups (bounded scatter/gather).
    virtual void
    gatherClients(std::function<void(const QList<ClientInfo> &, bool complete)> done) = 0;
    virtual void gatherGroups(
        std::function<void(const QHash<QString, QList<QByteArray>> &, bool complete)> done) = 0;

    /// This node got its first local member of a user or group (present), or lost its last:
    /// subscribe to (or, a little later, unsubscribe from) that channel.
    virtual void setInterest(bool isGroup, const QString &name, bool present) = 0;
    /// The registry: every live node (GET /nodes).
    virtual QJsonArray nodes() const = 0;

Q_SIGNALS:
    /// Fires when the cluster becomes available or unavailable.
    void availabilityChanged(bool available);
    /// Fires after each read of the registry: live nodes, this one included.
    void nodeCountChanged(int nodes);
    /// Fires for lines worth logging; level "info" or "warning".
    void logLine(const QString &level, const QString &text);
};
