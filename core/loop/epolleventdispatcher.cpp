#include "epolleventdispatcher.h"

#ifdef Q_OS_LINUX

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QThread>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <ctime>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace {

constexpr int MaxEventsPerWait = 256;         // more ready descriptors wait for the next pass (LT)
constexpr quint64 WakeUpMarker = ~quint64(0); // epoll data of the eventfd: no fd is 0xffffffff
constexpr qint64 NsPerMs = 1000 * 1000;
constexpr qint64 NsPerSecond = 1000 * NsPerMs;
constexpr qint64 MaxIntervalMs = qint64(1) << 40; // ~35 years: keeps nanosecond sums in range
// Qt's rules for Qt::CoarseTimer: at most 5% late; below 20 ms that is under 1 ms, so precise;
// from 20 s on it is over a second, so very coarse.
constexpr qint64 CoarsePreciseBelowMs = 20;
constexpr qint64 CoarseVeryCoarseFromMs = 20000;
constexpr qint64 CoarseSlackDivisor = 20; // 5%
// Coarse deadlines round up to the largest of these that fits in the slack, so that timers of
// similar intervals wake the thread together.
constexpr qint64 CoarseGranularitiesMs[] = {1000, 500, 250, 100, 50, 25, 10, 5, 2, 1};

// Which epoll events activate which notifier type (indexed by QSocketNotifier::Type), as Qt's
// poll dispatcher does: errors and hang-ups wake every notifier of the descriptor.
constexpr quint32 ActivatingEvents[3] = {
    EPOLLIN | EPOLLHUP | EPOLLERR,  // Read
    EPOLLOUT | EPOLLHUP | EPOLLERR, // Write
    EPOLLPRI | EPOLLHUP | EPOLLERR, // Exception
};
constexpr quint32 WantedEvents[3] = {EPOLLIN, EPOLLOUT, EPOLLPRI};
constexpr quint32 AlwaysReadyEvents = EPOLLIN | EPOLLOUT; // what poll() says of regular files

const char *typeName(QSocketNotifier::Type type) {
    switch (type) {
    case QSocketNotifier::Read:
        return "Read";
    case QSocketNotifier::Write:
        return "Write";
    case QSocketNotifier::Exception:
        return "Exception";
    }
    return "?";
}

qint64 monotonicNs() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * NsPerSecond + ts.tv_nsec;
}

// Milliseconds until `deadlineNs`, rounded up so that a wait never ends before it.
int msUntil(qint64 deadlineNs, qint64 nowNs) {
    if (deadlineNs <= nowNs)
        return 0;
    const qint64 ms = (deadlineNs - nowNs + NsPerMs - 1) / NsPerMs;
    return int(std::min<qint64>(ms, INT_MAX));
}

quint64 epollData(int fd, quint32 serial) {
    return (quint64(serial) << 32) | quint32(fd);
}

} // namespace

EpollEventDispatcher::EpollEventDispatcher(QObject *parent)
    : QAbstractEventDispatcher(parent) {
    m_epollFd = epoll_create1(EPOLL_CLOEXEC);
    m_wakeFd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m_epollFd < 0 || m_wakeFd < 0) {
        qErrnoWarning("EpollEventDispatcher: epoll_create1/eventfd");
        return;
    }
    epoll_event ev = {};
    ev.events = EPOLLIN;
    ev.data.u64 = WakeUpMarker;
    if (epoll_ctl(m_epollFd, EPOLL_CTL_ADD, m_wakeFd, &ev) != 0) {
        qErrnoWarning("EpollEventDispatcher: epoll_ctl(eventfd)");
        ::close(m_wakeFd);
        m_wakeFd = -1;
    }
}

EpollEventDispatcher::~EpollEventDispatcher() {
    // Notifiers and timers still registered belong to objects that outlive us (as with Qt's
    // dispatchers, they simply stop firing); only our own descriptors are closed.
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
    if (m_epollFd >= 0)
        ::close(m_epollFd);
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags) {
    m_interrupted.store(false, std::memory_order_relaxed);
    const bool includeNotifiers = !(flags & QEventLoop::ExcludeSocketNotifiers);
    const bool includeTimers = !(flags & QEventLoop::X11ExcludeTimers);
    const bool mayWait = flags & QEventLoop::WaitForMoreEvents;
    // QEventLoop::exec() calls again until it is told to exit; a direct caller that asked to
    // wait is owed an event, so a pass in which nothing at all happened is repeated.
    const bool repeatIdlePasses = mayWait && !(flags & QEventLoop::EventLoopExec);
    for (;;) {
        // Deferred deletes and the loop-level rules are Qt's own, inside sendPostedEvents().
        QCoreApplication::sendPostedEvents();
        if (m_interrupted.load(std::memory_order_acquire))
            return false;
        const PassResult result = runPass(includeNotifiers, includeTimers, mayWait);
        if (result.counted > 0)
            return true;
        if (!repeatIdlePasses || result.active || m_interrupted.load(std::memory_order_acquire))
            return false;
    }
}

EpollEventDispatcher::PassResult EpollEventDispatcher::runPass(bool includeNotifiers,
                                                               bool includeTimers, bool mayWait) {
    PassResult result;
    // Signalled first, as Qt's dispatchers do, so that what its slots start (timers, posted
    // events) is taken into account by the wait.
    if (mayWait)
        emit aboutToBlock();
    if (includeNotifiers)
        applyDirty();

    int timeoutMs = -1;
    if (!mayWait || m_interrupted.load(std::memory_order_acquire) ||
        (includeNotifiers && !m_alwaysReadyFds.empty()))
        timeoutMs = 0;
    else if (includeTimers && !m_heap.empty())
        timeoutMs = msUntil(m_heap.front()->deadlineNs, monotonicNs());

    epoll_event events[MaxEventsPerWait];
    int ready = 0;
    if (includeNotifiers) {
        ready = epoll_wait(m_epollFd, events, MaxEventsPerWait, timeoutMs);
    } else {
        // Only the wake-up descriptor: ready sockets must not end the wait.
        pollfd pfd = {m_wakeFd, POLLIN, 0};
        ready = ::poll(&pfd, 1, timeoutMs);
        if (ready > 0)
            events[0].data.u64 = WakeUpMarker;
    }
    const int waitError = errno;
    if (mayWait)
        emit awake();
    if (ready < 0) {
        errno = waitError;
        if (waitError != EINTR)
            qErrnoWarning("EpollEventDispatcher: epoll_wait");
        ready = 0;
    }
    const quint64 pass = ++m_pass;

    for (int i = 0; i < ready; ++i) {
        if (events[i].data.u64 == WakeUpMarker) {
            drainWakeUps();
            ++result.counted;
            // What woke us is mostly a posted event: deliver it in this call, as glib does, not
            // at the start of the next one, which a caller waiting for it might never make.
            QCoreApplication::sendPostedEvents();
        }
    }
    if (includeNotifiers) {
        for (int i = 0; i < ready; ++i) {
            const quint64 data = events[i].data.u64;
            if (data != WakeUpMarker)
                result.counted +=
                    activate(int(quint32(data)), quint32(data >> 32), events[i].events, pass);
        }
        if (!m_alwaysReadyFds.empty()) {
            // A copy: activations may register or unregister such descriptors.
            const std::vector<int> fds = m_alwaysReadyFds;
            for (const int fd : fds) {
                const auto it = m_fds.constFind(fd);
                if (it != m_fds.constEnd())
                    result.counted += activate(fd, it->serial, AlwaysReadyEvents, pass);
            }
        }
    }
    if (includeTimers)
        result.counted += activateTimers(pass, &result.active);
    result.active = result.active || result.counted > 0;
    return result;
}

int EpollEventDispatcher::activate(int fd, quint32 serial, quint32 events, quint64 pass) {
    int activated = 0;
    for (int type = 0; type < 3; ++type) {
        if (!(events & ActivatingEvents[type]))
            continue;
        // Looked up again for every type: the previous activation may have disabled, deleted or
        // replaced any notifier, or the whole entry (then the serial no longer matches).
        const auto it = m_fds.find(fd);
        if (it == m_fds.end() || it->serial != serial)
            break;
        QSocketNotifier *notifier = it->notifiers[type];
        // A nested loop's newer pass has already activated it: this readiness is stale.
        if (!notifier || it->activatedInPass[type] >= pass)
            continue;
        it->activatedInPass[type] = pass;
        QEvent event(QEvent::SockAct);
        QCoreApplication::sendEvent(notifier, &event);
        ++activated;
    }
    return activated;
}

void EpollEventDispatcher::drainWakeUps() {
    // Read first, then reopen the flag: a wakeUp() in between writes nothing, but whatever it
    // announced is taken by the sendPostedEvents() that precedes the next wait.
    quint64 count = 0;
    [[maybe_unused]] const auto n = ::read(m_wakeFd, &count, sizeof count);
    m_wakeUpPending.store(false, std::memory_order_release);
}

void EpollEventDispatcher::wakeUp() {
    if (m_wakeUpPending.exchange(true, std::memory_order_acq_rel))
        return; // already signalled and not yet drained
    const quint64 one = 1;
    [[maybe_unused]] const auto n = ::write(m_wakeFd, &one, sizeof one);
}

void EpollEventDispatcher::interrupt() {
    m_interrupted.store(true, std::memory_order_release);
    wakeUp();
}

quint32 EpollEventDispatcher::wantedEvents(const FdEntry &entry) {
    quint32 events = 0;
    for (int type = 0; type < 3; ++type) {
        if (entry.notifiers[type])
            events |= WantedEvents[type];
    }
    return events;
}

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier) {
    Q_ASSERT(notifier);
    const int fd = int(notifier->socket());
    const auto type = notifier->type();
    if (fd < 0 || unsigned(type) > 2) {
        qWarning("EpollEventDispatcher: invalid socket notifier (socket %d)", fd);
        return;
    }
    if (notifier->thread() != thread() || thread() != QThread::currentThread()) {
        qWarning("QSocketNotifier: socket notifiers cannot be enabled from another thread");
        return;
    }
    auto it = m_fds.find(fd);
    if (it != m_fds.end()) {
        QSocketNotifier *&slot = it->notifiers[type];
        if (slot && slot != notifier)
            qWarning("EpollEventDispatcher: multiple socket notifiers for socket %d and type %s",
                     fd, typeName(type));
        slot = notifier;
        markDirty(fd, *it);
        return;
    }
    FdEntry entry;
    entry.notifiers[type] = notifier;
    entry.serial = ++m_nextFdSerial;
    epoll_event ev = {};
    ev.events = WantedEvents[type];
    ev.data.u64 = epollData(fd, entry.serial);
    if (epoll_ctl(m_epollFd, EPOLL_CTL_ADD, fd, &ev) == 0) {
        entry.armedEvents = ev.events;
    } else if (errno == EEXIST && epoll_ctl(m_epollFd, EPOLL_CTL_MOD, fd, &ev) == 0) {
        entry.armedEvents = ev.events; // left behind by a descriptor closed while registered
    } else if (errno == EPERM) {
        // Regular files and the like: poll() calls them always ready, and so do we.
        entry.alwaysReady = true;
        m_alwaysReadyFds.push_back(fd);
    } else {
        qErrnoWarning("QSocketNotifier: invalid socket %d and type %s, not enabled", fd,
                      typeName(type));
        return;
    }
    m_fds.insert(fd, entry);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier) {
    Q_ASSERT(notifier);
    const int fd = int(notifier->socket());
    const auto type = notifier->type();
    if (fd < 0 || unsigned(type) > 2)
        return;
    if (notifier->thread() != thread() || thread() != QThread::currentThread()) {
        qWarning("QSocketNotifier: socket notifiers cannot be disabled from another thread");
        return;
    }
    const auto it = m_fds.find(fd);
    if (it == m_fds.end())
        return; // never armed (registration failed)
    QSocketNotifier *&slot = it->notifiers[type];
    if (slot != notifier) {
        if (slot)
            qWarning("EpollEventDispatcher: multiple socket notifiers for socket %d and type %s",
                     fd, typeName(type));
        return;
    }
    slot = nullptr;
    if (wantedEvents(*it) != 0) {
        markDirty(fd, *it);
        return;
    }
    // The last one: removed now, not before the next wait, because the caller may close the
    // descriptor next, and epoll keeps a closed descriptor whose file is still open elsewhere.
    if (it->alwaysReady) {
        m_alwaysReadyFds.erase(std::find(m_alwaysReadyFds.begin(), m_alwaysReadyFds.end(), fd));
    } else if (epoll_ctl(m_epollFd, EPOLL_CTL_DEL, fd, nullptr) != 0 && errno != EBADF &&
               errno != ENOENT) {
        qErrnoWarning("EpollEventDispatcher: epoll_ctl(DEL, %d)", fd);
    }
    m_fds.erase(it);
}

void EpollEventDispatcher::markDirty(int fd, FdEntry &entry) {
    // Changes that keep the descriptor registered wait for the next wait: a write notifier
    // enabled and disabled again within one pass then costs no system call at all.
    if (entry.dirty || entry.alwaysReady)
        return;
    entry.dirty = true;
    m_dirtyFds.push_back(fd);
}

void EpollEventDispatcher::applyDirty() {
    for (const int fd : m_dirtyFds) {
        const auto it = m_fds.find(fd);
        if (it == m_fds.end() || !it->dirty)
            continue; // removed since, or already applied (the fd came twice)
        it->dirty = false;
        const quint32 wanted = wantedEvents(*it);
        if (wanted == it->armedEvents)
            continue;
        epoll_event ev = {};
        ev.events = wanted;
        ev.data.u64 = epollData(fd, it->serial);
        if (epoll_ctl(m_epollFd, EPOLL_CTL_MOD, fd, &ev) != 0 &&
            (errno != ENOENT || epoll_ctl(m_epollFd, EPOLL_CTL_ADD, fd, &ev) != 0)) {
            qErrnoWarning("EpollEventDispatcher: epoll_ctl(MOD, %d)", fd);
            continue;
        }
        it->armedEvents = wanted;
    }
    m_dirtyFds.clear();
}

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                                         QObject *object) {
    if (timerId < 1 || interval < 0 || !object) {
        qWarning("EpollEventDispatcher::registerTimer: invalid arguments");
        return;
    }
    if (object->thread() != thread() || thread() != QThread::currentThread()) {
        qWarning("EpollEventDispatcher::registerTimer: timers cannot be started from another "
                 "thread");
        return;
    }
    const auto existing = m_timers.find(timerId);
    if (existing != m_timers.end())
        removeTimer(existing);
    Timer &timer = m_timers[timerId];
    timer.id = timerId;
    timer.serial = ++m_nextTimerSerial;
    timer.object = object;
    timer.intervalMs = std::min(interval, MaxIntervalMs);
    timer.requestedType = timerType;
    timer.type = timerType;
    if (timer.intervalMs == 0)
        timer.type = Qt::PreciseTimer;
    else if (timerType == Qt::CoarseTimer && timer.intervalMs < CoarsePreciseBelowMs)
        timer.type = Qt::PreciseTimer;
    else if (timerType == Qt::CoarseTimer && timer.intervalMs >= CoarseVeryCoarseFromMs)
        timer.type = Qt::VeryCoarseTimer;
    scheduleFirst(timer, monotonicNs());
    heapPush(&timer);
    m_timersByObject.emplace(object, timerId);
}

bool EpollEventDispatcher::unregisterTimer(int timerId) {
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end())
        return false;
    if (thread() != QThread::currentThread()) {
        qWarning("EpollEventDispatcher::unregisterTimer: timers cannot be stopped from another "
                 "thread");
        return false;
    }
    removeTimer(it);
    return true;
}

bool EpollEventDispatcher::unregisterTimers(QObject *object) {
    if (thread() != QThread::currentThread()) {
        qWarning("EpollEventDispatcher::unregisterTimers: timers cannot be stopped from another "
                 "thread");
        return false;
    }
    std::vector<int> ids;
    const auto range = m_timersByObject.equal_range(object);
    for (auto it = range.first; it != range.second; ++it)
        ids.push_back(it->second);
    for (const int id : ids)
        removeTimer(m_timers.find(id));
    return !ids.empty();
}

QList<QAbstractEventDispatcher::TimerInfo>
EpollEventDispatcher::registeredTimers(QObject *object) const {
    QList<TimerInfo> list;
    const auto range = m_timersByObject.equal_range(object);
    for (auto it = range.first; it != range.second; ++it) {
        const Timer &timer = m_timers.at(it->second);
        // What was asked for: registering it again elsewhere (moveToThread) gives the same timer.
        list.append(TimerInfo(timer.id, int(std::min<qint64>(timer.intervalMs, INT_MAX)),
                              timer.requestedType));
    }
    return list;
}

int EpollEventDispatcher::remainingTime(int timerId) {
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end())
        return -1;
    return msUntil(it->second.deadlineNs, monotonicNs());
}

void EpollEventDispatcher::removeTimer(std::unordered_map<int, Timer>::iterator it) {
    Timer &timer = it->second;
    heapRemove(timer.heapIndex);
    const auto range = m_timersByObject.equal_range(timer.object);
    for (auto o = range.first; o != range.second; ++o) {
        if (o->second == timer.id) {
            m_timersByObject.erase(o);
            break;
        }
    }
    m_timers.erase(it);
}

void EpollEventDispatcher::scheduleFirst(Timer &timer, qint64 nowNs) const {
    if (timer.type == Qt::VeryCoarseTimer) {
        // Whole seconds of the monotonic clock, the interval rounded to the nearest second (as
        // Qt does), past the half-second mark one more: first fire within ±0.5 s of asked.
        const qint64 seconds = std::max<qint64>(1, (timer.intervalMs + 500) / 1000);
        timer.deadlineNs = (nowNs / NsPerSecond + seconds) * NsPerSecond;
        if (nowNs % NsPerSecond > NsPerSecond / 2)
            timer.deadlineNs += NsPerSecond;
        timer.expectedNs = timer.deadlineNs;
        return;
    }
    timer.expectedNs = nowNs + timer.intervalMs * NsPerMs;
    scheduleNext(timer, nowNs); // with expectedNs already in the future: only the rounding
}

void EpollEventDispatcher::scheduleNext(Timer &timer, qint64 nowNs) const {
    const qint64 intervalNs = timer.intervalMs * NsPerMs;
    if (timer.type == Qt::VeryCoarseTimer) {
        const qint64 seconds = std::max<qint64>(1, (timer.intervalMs + 500) / 1000);
        timer.deadlineNs += seconds * NsPerSecond;
        if (timer.deadlineNs <= nowNs) // late: skip the missed ticks
            timer.deadlineNs = (nowNs / NsPerSecond + seconds) * NsPerSecond;
        timer.expectedNs = timer.deadlineNs;
        return;
    }
    if (timer.expectedNs <= nowNs) {
        timer.expectedNs += intervalNs;
        if (timer.expectedNs < nowNs) // late: skip the missed ticks rather than fire in a burst
            timer.expectedNs = nowNs + intervalNs;
    }
    timer.deadlineNs = timer.expectedNs;
    if (timer.type != Qt::CoarseTimer)
        return;
    const qint64 slackMs = timer.intervalMs / CoarseSlackDivisor;
    for (const qint64 granularityMs : CoarseGranularitiesMs) {
        if (granularityMs <= slackMs) {
            const qint64 g = granularityMs * NsPerMs;
            timer.deadlineNs = (timer.expectedNs + g - 1) / g * g; // up: never early
            return;
        }
    }
}

int EpollEventDispatcher::activateTimers(quint64 pass, bool *active) {
    if (m_heap.empty())
        return 0;
    const qint64 nowNs = monotonicNs();
    int counted = 0;
    while (!m_heap.empty()) {
        Timer *timer = m_heap.front();
        // Heap order: nothing behind the first timer not due yet, or already fired in this pass
        // (a zero-interval timer comes back due at once; a nested pass's fire counts too).
        if (timer->deadlineNs > nowNs || timer->firedPass >= pass)
            break;
        timer->firedPass = pass;
        scheduleNext(*timer, nowNs);
        timer->order = ++m_nextOrder;
        heapSiftDown(0);
        *active = true;
        if (timer->intervalMs > 0)
            ++counted; // as Qt's dispatchers: zero timers do not make processEvents() true
        if (timer->inEvent)
            continue; // its handler runs a nested loop: Qt does not re-enter it either
        timer->inEvent = true;
        const int id = timer->id;
        const quint64 serial = timer->serial;
        QTimerEvent event(id);
        QCoreApplication::sendEvent(timer->object, &event);
        // `timer` may be gone (killTimer) or its id reused by a new timer: look it up.
        const auto it = m_timers.find(id);
        if (it != m_timers.end() && it->second.serial == serial)
            it->second.inEvent = false;
    }
    return counted;
}

bool EpollEventDispatcher::earlier(const Timer *a, const Timer *b) const {
    return a->deadlineNs < b->deadlineNs || (a->deadlineNs == b->deadlineNs && a->order < b->order);
}

void EpollEventDispatcher::heapPush(Timer *timer) {
    timer->order = ++m_nextOrder;
    timer->heapIndex = int(m_heap.size());
    m_heap.push_back(timer);
    heapSiftUp(timer->heapIndex);
}

void EpollEventDispatcher::heapRemove(int index) {
    Timer *last = m_heap.back();
    m_heap.pop_back();
    if (index < int(m_heap.size())) {
        m_heap[index] = last;
        last->heapIndex = index;
        heapSiftUp(index);
        heapSiftDown(last->heapIndex);
    }
}

void EpollEventDispatcher::heapSiftUp(int index) {
    Timer *timer = m_heap[index];
    while (index > 0) {
        const int parent = (index - 1) / 2;
        if (!earlier(timer, m_heap[parent]))
            break;
        m_heap[index] = m_heap[parent];
        m_heap[index]->heapIndex = index;
        index = parent;
    }
    m_heap[index] = timer;
    timer->heapIndex = index;
}

void EpollEventDispatcher::heapSiftDown(int index) {
    const int size = int(m_heap.size());
    Timer *timer = m_heap[index];
    for (;;) {
        int child = 2 * index + 1;
        if (child >= size)
            break;
        if (child + 1 < size && earlier(m_heap[child + 1], m_heap[child]))
            ++child;
        if (!earlier(m_heap[child], timer))
            break;
        m_heap[index] = m_heap[child];
        m_heap[index]->heapIndex = index;
        index = child;
    }
    m_heap[index] = timer;
    timer->heapIndex = index;
}

#include "moc_epolleventdispatcher.cpp"

#endif // Q_OS_LINUX
