#include "http/pushanswer.h"

#include "gateway/delivery.h"

namespace {

// A refusal that still reports what was attempted.
HttpResponse countedError(const DeliveryResult &r, const QByteArray &code, const QString &message) {
    QJsonObject body = PushAnswer::counts(r);
    body.insert("ok", false);
    body.insert("error", QString::fromLatin1(code));
    body.insert("message", message);
    return HttpResponse::json(503, body);
}

QString failedMessage(const DeliveryResult &r) {
    return QStringLiteral("the message could not be delivered (%1)")
        .arg(QString::fromLatin1(r.error));
}

} // namespace

QJsonObject PushAnswer::counts(const DeliveryResult &r) {
    return {{"ok", true},
            {"matched", r.matched},
            {"delivered", r.delivered},
            {"buffer_full", r.bufferFull},
            {"nodes", r.nodes},
            {"exact", r.exact}};
}

HttpResponse PushAnswer::unknownClient() {
    return HttpResponse::jsonError(404, "unknown_client", QStringLiteral("no client with that id"));
}

HttpResponse PushAnswer::found(const ClientLookup &lookup) {
    if (!lookup.error.isEmpty())
        return HttpResponse::jsonError(503, lookup.error,
                                       QStringLiteral("the client's node could not be asked (%1)")
                                           .arg(QString::fromLatin1(lookup.error)));
    return lookup.found ? HttpResponse::json(200, {{"ok", true}}) : unknownClient();
}

HttpResponse PushAnswer::toClient(const DeliveryResult &r) {
    if (!r.error.isEmpty())
        return HttpResponse::jsonError(503, r.error, failedMessage(r));
    if (r.bufferFull > 0)
        return HttpResponse::jsonError(
            503, "client_buffer_full",
            QStringLiteral("the client's send buffer is full; message dropped"));
    // Handed to the client's node without waiting for it (no wait=1): not known to be unknown.
    if (r.matched == 0 && !(r.nodes > 0 && !r.exact))
        return unknownClient();
    if (r.matched > 0 && r.delivered == 0)
        return HttpResponse::jsonError(503, "not_delivered",
                                       QStringLiteral("the client is closing"));
    return HttpResponse::text(200, "Message sent"); // the Go design's exact body
}

HttpResponse PushAnswer::toNamed(const DeliveryResult &r) {
    if (!r.error.isEmpty())
        return countedError(r, r.error, failedMessage(r));
    // Partial delivery is reported in the counts; a total refusal is an error, never silent.
    if (r.delivered == 0 && r.bufferFull > 0)
        return countedError(
            r, "client_buffer_full",
            QStringLiteral("every matched client's send buffer is full; message dropped"));
    return HttpResponse::json(200, counts(r));
}

HttpResponse PushAnswer::toEveryone(const DeliveryResult &r) {
    return r.error.isEmpty() ? HttpResponse::json(200, counts(r))
                             : countedError(r, r.error, failedMessage(r));
}
