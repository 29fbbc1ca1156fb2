#include "secretmask.h"

namespace {

/// `a=1; b=2` → `a=********; b=********`; a part without '=' is a value on its own.
QByteArray maskCookiePairs(const QByteArray &value) {
    QByteArray out;
    out.reserve(value.size() + 16);
    const QList<QByteArray> parts = value.split(';');
    for (qsizetype i = 0; i < parts.size(); ++i) {
        const QByteArray part = parts.at(i).trimmed();
        if (i > 0)
            out += "; ";
        if (part.isEmpty())
            continue;
        const qsizetype eq = part.indexOf('=');
        if (eq < 0)
            out.append(SecretMask::Mask);
        else
            out += part.left(eq).trimmed() + '=' + SecretMask::Mask.toByteArray();
    }
    return out;
}

/// `Bearer abc` → `Bearer ********`; a value with no scheme is masked whole.
QByteArray maskCredentials(const QByteArray &value) {
    const QByteArray trimmed = value.trimmed();
    const qsizetype space = trimmed.indexOf(' ');
    if (space <= 0)
        return SecretMask::Mask.toByteArray();
    return trimmed.left(space) + ' ' + SecretMask::Mask.toByteArray();
}

} // namespace

bool SecretMask::isSecret(QByteArrayView name) {
    return name == "WS_PUSH_TOKEN" || name == "HTTP_COOKIE" || name == "HTTP_AUTHORIZATION" ||
           name == "HTTP_PROXY_AUTHORIZATION" || name == "PHP_AUTH_PW";
}

QByteArray SecretMask::masked(QByteArrayView name, const QByteArray &value) {
    if (!isSecret(name) || value.isEmpty())
        return value;
    if (name == "HTTP_COOKIE")
        return maskCookiePairs(value);
    if (name == "HTTP_AUTHORIZATION" || name == "HTTP_PROXY_AUTHORIZATION")
        return maskCredentials(value);
    return Mask.toByteArray();
}

PhpParams SecretMask::masked(const PhpParams &params) {
    PhpParams out = params;
    for (PhpParam &p : out) {
        if (isSecret(p.first))
            p.second = masked(p.first, p.second);
    }
    return out;
}

bool SecretMask::isSecretHeader(QByteArrayView name) {
    return name.compare("Set-Cookie", Qt::CaseInsensitive) == 0;
}

QByteArray SecretMask::maskedHeader(QByteArrayView name, const QByteArray &value) {
    if (!isSecretHeader(name) || value.isEmpty())
        return value;
    // Only the first pair is the cookie; the rest are its attributes (Path, Expires …).
    const qsizetype semicolon = value.indexOf(';');
    const QByteArray cookie = semicolon < 0 ? value : value.left(semicolon);
    const QByteArray attributes = semicolon < 0 ? QByteArray() : value.mid(semicolon);
    const qsizetype eq = cookie.indexOf('=');
    const QByteArray shown =
        eq < 0 ? Mask.toByteArray() : cookie.left(eq).trimmed() + '=' + Mask.toByteArray();
    return shown + attributes;
}

QList<QPair<QByteArray, QByteArray>>
SecretMask::maskedHeaders(const QList<QPair<QByteArray, QByteArray>> &headers) {
    QList<QPair<QByteArray, QByteArray>> out = headers;
    for (auto &h : out) {
        if (isSecretHeader(h.first))
            h.second = maskedHeader(h.first, h.second);
    }
    return out;
}
