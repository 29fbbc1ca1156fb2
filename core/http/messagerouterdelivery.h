#pragma once

#include "gateway/delivery.h"

#include <QObject>

class MessageRouter;

/// TEMPORARY: a Delivery over the synchronous MessageRouter (answers before returning), until
/// the gateway implements Delivery itself. Delete it with messagerouter.h.
class MessageRouterDelivery final : public QObject, public Delivery {
    Q_OBJECT
public:
    /// `router` must outlive this object.
    explicit MessageRouterDelivery(MessageRouter *router, QObject *parent = nullptr);

    void deliver(const PushTarget &target, const OutboundMessage &message, bool waitForAll,
                 Done done) override;
    void closeClient(const QByteArray &clientId, int code, const QByteArray &reason,
                     Found done) override;
    void setMembership(const QByteArray &clientId, const QString &group, bool join,
                       Found done) override;
    void clients(std::function<void(const QList<ClientInfo> &)> done) override;
    void client(const QByteArray &clientId,
                std::function<void(const std::optional<ClientInfo> &)> done) override;
    void groups(std::function<void(const QHash<QString, QList<QByteArray>> &)> done) override;

    /// The MessageRouter's JSON of one client read back (the fields it has).
    static ClientInfo clientInfoFromJson(const QJsonObject &json);

private:
    MessageRouter *m_router = nullptr;
};
