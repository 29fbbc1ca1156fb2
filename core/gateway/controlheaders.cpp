#include "controlheaders.h"

#include "websocket/utf8validator.h"
#include "websocket/websocketframewriter.h"

namespace {

constexpr int CloseCodeNormal = 1000;
constexpr int CloseCodeInternalError = 1011; // what an unsendable code from PHP becomes

bool named(const QByteArray &name, QByteArrayView wanted) {
    return QByteArrayView(name).compare(wanted, Qt::CaseInsensitive) == 0;
}

/// Splits a comma list into names, refusing empty, over-long or non-UTF-8 ones.
void readNames(const char *header, const QByteArray &value, QStringList &out,
               QStringList &problems) {
    int count = 0;
    for (const QByteArray &raw : value.split(',')) {
        const QByteArray name = raw.trimmed();
        if (name.isEmpty())
            continue;
        if (++count > ControlHeaders::MaxGroupsPerHeader) {
            problems << QStringLiteral("%1: more than %2 names; the rest ignored")
                            .arg(QLatin1String(header))
                            .arg(ControlHeaders::MaxGroupsPerHeader);
            return;
        }
        if (name.size() > ControlHeaders::MaxNameBytes || !Utf8Validator::isValid(name)) {
            problems << QStringLiteral("%1: a name over %2 bytes or not UTF-8 ignored")
                            .arg(QLatin1String(header))
                            .arg(ControlHeaders::MaxNameBytes);
            continue;
        }
        const QString text = QString::fromUtf8(name);
        if (!out.contains(text))
            out << text;
    }
}

} // namespace

ControlHeaders ControlHeaders::parse(const PhpParams &headers) {
    ControlHeaders c;
    for (const auto &[name, rawValue] : headers) {
        if (name.size() < 5 || !named(name.left(5), "X-WS-"))
            continue;
        const QByteArray value = rawValue.trimmed();
        if (named(name, "X-WS-User")) {
            if (value.size() > MaxNameBytes || !Utf8Validator::isValid(value))
                c.problems << QStringLiteral("X-WS-User: over %1 bytes or not UTF-8; ignored")
                                  .arg(MaxNameBytes);
            else
                c.user = QString::fromUtf8(value);
        } else if (named(name, "X-WS-Join")) {
            readNames("X-WS-Join", value, c.join, c.problems);
        } else if (named(name, "X-WS-Leave")) {
            readNames("X-WS-Leave", value, c.leave, c.problems);
        } else if (named(name, "X-WS-Close")) {
            const qsizetype space = value.indexOf(' ');
            const QByteArray codeText = space < 0 ? value : value.left(space);
            Close close;
            close.reason = space < 0 ? QByteArray() : value.mid(space + 1).trimmed();
            bool isNumber = false;
            const qlonglong code = codeText.toLongLong(&isNumber);
            if (!isNumber) {
                // "X-WS-Close: bye": no code given, a normal close with the whole text as reason
                close.code = CloseCodeNormal;
                close.reason = value;
            } else if (!WebSocketFrameWriter::isSendableCloseCode(int(code)) ||
                       code != qlonglong(int(code))) {
                c.problems << QStringLiteral("X-WS-Close: %1 may not be sent by a server; "
                                             "closing with %2")
                                  .arg(QString::fromLatin1(codeText))
                                  .arg(CloseCodeInternalError);
                close.code = CloseCodeInternalError;
            } else {
                close.code = int(code);
            }
            if (!Utf8Validator::isValid(close.reason)) {
                c.problems << QStringLiteral("X-WS-Close: the reason is not UTF-8; dropped");
                close.reason.clear();
            }
            c.close = close;
        }
    }
    return c;
}
