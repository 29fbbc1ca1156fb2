#include "enginedispatcher.h"

#include "epolleventdispatcher.h"

#include <QAbstractEventDispatcher>
#include <QByteArray>

#include <memory>

namespace {

// The run-time fallback: WSGATE_EVENT_DISPATCHER=qt keeps Qt's own dispatcher everywhere.
constexpr char DispatcherVariable[] = "WSGATE_EVENT_DISPATCHER";
constexpr char QtDispatcherValue[] = "qt";

} // namespace

QAbstractEventDispatcher *createEngineEventDispatcher() {
    if (qgetenv(DispatcherVariable) == QtDispatcherValue)
        return nullptr;
#ifdef Q_OS_LINUX
    auto dispatcher = std::make_unique<EpollEventDispatcher>();
    if (!dispatcher->isValid())
        return nullptr; // it has warned; Qt's dispatcher still works
    return dispatcher.release();
#else
    return nullptr;
#endif
}

const char *engineEventDispatcherName(const QAbstractEventDispatcher *dispatcher) {
    if (!dispatcher)
        return "none";
#ifdef Q_OS_LINUX
    if (qobject_cast<const EpollEventDispatcher *>(dispatcher))
        return "epoll";
#endif
    return "qt";
}
