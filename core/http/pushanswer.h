#pragma once

#include "http/httpresponse.h"

#include <QByteArrayView>
#include <QString>

struct ClientLookup;
struct DeliveryResult;

/// The push API's answers built from what a Delivery reported. Pure functions.
class PushAnswer final {
public:
    PushAnswer() = delete;

    /// POST /send to one client: 200 "Message sent" (the Go design's body), 404
    /// unknown_client, 503 client_buffer_full / not_delivered / the result's error.
    static HttpResponse toClient(const DeliveryResult &result);
    /// POST /send to a user or group: 200 with the counts; 503 client_buffer_full when every
    /// matched connection refused, 503 with the result's error.
    static HttpResponse toNamed(const DeliveryResult &result);
    /// POST /broadcast: 200 with the counts, 503 with the result's error.
    static HttpResponse toEveryone(const DeliveryResult &result);
    /// /close, /join, /leave: 200 {"ok":true}, 404 unknown_client, or 503 with the lookup's
    /// error when the client's node could not be asked.
    static HttpResponse found(const ClientLookup &lookup);
    static HttpResponse unknownClient();
    /// {"ok":true,"matched":N,"delivered":N,"buffer_full":N,"nodes":N,"exact":B}
    static QJsonObject counts(const DeliveryResult &result);
};
