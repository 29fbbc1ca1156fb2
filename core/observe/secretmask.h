#pragma once

#include "php/phprequest.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>

/// What of a logged request is a secret and how it is shown masked: the push token, cookie
/// values (names kept), credentials after their scheme. Pure; the console and the admin API
/// use the same rules.
class SecretMask final {
public:
    /// The replacement for a secret value.
    static constexpr QByteArrayView Mask = "********";

    /// FastCGI params whose value is (or holds) a secret: WS_PUSH_TOKEN, HTTP_COOKIE,
    /// HTTP_AUTHORIZATION, HTTP_PROXY_AUTHORIZATION, PHP_AUTH_PW. Case-sensitive, as CGI names
    /// are.
    static bool isSecret(QByteArrayView paramName);
    /// `value` as shown: cookies as `name=********` each, credentials as `Scheme ********`,
    /// anything else secret as `********`; not secret: unchanged. An empty value stays empty.
    static QByteArray masked(QByteArrayView name, const QByteArray &value);
    /// Every param, the secret ones masked (order and names kept).
    static PhpParams masked(const PhpParams &params);

    /// Reply headers that carry a secret (Set-Cookie), case-insensitive.
    static bool isSecretHeader(QByteArrayView headerName);
    /// Set-Cookie's value masked (`name=********; Path=/; HttpOnly`: attributes kept).
    static QByteArray maskedHeader(QByteArrayView name, const QByteArray &value);
    static QList<QPair<QByteArray, QByteArray>>
    maskedHeaders(const QList<QPair<QByteArray, QByteArray>> &headers);
};
