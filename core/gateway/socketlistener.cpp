#include "socketlistener.h"

#include <QSocketNotifier>
#include <QTimer>

#ifdef Q_OS_UNIX
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace {
constexpr int MaxAcceptsPerWakeup = 256; // then let the loop serve the connections we have
constexpr int PauseAfterFailureMs = 100; // out of memory or buffers: let the system breathe
} // namespace

SocketListener::SocketListener(QObject *parent)
    : QObject(parent) {}

SocketListener::~SocketListener() {
    close();
}

#ifdef Q_OS_UNIX

bool SocketListener::listen(const Options &o, QString *error) {
    close();
    const bool v6 = o.address.protocol() == QAbstractSocket::IPv6Protocol ||
                    o.address == QHostAddress::Any || o.address == QHostAddress::AnyIPv6;
    const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = QString::fromLocal8Bit(std::strerror(errno));
        return false;
    }
    const int one = 1;
    const int zero = 0;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (o.reusePort && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        *error =
            QStringLiteral("SO_REUSEPORT: %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
        ::close(fd);
        return false;
    }
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (v6) {
        auto *a = reinterpret_cast<sockaddr_in6 *>(&storage);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(o.port);
        if (o.address == QHostAddress::Any) {
            a->sin6_addr = in6addr_any;
            ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero); // both stacks
        } else {
            const Q_IPV6ADDR bytes = o.address.toIPv6Address();
            std::memcpy(&a->sin6_addr, &bytes, sizeof bytes);
            a->sin6_scope_id = o.address.scopeId().toUInt();
            ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        }
        length = sizeof(sockaddr_in6);
    } else {
        auto *a = reinterpret_cast<sockaddr_in *>(&storage);
        a->sin_family = AF_INET;
        a->sin_port = htons(o.port);
        a->sin_addr.s_addr = htonl(o.address.toIPv4Address());
        length = sizeof(sockaddr_in);
    }
    if (::bind(fd, reinterpret_cast<sockaddr *>(&storage), length) != 0 ||
        ::listen(fd, o.backlog) != 0) {
        *error = QString::fromLocal8Bit(std::strerror(errno));
        ::close(fd);
        return false;
    }
    length = sizeof storage;
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&storage), &length);
    m_port =
        ntohs(storage.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6 *>(&storage)->sin6_port
                                            : reinterpret_cast<sockaddr_in *>(&storage)->sin_port);
    m_fd = fd;
    m_reserveFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    m_notifier = new QSocketNotifier(qintptr(fd), QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &SocketListener::onReadable);
    return true;
}

void SocketListener::close() {
    delete m_notifier;
    m_notifier = nullptr;
    if (m_fd >= 0)
        ::close(m_fd);
    if (m_reserveFd >= 0)
        ::close(m_reserveFd);
    m_fd = m_reserveFd = -1;
}

void SocketListener::onReadable() {
    for (int i = 0; i < MaxAcceptsPerWakeup && m_fd >= 0; ++i) {
        const int fd = ::accept4(m_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            if (m_handler)
                m_handler(qintptr(fd));
            else
                ::close(fd);
            continue;
        }
        const int e = errno;
        if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == ECONNABORTED || e == EPROTO)
            return;
        const QString message = QString::fromLocal8Bit(std::strerror(e));
        if ((e == EMFILE || e == ENFILE) && m_reserveFd >= 0) {
            // Shed this connection rather than leave it (and the listener's readiness) stuck in
            // the backlog: the reserve descriptor makes room to accept and close it.
            ::close(m_reserveFd);
            const int shed = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (shed >= 0)
                ::close(shed);
            m_reserveFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            QMetaObject::invokeMethod(
                this, [this, message] { Q_EMIT acceptFailed(message, true); },
                Qt::QueuedConnection);
            if (m_reserveFd >= 0)
                continue;
        } else {
            QMetaObject::invokeMethod(
                this,
                [this, message, e] { Q_EMIT acceptFailed(message, e == EMFILE || e == ENFILE); },
                Qt::QueuedConnection);
        }
        m_notifier->setEnabled(false);
        QTimer::singleShot(PauseAfterFailureMs, this, &SocketListener::resume);
        return;
    }
}

void SocketListener::resume() {
    if (m_reserveFd < 0)
        m_reserveFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (m_notifier)
        m_notifier->setEnabled(true);
}

#else // not Q_OS_UNIX: the engine uses QTcpServer there (see WebSocketFront)

bool SocketListener::listen(const Options &, QString *error) {
    *error = QStringLiteral("SocketListener is POSIX only");
    return false;
}
void SocketListener::close() {}
void SocketListener::onReadable() {}
void SocketListener::resume() {}

#endif
