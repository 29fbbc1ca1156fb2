#include "websocket/websocketframewriter.h"

namespace {

constexpr quint8 kFinBit = 0x80;
constexpr qint64 kMax7BitLength = 125;
constexpr qint64 kMax16BitLength = 0xFFFF;
constexpr quint8 kLength16 = 126;
constexpr quint8 kLength64 = 127;
constexpr int kNoStatusCode = 1005;

} // namespace

QByteArray WebSocketFrameWriter::header(WebSocketOpcode opcode, qint64 payloadLength, bool fin) {
    const quint64 len = payloadLength < 0 ? 0 : quint64(payloadLength);
    char buf[10];
    buf[0] = char((fin ? kFinBit : 0) | quint8(opcode));
    qsizetype size = 2;
    if (len <= quint64(kMax7BitLength)) {
        buf[1] = char(len);
    } else if (len <= quint64(kMax16BitLength)) {
        buf[1] = char(kLength16);
        buf[2] = char(len >> 8);
        buf[3] = char(len);
        size = 4;
    } else {
        buf[1] = char(kLength64);
        for (int i = 0; i < 8; ++i)
            buf[2 + i] = char(len >> (56 - 8 * i));
        size = 10;
    }
    return QByteArray(buf, size);
}

QByteArray WebSocketFrameWriter::frame(WebSocketOpcode opcode, QByteArrayView payload) {
    const QByteArray head = header(opcode, payload.size());
    QByteArray out;
    out.reserve(head.size() + payload.size());
    out.append(head);
    out.append(payload);
    return out;
}

QByteArray WebSocketFrameWriter::closePayload(int code, QByteArrayView reason) {
    if (code == kNoStatusCode)
        return {};
    qsizetype cut = std::min(reason.size(), MaxCloseReasonBytes);
    // Back off to a character boundary: never end on a lead or continuation byte of a
    // character that does not fit.
    if (cut < reason.size()) {
        while (cut > 0 && (quint8(reason[cut]) & 0xC0) == 0x80)
            --cut;
    }
    QByteArray out;
    out.reserve(2 + cut);
    out.append(char(quint16(code) >> 8));
    out.append(char(quint16(code) & 0xFF));
    out.append(reason.first(cut));
    return out;
}

bool WebSocketFrameWriter::isSendableCloseCode(int code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}
