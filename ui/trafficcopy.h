#pragma once

#include "observe/trafficentry.h"

#include <QString>

/// The text the traffic view puts on the clipboard: a body, the params (secrets masked), and
/// a message as a websocat or wscat command line, a push as a curl call. Pure, no widgets.
class TrafficCopy final {
public:
    /// "NAME=value" lines; secrets masked unless `reveal`.
    static QString paramsText(const PhpParams &params, bool reveal);
    /// The value of the first param named `name`; empty when there is none.
    static QByteArray paramValue(const PhpParams &params, QByteArrayView name);
    /// The URL the client connected to, from the handshake's params (HTTPS, HTTP_HOST,
    /// REQUEST_URI); empty when they are not there.
    static QString clientUrl(const PhpParams &params);
    /// `s` as one POSIX shell word (single quotes).
    static QString shellQuote(const QString &s);
    /// Sends `body` to `url` and prints the first reply: websocat 1.x, text messages NUL-framed
    /// (-0) so newlines stay inside the message; binary as printf octal escapes (-b).
    static QString websocatCommand(const QString &url, const QByteArray &body, bool binary);
    /// The same with wscat (-x sends one text message, -w waits for the reply); empty for a
    /// binary message, which wscat cannot send from the command line.
    static QString wscatCommand(const QString &url, const QByteArray &body, bool binary);
    /// A push row (its summary "to client ID: …", "to user NAME: …", "to group NAME: …", "to
    /// everyone: …") as the curl call that sends it again through the push API at `pushUrl`;
    /// the token comes from $WSGATE_PUSH_TOKEN when set (never the real one). Empty for a
    /// binary push or a summary it cannot read.
    static QString curlCommand(const QString &pushUrl, const QString &summary,
                               const QByteArray &body, bool binary);
};
