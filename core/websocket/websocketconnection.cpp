#include "websocket/websocketconnection.h"

#include "websocket/deleteguard.h"
#include "websocket/websocketframewriter.h"

namespace {

constexpr int kCloseAbnormal = 1006;
constexpr int kCloseInternalError = 1011;

using Initiator = WebSocketCloseInfo::Initiator;

WebSocketFrameParser::Limits parserLimits(const WebSocketConnection::Limits &limits) {
    WebSocketFrameParser::Limits out;
    out.maxMessageBytes = limits.maxMessageBytes;
    return out;
}

} // namespace

WebSocketConnection::WebSocketConnection(std::unique_ptr<ByteStream> stream, const Limits &limits,
                                         Handler *handler)
    : m_stream(std::move(stream))
    , m_handler(handler)
    , m_parser(parserLimits(limits)) {
    m_stream->setListener(this);
    // Nothing is delivered before start() has handled the bytes that came with the head.
    m_stream->setReadingPaused(true);
}

WebSocketConnection::~WebSocketConnection() {
    if (m_deleted)
        *m_deleted = true;
    if (m_stream->listener() == this)
        m_stream->setListener(nullptr);
}

void WebSocketConnection::start(QByteArrayView leftover) {
    if (m_started || m_state == State::Closed)
        return;
    m_started = true;
    DeleteGuard guard(m_deleted);
    if (!m_stream->isOpen()) {
        // The transport ended while the upgrade was being negotiated.
        WebSocketCloseInfo info;
        info.detail = QByteArrayLiteral("transport closed before start");
        finish(std::move(info));
        return;
    }
    if (!leftover.isEmpty()) {
        process(leftover);
        if (guard.deleted())
            return;
    }
    if (m_state != State::Closed && !m_readingPaused)
        m_stream->setReadingPaused(false);
}

bool WebSocketConnection::sendMessage(const QByteArray &payload, bool binary) {
    if (m_state != State::Open)
        return false;
    m_stream->write(WebSocketFrameWriter::header(
                        binary ? WebSocketOpcode::Binary : WebSocketOpcode::Text, payload.size()),
                    payload);
    return true;
}

bool WebSocketConnection::sendEncodedFrame(const QByteArray &frame) {
    if (m_state != State::Open)
        return false;
    m_stream->write(frame);
    return true;
}

bool WebSocketConnection::ping(const QByteArray &payload) {
    if (m_state != State::Open || payload.size() > WebSocketFrameWriter::MaxControlPayloadBytes)
        return false;
    // A pong must echo the payload: keep a private copy (the caller's buffer may change).
    m_pingPayload = QByteArray(payload.constData(), payload.size());
    m_pingOutstanding = true;
    m_pingSent.start();
    sendControl(quint8(WebSocketOpcode::Ping), payload);
    return true;
}

void WebSocketConnection::close(int code, const QByteArray &reason) {
    if (m_state != State::Open)
        return;
    if (!WebSocketFrameWriter::isSendableCloseCode(code))
        code = kCloseInternalError;
    startClosing(code, reason, Initiator::Local);
}

void WebSocketConnection::abort() {
    if (m_state == State::Closed)
        return;
    WebSocketCloseInfo info = m_info;
    if (m_state == State::Open) {
        info.initiator = Initiator::Aborted;
        info.code = kCloseAbnormal;
    }
    // Closing: keep who started it (the owner's grace period ran out): not clean unless both
    // close frames were exchanged already.
    m_stream->abort();
    finish(std::move(info));
}

qint64 WebSocketConnection::bytesToWrite() const {
    return m_stream->bytesToWrite();
}

qint64 WebSocketConnection::messageInProgressForMs() const {
    if (!m_parser.messageInProgress() || !m_messageSince.isValid())
        return 0;
    return m_messageSince.elapsed();
}

qint64 WebSocketConnection::closingForMs() const {
    if (m_state != State::Closing || !m_closingSince.isValid())
        return 0;
    return m_closingSince.elapsed();
}

void WebSocketConnection::setReadingPaused(bool paused) {
    m_readingPaused = paused;
    if (m_started && m_state != State::Closed)
        m_stream->setReadingPaused(paused);
}

void WebSocketConnection::onStreamData(QByteArrayView data) {
    process(data);
}

void WebSocketConnection::process(QByteArrayView data) {
    DeleteGuard guard(m_deleted);
    while (!data.isEmpty() && m_state != State::Closed) {
        if (m_lingering)
            return; // after a protocol error: read and discard until the peer's FIN
        const WebSocketFrameParser::Result r = m_parser.feed(data);
        data = data.sliced(r.consumed);
        switch (r.event) {
        case WebSocketFrameParser::Event::NeedMore:
            break;
        case WebSocketFrameParser::Event::Message: {
            m_messageSince.invalidate();
            QByteArray payload = m_parser.takeMessage();
            if (m_state != State::Open || m_peerClosed) {
                ++m_droppedWhileClosing;
                break;
            }
            m_handler->onWebSocketMessage(std::move(payload), m_parser.messageIsBinary());
            if (guard.deleted())
                return;
            break;
        }
        case WebSocketFrameParser::Event::Ping:
            if (m_state == State::Open && !m_peerClosed)
                answerPing(m_parser.controlPayload());
            break;
        case WebSocketFrameParser::Event::Pong:
            if (m_state == State::Open && m_pingOutstanding &&
                m_parser.controlPayload() == m_pingPayload) {
                m_pingOutstanding = false;
                m_pingPayload = QByteArray();
                m_handler->onWebSocketPong(m_pingSent.elapsed());
                if (guard.deleted())
                    return;
            }
            break; // unsolicited or stale pongs say nothing about liveness
        case WebSocketFrameParser::Event::Close:
            peerClosed(m_parser.closeCode(), m_parser.closeReason());
            if (guard.deleted())
                return;
            break;
        case WebSocketFrameParser::Event::Error:
            protocolError();
            if (guard.deleted())
                return;
            break;
        }
    }
    if (m_state != State::Closed && m_parser.messageInProgress() && !m_messageSince.isValid()) {
        m_messageSince.start();
        m_handler->onWebSocketMessageBegun(); // last: it may delete us
    }
}

void WebSocketConnection::answerPing(const QByteArray &payload) {
    // RFC 6455 §5.5.3: answering only the most recent ping is allowed. At most one pong waits,
    // so a peer that pings and never reads cannot grow our queue.
    if (m_stream->bytesToWrite() == 0) {
        sendControl(quint8(WebSocketOpcode::Pong), payload);
        return;
    }
    m_pendingPong = payload;
    m_pongPending = true;
}

void WebSocketConnection::flushPendingPong() {
    if (!m_pongPending)
        return;
    m_pongPending = false;
    const QByteArray payload = std::exchange(m_pendingPong, QByteArray());
    if (m_state == State::Open && !m_peerClosed)
        sendControl(quint8(WebSocketOpcode::Pong), payload);
}

void WebSocketConnection::sendControl(quint8 opcode, const QByteArray &payload) {
    m_stream->write(WebSocketFrameWriter::frame(WebSocketOpcode(opcode), payload));
}

void WebSocketConnection::peerClosed(int code, const QByteArray &reason) {
    if (m_state == State::Closing) {
        if (m_peerClosed)
            return; // a second close frame: nothing more to do
        // The answer to our close (or to our protocol error): the handshake is complete.
        m_info.code = code;
        m_info.reason = reason;
        m_info.clean = true;
        m_peerClosed = true;
        closeTransportWhenWritten();
        return;
    }
    m_peerClosed = true;
    m_state = State::Closing;
    m_closingSince.start();
    m_pongPending = false;
    m_pendingPong = QByteArray();
    m_info.initiator = Initiator::Peer;
    m_info.code = code;
    m_info.reason = reason;
    // Echo the code (none when the peer sent none); the peer's code passed the parser's check,
    // so it is one we may send.
    m_info.sentCode = code;
    m_info.clean = true;
    sendControl(quint8(WebSocketOpcode::Close), WebSocketFrameWriter::closePayload(code, {}));
    m_stream->shutdownWrite();
    DeleteGuard guard(m_deleted);
    m_handler->onWebSocketClosing(code, reason);
    if (guard.deleted() || m_state == State::Closed)
        return;
    closeTransportWhenWritten();
}

void WebSocketConnection::protocolError() {
    const int code = m_parser.errorCode();
    const QByteArray detail = m_parser.errorDetail();
    if (m_state == State::Closing) {
        // Garbage after a close frame: nothing more is worth reading.
        m_info.detail = detail;
        m_stream->abort();
        finish(m_info);
        return;
    }
    startClosing(code, {}, Initiator::ProtocolError);
    m_info.detail = detail;
    // Read on and discard until the peer's FIN (or the owner's grace period): closing now with
    // unread input would reset the connection, and the peer might never see our close frame.
    m_lingering = true;
    m_stream->shutdownWrite();
}

void WebSocketConnection::startClosing(int code, const QByteArray &reason, Initiator who) {
    m_state = State::Closing;
    m_closingSince.start();
    m_pongPending = false;
    m_pendingPong = QByteArray();
    const QByteArray payload = WebSocketFrameWriter::closePayload(code, reason);
    m_info.initiator = who;
    m_info.sentCode = code;
    m_info.code = code;
    m_info.reason = payload.mid(2);
    sendControl(quint8(WebSocketOpcode::Close), payload);
}

void WebSocketConnection::closeTransportWhenWritten() {
    if (m_stream->bytesToWrite() > 0) {
        // Our close frame is still queued: FIN after it, then close (onStreamDrained).
        m_closeWhenDrained = true;
        m_stream->shutdownWrite();
        return;
    }
    m_stream->abort();
    finish(m_info);
}

void WebSocketConnection::onStreamDrained() {
    DeleteGuard guard(m_deleted);
    if (m_state == State::Closing && m_closeWhenDrained) {
        closeTransportWhenWritten();
        return;
    }
    flushPendingPong();
    if (m_stream->bytesToWrite() > 0 || m_state == State::Closed)
        return;
    m_handler->onWebSocketDrained();
}

void WebSocketConnection::onStreamClosed(ByteStream::CloseReason reason, const QString &detail) {
    if (m_state == State::Closed)
        return;
    WebSocketCloseInfo info = m_info;
    if (m_state == State::Open) {
        info.initiator = Initiator::Vanished;
        info.code = kCloseAbnormal;
        info.sentCode = 0;
    }
    if (info.detail.isEmpty()) {
        info.detail = reason == ByteStream::CloseReason::EndOfStream
                          ? QByteArrayLiteral("end of stream")
                          : detail.toUtf8();
    }
    finish(std::move(info));
}

void WebSocketConnection::finish(WebSocketCloseInfo info) {
    if (m_state == State::Closed)
        return;
    m_state = State::Closed;
    m_info = info;
    m_pongPending = false;
    m_pendingPong = QByteArray();
    m_stream->setListener(nullptr);
    m_handler->onWebSocketClosed(info);
}
