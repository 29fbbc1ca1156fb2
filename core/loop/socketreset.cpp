#include "socketreset.h"

#if defined(Q_OS_WIN)
#include <winsock2.h>
#else
#include <sys/ioctl.h>
#include <sys/socket.h>
#endif
#if defined(Q_OS_LINUX)
#include <linux/sockios.h>
#endif

bool resetOnClose(qintptr fd) {
    if (fd < 0)
        return false;
    linger option{};
    option.l_onoff = 1;
    option.l_linger = 0;
#if defined(Q_OS_WIN)
    return ::setsockopt(SOCKET(fd), SOL_SOCKET, SO_LINGER, reinterpret_cast<const char *>(&option),
                        int(sizeof option)) == 0;
#else
    return ::setsockopt(int(fd), SOL_SOCKET, SO_LINGER, &option, socklen_t(sizeof option)) == 0;
#endif
}

qint64 kernelUnsentBytes(qintptr fd) {
#if defined(Q_OS_LINUX)
    int unsent = 0;
    if (fd >= 0 && ::ioctl(int(fd), SIOCOUTQ, &unsent) == 0)
        return unsent;
#else
    Q_UNUSED(fd);
#endif
    return -1;
}

bool resetOnCloseIfUnsent(qintptr fd, qint64 queued) {
    // Unknown kernel state counts as unsent only when we hold bytes ourselves.
    const qint64 kernel = kernelUnsentBytes(fd);
    if (queued <= 0 && kernel <= 0)
        return false;
    return resetOnClose(fd);
}
