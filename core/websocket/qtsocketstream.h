#pragma once

#include "bytestream.h"

#include <QMetaObject>

#include <memory>

class QTcpSocket;

/// A ByteStream over a QTcpSocket it owns: a QSslSocket for wss://, and the portable fallback
/// where FdStream is not available (Windows). Reads go through the thread's scratch buffer;
/// Qt keeps its own socket buffers, so this costs more per connection than FdStream.
class QtSocketStream final : public ByteStream {
public:
    /// Takes a connected socket (encrypted or still handshaking, for a QSslSocket).
    explicit QtSocketStream(std::unique_ptr<QTcpSocket> socket);
    ~QtSocketStream() override;

    void write(const QByteArray &data) override;
    void write(const QByteArray &head, const QByteArray &body) override;
    qint64 bytesToWrite() const override;
    void setReadingPaused(bool paused) override;
    void shutdownWrite() override;
    void abort() override;
    bool isOpen() const override;

    QHostAddress peerAddress() const override;
    quint16 peerPort() const override;
    QHostAddress localAddress() const override;
    quint16 localPort() const override;
    bool isEncrypted() const override;
    QTcpSocket *detachToQtSocket() override;

    QTcpSocket *socket() const { return m_socket.get(); }

private:
    void onReadyRead();
    void onBytesWritten();
    void onGone(CloseReason reason, const QString &detail);
    void maybeShutdown();
    void account(); // tells the budget how bytesToWrite() moved

    std::unique_ptr<QTcpSocket> m_socket;
    QList<QMetaObject::Connection> m_connections;
    bool m_readingPaused = false;
    bool m_hadQueued = false;       // bytesToWrite() was above zero since the last drain
    bool m_shutdownPending = false; // half-close once Qt's buffers are empty
    bool m_writeClosed = false;
    bool m_closed = false; // onStreamClosed() was called, or abort()
    bool *m_deleted = nullptr;
    qint64 m_accounted = 0; // bytesToWrite() as last told to the budget
};
