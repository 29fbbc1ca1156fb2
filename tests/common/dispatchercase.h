#pragma once
// Cases for an event dispatcher (tst_epolleventdispatcher*.cpp): each runs on the main thread
// (WSGATE_TEST_MAIN installs EpollEventDispatcher there), on a QThread given one with
// setEventDispatcher(), and, as the reference that a case asks only what Qt's own dispatchers
// do, on a QThread with Qt's stock dispatcher. A case is a function run on the thread under
// test and returns its failure (empty: passed), because QTest's macros belong to the main thread.

#include <QtGlobal>

#ifdef Q_OS_LINUX

#include "loop/epolleventdispatcher.h"

#include <QAbstractEventDispatcher>
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QEventLoop>
#include <QSocketNotifier>
#include <QString>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <functional>
#include <memory>

#include <sys/socket.h>
#include <unistd.h>

namespace dispatchercase {

inline constexpr int WaitMs = 10000; // generous: a loaded 2-core CI box

enum Where { MainThread, EpollThread, QtThread };

using Case = QString (*)();

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return QStringLiteral("line %1: %2").arg(__LINE__).arg(QLatin1String(#cond));          \
    } while (false)
#define CHECK_EQ(actual, expected)                                                                 \
    do {                                                                                           \
        const qint64 a_ = qint64(actual), e_ = qint64(expected);                                   \
        if (a_ != e_)                                                                              \
            return QStringLiteral("line %1: %2 is %3, expected %4")                                \
                .arg(__LINE__)                                                                     \
                .arg(QLatin1String(#actual))                                                       \
                .arg(a_)                                                                           \
                .arg(e_);                                                                          \
    } while (false)

inline QString runOn(Where where, Case body) {
    if (where == MainThread)
        return body();
    QString failure;
    std::unique_ptr<QThread> thread(QThread::create([&failure, body] { failure = body(); }));
    if (where == EpollThread)
        thread->setEventDispatcher(new EpollEventDispatcher);
    thread->start();
    if (!thread->wait(QDeadlineTimer(4 * WaitMs)))
        qFatal("case hangs on its thread");
    return failure;
}

// Runs this thread's dispatcher, blocking waits included, until `done` or WaitMs.
inline bool spinUntil(const std::function<bool()> &done, int timeoutMs = WaitMs) {
    QDeadlineTimer deadline(timeoutMs);
    QTimer guard; // ends a wait that nothing else would end
    guard.start(timeoutMs);
    QEventLoop loop;
    while (!done()) {
        if (deadline.hasExpired())
            return false;
        loop.processEvents(QEventLoop::WaitForMoreEvents);
    }
    return true;
}

// Runs an event loop (exec) for `ms`: for "nothing else happens meanwhile".
inline void runLoopFor(int ms) {
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

struct SocketPair {
    int a = -1, b = -1;
    SocketPair() {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0) {
            a = fds[0];
            b = fds[1];
        }
    }
    ~SocketPair() {
        if (a >= 0)
            ::close(a);
        if (b >= 0)
            ::close(b);
    }
    bool valid() const { return a >= 0 && b >= 0; }
    void poke() const { [[maybe_unused]] auto n = ::write(b, "x", 1); }
};

inline int drain(int fd) {
    char buf[256];
    int total = 0;
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
        total += int(n);
    return total;
}

// A read notifier counting activations and consuming what it reports.
inline void countReads(QSocketNotifier *notifier, int *count) {
    QObject::connect(notifier, &QSocketNotifier::activated, notifier, [notifier, count] {
        ++*count;
        drain(int(notifier->socket()));
    });
}

// Counts activations and disables the notifier: exactly one activation per enable.
inline void countOnce(QSocketNotifier *notifier, int *count) {
    QObject::connect(notifier, &QSocketNotifier::activated, notifier, [notifier, count] {
        ++*count;
        notifier->setEnabled(false);
    });
}

// Proves a pass ran with everything ready now: a sentinel made readable now is reported by the
// same wait as anything already readable, then two more passes run without waiting.
inline bool settle() {
    SocketPair pair;
    QSocketNotifier notifier(pair.a, QSocketNotifier::Read);
    int fired = 0;
    countReads(&notifier, &fired);
    pair.poke();
    const bool ok = spinUntil([&] { return fired == 1; });
    QCoreApplication::processEvents();
    QCoreApplication::processEvents();
    return ok;
}

// The rows of every test function (initTestCase_data).
inline void addRows() {
    QTest::addColumn<int>("where");
    QTest::newRow("main thread, epoll") << int(MainThread);
    QTest::newRow("own QThread, epoll") << int(EpollThread);
    QTest::newRow("QThread, Qt's dispatcher (reference)") << int(QtThread);
}

// The body of a test function: `body` on the row's thread.
inline void run(Case body) {
    QFETCH_GLOBAL(int, where);
    const QString failure = runOn(Where(where), body);
    QVERIFY2(failure.isEmpty(), qPrintable(failure));
}

// For init(): the main-thread rows need the main thread on epoll (not WSGATE_EVENT_DISPATCHER=qt).
inline bool rowCanRun() {
    QFETCH_GLOBAL(int, where);
    return where != MainThread ||
           qobject_cast<EpollEventDispatcher *>(QAbstractEventDispatcher::instance());
}

} // namespace dispatchercase

#endif // Q_OS_LINUX
