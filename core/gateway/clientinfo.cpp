#include "clientinfo.h"

#include <QDateTime>
#include <QJsonArray>

namespace {

/// An ISO 8601 time as ms since the epoch; 0 for null or garbage.
qint64 msOf(const QJsonValue &v) {
    const QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
    return t.isValid() ? t.toMSecsSinceEpoch() : 0;
}

} // namespace

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

std::optional<ClientInfo> ClientInfo::fromJson(const QJsonObject &json) {
    const QJsonValue id = json.value(QLatin1String("id"));
    if (!id.isString() || id.toString().isEmpty())
        return std::nullopt;
    const auto text = [&json](const char *key) {
        return json.value(QLatin1String(key)).toString();
    };
    const auto number = [&json](const char *key) {
        return json.value(QLatin1String(key)).toInteger();
    };
    ClientInfo c;
    c.id = id.toString().toLatin1();
    c.peer = text("peer");
    c.path = text("path");
    c.query = text("query");
    c.origin = text("origin");
    c.user = text("user");
    for (const QJsonValue &g : json.value(QLatin1String("groups")).toArray())
        c.groups.append(g.toString());
    c.connectedMs = msOf(json.value(QLatin1String("connected_at")));
    c.lastActivityMs = msOf(json.value(QLatin1String("last_activity_at")));
    c.messagesIn = number("messages_in");
    c.messagesOut = number("messages_out");
    c.bytesIn = number("bytes_in");
    c.bytesOut = number("bytes_out");
    c.queueDepth = int(number("queue_depth"));
    c.queuedBytes = number("queued_bytes");
    c.phpInFlight = json.value(QLatin1String("php_in_flight")).toBool();
    c.sendBufferBytes = number("send_buffer_bytes");
    c.node = text("node");
    return c;
}
