#include "websocket/fdstream.h"

#ifdef Q_OS_UNIX

#include "loop/socketreset.h"
#include "websocket/deleteguard.h"
#include "websocket/readscratch.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QTcpSocket>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

// Fairness: one activation reads at most this much before the event loop serves others.
constexpr qint64 kMaxReadBytesPerActivation = 256 * 1024;
// Buffers handed to one sendmsg() when flushing the queue.
constexpr int kMaxIovecs = 64;
// Parts handed to one write() call.
constexpr int kMaxSendParts = 3;
// Views handed to the one sendmsg() of a write() of many parts (IOV_MAX is 1024); the kernel
// takes ~200 KiB of a unix socket at once, far less than 128 records of 64 KiB.
constexpr int kMaxGatherParts = 256;

void readAddress(int fd, bool peer, QHostAddress &address, quint16 &port) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    auto *sa = reinterpret_cast<sockaddr *>(&ss);
    const int rc = peer ? ::getpeername(fd, sa, &len) : ::getsockname(fd, sa, &len);
    if (rc != 0)
        return;
    if (ss.ss_family == AF_INET) {
        address = QHostAddress(sa);
        port = ntohs(reinterpret_cast<sockaddr_in *>(sa)->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        address = QHostAddress(sa);
        port = ntohs(reinterpret_cast<sockaddr_in6 *>(sa)->sin6_port);
    }
}

// The non-empty parts (QByteArray or QByteArrayView) as at most `max` iovecs; how many.
template <typename Part> int gather(iovec *iov, int max, const Part *parts, qsizetype count) {
    int k = 0;
    for (qsizetype i = 0; i < count && k < max; ++i) {
        if (parts[i].isEmpty())
            continue;
        iov[k].iov_base = const_cast<char *>(parts[i].data());
        iov[k].iov_len = size_t(parts[i].size());
        ++k;
    }
    return k;
}

// sendmsg() rather than writev(): MSG_NOSIGNAL, so a reset peer is an error, not SIGPIPE.
ssize_t sendVector(int fd, iovec *iov, int count) {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = size_t(count);
    ssize_t n;
    do {
        n = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    return n;
}

} // namespace

std::unique_ptr<FdStream> FdStream::adopt(int fd) {
    if (fd < 0)
        return nullptr;
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        ::close(fd);
        return nullptr;
    }
    // Frames are written whole; Nagle would only delay the last segment of each. Not a TCP
    // socket (a socketpair in tests): nothing to set.
    const int one = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return std::unique_ptr<FdStream>(new FdStream(fd));
}

std::unique_ptr<FdStream> FdStream::connectUnix(const QByteArray &path) {
    sockaddr_un address{};
    if (path.isEmpty() || size_t(path.size()) >= sizeof address.sun_path) {
        errno = ENAMETOOLONG;
        return nullptr;
    }
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.constData(), size_t(path.size()));
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return nullptr;
    int rc;
    do {
        rc = ::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        const int error = errno;
        ::close(fd);
        errno = error;
        return nullptr;
    }
    return adopt(fd);
}

FdStream::FdStream(int fd)
    : m_fd(fd) {
    readAddress(fd, true, m_peerAddress, m_peerPort);
    readAddress(fd, false, m_localAddress, m_localPort);
    m_readNotifier = std::make_unique<QSocketNotifier>(qintptr(fd), QSocketNotifier::Read);
    QObject::connect(m_readNotifier.get(), &QSocketNotifier::activated, [this] { onReadable(); });
}

FdStream::~FdStream() {
    if (m_deleted)
        *m_deleted = true;
    release();
}

void FdStream::onReadable() {
    if (m_fd < 0)
        return;
    DeleteGuard guard(m_deleted);
    ReadScratch scratch;
    qint64 total = 0;
    while (m_fd >= 0 && !m_readingPaused && total < kMaxReadBytesPerActivation) {
        const ssize_t n = ::recv(m_fd, scratch.data(), size_t(scratch.size()), 0);
        if (n > 0) {
            total += n;
            if (m_listener) {
                m_listener->onStreamData(QByteArrayView(scratch.data(), qsizetype(n)));
                if (guard.deleted())
                    return;
            }
            if (n < scratch.size())
                break; // the kernel had no more (saves the recv() that would say EAGAIN)
            continue;
        }
        if (n == 0) {
            closeWith(CloseReason::EndOfStream, QString());
            if (guard.deleted())
                return;
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
        closeWith(CloseReason::Error, QString::fromLocal8Bit(std::strerror(errno)));
        if (guard.deleted())
            return;
        break;
    }
}

void FdStream::write(const QByteArray &data) {
    if (m_fd < 0 || m_writeFailed || m_writeClosed || data.isEmpty())
        return;
    if (!m_queue.isEmpty()) {
        enqueue(data, 0);
        return;
    }
    send(&data, 1);
}

void FdStream::write(const QByteArray &head, const QByteArray &body) {
    if (m_fd < 0 || m_writeFailed || m_writeClosed)
        return;
    if (!m_queue.isEmpty()) {
        if (!head.isEmpty())
            enqueue(head, 0);
        if (!body.isEmpty())
            enqueue(body, 0);
        return;
    }
    const QByteArray parts[2] = {head, body};
    send(parts, 2);
}

void FdStream::write(const QByteArray &head, const QByteArray &body, const QByteArray &tail) {
    if (m_fd < 0 || m_writeFailed || m_writeClosed)
        return;
    if (!m_queue.isEmpty()) {
        for (const QByteArray *part : {&head, &body, &tail}) {
            if (!part->isEmpty())
                enqueue(*part, 0);
        }
        return;
    }
    const QByteArray parts[3] = {head, body, tail};
    send(parts, 3);
}

void FdStream::write(const QByteArrayView *parts, qsizetype count) {
    if (m_fd < 0 || m_writeFailed || m_writeClosed)
        return;
    qsizetype first = 0;  // the first part not wholly sent
    qsizetype offset = 0; // bytes of it already sent
    if (m_queue.isEmpty()) {
        // One sendmsg(): a refused one sent nothing (writeFailed() says so, and the FastCGI
        // pool may retry elsewhere), and the kernel rarely takes more than one batch anyway.
        iovec iov[kMaxGatherParts];
        const int k = gather(iov, kMaxGatherParts, parts, count);
        if (k == 0)
            return;
        const qint64 n = sendOrFail(iov, k);
        if (n < 0)
            return;
        for (qint64 sent = n; first < count;) {
            const qsizetype left = parts[first].size() - offset;
            if (sent < left) {
                offset += qsizetype(sent);
                break;
            }
            sent -= left;
            ++first;
            offset = 0;
        }
    }
    // What is left, copied: the caller's buffers may go once this returns.
    qsizetype rest = 0;
    for (qsizetype i = first; i < count; ++i)
        rest += parts[i].size() - (i == first ? offset : 0);
    if (rest == 0)
        return;
    QByteArray copy;
    copy.reserve(rest);
    for (qsizetype i = first; i < count; ++i)
        copy.append(parts[i].sliced(i == first ? offset : 0));
    enqueue(copy, 0);
    ensureWriteNotifier();
}

qint64 FdStream::sendOrFail(iovec *iov, int count) {
    const ssize_t n = sendVector(m_fd, iov, count);
    if (n >= 0)
        return n;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return 0;
    writeFailed(errno);
    return -1;
}

void FdStream::send(const QByteArray *parts, int count) {
    Q_ASSERT(count <= kMaxSendParts);
    iovec iov[kMaxSendParts];
    const int k = gather(iov, kMaxSendParts, parts, count);
    if (k == 0)
        return;
    const qint64 n = sendOrFail(iov, k);
    if (n < 0)
        return;
    // Keep what the kernel did not take, by reference.
    qint64 sent = n;
    for (int i = 0; i < count; ++i) {
        const qsizetype size = parts[i].size();
        if (size == 0)
            continue;
        if (sent >= size) {
            sent -= size;
            continue;
        }
        enqueue(parts[i], qsizetype(sent));
        sent = 0;
    }
    if (!m_queue.isEmpty())
        ensureWriteNotifier();
}

void FdStream::enqueue(const QByteArray &data, qsizetype offset) {
    if (m_queue.isEmpty())
        m_headOffset = offset;
    m_queue.append(data);
    setQueued(m_queuedBytes + data.size() - offset);
}

void FdStream::flushQueue() {
    while (!m_queue.isEmpty()) {
        iovec iov[kMaxIovecs];
        int k = 0;
        for (const QByteArray &part : std::as_const(m_queue)) {
            if (k == kMaxIovecs)
                break;
            const qsizetype skip = k == 0 ? m_headOffset : 0;
            iov[k].iov_base = const_cast<char *>(part.constData() + skip);
            iov[k].iov_len = size_t(part.size() - skip);
            ++k;
        }
        const ssize_t n = sendVector(m_fd, iov, k);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                writeFailed(errno);
            return;
        }
        qint64 sent = n;
        setQueued(m_queuedBytes - n);
        while (sent > 0 && !m_queue.isEmpty()) {
            const qsizetype left = m_queue.first().size() - m_headOffset;
            if (sent < left) {
                m_headOffset += qsizetype(sent);
                break;
            }
            sent -= left;
            m_queue.removeFirst();
            m_headOffset = 0;
        }
        if (n == 0)
            return;
    }
}

void FdStream::onWritable() {
    if (m_fd < 0)
        return;
    const qint64 queuedBefore = m_queuedBytes;
    flushQueue();
    if (m_fd < 0 || m_writeFailed)
        return;
    if (!m_queue.isEmpty()) {
        if (m_listener && m_queuedBytes < queuedBefore) {
            DeleteGuard guard(m_deleted);
            m_listener->onStreamWriteProgress();
        }
        return;
    }
    m_queue = QList<QByteArray>(); // an idle stream holds no list storage
    dropWriteNotifier();
    if (m_shutdownPending) {
        m_shutdownPending = false;
        ::shutdown(m_fd, SHUT_WR);
    }
    if (m_listener) {
        DeleteGuard guard(m_deleted);
        m_listener->onStreamDrained();
        if (guard.deleted())
            return;
    }
}

void FdStream::ensureWriteNotifier() {
    if (m_writeNotifier) {
        m_writeNotifier->setEnabled(true);
        return;
    }
    m_writeNotifier = std::make_unique<QSocketNotifier>(qintptr(m_fd), QSocketNotifier::Write);
    QObject::connect(m_writeNotifier.get(), &QSocketNotifier::activated, [this] { onWritable(); });
}

void FdStream::dropWriteNotifier() {
    dispose(m_writeNotifier);
}

void FdStream::dispose(std::unique_ptr<QSocketNotifier> &notifier) {
    if (!notifier)
        return;
    notifier->setEnabled(false);
    notifier->disconnect();
    // The error report of writeFailed() is queued on the read notifier: it must not outlive us.
    if (m_writeFailed && notifier == m_readNotifier)
        QCoreApplication::removePostedEvents(notifier.get(), QEvent::MetaCall);
    // It may be inside its own activation (a callback deleted or closed us, or the write queue
    // drained): let the event loop delete it.
    notifier.release()->deleteLater();
}

void FdStream::setReadingPaused(bool paused) {
    m_readingPaused = paused;
    if (m_readNotifier)
        m_readNotifier->setEnabled(!paused);
}

void FdStream::shutdownWrite() {
    if (m_fd < 0 || m_writeClosed)
        return;
    m_writeClosed = true;
    if (m_queue.isEmpty())
        ::shutdown(m_fd, SHUT_WR);
    else
        m_shutdownPending = true;
}

void FdStream::writeFailed(int error) {
    m_writeFailed = true;
    m_queue = QList<QByteArray>();
    m_headOffset = 0;
    setQueued(0);
    dropWriteNotifier();
    // Never call the listener from inside its own write(): report from the event loop.
    const QString detail = QString::fromLocal8Bit(std::strerror(error));
    QMetaObject::invokeMethod(
        m_readNotifier.get(),
        [this, detail] {
            DeleteGuard guard(m_deleted);
            closeWith(CloseReason::Error, detail);
        },
        Qt::QueuedConnection);
}

void FdStream::closeWith(CloseReason reason, const QString &detail) {
    if (m_closeReported)
        return;
    m_closeReported = true;
    release();
    if (m_listener)
        m_listener->onStreamClosed(reason, detail);
}

void FdStream::abort() {
    m_closeReported = true;
    if (m_fd >= 0) // a peer that stopped reading: no orphan keeping what it never took
        resetOnCloseIfUnsent(m_fd, m_queuedBytes);
    release();
}

void FdStream::release() {
    if (m_fd < 0)
        return;
    dispose(m_readNotifier);
    dispose(m_writeNotifier);
    ::close(m_fd);
    m_fd = -1;
    m_queue = QList<QByteArray>();
    m_headOffset = 0;
    setQueued(0);
    m_shutdownPending = false;
}

void FdStream::setQueued(qint64 bytes) {
    queuedBytesChanged(bytes - m_queuedBytes);
    m_queuedBytes = bytes;
}

QTcpSocket *FdStream::detachToQtSocket() {
    if (m_fd < 0 || !m_queue.isEmpty())
        return nullptr;
    auto *socket = new QTcpSocket;
    dispose(m_readNotifier);
    dispose(m_writeNotifier);
    const int fd = m_fd;
    m_fd = -1;
    m_closeReported = true;
    if (!socket->setSocketDescriptor(fd)) {
        ::close(fd);
        delete socket;
        return nullptr;
    }
    return socket;
}

#else // !Q_OS_UNIX

std::unique_ptr<FdStream> FdStream::adopt(int) {
    return nullptr;
}

FdStream::FdStream(int fd)
    : m_fd(fd) {}
FdStream::~FdStream() = default;
void FdStream::write(const QByteArray &) {}
void FdStream::write(const QByteArray &, const QByteArray &) {}
void FdStream::write(const QByteArray &, const QByteArray &, const QByteArray &) {}
void FdStream::write(const QByteArrayView *, qsizetype) {}
std::unique_ptr<FdStream> FdStream::connectUnix(const QByteArray &) {
    return nullptr;
}
void FdStream::setReadingPaused(bool) {}
void FdStream::shutdownWrite() {}
void FdStream::abort() {}
QTcpSocket *FdStream::detachToQtSocket() {
    return nullptr;
}
void FdStream::setQueued(qint64) {}

#endif // Q_OS_UNIX
