#pragma once

#include "delivery.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QString>

/// "Deliver to these targets" and manage connections: the one interface the push API, the UI
/// and (later) a cross-instance broker use. Implemented by Gateway. Calls are made on the
/// thread the implementation lives in.
class MessageRouter {
public:
    virtual ~MessageRouter() = default;

    virtual DeliveryResult sendToClient(const QByteArray &clientId, const OutboundMessage &m) = 0;
    virtual DeliveryResult sendToUser(const QString &user, const OutboundMessage &m) = 0;
    virtual DeliveryResult sendToGroup(const QString &group, const OutboundMessage &m) = 0;
    virtual DeliveryResult broadcast(const OutboundMessage &m) = 0;

    /// Closes a client with exactly this code and reason; false when the id is unknown.
    virtual bool closeClient(const QByteArray &clientId, int code, const QString &reason) = 0;
    /// Group membership; false when the id is unknown.
    virtual bool joinGroup(const QByteArray &clientId, const QString &group) = 0;
    virtual bool leaveGroup(const QByteArray &clientId, const QString &group) = 0;

    /// JSON state for GET /clients, /clients/{id}, /groups. clientInfo() is empty when unknown.
    virtual QJsonArray clientList() const = 0;
    virtual QJsonObject clientInfo(const QByteArray &clientId) const = 0;
    virtual QJsonObject groupList() const = 0;
};
