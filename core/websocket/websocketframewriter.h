#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QtGlobal>

/// RFC 6455 opcodes.
enum class WebSocketOpcode : quint8 {
    Continuation = 0,
    Text = 1,
    Binary = 2,
    Close = 8,
    Ping = 9,
    Pong = 10,
};

/// Encodes server-side RFC 6455 frames (never masked): headers, whole frames, close payloads.
class WebSocketFrameWriter final {
public:
    /// The frame header for a payload of `payloadLength` bytes (2, 4 or 10 bytes).
    static QByteArray header(WebSocketOpcode opcode, qint64 payloadLength, bool fin = true);
    /// Header and payload in one buffer (a broadcast encodes once and shares it).
    static QByteArray frame(WebSocketOpcode opcode, QByteArrayView payload);
    /// A close frame's payload: the code in network order, then `reason` cut to 123 bytes before
    /// a whole UTF-8 character. Code 1005 ("no status") gives an empty payload.
    static QByteArray closePayload(int code, QByteArrayView reason);
    /// Codes an endpoint may put on the wire: 1000–1003, 1007–1014, 3000–4999.
    static bool isSendableCloseCode(int code);

    static constexpr qsizetype MaxControlPayloadBytes = 125;
    static constexpr qsizetype MaxCloseReasonBytes = 123;
};
