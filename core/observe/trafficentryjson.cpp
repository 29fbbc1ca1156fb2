#include "trafficentryjson.h"

#include "secretmask.h"

#include <QDateTime>
#include <QJsonArray>
#include <QStringDecoder>

namespace {

const QByteArray kScrubbed = "********";

bool isUtf8(QByteArrayView bytes) {
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString decoded = decoder.decode(bytes);
    Q_UNUSED(decoded);
    return !decoder.hasError();
}

/// Every secret replaced wherever it appears.
QByteArray scrubbed(QByteArray bytes, const QList<QByteArray> &secrets) {
    for (const QByteArray &secret : secrets) {
        if (!secret.isEmpty() && bytes.contains(secret))
            bytes.replace(secret, kScrubbed);
    }
    return bytes;
}

QString scrubbedText(const QString &text, const QList<QByteArray> &secrets) {
    for (const QByteArray &secret : secrets) {
        if (!secret.isEmpty() && text.contains(QString::fromUtf8(secret)))
            return QString::fromUtf8(scrubbed(text.toUtf8(), secrets));
    }
    return text;
}

QString base64(const QByteArray &bytes) {
    return QString::fromLatin1(bytes.toBase64());
}

QJsonArray pairsJson(const QList<std::pair<QByteArray, QByteArray>> &pairs,
                     const QList<QByteArray> &secrets) {
    QJsonArray out;
    for (const auto &[name, value] : pairs)
        out.append(QJsonArray{QString::fromLatin1(name),
                              TrafficEntryJson::bytesValue(scrubbed(value, secrets))});
    return out;
}

QString isoTime(qint64 ms) {
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

const char *directionName(TrafficEntry::Direction d) {
    switch (d) {
    case TrafficEntry::Direction::In:
        return "in";
    case TrafficEntry::Direction::Out:
        return "out";
    case TrafficEntry::Direction::None:
        break;
    }
    return "none";
}

// ---- reading back: each helper leaves `ok` false on a field of the wrong type

struct Reader {
    const QJsonObject &o;
    bool ok = true;

    qint64 integer(const char *name) {
        const QJsonValue v = o.value(QLatin1String(name));
        if (v.isUndefined() || v.isNull())
            return 0;
        if (!v.isDouble()) {
            ok = false;
            return 0;
        }
        return v.toInteger();
    }
    bool flag(const char *name) {
        const QJsonValue v = o.value(QLatin1String(name));
        if (v.isUndefined() || v.isNull())
            return false;
        ok = ok && v.isBool();
        return v.toBool();
    }
    QString text(const char *name) {
        const QJsonValue v = o.value(QLatin1String(name));
        if (v.isUndefined() || v.isNull())
            return {};
        ok = ok && v.isString();
        return v.toString();
    }
    QByteArray base64(const char *name) {
        const auto decoded = QByteArray::fromBase64Encoding(
            text(name).toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
        ok = ok && bool(decoded);
        return decoded.decoded;
    }
    QList<std::pair<QByteArray, QByteArray>> pairs(const char *name) {
        QList<std::pair<QByteArray, QByteArray>> out;
        const QJsonValue v = o.value(QLatin1String(name));
        if (v.isUndefined() || v.isNull())
            return out;
        if (!v.isArray()) {
            ok = false;
            return out;
        }
        for (const QJsonValue &item : v.toArray()) {
            const QJsonArray pair = item.toArray();
            const std::optional<QByteArray> value = TrafficEntryJson::bytesFrom(pair.at(1));
            if (pair.size() != 2 || !pair.at(0).isString() || !value) {
                ok = false;
                return out;
            }
            out.append({pair.at(0).toString().toLatin1(), *value});
        }
        return out;
    }
};

std::optional<TrafficEntry::Kind> kindNamed(const QString &name) {
    using K = TrafficEntry::Kind;
    for (K k : {K::Open, K::MessageIn, K::Php, K::ReplyOut, K::Push, K::Close, K::Error,
                K::PhpLog}) {
        if (name == QLatin1String(TrafficEntry::kindName(k)))
            return k;
    }
    return std::nullopt;
}

} // namespace

QJsonValue TrafficEntryJson::bytesValue(const QByteArray &bytes) {
    if (isUtf8(bytes))
        return QString::fromUtf8(bytes);
    return QJsonObject{{QStringLiteral("base64"), base64(bytes)}};
}

std::optional<QByteArray> TrafficEntryJson::bytesFrom(const QJsonValue &value) {
    if (value.isString())
        return value.toString().toUtf8();
    if (!value.isObject())
        return std::nullopt;
    const auto decoded =
        QByteArray::fromBase64Encoding(value.toObject().value(QLatin1String("base64")).toString().toLatin1(),
                                       QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    return decoded.decoded;
}

QJsonObject TrafficEntryJson::toJson(const TrafficEntry &e, const Options &options) {
    const QList<QByteArray> &secrets = options.scrub;
    QJsonObject o{
        {QStringLiteral("id"), double(e.id)},
        {QStringLiteral("time"), isoTime(e.timeMs)},
        {QStringLiteral("time_ms"), double(e.timeMs)},
        {QStringLiteral("kind"), QString::fromLatin1(TrafficEntry::kindName(e.kind))},
        {QStringLiteral("direction"), QString::fromLatin1(directionName(e.direction))},
        {QStringLiteral("client"), QString::fromLatin1(e.clientId)},
        {QStringLiteral("size"), double(e.size)},
        {QStringLiteral("body"), base64(scrubbed(e.body, secrets))},
        {QStringLiteral("body_truncated"), e.bodyTruncated},
        {QStringLiteral("binary"), e.binary},
        {QStringLiteral("status"), e.status},
        {QStringLiteral("duration_us"), double(e.durationUs)},
        {QStringLiteral("text"), scrubbedText(e.text, secrets)},
        {QStringLiteral("is_error"), e.isError},
        {QStringLiteral("replay_of"), double(e.replayOf)},
    };
    if (e.receivers) {
        QJsonArray receivers;
        for (const QByteArray &id : *e.receivers)
            receivers.append(QString::fromLatin1(id));
        o.insert(QStringLiteral("receivers"), receivers);
        o.insert(QStringLiteral("receivers_truncated"), e.receiversTruncated);
    }
    if (e.php) {
        const PhpExchange &p = *e.php;
        o.insert(QStringLiteral("php"),
                 QJsonObject{
                     {QStringLiteral("params"),
                      pairsJson(SecretMask::masked(p.params()), secrets)},
                     {QStringLiteral("request_body"), base64(scrubbed(p.requestBody, secrets))},
                     {QStringLiteral("request_body_size"), double(p.requestBodySize)},
                     {QStringLiteral("request_body_truncated"), p.requestBodyTruncated},
                     {QStringLiteral("outcome"), p.outcome},
                     {QStringLiteral("error"), scrubbedText(p.error, secrets)},
                     {QStringLiteral("status"), p.status},
                     {QStringLiteral("headers"),
                      pairsJson(SecretMask::maskedHeaders(p.responseHeaders), secrets)},
                     {QStringLiteral("response_body"), base64(scrubbed(p.responseBody, secrets))},
                     {QStringLiteral("response_body_size"), double(p.responseBodySize)},
                     {QStringLiteral("response_body_truncated"), p.responseBodyTruncated},
                     {QStringLiteral("stderr"), base64(scrubbed(p.stderrData, secrets))},
                     {QStringLiteral("queue_wait_us"), double(p.queueWaitUs)},
                     {QStringLiteral("php_us"), double(p.phpUs)},
                 });
    }
    return o;
}

std::optional<TrafficEntry> TrafficEntryJson::fromJson(const QJsonObject &o) {
    Reader r{o};
    TrafficEntry e;
    e.id = quint64(r.integer("id"));
    e.timeMs = r.integer("time_ms");
    const std::optional<TrafficEntry::Kind> kind = kindNamed(r.text("kind"));
    if (!kind)
        return std::nullopt;
    e.kind = *kind;
    const QString direction = r.text("direction");
    e.direction = direction == QLatin1String("in")    ? TrafficEntry::Direction::In
                  : direction == QLatin1String("out") ? TrafficEntry::Direction::Out
                                                      : TrafficEntry::Direction::None;
    e.clientId = r.text("client").toLatin1();
    e.size = r.integer("size");
    e.body = r.base64("body");
    e.bodyTruncated = r.flag("body_truncated");
    e.binary = r.flag("binary");
    e.status = int(r.integer("status"));
    e.durationUs = r.integer("duration_us");
    e.text = r.text("text");
    e.isError = r.flag("is_error");
    e.replayOf = quint64(r.integer("replay_of"));
    const QJsonValue receivers = o.value(QLatin1String("receivers"));
    if (receivers.isArray()) {
        auto list = std::make_shared<QList<QByteArray>>();
        for (const QJsonValue &id : receivers.toArray())
            list->append(id.toString().toLatin1());
        e.receivers = std::move(list);
        e.receiversTruncated = r.flag("receivers_truncated");
    } else if (!receivers.isUndefined() && !receivers.isNull()) {
        return std::nullopt;
    }
    const QJsonValue php = o.value(QLatin1String("php"));
    if (php.isObject()) {
        const QJsonObject po = php.toObject();
        Reader pr{po};
        auto x = std::make_shared<PhpExchange>();
        x->extraParams = pr.pairs("params");
        x->requestBody = pr.base64("request_body");
        x->requestBodySize = pr.integer("request_body_size");
        x->requestBodyTruncated = pr.flag("request_body_truncated");
        x->outcome = pr.text("outcome");
        x->error = pr.text("error");
        x->status = int(pr.integer("status"));
        for (const auto &[name, value] : pr.pairs("headers"))
            x->responseHeaders.append({name, value});
        x->responseBody = pr.base64("response_body");
        x->responseBodySize = pr.integer("response_body_size");
        x->responseBodyTruncated = pr.flag("response_body_truncated");
        x->stderrData = pr.base64("stderr");
        x->queueWaitUs = pr.integer("queue_wait_us");
        x->phpUs = pr.integer("php_us");
        if (!pr.ok)
            return std::nullopt;
        e.php = std::move(x);
    } else if (!php.isUndefined() && !php.isNull()) {
        return std::nullopt;
    }
    if (!r.ok)
        return std::nullopt;
    return e;
}
