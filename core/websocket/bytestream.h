#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QHostAddress>
#include <QString>

#include <atomic>

class QTcpSocket;

/// A connected, non-blocking byte stream: the transport under one client connection.
///
/// Writes go to the kernel at once; only what it does not take is kept, by reference
/// (QByteArray is implicitly shared, so a broadcast frame is held once for every client).
/// Reads arrive through Listener::onStreamData() as a view into a buffer the stream reuses.
/// Callbacks may call any method of the stream, and may delete it.
class ByteStream {
public:
    enum class CloseReason {
        EndOfStream, // the peer closed its side (FIN)
        Error,       // reset, timeout, TLS failure …: see the detail
    };

    class Listener {
    public:
        virtual ~Listener() = default;
        /// Bytes read; `data` is valid only during the call.
        virtual void onStreamData(QByteArrayView data) = 0;
        /// bytesToWrite() dropped to zero after having been above zero.
        virtual void onStreamDrained() {}
        /// Queued bytes went to the kernel, and more are still queued (progress on a long write).
        virtual void onStreamWriteProgress() {}
        /// The stream is gone (peer closed or an error); no callback follows this one.
        virtual void onStreamClosed(CloseReason reason, const QString &detail) = 0;
    };

    virtual ~ByteStream() = default;
    ByteStream(const ByteStream &) = delete;
    ByteStream &operator=(const ByteStream &) = delete;

    /// The object told about data and closure; may be changed at any time (the handshake
    /// front hands the stream to the WebSocket connection).
    void setListener(Listener *listener) { m_listener = listener; }
    Listener *listener() const { return m_listener; }

    /// Queues `data` after what is queued; nothing is copied.
    virtual void write(const QByteArray &data) = 0;
    /// Queues `head` then `body` (one gather write when both go out at once).
    virtual void write(const QByteArray &head, const QByteArray &body) = 0;
    /// Bytes accepted by write() and not yet taken by the kernel (or the TLS layer).
    virtual qint64 bytesToWrite() const = 0;
    /// Stops or resumes reading; while paused no onStreamData() arrives (the kernel's receive
    /// buffer, then TCP flow control, hold the peer back).
    virtual void setReadingPaused(bool paused) = 0;
    /// Half-closes once everything queued is written (FIN); reading goes on.
    virtual void shutdownWrite() = 0;
    /// Closes at once, dropping what is queued; no callback follows.
    virtual void abort() = 0;
    virtual bool isOpen() const = 0;

    virtual QHostAddress peerAddress() const = 0;
    virtual quint16 peerPort() const = 0;
    virtual QHostAddress localAddress() const = 0;
    virtual quint16 localPort() const = 0;
    virtual bool isEncrypted() const = 0;

    /// Gives the connection to a QTcpSocket (the HTTP server serves it from here) before
    /// anything was written; the stream is closed afterwards, without a callback. Null when it
    /// cannot.
    virtual QTcpSocket *detachToQtSocket() = 0;

    /// Every stream adds its queued bytes to this counter (the gateway-wide outbound budget).
    /// May be set at any time: what is queued already moves from the old counter to the new.
    void setQueuedBytesCounter(std::atomic<qint64> *counter) {
        if (m_queuedCounter)
            m_queuedCounter->fetch_sub(m_counted, std::memory_order_relaxed);
        m_queuedCounter = counter;
        if (m_queuedCounter)
            m_queuedCounter->fetch_add(m_counted, std::memory_order_relaxed);
    }

protected:
    ByteStream() = default;
    /// Implementations report every change of bytesToWrite() here.
    void queuedBytesChanged(qint64 delta) {
        m_counted += delta;
        if (m_queuedCounter && delta)
            m_queuedCounter->fetch_add(delta, std::memory_order_relaxed);
    }

    Listener *m_listener = nullptr;

private:
    std::atomic<qint64> *m_queuedCounter = nullptr;
    qint64 m_counted = 0; // the sum of queuedBytesChanged(): what this stream adds to the counter
};
