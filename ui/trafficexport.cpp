#include "trafficexport.h"

#include "bodyformatter.h"
#include "observe/secretmask.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>

#include <memory>

namespace {

// An export is read whole into memory; beyond this it is most likely not one of ours.
constexpr qint64 MaxImportBytes = qint64(2) * 1024 * 1024 * 1024;

QString tr(const char *text) {
    return QCoreApplication::translate("TrafficExport", text);
}

QJsonValue bytesJson(const QByteArray &bytes, bool binary) {
    if (!binary && BodyFormatter::isValidUtf8(bytes))
        return QString::fromUtf8(bytes);
    return QJsonObject{{QStringLiteral("base64"), QString::fromLatin1(bytes.toBase64())}};
}

QByteArray bytesFromJson(const QJsonValue &value) {
    if (value.isObject())
        return QByteArray::fromBase64(
            value.toObject().value(QStringLiteral("base64")).toString().toLatin1());
    return value.toString().toUtf8();
}

template <typename Pairs> QJsonArray pairsJson(const Pairs &pairs) {
    QJsonArray out;
    for (const auto &p : pairs)
        out.append(QJsonArray{QString::fromLatin1(p.first), QString::fromUtf8(p.second)});
    return out;
}

template <typename Pairs> Pairs pairsFromJson(const QJsonValue &value) {
    Pairs out;
    const QJsonArray array = value.toArray();
    for (const QJsonValue &p : array) {
        const QJsonArray pair = p.toArray();
        out.append({pair.at(0).toString().toLatin1(), pair.at(1).toString().toUtf8()});
    }
    return out;
}

bool binaryReply(const PhpExchange &p) {
    for (const auto &header : p.responseHeaders) {
        if (header.first.compare("Content-Type", Qt::CaseInsensitive) == 0)
            return header.second.trimmed().startsWith("application/octet-stream");
    }
    return false;
}

const char *directionName(TrafficEntry::Direction d) {
    return d == TrafficEntry::Direction::In ? "in" : d == TrafficEntry::Direction::Out ? "out" : "";
}

bool kindFromName(const QString &name, TrafficEntry::Kind *kind) {
    for (int k = int(TrafficEntry::Kind::Open); k <= int(TrafficEntry::Kind::PhpLog); ++k) {
        if (name == QLatin1String(TrafficEntry::kindName(TrafficEntry::Kind(k)))) {
            *kind = TrafficEntry::Kind(k);
            return true;
        }
    }
    return false;
}

} // namespace

QJsonObject TrafficExport::entryJson(const TrafficEntry &e, bool includeSecrets) {
    QJsonObject o{
        {QStringLiteral("id"), double(e.id)},
        {QStringLiteral("time"),
         QDateTime::fromMSecsSinceEpoch(e.timeMs).toUTC().toString(Qt::ISODateWithMs)},
        {QStringLiteral("kind"), QString::fromLatin1(TrafficEntry::kindName(e.kind))},
        {QStringLiteral("direction"), QString::fromLatin1(directionName(e.direction))},
        {QStringLiteral("client"), QString::fromLatin1(e.clientId)},
        {QStringLiteral("size"), double(e.size)},
        {QStringLiteral("error"), e.isError},
    };
    if (e.status)
        o[QStringLiteral("status")] = e.status;
    if (!e.text.isEmpty())
        o[QStringLiteral("text")] = e.text;
    if (e.replayOf)
        o[QStringLiteral("replayOf")] = double(e.replayOf);
    if (!e.body.isEmpty()) {
        o[QStringLiteral("body")] = bytesJson(e.body, e.binary);
        o[QStringLiteral("binary")] = e.binary;
        if (e.bodyTruncated)
            o[QStringLiteral("bodyTruncated")] = true;
    }
    if (e.php) {
        const PhpExchange &p = *e.php;
        const PhpParams params = includeSecrets ? p.params() : SecretMask::masked(p.params());
        const auto headers =
            includeSecrets ? p.responseHeaders : SecretMask::maskedHeaders(p.responseHeaders);
        o[QStringLiteral("php")] = QJsonObject{
            {QStringLiteral("params"), pairsJson(params)},
            // A binary message went to PHP as application/octet-stream; PHP's reply is binary
            // when it says so (the same rule the gateway applies before sending it on).
            {QStringLiteral("requestBody"), bytesJson(p.requestBody, e.binary)},
            {QStringLiteral("requestBodySize"), double(p.requestBodySize)},
            {QStringLiteral("requestBodyTruncated"), p.requestBodyTruncated},
            {QStringLiteral("outcome"), p.outcome},
            {QStringLiteral("errorText"), p.error},
            {QStringLiteral("status"), p.status},
            {QStringLiteral("headers"), pairsJson(headers)},
            {QStringLiteral("responseBody"), bytesJson(p.responseBody, binaryReply(p))},
            {QStringLiteral("responseBodySize"), double(p.responseBodySize)},
            {QStringLiteral("responseBodyTruncated"), p.responseBodyTruncated},
            {QStringLiteral("stderr"), QString::fromUtf8(p.stderrData)},
            {QStringLiteral("queueWaitUs"), double(p.queueWaitUs)},
            {QStringLiteral("phpUs"), double(p.phpUs)},
        };
    }
    return o;
}

bool TrafficExport::writeJsonLines(const QString &fileName, int count,
                                   const std::function<const TrafficEntry &(int)> &entryAt,
                                   bool includeSecrets, QString *error) {
    QSaveFile file(fileName);
    if (!file.open(QIODevice::WriteOnly)) {
        *error = file.errorString();
        return false;
    }
    // Before the first byte: the log holds the application's traffic (and, asked for, its
    // cookies and tokens); only its owner may read it. QSaveFile would otherwise copy an
    // existing file's mode, or take the umask's.
    if (!file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
        *error = tr("cannot make the file private: %1").arg(file.errorString());
        file.cancelWriting();
        return false;
    }
    for (int i = 0; i < count; ++i) {
        QByteArray line =
            QJsonDocument(entryJson(entryAt(i), includeSecrets)).toJson(QJsonDocument::Compact);
        line += '\n';
        file.write(line);
    }
    if (!file.commit()) {
        *error = file.errorString();
        return false;
    }
    return true;
}

bool TrafficExport::entryFromJson(const QJsonObject &o, TrafficEntry *e) {
    const double id = o.value(QStringLiteral("id")).toDouble(-1);
    if (id < 1 || !kindFromName(o.value(QStringLiteral("kind")).toString(), &e->kind))
        return false;
    e->id = quint64(id);
    e->timeMs = QDateTime::fromString(o.value(QStringLiteral("time")).toString(), Qt::ISODateWithMs)
                    .toMSecsSinceEpoch();
    const QString direction = o.value(QStringLiteral("direction")).toString();
    e->direction = direction == QLatin1String("in")    ? TrafficEntry::Direction::In
                   : direction == QLatin1String("out") ? TrafficEntry::Direction::Out
                                                       : TrafficEntry::Direction::None;
    e->clientId = o.value(QStringLiteral("client")).toString().toLatin1();
    e->size = qint64(o.value(QStringLiteral("size")).toDouble());
    e->isError = o.value(QStringLiteral("error")).toBool();
    e->status = o.value(QStringLiteral("status")).toInt();
    e->text = o.value(QStringLiteral("text")).toString();
    e->replayOf = quint64(o.value(QStringLiteral("replayOf")).toDouble());
    e->body = bytesFromJson(o.value(QStringLiteral("body")));
    e->binary = o.value(QStringLiteral("binary")).toBool();
    e->bodyTruncated = o.value(QStringLiteral("bodyTruncated")).toBool();
    const QJsonValue phpValue = o.value(QStringLiteral("php"));
    if (phpValue.isObject()) {
        const QJsonObject p = phpValue.toObject();
        auto x = std::make_shared<PhpExchange>();
        x->extraParams = pairsFromJson<PhpParams>(p.value(QStringLiteral("params")));
        x->requestBody = bytesFromJson(p.value(QStringLiteral("requestBody")));
        x->requestBodySize = qint64(p.value(QStringLiteral("requestBodySize")).toDouble());
        x->requestBodyTruncated = p.value(QStringLiteral("requestBodyTruncated")).toBool();
        x->outcome = p.value(QStringLiteral("outcome")).toString();
        x->error = p.value(QStringLiteral("errorText")).toString();
        x->status = p.value(QStringLiteral("status")).toInt();
        x->responseHeaders =
            pairsFromJson<QList<QPair<QByteArray, QByteArray>>>(p.value(QStringLiteral("headers")));
        x->responseBody = bytesFromJson(p.value(QStringLiteral("responseBody")));
        x->responseBodySize = qint64(p.value(QStringLiteral("responseBodySize")).toDouble());
        x->responseBodyTruncated = p.value(QStringLiteral("responseBodyTruncated")).toBool();
        x->stderrData = p.value(QStringLiteral("stderr")).toString().toUtf8();
        x->queueWaitUs = qint64(p.value(QStringLiteral("queueWaitUs")).toDouble());
        x->phpUs = qint64(p.value(QStringLiteral("phpUs")).toDouble());
        e->durationUs = x->phpUs;
        e->php = std::move(x);
    }
    return true;
}

bool TrafficExport::readJsonLines(const QString &fileName, QVector<TrafficEntry> *entries,
                                  QString *error) {
    QFile file(fileName);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = file.errorString();
        return false;
    }
    if (file.size() > MaxImportBytes) {
        *error = tr("the file is larger than %1 GiB").arg(MaxImportBytes >> 30);
        return false;
    }
    entries->clear();
    int lineNumber = 0;
    quint64 lastId = 0;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine().trimmed();
        ++lineNumber;
        if (line.isEmpty())
            continue;
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &parseError);
        TrafficEntry e;
        if (parseError.error != QJsonParseError::NoError || !doc.isObject() ||
            !entryFromJson(doc.object(), &e)) {
            // The first bad line names the problem: a partial capture would mislead.
            *error = tr("line %1 is not a wsgate traffic entry%2")
                         .arg(lineNumber)
                         .arg(parseError.error != QJsonParseError::NoError
                                  ? QStringLiteral(" (%1)").arg(parseError.errorString())
                                  : QString());
            return false;
        }
        if (e.id <= lastId) {
            *error = tr("line %1: entry #%2 does not follow #%3; the rows of a capture are in "
                        "the order of their ids")
                         .arg(lineNumber)
                         .arg(e.id)
                         .arg(lastId);
            return false;
        }
        lastId = e.id;
        entries->append(std::move(e));
    }
    if (entries->isEmpty()) {
        *error = tr("the file holds no traffic entries");
        return false;
    }
    return true;
}
