#include "http/apirequest.h"

#include "http/pushfields.h"

#include <QString>

QByteArray ApiRequest::bearerOf(const HttpRequest &request) {
    const QByteArray auth = request.header("Authorization");
    if (auth.size() < 7 || QByteArrayView(auth).first(7).compare("Bearer ", Qt::CaseInsensitive))
        return {};
    return auth.mid(7).trimmed();
}

bool ApiRequest::constantTimeEquals(QByteArrayView a, QByteArrayView b) {
    unsigned diff = a.size() == b.size() ? 0u : 1u;
    for (qsizetype i = 0; i < b.size(); ++i)
        diff |= unsigned(uchar(i < a.size() ? a[i] : 0) ^ uchar(b[i]));
    return diff == 0;
}

HttpResponse ApiRequest::unauthorized(const HttpRequest &request) {
    HttpResponse r = HttpResponse::jsonError(401, "unauthorized",
                                             QStringLiteral("send Authorization: Bearer <token>"));
    r.setHeader("WWW-Authenticate", request.hasHeader("Authorization")
                                        ? "Bearer realm=\"wsgate\", error=\"invalid_token\""
                                        : "Bearer realm=\"wsgate\"");
    return r;
}

std::optional<HttpResponse> ApiRequest::checkMethod(const HttpRequest &request, bool post,
                                                    QByteArrayView label) {
    const bool allowed =
        post ? request.method == "POST" : (request.method == "GET" || request.method == "HEAD");
    if (allowed)
        return std::nullopt;
    HttpResponse r = HttpResponse::jsonError(
        405, "method_not_allowed",
        QStringLiteral("%1 needs %2")
            .arg(QString::fromUtf8(label), post ? QStringLiteral("POST") : QStringLiteral("GET")));
    r.setHeader("Allow", post ? "POST" : "GET, HEAD");
    return r;
}

std::optional<HttpResponse> ApiRequest::checkBody(const HttpRequest &request, bool post,
                                                  QByteArrayView label) {
    if (!post) {
        if (request.bodyExpected() || !request.body.isEmpty())
            return HttpResponse::jsonError(
                400, "bad_request",
                QStringLiteral("%1 takes no body").arg(QString::fromUtf8(label)));
        return std::nullopt;
    }
    // Even without a body: a form a web page can send without asking (no-cors) carries none of
    // these types, or a body; and an empty POST has no fields to act on anyway.
    const QByteArray type = PushFields::mediaTypeOf(request.header("Content-Type"));
    if (type != "application/x-www-form-urlencoded" && type != "application/json")
        return HttpResponse::jsonError(415, "unsupported_media_type",
                                       QStringLiteral("send application/x-www-form-urlencoded or "
                                                      "application/json (got \"%1\")")
                                           .arg(QString::fromUtf8(type)));
    return std::nullopt;
}

void ApiRequest::appendCounts(QByteArray &out, const QByteArray &name, const QByteArray &help,
                              const QList<const Counts *> &counts) {
    Counts total;
    for (const Counts *c : counts) {
        if (!c)
            continue;
        for (auto it = c->begin(); it != c->end(); ++it)
            total[it.key()] += it.value();
    }
    out += "# HELP " + name + ' ' + help + "\n# TYPE " + name + " counter\n";
    for (auto it = total.begin(); it != total.end(); ++it)
        out += name + "{route=\"" + it.key().first + "\",status=\"" +
               QByteArray::number(it.key().second) + "\"} " + QByteArray::number(it.value()) + '\n';
}
