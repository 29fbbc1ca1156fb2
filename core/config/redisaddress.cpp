#include "redisaddress.h"

#include <QUrl>

namespace {

constexpr int MaxRedisDb = 15; // Redis' default "databases 16"
const QString MaskedPassword = QStringLiteral("********");

QString expected(const QString &text) {
    return QStringLiteral("expected redis://[:password@]host[:port][/db] or "
                          "unix:/path.sock[?db=N], got \"%1\"")
        .arg(text);
}

bool parseDb(const QString &text, int &db) {
    bool digits = !text.isEmpty() && text.size() <= 2;
    for (const QChar ch : text)
        digits = digits && ch.isDigit();
    db = text.toInt();
    return digits && db <= MaxRedisDb;
}

} // namespace

std::optional<RedisAddress> RedisAddress::parse(const QString &text, QString *error) {
    auto fail = [error](const QString &message) -> std::optional<RedisAddress> {
        if (error)
            *error = message;
        return std::nullopt;
    };
    RedisAddress address;
    if (text.startsWith(QLatin1String("unix:"))) {
        const QString rest = text.mid(int(qstrlen("unix:")));
        const int query = rest.indexOf(QLatin1Char('?'));
        address.socketPath = rest.left(query);
        address.port = 0;
        if (!address.socketPath.startsWith(QLatin1Char('/')) || address.socketPath.size() < 2)
            return fail(QStringLiteral("the socket path in \"%1\" must be absolute").arg(text));
        if (query >= 0) {
            const QString q = rest.mid(query + 1);
            if (!q.startsWith(QLatin1String("db=")) || !parseDb(q.mid(3), address.db))
                return fail(QStringLiteral("expected ?db=N with N from 0 to %1 in \"%2\"")
                                .arg(MaxRedisDb)
                                .arg(text));
        }
        return address;
    }
    if (!text.startsWith(QLatin1String("redis://"), Qt::CaseInsensitive))
        return fail(expected(text));
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid())
        return fail(QStringLiteral("\"%1\" is not a valid URL (%2)").arg(text, url.errorString()));
    if (!url.userName().isEmpty())
        return fail(QStringLiteral("user names are not supported, use redis://:password@host "
                                   "(in \"%1\")")
                        .arg(text));
    if (url.host().isEmpty())
        return fail(QStringLiteral("missing host in \"%1\"").arg(text));
    if (url.hasQuery() || url.hasFragment())
        return fail(expected(text));
    const int port = url.port(6379);
    if (port < 1 || port > 65535)
        return fail(QStringLiteral("bad port in \"%1\" (1-65535)").arg(text));
    const QString path = url.path();
    if (!path.isEmpty() && path != QLatin1String("/") &&
        (!path.startsWith(QLatin1Char('/')) || !parseDb(path.mid(1), address.db)))
        return fail(QStringLiteral("the database in \"%1\" must be a number from 0 to %2")
                        .arg(text)
                        .arg(MaxRedisDb));
    address.host = url.host();
    address.port = quint16(port);
    address.password = url.password(QUrl::FullyDecoded);
    return address;
}

QString RedisAddress::toString(bool maskPassword) const {
    if (!socketPath.isEmpty())
        return db == 0 ? QStringLiteral("unix:") + socketPath
                       : QStringLiteral("unix:%1?db=%2").arg(socketPath).arg(db);
    QString text = QStringLiteral("redis://");
    if (!password.isEmpty())
        text += QLatin1Char(':') +
                (maskPassword ? MaskedPassword
                              : QString::fromLatin1(QUrl::toPercentEncoding(password))) +
                QLatin1Char('@');
    text += host.contains(QLatin1Char(':')) ? QLatin1Char('[') + host + QLatin1Char(']') : host;
    text += QStringLiteral(":%1").arg(port);
    if (db != 0)
        text += QStringLiteral("/%1").arg(db);
    return text;
}
