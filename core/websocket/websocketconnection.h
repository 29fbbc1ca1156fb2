#pragma once

#include "bytestream.h"
#include "websocketframeparser.h"

#include <QByteArray>
#include <QElapsedTimer>

#include <memory>

/// How a WebSocket connection ended, for the close event, the log and the counters.
struct WebSocketCloseInfo {
    enum class Initiator {
        Peer,          // the peer sent a close frame first
        Local,         // close() was called first
        ProtocolError, // the peer broke the protocol or a limit; we closed with `sentCode`
        Vanished,      // the transport ended without a close frame (code 1006)
        Aborted,       // abort() was called
    };
    Initiator initiator = Initiator::Vanished;
    int code = 1006;    // the peer's code (1005 when its close frame had none), else sentCode
    QByteArray reason;  // the peer's reason (UTF-8), else ours
    int sentCode = 0;   // the code of the close frame we sent; 0 when we sent none
    QByteArray detail;  // protocol error or transport detail, for the log
    bool clean = false; // both close frames were exchanged
};

/// One upgraded server-side WebSocket (RFC 6455) over a ByteStream: frames in and out, the
/// closing handshake and pings, with the limits QWebSocket lacks: the message limit counts the
/// assembled message's bytes however it is fragmented, text is validated as UTF-8 across
/// fragments, a peer's pings are answered with at most one pong pending (a ping flood cannot
/// grow memory), pongs nobody asked for are ignored, and every outbound byte — control frames
/// included — is counted in bytesToWrite(). No timers of its own: deadlines (close grace,
/// message assembly) are the owner's sweep, from the times this object reports.
class WebSocketConnection final : private ByteStream::Listener {
public:
    enum class State {
        Open,    // messages flow both ways
        Closing, // a close frame was sent; waiting for the peer's, then the transport closes
        Closed,  // the transport is gone; onWebSocketClosed() was called
    };

    struct Limits {
        qint64 maxMessageBytes = 16 * 1024 * 1024; // inclusive, assembled bytes
    };

    class Handler {
    public:
        virtual ~Handler() = default;
        /// A complete data message (text is valid UTF-8). Not called once state() != Open.
        virtual void onWebSocketMessage(QByteArray payload, bool binary) = 0;
        /// The peer answered our last ping() with its payload, after `rttMs`.
        virtual void onWebSocketPong(qint64 rttMs) = 0;
        /// The peer sent a close frame while Open (already answered): no message follows.
        virtual void onWebSocketClosing(int code, const QByteArray &reason) = 0;
        /// bytesToWrite() dropped to zero after having been above zero.
        virtual void onWebSocketDrained() {}
        /// A data message has begun and is not complete yet (messageInProgressForMs() counts
        /// from now).
        virtual void onWebSocketMessageBegun() {}
        /// The connection is over; no callback follows. The handler may delete the connection
        /// from inside any callback.
        virtual void onWebSocketClosed(const WebSocketCloseInfo &info) = 0;
    };

    WebSocketConnection(std::unique_ptr<ByteStream> stream, const Limits &limits, Handler *handler);
    ~WebSocketConnection() override;

    /// Starts reading; `leftover` are bytes that came with the handshake head (a client may
    /// send its first frames in the same packet). May call the handler before it returns.
    void start(QByteArrayView leftover = {});

    /// Sends one message as a single frame: the header, then `payload` itself (shared, not
    /// copied). False when not Open (nothing is sent).
    bool sendMessage(const QByteArray &payload, bool binary);
    /// Sends a frame encoded by WebSocketFrameWriter::frame() (a broadcast encodes once).
    bool sendEncodedFrame(const QByteArray &frame);
    /// Sends a ping; only a pong with this payload counts as its answer (≤ 125 bytes).
    bool ping(const QByteArray &payload);
    /// Starts the closing handshake with a code a server may send (others become 1011) and a
    /// reason cut to 123 bytes at a character boundary; messages that arrive afterwards are
    /// dropped (counted in droppedWhileClosing()). The transport closes when the peer answers;
    /// if it never does, the owner calls abort() after its grace period (closingForMs()).
    void close(int code, const QByteArray &reason);
    /// Drops the transport now; onWebSocketClosed() follows (Initiator::Aborted) unless the
    /// connection was already Closed.
    void abort();

    State state() const { return m_state; }
    /// Bytes queued towards the peer: messages and control frames.
    qint64 bytesToWrite() const;
    /// Bytes held for an unfinished inbound message (and a partial frame header).
    qint64 bufferedInboundBytes() const { return m_parser.bufferedBytes(); }
    /// A data message has begun and is not complete; for how long (ms). 0 when none.
    qint64 messageInProgressForMs() const;
    bool messageInProgress() const { return m_parser.messageInProgress(); }
    /// ms since close() or a protocol error sent our close frame; 0 when not Closing.
    qint64 closingForMs() const;
    /// Data messages that arrived after our close frame and were not delivered.
    int droppedWhileClosing() const { return m_droppedWhileClosing; }
    /// Stops or resumes reading from the transport.
    void setReadingPaused(bool paused);

    ByteStream *stream() const { return m_stream.get(); }

private:
    // ByteStream::Listener
    void onStreamData(QByteArrayView data) override;
    void onStreamDrained() override;
    void onStreamClosed(ByteStream::CloseReason reason, const QString &detail) override;

    void process(QByteArrayView data);
    void answerPing(const QByteArray &payload);
    void sendControl(quint8 opcode, const QByteArray &payload);
    void flushPendingPong();
    void peerClosed(int code, const QByteArray &reason);
    void protocolError();
    void startClosing(int code, const QByteArray &reason, WebSocketCloseInfo::Initiator who);
    void closeTransportWhenWritten();
    void finish(WebSocketCloseInfo info);

    std::unique_ptr<ByteStream> m_stream;
    Handler *m_handler;
    WebSocketFrameParser m_parser;
    State m_state = State::Open;
    WebSocketCloseInfo m_info;
    QByteArray m_pingPayload; // our outstanding ping
    QElapsedTimer m_pingSent;
    QByteArray m_pendingPong; // the peer's latest ping, answered when the queue drains
    bool m_pingOutstanding = false;
    bool m_pongPending = false;
    bool m_started = false;
    bool m_readingPaused = false;    // as the owner asked
    bool m_peerClosed = false;       // the peer's close frame arrived
    bool m_closeWhenDrained = false; // close the transport once our close frame is written
    bool m_lingering = false;        // protocol error: discard input until the peer's FIN
    QElapsedTimer m_closingSince;
    QElapsedTimer m_messageSince;
    int m_droppedWhileClosing = 0;
    bool *m_deleted = nullptr; // set while inside a callback: lets the handler delete us
};
