#pragma once

#include "http/httprequest.h"
#include "http/httpresponse.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QMap>

#include <optional>
#include <utility>

/// The checks the push API and the admin API make alike on a request, after its Host and
/// Origin (RequestTrust): its bearer token, its method and its body. Pure functions.
class ApiRequest final {
public:
    ApiRequest() = delete;

    /// The token of "Authorization: Bearer <token>" (scheme case-insensitive); empty without.
    static QByteArray bearerOf(const HttpRequest &request);
    /// Same time whatever the first differing byte: a token is not leaked by timing.
    static bool constantTimeEquals(QByteArrayView a, QByteArrayView b);
    /// 401 unauthorized with its WWW-Authenticate (error="invalid_token" when one was sent).
    static HttpResponse unauthorized(const HttpRequest &request);
    /// A route takes POST (a form or JSON body) or GET/HEAD (no body): 405 with its Allow for
    /// another method; nullopt: go on. `label` names the route in the message.
    static std::optional<HttpResponse> checkMethod(const HttpRequest &request, bool post,
                                                   QByteArrayView label);
    /// Then its body: 400 for a GET with one, 415 for a POST of another type than a form or
    /// JSON; nullopt: go on.
    static std::optional<HttpResponse> checkBody(const HttpRequest &request, bool post,
                                                 QByteArrayView label);

    /// Requests answered, by (route, status).
    using Counts = QMap<std::pair<QByteArray, int>, quint64>;
    /// The Prometheus counter `name`{route,status}: these APIs' counts added up (a listener's
    /// and the --push-prefix one's), the family named once.
    static void appendCounts(QByteArray &out, const QByteArray &name, const QByteArray &help,
                             const QList<const Counts *> &counts);
};
