#include "clientinfo.h"

#include <QDateTime>
#include <QJsonArray>

QJsonObject ClientInfo::toJson() const {
    QJsonObject o{
        {QStringLiteral("id"), QString::fromLatin1(id)},
        {QStringLiteral("peer"), peer},
        {QStringLiteral("path"), path},
        {QStringLiteral("query"), query},
        {QStringLiteral("origin"), origin},
        {QStringLiteral("user"), user.isEmpty() ? QJsonValue() : QJsonValue(user)},
        {QStringLiteral("groups"), QJsonArray::fromStringList(groups)},
        {QStringLiteral("connected_at"),
         QDateTime::fromMSecsSinceEpoch(connectedMs).toUTC().toString(Qt::ISODateWithMs)},
        {QStringLiteral("messages_in"), double(messagesIn)},
        {QStringLiteral("messages_out"), double(messagesOut)},
        {QStringLiteral("bytes_in"), double(bytesIn)},
        {QStringLiteral("bytes_out"), double(bytesOut)},
        {QStringLiteral("queue_depth"), queueDepth},
        {QStringLiteral("queued_bytes"), double(queuedBytes)},
        {QStringLiteral("send_buffer_bytes"), double(sendBufferBytes)},
    };
    if (!node.isEmpty())
        o.insert(QStringLiteral("node"), node);
    return o;
}
