#pragma once

#include "bytestream.h"

#include <QByteArray>
#include <QHostAddress>
#include <QList>

#include <memory>

class QSocketNotifier;

/// A ByteStream over a connected, non-blocking POSIX socket descriptor: reads into the thread's
/// shared scratch buffer, writes straight to the kernel and keeps only the unsent tail (by
/// reference). An idle stream holds one read notifier and no buffers. POSIX only: adopt()
/// returns nullptr elsewhere.
struct iovec;

class FdStream final : public ByteStream {
public:
    /// Takes ownership of `fd`, an accepted and connected socket (closed on failure too): sets
    /// O_NONBLOCK and TCP_NODELAY, reads both addresses once, starts reading.
    static std::unique_ptr<FdStream> adopt(int fd);
    /// Connects to the unix stream socket at `path` without waiting: a stream when the connect
    /// completed at once (it does whenever the listener's backlog has room), else nullptr with
    /// errno set (ENOENT, ECONNREFUSED, EACCES, EAGAIN when the backlog is full, ENAMETOOLONG),
    /// so the caller can fall back to a socket that waits and names the error.
    static std::unique_ptr<FdStream> connectUnix(const QByteArray &path);
    ~FdStream() override;

    void write(const QByteArray &data) override;
    void write(const QByteArray &head, const QByteArray &body) override;
    /// Three parts in one gather write (a FastCGI request: params, the body by reference, the
    /// record that ends STDIN).
    void write(const QByteArray &head, const QByteArray &body, const QByteArray &tail);
    /// Any number of parts, in order, in one sendmsg() (a FastCGI body of several records:
    /// their headers between slices of the message). The parts need live only during the
    /// call: what the kernel does not take at once is copied.
    void write(const QByteArrayView *parts, qsizetype count);
    /// A write was refused by the kernel (reported to the listener from the event loop).
    bool writeFailed() const { return m_writeFailed; }
    qint64 bytesToWrite() const override { return m_queuedBytes; }
    void setReadingPaused(bool paused) override;
    void shutdownWrite() override;
    void abort() override;
    bool isOpen() const override { return m_fd >= 0; }

    QHostAddress peerAddress() const override { return m_peerAddress; }
    quint16 peerPort() const override { return m_peerPort; }
    QHostAddress localAddress() const override { return m_localAddress; }
    quint16 localPort() const override { return m_localPort; }
    bool isEncrypted() const override { return false; }
    QTcpSocket *detachToQtSocket() override;

    int descriptor() const { return m_fd; }

private:
    explicit FdStream(int fd);

    void onReadable();
    void onWritable();
    void send(const QByteArray *parts, int count); // writes now what the kernel takes
    /// sendmsg(): the bytes the kernel took (0 when it is full), or -1 once writeFailed().
    qint64 sendOrFail(iovec *iov, int count);
    void flushQueue();
    void enqueue(const QByteArray &data, qsizetype offset);
    void ensureWriteNotifier();
    void dropWriteNotifier();
    void dispose(std::unique_ptr<QSocketNotifier> &notifier);
    void writeFailed(int error);
    void closeWith(CloseReason reason, const QString &detail);
    void release();               // closes the descriptor, drops the notifiers and the queue
    void setQueued(qint64 bytes); // m_queuedBytes, told to the budget

    int m_fd = -1;
    std::unique_ptr<QSocketNotifier> m_readNotifier;
    std::unique_ptr<QSocketNotifier> m_writeNotifier; // only while bytes are queued
    QList<QByteArray> m_queue;                        // unsent data, by reference
    qsizetype m_headOffset = 0;                       // bytes of m_queue.first() already sent
    qint64 m_queuedBytes = 0;
    bool m_readingPaused = false;
    bool m_shutdownPending = false; // shutdownWrite() once the queue is empty
    bool m_writeClosed = false;     // shutdownWrite() was called: later writes are dropped
    bool m_writeFailed = false;     // reported from the event loop (never inside write())
    bool m_closeReported = false;
    bool *m_deleted = nullptr;
    QHostAddress m_peerAddress;
    QHostAddress m_localAddress;
    quint16 m_peerPort = 0;
    quint16 m_localPort = 0;
};
