#pragma once

#include <QAbstractEventDispatcher>
#include <QHash>

#include <atomic>
#include <cstdint>
#include <unordered_map>
#include <vector>

/// An event dispatcher on Linux epoll: the cost of a wakeup grows with the sockets that are ready
/// and the timers that are due, never with the notifiers and timers registered (Linux only: the
/// .cpp compiles to nothing elsewhere; createEngineEventDispatcher() decides whether to use it).
class EpollEventDispatcher final : public QAbstractEventDispatcher {
    Q_OBJECT
public:
    explicit EpollEventDispatcher(QObject *parent = nullptr);
    ~EpollEventDispatcher() override;

    /// False when the kernel refused the epoll instance or the eventfd (e.g. out of files): the
    /// dispatcher must not be installed then.
    bool isValid() const { return m_epollFd >= 0 && m_wakeFd >= 0; }

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;

    using QAbstractEventDispatcher::registerTimer; // the overload that allocates the id
    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                       QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;

    void wakeUp() override;
    void interrupt() override;

private:
    // Notifiers of one descriptor, by QSocketNotifier::Type (Read, Write, Exception).
    struct FdEntry {
        QSocketNotifier *notifiers[3] = {nullptr, nullptr, nullptr};
        quint64 activatedInPass[3] = {0, 0, 0}; // the newest pass that activated each
        quint32 serial = 0;       // travels in epoll_event.data: stale events are recognised
        quint32 armedEvents = 0;  // what the epoll set holds for this descriptor
        bool alwaysReady = false; // epoll refused it (a regular file): ready on every pass
        bool dirty = false;       // armedEvents is to be brought up to date before the next wait
    };
    struct Timer {
        int id = 0;
        quint64 serial = 0; // tells a re-registered id from the timer a pass started with
        QObject *object = nullptr;
        qint64 intervalMs = 0;
        Qt::TimerType requestedType = Qt::CoarseTimer;
        Qt::TimerType type = Qt::CoarseTimer; // what it runs as (Qt's 20 ms / 20 s rules)
        qint64 expectedNs = 0;                // the exact schedule coarse deadlines round up from
        qint64 deadlineNs = 0;
        quint64 order = 0; // tie-break in the heap: first scheduled, first fired
        int heapIndex = -1;
        quint64 firedPass = 0;
        bool inEvent = false; // its timerEvent is running (maybe in a nested loop): not re-sent
    };
    struct PassResult {
        int counted = 0;     // what processEvents() reports (zero-interval timers excepted)
        bool active = false; // anything at all happened, zero-interval timers included
    };

    PassResult runPass(bool includeNotifiers, bool includeTimers, bool mayWait);
    int activate(int fd, quint32 serial, quint32 events, quint64 pass);
    int activateTimers(quint64 pass, bool *active);
    void drainWakeUps();
    void markDirty(int fd, FdEntry &entry);
    void applyDirty();
    static quint32 wantedEvents(const FdEntry &entry);

    void scheduleFirst(Timer &timer, qint64 nowNs) const;
    void scheduleNext(Timer &timer, qint64 nowNs) const;
    bool earlier(const Timer *a, const Timer *b) const;
    void heapPush(Timer *timer);
    void heapRemove(int index);
    void heapSiftUp(int index);
    void heapSiftDown(int index);
    void removeTimer(std::unordered_map<int, Timer>::iterator it);

    int m_epollFd = -1;
    int m_wakeFd = -1;
    std::atomic<bool> m_wakeUpPending{false};
    std::atomic<bool> m_interrupted{false};
    quint64 m_pass = 0; // one per wait; nested loops run newer passes

    QHash<int, FdEntry> m_fds;
    std::vector<int> m_dirtyFds;
    std::vector<int> m_alwaysReadyFds;
    quint32 m_nextFdSerial = 0;

    std::unordered_map<int, Timer> m_timers; // node-based: the heap's pointers stay valid
    std::unordered_multimap<QObject *, int> m_timersByObject;
    std::vector<Timer *> m_heap;
    quint64 m_nextTimerSerial = 0;
    quint64 m_nextOrder = 0;
};
