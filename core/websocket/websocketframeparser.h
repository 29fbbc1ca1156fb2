#pragma once

#include "utf8validator.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QtGlobal>

/// Resumable, bounded server-side RFC 6455 frame parser: masked client frames in, whole
/// messages and control frames out. No extension is negotiated, so RSV bits are errors.
class WebSocketFrameParser final {
public:
    enum class Event { NeedMore, Message, Ping, Pong, Close, Error };
    struct Limits {
        qint64 maxMessageBytes = 16 * 1024 * 1024; // inclusive, assembled payload bytes
    };
    struct Result {
        Event event = Event::NeedMore;
        qsizetype consumed = 0; // bytes of the input up to and including the event's last byte
    };

    // Two constructors rather than `= {}`: GCC cannot use a nested struct's default member
    // initializers in a default argument inside the enclosing class.
    WebSocketFrameParser();
    explicit WebSocketFrameParser(const Limits &limits);

    /// Feeds the next bytes, in any chunking; stops after each event (feed the rest again).
    /// NeedMore consumes everything. After Error every call returns Error and consumes nothing.
    Result feed(QByteArrayView data);

    /// After Message: the assembled payload (text is valid UTF-8).
    QByteArray takeMessage();
    bool messageIsBinary() const { return m_messageBinary; }

    /// After Ping, Pong or Close: the frame's (unmasked) payload.
    QByteArray controlPayload() const { return m_control; }
    /// After Close: the peer's code (1005 when the frame had none) and reason (valid UTF-8).
    int closeCode() const { return m_closeCode; }
    QByteArray closeReason() const { return m_closeReason; }

    /// After Error: the close code to send (1002, 1007 or 1009) and what was wrong.
    int errorCode() const { return m_errorCode; }
    QByteArray errorDetail() const { return m_errorDetail; }

    /// A data message has begun (a fragment, or part of a data frame) and is not complete.
    bool messageInProgress() const;
    /// Payload bytes of the unfinished data message received so far.
    qint64 messageBytesSoFar() const { return m_messageBytes; }
    /// Bytes held: a partial frame header plus the assembled payload.
    qint64 bufferedBytes() const { return m_headerLen + m_message.size(); }
    const Limits &limits() const { return m_limits; }

private:
    enum class Phase { Header, Payload, Failed };

    bool headerByteArrived(); // validates what the header bytes so far allow; false on error
    bool startPayload();      // the header is complete: limits, buffers
    Event finishFrame();      // the payload is complete: the frame's event (NeedMore for a
                              // non-final fragment)
    Event parseClose();
    Event fail(int code, QByteArray detail);
    void unmask(char *dst, const char *src, qsizetype n);

    Limits m_limits;
    Phase m_phase = Phase::Header;

    // The frame being read.
    quint8 m_header[14] = {};
    int m_headerLen = 0;
    int m_headerSize = 2; // known once the second byte arrived
    quint8 m_opcode = 0;
    bool m_fin = false;
    quint8 m_mask[4] = {};
    qint64 m_payloadLength = 0;
    qint64 m_payloadDone = 0;

    // The data message being assembled (across fragments; survives interleaved control frames).
    bool m_inMessage = false; // its first frame's header was read
    bool m_messageBinary = false;
    qint64 m_messageBytes = 0;
    QByteArray m_message;
    Utf8Validator m_utf8;

    QByteArray m_control; // the current (or last) control frame's payload
    int m_closeCode = 1005;
    QByteArray m_closeReason;
    int m_errorCode = 0;
    QByteArray m_errorDetail;
};
