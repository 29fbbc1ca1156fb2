#include "http/pushfields.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QStringDecoder>

#include <cmath>

namespace {

// Integers below this are written without a fraction or exponent (doubles are exact to 2^53).
constexpr double kMaxIntegralDouble = 9.0e15;
constexpr qsizetype kMaxIntegerDigits = 9;

// JSON values become the same bytes a form would carry; objects and arrays stay JSON text,
// so {"message": {...}} sends that JSON, as a PHP caller passing an array would expect.
QByteArray fieldBytes(const QJsonValue &v) {
    switch (v.type()) {
    case QJsonValue::String:
        return v.toString().toUtf8();
    case QJsonValue::Bool:
        return v.toBool() ? "true" : "false";
    case QJsonValue::Double: {
        const double d = v.toDouble();
        if (std::floor(d) == d && std::fabs(d) < kMaxIntegralDouble)
            return QByteArray::number(qint64(d));
        return QByteArray::number(d, 'g', 17);
    }
    case QJsonValue::Array:
        return QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact);
    case QJsonValue::Object:
        return QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact);
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        break;
    }
    return {};
}

HttpResponse badRequest(const QString &message) {
    return HttpResponse::jsonError(400, "bad_request", message);
}

} // namespace

std::optional<HttpResponse> PushFields::parse(const HttpRequest &request, PushFields *out) {
    if (request.body.isEmpty())
        return std::nullopt;
    if (mediaTypeOf(request.header("Content-Type")) == "application/json") {
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(request.body, &parseError);
        if (parseError.error != QJsonParseError::NoError)
            return badRequest(QStringLiteral("malformed JSON: %1").arg(parseError.errorString()));
        if (!doc.isObject())
            return badRequest(QStringLiteral("the JSON body must be an object"));
        const QJsonObject object = doc.object();
        for (auto it = object.begin(); it != object.end(); ++it) {
            if (!it.value().isNull())
                out->m_fields.insert(it.key().toUtf8(), fieldBytes(it.value()));
        }
        return std::nullopt;
    }
    const auto pairs = HttpRequest::parseUrlEncoded(request.body);
    if (!pairs)
        return badRequest(QStringLiteral("malformed form body"));
    for (const auto &p : *pairs)
        out->m_fields.insert(p.first, p.second); // the last of repeated fields wins, as in PHP
    return std::nullopt;
}

std::optional<bool> PushFields::flag(const QByteArray &name) const {
    const QByteArray v = value(name).trimmed().toLower();
    if (v.isEmpty() || v == "0" || v == "false" || v == "no" || v == "off")
        return false;
    if (v == "1" || v == "true" || v == "yes" || v == "on")
        return true;
    return std::nullopt;
}

std::optional<int> PushFields::integer(const QByteArray &name) const {
    const QByteArray v = value(name).trimmed();
    if (v.isEmpty() || v.size() > kMaxIntegerDigits)
        return std::nullopt;
    for (char c : v) {
        if (c < '0' || c > '9')
            return std::nullopt;
    }
    return v.toInt();
}

QByteArray PushFields::mediaTypeOf(const QByteArray &contentType) {
    const qsizetype semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.left(semicolon)).trimmed().toLower();
}

bool PushFields::isValidUtf8(QByteArrayView bytes) {
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString decoded = decoder.decode(bytes);
    Q_UNUSED(decoded);
    return !decoder.hasError();
}
