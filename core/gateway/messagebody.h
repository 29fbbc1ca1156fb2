#pragma once

#include <QByteArray>

/// The body of a message event as PHP gets it, by mode: raw (the bytes as they came) or form
/// (the Go design's `type=server&message=…&client_id=…`).
struct MessageBody {
    enum class Mode { Raw, Form };

    QByteArray body;
    QByteArray contentType;

    static MessageBody encode(Mode mode, const QByteArray &payload, bool binary,
                              const QByteArray &clientId);
};
