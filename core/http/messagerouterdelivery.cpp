#include "http/messagerouterdelivery.h"

#include "gateway/messagerouter.h"

#include <QDateTime>
#include <QJsonArray>

MessageRouterDelivery::MessageRouterDelivery(MessageRouter *router, QObject *parent)
    : QObject(parent)
    , m_router(router) {}

void MessageRouterDelivery::deliver(const PushTarget &target, const OutboundMessage &message,
                                    bool waitForAll, Done done) {
    Q_UNUSED(waitForAll); // one node: always exact
    DeliveryResult r;
    switch (target.kind) {
    case PushTarget::Kind::Client:
        r = m_router->sendToClient(target.name, message);
        break;
    case PushTarget::Kind::User:
        r = m_router->sendToUser(QString::fromUtf8(target.name), message);
        break;
    case PushTarget::Kind::Group:
        r = m_router->sendToGroup(QString::fromUtf8(target.name), message);
        break;
    case PushTarget::Kind::Everyone:
        r = m_router->broadcast(message);
        break;
    }
    done(r);
}

void MessageRouterDelivery::closeClient(const QByteArray &clientId, int code,
                                        const QByteArray &reason, Found done) {
    done(m_router->closeClient(clientId, code, QString::fromUtf8(reason)));
}

void MessageRouterDelivery::setMembership(const QByteArray &clientId, const QString &group,
                                          bool join, Found done) {
    done(join ? m_router->joinGroup(clientId, group) : m_router->leaveGroup(clientId, group));
}

ClientInfo MessageRouterDelivery::clientInfoFromJson(const QJsonObject &o) {
    ClientInfo c;
    c.id = o.value("id").toString().toLatin1();
    c.peer = o.value("peer").toString();
    c.path = o.value("path").toString();
    c.query = o.value("query").toString();
    c.origin = o.value("origin").toString();
    c.user = o.value("user").toString();
    for (const QJsonValue &g : o.value("groups").toArray())
        c.groups.append(g.toString());
    c.connectedMs = QDateTime::fromString(o.value("connected_at").toString(), Qt::ISODateWithMs)
                        .toMSecsSinceEpoch();
    c.messagesIn = qint64(o.value("messages_in").toDouble());
    c.messagesOut = qint64(o.value("messages_out").toDouble());
    c.bytesIn = qint64(o.value("bytes_in").toDouble());
    c.bytesOut = qint64(o.value("bytes_out").toDouble());
    c.queueDepth = o.value("queue_depth").toInt();
    c.queuedBytes = qint64(o.value("queued_bytes").toDouble());
    c.sendBufferBytes = qint64(o.value("send_buffer_bytes").toDouble());
    c.node = o.value("node").toString();
    return c;
}

void MessageRouterDelivery::clients(std::function<void(const QList<ClientInfo> &)> done) {
    QList<ClientInfo> list;
    for (const QJsonValue &v : m_router->clientList())
        list.append(clientInfoFromJson(v.toObject()));
    done(list);
}

void MessageRouterDelivery::client(const QByteArray &clientId,
                                   std::function<void(const std::optional<ClientInfo> &)> done) {
    const QJsonObject json = m_router->clientInfo(clientId);
    done(json.isEmpty() ? std::nullopt : std::optional<ClientInfo>(clientInfoFromJson(json)));
}

void MessageRouterDelivery::groups(
    std::function<void(const QHash<QString, QList<QByteArray>> &)> done) {
    QHash<QString, QList<QByteArray>> groups;
    const QJsonObject json = m_router->groupList();
    for (auto it = json.begin(); it != json.end(); ++it) {
        QList<QByteArray> &members = groups[it.key()];
        for (const QJsonValue &id : it.value().toArray())
            members.append(id.toString().toLatin1());
    }
    done(groups);
}
