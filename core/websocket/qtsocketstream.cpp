#include "websocket/qtsocketstream.h"

#include "loop/socketreset.h"
#include "websocket/deleteguard.h"
#include "websocket/readscratch.h"

#include <QCoreApplication>
#include <QSslSocket>
#include <QTcpSocket>

#if defined(Q_OS_UNIX)
#include <sys/socket.h>
#elif defined(Q_OS_WIN)
#include <winsock2.h>
#endif

namespace {

// Fairness: one delivery round hands at most this much to the listener; the rest follows from
// the event loop.
constexpr qint64 kMaxReadBytesPerRound = 256 * 1024;
// While paused, Qt stops reading from the kernel once its own buffer holds this much.
constexpr qint64 kPausedReadBufferBytes = 16 * 1024;

} // namespace

QtSocketStream::QtSocketStream(std::unique_ptr<QTcpSocket> socket)
    : m_socket(std::move(socket)) {
    QTcpSocket *s = m_socket.get();
    s->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_connections << QObject::connect(s, &QIODevice::readyRead, s, [this] { onReadyRead(); });
    m_connections << QObject::connect(s, &QIODevice::bytesWritten, s, [this] { onBytesWritten(); });
    if (auto *ssl = qobject_cast<QSslSocket *>(s)) {
        m_connections << QObject::connect(ssl, &QSslSocket::encryptedBytesWritten, s,
                                          [this] { onBytesWritten(); });
    }
    m_connections << QObject::connect(s, &QAbstractSocket::errorOccurred, s,
                                      [this](QAbstractSocket::SocketError error) {
                                          if (error == QAbstractSocket::RemoteHostClosedError)
                                              onGone(CloseReason::EndOfStream, QString());
                                          else
                                              onGone(CloseReason::Error, m_socket->errorString());
                                      });
    m_connections << QObject::connect(s, &QAbstractSocket::disconnected, s,
                                      [this] { onGone(CloseReason::EndOfStream, QString()); });
    if (s->bytesAvailable() > 0)
        QMetaObject::invokeMethod(
            s, [this] { onReadyRead(); }, Qt::QueuedConnection);
}

QtSocketStream::~QtSocketStream() {
    if (m_deleted)
        *m_deleted = true;
    queuedBytesChanged(-m_accounted);
    if (!m_socket)
        return; // detached
    for (const auto &c : std::as_const(m_connections))
        QObject::disconnect(c);
    // Queued deliveries have the socket as context: they die with it.
    QCoreApplication::removePostedEvents(m_socket.get(), QEvent::MetaCall);
    m_socket->abort();
    // We may be inside one of the socket's signals.
    m_socket.release()->deleteLater();
}

void QtSocketStream::onReadyRead() {
    if (m_closed || m_readingPaused)
        return;
    DeleteGuard guard(m_deleted);
    ReadScratch scratch;
    qint64 total = 0;
    while (!m_closed && !m_readingPaused && total < kMaxReadBytesPerRound &&
           m_socket->bytesAvailable() > 0) {
        const qint64 n = m_socket->read(scratch.data(), scratch.size());
        if (n <= 0)
            break;
        total += n;
        if (m_listener) {
            m_listener->onStreamData(QByteArrayView(scratch.data(), qsizetype(n)));
            if (guard.deleted())
                return;
        }
    }
    // Qt signals only new data: what is left over is delivered from the next event loop turn.
    if (!m_closed && !m_readingPaused && m_socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(
            m_socket.get(), [this] { onReadyRead(); }, Qt::QueuedConnection);
}

void QtSocketStream::write(const QByteArray &data) {
    if (m_closed || m_writeClosed || data.isEmpty())
        return;
    m_socket->write(data);
    m_hadQueued = m_hadQueued || bytesToWrite() > 0;
    account();
}

void QtSocketStream::write(const QByteArray &head, const QByteArray &body) {
    if (m_closed || m_writeClosed)
        return;
    if (!head.isEmpty())
        m_socket->write(head);
    if (!body.isEmpty())
        m_socket->write(body);
    m_hadQueued = m_hadQueued || bytesToWrite() > 0;
    account();
}

void QtSocketStream::account() {
    const qint64 now = bytesToWrite();
    queuedBytesChanged(now - m_accounted);
    m_accounted = now;
}

QTcpSocket *QtSocketStream::detachToQtSocket() {
    if (m_closed || bytesToWrite() > 0)
        return nullptr;
    m_closed = true;
    for (const auto &c : std::as_const(m_connections))
        QObject::disconnect(c);
    m_connections.clear();
    QCoreApplication::removePostedEvents(m_socket.get(), QEvent::MetaCall);
    return m_socket.release();
}

qint64 QtSocketStream::bytesToWrite() const {
    if (m_closed)
        return 0;
    qint64 n = m_socket->bytesToWrite();
    if (auto *ssl = qobject_cast<QSslSocket *>(m_socket.get()))
        n += ssl->encryptedBytesToWrite();
    return n;
}

void QtSocketStream::onBytesWritten() {
    account();
    if (m_closed || !m_hadQueued || bytesToWrite() > 0)
        return;
    m_hadQueued = false;
    DeleteGuard guard(m_deleted);
    maybeShutdown();
    if (guard.deleted() || m_closed)
        return;
    if (m_listener)
        m_listener->onStreamDrained();
}

void QtSocketStream::setReadingPaused(bool paused) {
    if (m_closed || m_readingPaused == paused)
        return;
    m_readingPaused = paused;
    // Qt reads from the kernel on its own; a bounded read buffer stops it (TCP flow control
    // then holds the peer back). Resuming delivers what Qt holds from the event loop.
    m_socket->setReadBufferSize(paused ? kPausedReadBufferBytes : 0);
    if (!paused && m_socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(
            m_socket.get(), [this] { onReadyRead(); }, Qt::QueuedConnection);
}

void QtSocketStream::shutdownWrite() {
    if (m_closed || m_writeClosed)
        return;
    m_writeClosed = true;
    m_shutdownPending = true;
    if (bytesToWrite() == 0)
        maybeShutdown();
}

void QtSocketStream::maybeShutdown() {
    if (!m_shutdownPending)
        return;
    m_shutdownPending = false;
    if (qobject_cast<QSslSocket *>(m_socket.get())) {
        // TLS has no half-close: close_notify, then the socket closes (disconnected follows).
        m_socket->disconnectFromHost();
        return;
    }
    const qintptr fd = m_socket->socketDescriptor();
    if (fd < 0)
        return;
#if defined(Q_OS_UNIX)
    ::shutdown(int(fd), SHUT_WR);
#elif defined(Q_OS_WIN)
    ::shutdown(SOCKET(fd), SD_SEND);
#endif
}

void QtSocketStream::abort() {
    if (m_closed)
        return;
    m_closed = true;
    for (const auto &c : std::as_const(m_connections))
        QObject::disconnect(c);
    m_connections.clear();
    resetOnCloseIfUnsent(m_socket->socketDescriptor(), m_socket->bytesToWrite());
    m_socket->abort();
    account();
}

bool QtSocketStream::isOpen() const {
    return !m_closed && m_socket->state() == QAbstractSocket::ConnectedState;
}

void QtSocketStream::onGone(CloseReason reason, const QString &detail) {
    if (m_closed)
        return;
    m_closed = true;
    for (const auto &c : std::as_const(m_connections))
        QObject::disconnect(c);
    m_connections.clear();
    account();
    if (m_listener)
        m_listener->onStreamClosed(reason, detail);
}

QHostAddress QtSocketStream::peerAddress() const {
    return m_socket->peerAddress();
}

quint16 QtSocketStream::peerPort() const {
    return m_socket->peerPort();
}

QHostAddress QtSocketStream::localAddress() const {
    return m_socket->localAddress();
}

quint16 QtSocketStream::localPort() const {
    return m_socket->localPort();
}

bool QtSocketStream::isEncrypted() const {
    auto *ssl = qobject_cast<QSslSocket *>(m_socket.get());
    return ssl && ssl->isEncrypted();
}
