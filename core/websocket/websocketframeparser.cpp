#include "websocket/websocketframeparser.h"

#include "websocket/websocketframewriter.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace {

constexpr quint8 kFinBit = 0x80;
constexpr quint8 kRsvBits = 0x70;
constexpr quint8 kOpcodeBits = 0x0F;
constexpr quint8 kMaskBit = 0x80;
constexpr quint8 kLengthBits = 0x7F;
constexpr quint8 kLength16 = 126;
constexpr quint8 kLength64 = 127;
constexpr int kMaskKeyBytes = 4;
constexpr qint64 kMaxControlPayloadBytes = 125;
// A frame header announces its length before any payload arrives: reserve at most this much
// up front, so a header alone cannot make us allocate the whole message limit. Beyond it the
// buffer grows geometrically as bytes arrive (realloc, mremap for large blocks).
constexpr qint64 kMaxUpfrontReserveBytes = 1024 * 1024;

constexpr quint8 kOpContinuation = 0;
constexpr quint8 kOpText = 1;
constexpr quint8 kOpBinary = 2;
constexpr quint8 kOpClose = 8;
constexpr quint8 kOpPing = 9;
constexpr quint8 kOpPong = 10;

constexpr int kCloseProtocolError = 1002;
constexpr int kCloseInvalidPayload = 1007;
constexpr int kCloseTooBig = 1009;
constexpr int kCloseNoStatus = 1005;

bool isControl(quint8 opcode) {
    return opcode & 0x08;
}

} // namespace

WebSocketFrameParser::WebSocketFrameParser()
    : WebSocketFrameParser(Limits()) {}

WebSocketFrameParser::WebSocketFrameParser(const Limits &limits)
    : m_limits(limits) {
    if (m_limits.maxMessageBytes < 0)
        m_limits.maxMessageBytes = 0;
}

WebSocketFrameParser::Result WebSocketFrameParser::feed(QByteArrayView data) {
    if (m_phase == Phase::Failed)
        return {Event::Error, 0};
    const char *p = data.data();
    const qsizetype n = data.size();
    qsizetype pos = 0;
    for (;;) {
        if (m_phase == Phase::Header) {
            while (m_headerLen < m_headerSize && pos < n) {
                m_header[m_headerLen++] = quint8(p[pos++]);
                if (m_headerLen <= 2 && !headerByteArrived())
                    return {Event::Error, pos};
            }
            if (m_headerLen < m_headerSize)
                return {Event::NeedMore, pos};
            if (!startPayload())
                return {Event::Error, pos};
        }
        if (m_payloadDone < m_payloadLength) {
            if (pos == n)
                return {Event::NeedMore, pos};
            const qsizetype k =
                qsizetype(std::min<qint64>(m_payloadLength - m_payloadDone, n - pos));
            if (!isControl(m_opcode)) {
                // Straight into the message buffer: the limit was checked at the header.
                const qsizetype old = m_message.size();
                const qint64 need = old + k;
                if (need > m_message.capacity()) {
                    qint64 cap = std::max<qint64>(need, qint64(m_message.capacity()) * 2);
                    cap = std::min<qint64>(cap, m_fin ? m_messageBytes +
                                                            (m_payloadLength - m_payloadDone)
                                                      : m_limits.maxMessageBytes);
                    m_message.reserve(qsizetype(std::max(cap, need)));
                }
                m_message.resize(old + k);
                char *dst = m_message.data() + old;
                unmask(dst, p + pos, k);
                m_messageBytes += k;
                if (!m_messageBinary && !m_utf8.feed(QByteArrayView(dst, k))) {
                    fail(kCloseInvalidPayload, "text message is not valid UTF-8");
                    return {Event::Error, pos + k};
                }
            } else {
                const qsizetype old = m_control.size();
                m_control.resize(old + k);
                unmask(m_control.data() + old, p + pos, k);
            }
            m_payloadDone += k;
            pos += k;
            if (m_payloadDone < m_payloadLength)
                return {Event::NeedMore, pos};
        }
        const Event event = finishFrame();
        if (event != Event::NeedMore)
            return {event, pos};
        if (pos == n)
            return {Event::NeedMore, pos};
    }
}

bool WebSocketFrameParser::headerByteArrived() {
    QByteArray error;
    if (m_headerLen == 1) {
        const quint8 b0 = m_header[0];
        m_fin = b0 & kFinBit;
        m_opcode = b0 & kOpcodeBits;
        const bool known = m_opcode <= kOpBinary || (m_opcode >= kOpClose && m_opcode <= kOpPong);
        if (b0 & kRsvBits)
            error = "RSV bits set (no extension was negotiated)";
        else if (!known)
            error = "reserved opcode " + QByteArray::number(m_opcode);
        else if (isControl(m_opcode) && !m_fin)
            error = "fragmented control frame";
        else if (m_opcode == kOpContinuation && !m_inMessage)
            error = "continuation frame with no message to continue";
        else if ((m_opcode == kOpText || m_opcode == kOpBinary) && m_inMessage)
            error = "new data frame inside a fragmented message";
    } else {
        const quint8 b1 = m_header[1];
        const quint8 len7 = b1 & kLengthBits;
        if (!(b1 & kMaskBit))
            error = "unmasked client frame";
        else if (isControl(m_opcode) && len7 > kMaxControlPayloadBytes)
            error = "control frame payload over 125 bytes";
        m_headerSize = 2 + (len7 == kLength16 ? 2 : len7 == kLength64 ? 8 : 0) + kMaskKeyBytes;
    }
    if (error.isNull())
        return true;
    fail(kCloseProtocolError, std::move(error));
    return false;
}

bool WebSocketFrameParser::startPayload() {
    const quint8 len7 = m_header[1] & kLengthBits;
    int at = 2;
    quint64 length = len7;
    if (len7 == kLength16) {
        length = (quint64(m_header[2]) << 8) | m_header[3];
        at = 4;
    } else if (len7 == kLength64) {
        length = 0;
        for (int i = 0; i < 8; ++i)
            length = (length << 8) | m_header[2 + i];
        at = 10;
        if (length >> 63) {
            fail(kCloseProtocolError, "64-bit payload length with the top bit set");
            return false;
        }
    }
    std::memcpy(m_mask, m_header + at, kMaskKeyBytes);
    m_payloadLength = qint64(length);
    m_payloadDone = 0;
    m_headerLen = 0;
    m_headerSize = 2;
    m_phase = Phase::Payload;

    if (isControl(m_opcode)) {
        m_control = QByteArray();
        m_control.reserve(qsizetype(m_payloadLength));
        return true;
    }
    if (m_opcode != kOpContinuation) {
        m_inMessage = true;
        m_messageBinary = m_opcode == kOpBinary;
        m_messageBytes = 0;
        m_message = QByteArray();
        m_utf8.reset();
    }
    // The limit, from the header alone: nothing of an oversized frame is buffered.
    if (m_payloadLength > m_limits.maxMessageBytes - m_messageBytes) {
        // Said as two numbers: their sum can pass qint64 (a 2^63 - 1 frame after a fragment).
        fail(kCloseTooBig, "frame of " + QByteArray::number(m_payloadLength) + " bytes after " +
                               QByteArray::number(m_messageBytes) +
                               " bytes of the message, over the limit of " +
                               QByteArray::number(m_limits.maxMessageBytes) + " bytes");
        return false;
    }
    const qint64 upfront = std::min(m_payloadLength, kMaxUpfrontReserveBytes);
    const qint64 need = m_message.size() + upfront;
    if (need > m_message.capacity()) {
        qint64 cap = std::max<qint64>(need, qint64(m_message.capacity()) * 2);
        cap = std::min<qint64>(cap,
                               m_fin ? m_messageBytes + m_payloadLength : m_limits.maxMessageBytes);
        m_message.reserve(qsizetype(std::max(cap, need)));
    }
    return true;
}

WebSocketFrameParser::Event WebSocketFrameParser::finishFrame() {
    m_phase = Phase::Header;
    switch (m_opcode) {
    case kOpPing:
        return Event::Ping;
    case kOpPong:
        return Event::Pong;
    case kOpClose:
        return parseClose();
    default:
        break;
    }
    if (!m_fin)
        return Event::NeedMore;
    if (!m_messageBinary && !m_utf8.isComplete())
        return fail(kCloseInvalidPayload, "text message ends inside a UTF-8 character");
    m_inMessage = false;
    m_messageBytes = 0;
    return Event::Message;
}

WebSocketFrameParser::Event WebSocketFrameParser::parseClose() {
    m_closeReason.clear();
    if (m_control.isEmpty()) {
        m_closeCode = kCloseNoStatus;
        return Event::Close;
    }
    if (m_control.size() == 1)
        return fail(kCloseProtocolError, "close frame with a 1-byte payload");
    const int code = (quint8(m_control[0]) << 8) | quint8(m_control[1]);
    if (!WebSocketFrameWriter::isSendableCloseCode(code))
        return fail(kCloseProtocolError,
                    "close code " + QByteArray::number(code) + " is not allowed on the wire");
    const QByteArrayView reason = QByteArrayView(m_control).sliced(2);
    if (!Utf8Validator::isValid(reason))
        return fail(kCloseInvalidPayload, "close reason is not valid UTF-8");
    m_closeCode = code;
    m_closeReason = reason.toByteArray();
    return Event::Close;
}

WebSocketFrameParser::Event WebSocketFrameParser::fail(int code, QByteArray detail) {
    m_phase = Phase::Failed;
    m_errorCode = code;
    m_errorDetail = std::move(detail);
    m_message = QByteArray();
    m_headerLen = 0;
    m_inMessage = false;
    m_messageBytes = 0;
    return Event::Error;
}

QByteArray WebSocketFrameParser::takeMessage() {
    return std::exchange(m_message, QByteArray());
}

bool WebSocketFrameParser::messageInProgress() const {
    return m_inMessage || (m_headerLen > 0 && !isControl(m_opcode));
}

void WebSocketFrameParser::unmask(char *dst, const char *src, qsizetype n) {
    // The key pattern from this payload offset on, two periods wide: XOR a word at a time.
    quint8 pattern[8];
    for (int j = 0; j < 8; ++j)
        pattern[j] = m_mask[(m_payloadDone + j) & 3];
    quint64 key;
    std::memcpy(&key, pattern, sizeof key);
    qsizetype i = 0;
    for (; n - i >= 8; i += 8) {
        quint64 word;
        std::memcpy(&word, src + i, sizeof word);
        word ^= key;
        std::memcpy(dst + i, &word, sizeof word);
    }
    for (; i < n; ++i)
        dst[i] = char(quint8(src[i]) ^ pattern[i & 7]);
}
