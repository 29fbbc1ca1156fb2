#include "trafficcopy.h"

#include "observe/secretmask.h"

#include <QStringList>

namespace {

constexpr int WscatWaitSeconds = 2; // long enough for PHP's reply to a replayed message

} // namespace

QString TrafficCopy::paramsText(const PhpParams &params, bool reveal) {
    QStringList lines;
    lines.reserve(params.size());
    for (const auto &[name, value] : params) {
        lines << QString::fromLatin1(name) + QLatin1Char('=') +
                     QString::fromUtf8(reveal ? value : SecretMask::masked(name, value));
    }
    return lines.join(QLatin1Char('\n'));
}

QByteArray TrafficCopy::paramValue(const PhpParams &params, QByteArrayView name) {
    for (const auto &[n, value] : params) {
        if (n == name)
            return value;
    }
    return {};
}

QString TrafficCopy::clientUrl(const PhpParams &params) {
    const QByteArray host = paramValue(params, "HTTP_HOST");
    const QByteArray uri = paramValue(params, "REQUEST_URI");
    if (host.isEmpty() || uri.isEmpty())
        return {};
    const bool tls = paramValue(params, "HTTPS").compare("on", Qt::CaseInsensitive) == 0;
    return QStringLiteral("%1://%2%3")
        .arg(tls ? QStringLiteral("wss") : QStringLiteral("ws"), QString::fromLatin1(host),
             QString::fromLatin1(uri));
}

QString TrafficCopy::shellQuote(const QString &s) {
    QString out = s;
    out.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') + out + QLatin1Char('\'');
}

QString TrafficCopy::websocatCommand(const QString &url, const QByteArray &body, bool binary) {
    if (binary) {
        // Octal escapes: printf's \x is not POSIX (dash has none).
        QString escaped;
        escaped.reserve(body.size() * 4);
        for (const char c : body)
            escaped += QStringLiteral("\\%1").arg(uint(quint8(c)), 3, 8, QLatin1Char('0'));
        return QStringLiteral("printf '%1' | websocat -b -1 %2").arg(escaped, shellQuote(url));
    }
    return QStringLiteral("printf '%s\\0' %1 | websocat -0 -1 %2")
        .arg(shellQuote(QString::fromUtf8(body)), shellQuote(url));
}

QString TrafficCopy::wscatCommand(const QString &url, const QByteArray &body, bool binary) {
    if (binary)
        return {};
    return QStringLiteral("wscat -c %1 -x %2 -w %3")
        .arg(shellQuote(url), shellQuote(QString::fromUtf8(body)))
        .arg(WscatWaitSeconds);
}

QString TrafficCopy::curlCommand(const QString &pushUrl, const QString &summary,
                                 const QByteArray &body, bool binary) {
    if (binary || pushUrl.isEmpty() || !summary.startsWith(QLatin1String("to ")))
        return {};
    const qsizetype colon = summary.indexOf(QLatin1Char(':'));
    if (colon < 0)
        return {};
    const QString target = summary.mid(3, colon - 3);
    QString path = QStringLiteral("/send");
    QString field;
    if (target == QLatin1String("everyone")) {
        path = QStringLiteral("/broadcast");
    } else {
        const qsizetype space = target.indexOf(QLatin1Char(' '));
        const QString kind = target.left(space);
        const QString name = target.mid(space + 1);
        if (space <= 0 || name.isEmpty())
            return {};
        const QString key = kind == QLatin1String("client") ? QStringLiteral("client_id")
                            : kind == QLatin1String("user") || kind == QLatin1String("group")
                                ? kind
                                : QString();
        if (key.isEmpty())
            return {};
        field =
            QStringLiteral(" --data-urlencode %1").arg(shellQuote(key + QLatin1Char('=') + name));
    }
    // ${VAR:+…}: no Authorization header at all when the variable is unset (a tokenless API).
    return QStringLiteral("curl -sS ${WSGATE_PUSH_TOKEN:+-H \"Authorization: Bearer "
                          "$WSGATE_PUSH_TOKEN\"}%1 --data-urlencode %2 %3")
        .arg(field, shellQuote(QStringLiteral("message=") + QString::fromUtf8(body)),
             shellQuote(pushUrl + path));
}
