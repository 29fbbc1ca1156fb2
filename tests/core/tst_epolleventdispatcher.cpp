// EpollEventDispatcher's socket notifiers and timers (cases in the style of
// tests/common/dispatchercase.h; Qt's loops and I/O classes on it: tst_epolleventdispatcher_qtio).

#include "dispatchercase.h"
#include "loop/enginedispatcher.h"
#include "testmain.h"

#ifdef Q_OS_LINUX

#include <QElapsedTimer>
#include <QPointer>
#include <QTemporaryFile>

#include <algorithm>
#include <atomic>
#include <numeric>
#include <vector>

#include <fcntl.h>
#include <sys/resource.h>

using namespace dispatchercase;

namespace {

constexpr int ManyPairs = 5000; // 10,000 descriptors with read notifiers
constexpr int FdHeadroom = 200; // descriptors left for everything else in the process

int g_manyPairs = ManyPairs; // lowered in initTestCase when the hard file limit is small

class TimerRecorder final : public QObject {
public:
    std::function<void(int id)> onTimer;
    QList<int> fired;

protected:
    void timerEvent(QTimerEvent *event) override {
        fired.append(event->timerId());
        if (onTimer)
            onTimer(event->timerId());
    }
};

// Deletes itself in its first timer event.
class SelfDeleting final : public QObject {
public:
    explicit SelfDeleting(int *fires)
        : m_fires(fires) {}

protected:
    void timerEvent(QTimerEvent *) override {
        ++*m_fires;
        delete this;
    }

private:
    int *m_fires;
};

// ---- socket notifiers

QString notifierEnableDisable() {
    SocketPair pair;
    CHECK(pair.valid());
    QSocketNotifier notifier(pair.a, QSocketNotifier::Read);
    int reads = 0;
    countReads(&notifier, &reads);
    CHECK(settle());
    CHECK_EQ(reads, 0);
    pair.poke();
    CHECK(spinUntil([&] { return reads == 1; }));
    notifier.setEnabled(false);
    pair.poke();
    CHECK(settle());
    CHECK_EQ(reads, 1);
    notifier.setEnabled(true);
    CHECK(spinUntil([&] { return reads == 2; }));
    CHECK(settle());
    CHECK_EQ(reads, 2);
    return {};
}

QString readAndWriteOnOneFd() {
    SocketPair pair;
    QSocketNotifier read(pair.a, QSocketNotifier::Read);
    QSocketNotifier write(pair.a, QSocketNotifier::Write);
    QSocketNotifier exception(pair.a, QSocketNotifier::Exception);
    int reads = 0, writes = 0, exceptions = 0;
    countReads(&read, &reads);
    QObject::connect(&write, &QSocketNotifier::activated, [&] {
        ++writes;
        write.setEnabled(false);
    });
    QObject::connect(&exception, &QSocketNotifier::activated, [&] { ++exceptions; });
    CHECK(spinUntil([&] { return writes == 1; }));
    CHECK(settle());
    CHECK_EQ(writes, 1); // disabled while the read notifier stays armed on the same fd
    CHECK_EQ(reads, 0);
    pair.poke();
    CHECK(spinUntil([&] { return reads == 1; }));
    write.setEnabled(true);
    CHECK(spinUntil([&] { return writes == 2; }));
    read.setEnabled(false);
    pair.poke();
    CHECK(settle());
    CHECK_EQ(reads, 1);
    CHECK_EQ(writes, 2);
    CHECK_EQ(exceptions, 0); // no out-of-band data on a unix socket
    read.setEnabled(true);
    CHECK(spinUntil([&] { return reads == 2; }));
    return {};
}

QString errorAndHangUpWakeNotifiers() {
    // Hang-up alone (a pipe's writer closed, nothing to read) wakes a read notifier; an error
    // alone (a full pipe's reader closed) wakes a write notifier.
    int hup[2], err[2];
    CHECK(::pipe2(hup, O_NONBLOCK | O_CLOEXEC) == 0 && ::pipe2(err, O_NONBLOCK | O_CLOEXEC) == 0);
    const QByteArray chunk(4096, 'f');
    while (::write(err[1], chunk.constData(), size_t(chunk.size())) > 0) {
    }
    ::close(hup[1]);
    ::close(err[0]);
    QSocketNotifier read(hup[0], QSocketNotifier::Read);
    QSocketNotifier write(err[1], QSocketNotifier::Write);
    int reads = 0, writes = 0;
    countOnce(&read, &reads);
    countOnce(&write, &writes);
    const bool woke = spinUntil([&] { return reads == 1 && writes == 1; });
    ::close(hup[0]);
    ::close(err[1]);
    CHECK(woke);
    return {};
}

QString deleteInsideActivation() {
    SocketPair own, first, second, same;
    // Deleted by its own activation.
    auto *self = new QSocketNotifier(own.a, QSocketNotifier::Read);
    int selfCount = 0;
    QObject::connect(self, &QSocketNotifier::activated, [&] {
        ++selfCount;
        delete self;
    });
    // Two descriptors, both ready in one pass: whichever runs first deletes the other; and the
    // same with read and write notifiers on one descriptor.
    QPointer<QSocketNotifier> one = new QSocketNotifier(first.a, QSocketNotifier::Read);
    QPointer<QSocketNotifier> two = new QSocketNotifier(second.a, QSocketNotifier::Read);
    QPointer<QSocketNotifier> r = new QSocketNotifier(same.a, QSocketNotifier::Read);
    QPointer<QSocketNotifier> w = new QSocketNotifier(same.a, QSocketNotifier::Write);
    int crossCount = 0, sameCount = 0;
    auto deletes = [](QSocketNotifier *notifier, int *count, QPointer<QSocketNotifier> *victim) {
        countOnce(notifier, count);
        QObject::connect(notifier, &QSocketNotifier::activated, [victim] { delete *victim; });
    };
    deletes(one, &crossCount, &two);
    deletes(two, &crossCount, &one);
    deletes(r, &sameCount, &w);
    deletes(w, &sameCount, &r);
    own.poke();
    first.poke();
    second.poke();
    same.poke();
    CHECK(spinUntil([&] { return selfCount == 1 && crossCount == 1 && sameCount == 1; }));
    CHECK(settle());
    CHECK_EQ(selfCount, 1);
    CHECK_EQ(crossCount, 1);
    CHECK_EQ(sameCount, 1);
    CHECK(one || two);
    CHECK(r || w);
    delete one;
    delete two;
    delete r;
    delete w;
    return {};
}

QString replacedInsideActivation() {
    // Both ready; the first to run disables and re-enables the other, or deletes it, closes its
    // descriptor and puts an empty socket's notifier on the same number. Neither may fire from
    // the readiness the pass started with.
    SocketPair p1, p2, q1, q2;
    QSocketNotifier n1(p1.a, QSocketNotifier::Read), n2(p2.a, QSocketNotifier::Read);
    int c1 = 0, c2 = 0;
    countReads(&n1, &c1);
    countReads(&n2, &c2);
    QObject::connect(&n1, &QSocketNotifier::activated, [&] { n2.setEnabled(false); });
    QObject::connect(&n1, &QSocketNotifier::activated, [&] { n2.setEnabled(true); });
    QObject::connect(&n2, &QSocketNotifier::activated, [&] { n1.setEnabled(false); });
    QObject::connect(&n2, &QSocketNotifier::activated, [&] { n1.setEnabled(true); });
    p1.poke();
    p2.poke();
    CHECK(spinUntil([&] { return c1 == 1 && c2 == 1; }));
    CHECK(settle());
    CHECK_EQ(c1 + c2, 2);

    QPointer<QSocketNotifier> m1 = new QSocketNotifier(q1.a, QSocketNotifier::Read);
    QPointer<QSocketNotifier> m2 = new QSocketNotifier(q2.a, QSocketNotifier::Read);
    int firstCount = 0, replacementCount = 0;
    std::unique_ptr<QSocketNotifier> replacement;
    std::unique_ptr<SocketPair> fresh;
    auto replace = [&](QSocketNotifier *self, QSocketNotifier *other, SocketPair &otherPair) {
        ++firstCount;
        drain(int(self->socket()));
        delete other;
        fresh = std::make_unique<SocketPair>();
        ::dup2(fresh->a, otherPair.a); // the old number now names an empty socket
        replacement = std::make_unique<QSocketNotifier>(otherPair.a, QSocketNotifier::Read);
        QObject::connect(replacement.get(), &QSocketNotifier::activated,
                         [&] { ++replacementCount; });
        self->setEnabled(false);
    };
    QObject::connect(m1, &QSocketNotifier::activated, [&] { replace(m1, m2, q2); });
    QObject::connect(m2, &QSocketNotifier::activated, [&] { replace(m2, m1, q1); });
    q1.poke();
    q2.poke();
    CHECK(spinUntil([&] { return firstCount == 1; }));
    CHECK(settle());
    CHECK_EQ(firstCount, 1);
    CHECK_EQ(replacementCount, 0);
    replacement.reset();
    delete m1;
    delete m2;
    return {};
}

QString thousandsOfNotifiers() {
    std::vector<std::unique_ptr<SocketPair>> pairs;
    std::vector<std::unique_ptr<QSocketNotifier>> notifiers;
    std::vector<int> counts(size_t(g_manyPairs), 0);
    for (int i = 0; i < g_manyPairs; ++i) {
        pairs.push_back(std::make_unique<SocketPair>());
        CHECK(pairs.back()->valid());
        notifiers.push_back(
            std::make_unique<QSocketNotifier>(pairs.back()->a, QSocketNotifier::Read));
        countReads(notifiers.back().get(), &counts[size_t(i)]);
    }
    const int ready[] = {0, 1, g_manyPairs / 2, g_manyPairs - 2, g_manyPairs - 1};
    for (const int i : ready)
        pairs[size_t(i)]->poke();
    auto total = [&] { return std::accumulate(counts.begin(), counts.end(), 0); };
    CHECK(spinUntil([&] { return total() == 5; }));
    CHECK(settle());
    CHECK_EQ(total(), 5);
    for (const int i : ready)
        CHECK_EQ(counts[size_t(i)], 1);
    return {};
}

QString regularFileIsAlwaysReady() {
    // epoll refuses regular files; poll() calls them always readable, and so must we.
    QTemporaryFile file;
    CHECK(file.open());
    QSocketNotifier notifier(file.handle(), QSocketNotifier::Read);
    int reads = 0;
    countOnce(&notifier, &reads);
    CHECK(spinUntil([&] { return reads == 1; }));
    CHECK(settle());
    CHECK_EQ(reads, 1);
    return {};
}

QString processEventsSaysWhetherItDidSomething() {
    SocketPair pair;
    QSocketNotifier notifier(pair.a, QSocketNotifier::Read);
    int reads = 0;
    countReads(&notifier, &reads);
    auto *dispatcher = QAbstractEventDispatcher::instance();
    int idle = 0;
    while (idle < 10 && dispatcher->processEvents(QEventLoop::AllEvents))
        ++idle; // earlier wake-ups drain first
    CHECK(idle < 10);
    CHECK(!dispatcher->processEvents(QEventLoop::AllEvents));
    pair.poke();
    CHECK(dispatcher->processEvents(QEventLoop::AllEvents));
    CHECK_EQ(reads, 1);
    return {};
}

QString nestedLoopInsideActivation() {
    // Both ready in one pass; the first to run spins a nested loop, in which the other runs and
    // consumes its data. Back in the outer pass, the other's readiness is stale: not again.
    SocketPair p1, p2;
    QSocketNotifier n1(p1.a, QSocketNotifier::Read), n2(p2.a, QSocketNotifier::Read);
    int c1 = 0, c2 = 0;
    bool nested = false;
    auto handler = [&](QSocketNotifier *self, int *count) {
        ++*count;
        drain(int(self->socket()));
        if (!nested) {
            nested = true;
            runLoopFor(20);
        }
    };
    QObject::connect(&n1, &QSocketNotifier::activated, [&] { handler(&n1, &c1); });
    QObject::connect(&n2, &QSocketNotifier::activated, [&] { handler(&n2, &c2); });
    p1.poke();
    p2.poke();
    CHECK(spinUntil([&] { return c1 == 1 && c2 == 1; }));
    CHECK(settle());
    CHECK_EQ(c1, 1);
    CHECK_EQ(c2, 1);
    return {};
}

QString disarmedEventsDoNotSpin() {
    // A write notifier disabled while the read notifier of its descriptor stays enabled: the
    // descriptor must stop reporting "writable", or every wait would return at once.
    SocketPair pair;
    QSocketNotifier read(pair.a, QSocketNotifier::Read), write(pair.a, QSocketNotifier::Write);
    int reads = 0, writes = 0;
    countReads(&read, &reads);
    countOnce(&write, &writes);
    CHECK(spinUntil([&] { return writes == 1; }));
    int wakeups = 0;
    QObject context;
    QObject::connect(QAbstractEventDispatcher::instance(), &QAbstractEventDispatcher::awake,
                     &context, [&] { ++wakeups; });
    runLoopFor(100);
    CHECK(wakeups < 20); // a spinning loop wakes up thousands of times in 100 ms
    CHECK_EQ(writes, 1);
    return {};
}

// ---- timers

QString timersOfAllTypes() {
    TimerRecorder recorder;
    QElapsedTimer clock;
    clock.start();
    const int precise = recorder.startTimer(30, Qt::PreciseTimer);
    const int coarse = recorder.startTimer(100, Qt::CoarseTimer);
    const int veryCoarse = recorder.startTimer(1000, Qt::VeryCoarseTimer);
    QList<qint64> at;
    recorder.onTimer = [&](int id) {
        at.append(clock.elapsed());
        recorder.killTimer(id);
    };
    CHECK(spinUntil([&] { return recorder.fired.size() == 3; }));
    CHECK(recorder.fired == (QList<int>{precise, coarse, veryCoarse}));
    CHECK(at[0] >= 30);  // precise: never early
    CHECK(at[1] >= 95);  // coarse: Qt allows 5% either way
    CHECK(at[2] >= 500); // very coarse: whole seconds, the interval rounded to one
    TimerRecorder ticks; // a repeating precise timer keeps its schedule
    clock.restart();
    ticks.startTimer(20, Qt::PreciseTimer);
    CHECK(spinUntil([&] { return ticks.fired.size() == 5; }));
    CHECK(clock.elapsed() >= 100);
    return {};
}

QString zeroTimers() {
    TimerRecorder recorder;
    const int a = recorder.startTimer(0);
    const int b = recorder.startTimer(0);
    auto *dispatcher = QAbstractEventDispatcher::instance();
    dispatcher->processEvents(QEventLoop::AllEvents);
    CHECK_EQ(recorder.fired.count(a), 1); // once per pass
    CHECK_EQ(recorder.fired.count(b), 1);
    // They fire on every pass and never let a wait block.
    bool guardFired = false;
    QTimer::singleShot(WaitMs, [&] { guardFired = true; });
    dispatcher->processEvents(QEventLoop::WaitForMoreEvents);
    CHECK(spinUntil([&] { return recorder.fired.size() >= 200; }));
    CHECK(!guardFired);
    recorder.killTimer(a);
    recorder.killTimer(b);
    return {};
}

QString singleShots() {
    QList<int> order;
    QElapsedTimer clock;
    clock.start();
    qint64 later = -1;
    QObject context;
    QTimer::singleShot(20, &context, [&] {
        order.append(20);
        later = clock.elapsed();
    });
    QTimer::singleShot(0, &context, [&] { order.append(0); });
    CHECK(spinUntil([&] { return order.size() == 2; }));
    CHECK(order == (QList<int>{0, 20}));
    CHECK(later >= 20);
    runLoopFor(50);
    CHECK_EQ(order.size(), 2);
    return {};
}

QString killTimerInsideTimerEvent() {
    TimerRecorder recorder;
    int a = recorder.startTimer(10, Qt::PreciseTimer);
    int b = recorder.startTimer(10, Qt::PreciseTimer);
    int c = -1;
    recorder.onTimer = [&](int id) {
        if (id == c) {
            recorder.killTimer(c);
            c = -2;                      // ids are reused: the third may get the first's
        } else if (id == a || id == b) { // the first of the two kills both, starts a third
            recorder.killTimer(a);
            recorder.killTimer(b);
            a = b = -1;
            c = recorder.startTimer(0);
        }
    };
    CHECK(spinUntil([&] { return recorder.fired.size() == 2; }));
    runLoopFor(60);
    CHECK_EQ(recorder.fired.size(), 2);
    CHECK_EQ(c, -2);
    // An object deleted by its own timer event, with a second timer due in the same pass.
    int deletedFires = 0;
    auto *doomed = new SelfDeleting(&deletedFires);
    doomed->startTimer(5, Qt::PreciseTimer);
    doomed->startTimer(5, Qt::PreciseTimer);
    CHECK(spinUntil([&] { return deletedFires == 1; }));
    runLoopFor(30);
    CHECK_EQ(deletedFires, 1);
    return {};
}

QString remainingTimeAndRegisteredTimers() {
    auto *dispatcher = QAbstractEventDispatcher::instance();
    QObject owner;
    const int precise = owner.startTimer(10000, Qt::PreciseTimer);
    const int coarse = owner.startTimer(500, Qt::CoarseTimer);
    const int veryCoarse = owner.startTimer(3000, Qt::VeryCoarseTimer);
    const int left = dispatcher->remainingTime(precise);
    CHECK(left > 9000 && left <= 10000);
    CHECK_EQ(dispatcher->remainingTime(precise + 100000), -1);
    auto timers = dispatcher->registeredTimers(&owner);
    CHECK_EQ(timers.size(), 3);
    for (const auto &t : timers) {
        CHECK(
            (t.timerId == precise && t.interval == 10000 && t.timerType == Qt::PreciseTimer) ||
            (t.timerId == coarse && t.interval == 500 && t.timerType == Qt::CoarseTimer) ||
            (t.timerId == veryCoarse && t.interval == 3000 && t.timerType == Qt::VeryCoarseTimer));
    }
    owner.killTimer(precise);
    CHECK_EQ(dispatcher->remainingTime(precise), -1);
    CHECK_EQ(dispatcher->registeredTimers(&owner).size(), 2);
    const int zero = owner.startTimer(0);
    CHECK_EQ(dispatcher->remainingTime(zero), 0);
    return {};
}

QString timersFollowMoveToThread() {
    // Unregistered here, registered on the other thread's dispatcher from registeredTimers().
    QThread worker;
    if (qobject_cast<EpollEventDispatcher *>(QAbstractEventDispatcher::instance()))
        worker.setEventDispatcher(new EpollEventDispatcher);
    worker.start();
    auto *recorder = new TimerRecorder;
    std::atomic<QThread *> firedOn{nullptr};
    recorder->onTimer = [&](int id) {
        firedOn = QThread::currentThread();
        recorder->killTimer(id);
        recorder->deleteLater(); // at the latest when the worker finishes
        QThread::currentThread()->quit();
    };
    recorder->startTimer(20, Qt::PreciseTimer);
    recorder->moveToThread(&worker);
    const bool finished = worker.wait(QDeadlineTimer(WaitMs));
    if (!finished) {
        worker.quit();
        worker.wait();
    }
    CHECK(finished);
    CHECK(firedOn.load() == &worker);
    return {};
}

} // namespace

class TestEpollEventDispatcher final : public QObject {
    Q_OBJECT
private slots:
    void initTestCase_data() { addRows(); }
    void initTestCase();
    void init() {
        if (!rowCanRun())
            QSKIP("the main thread runs Qt's dispatcher (WSGATE_EVENT_DISPATCHER=qt)");
    }

    void notifierEnableDisable() { run(&::notifierEnableDisable); }
    void readAndWriteOnOneFd() { run(&::readAndWriteOnOneFd); }
    void errorAndHangUpWakeNotifiers() { run(&::errorAndHangUpWakeNotifiers); }
    void deleteInsideActivation() { run(&::deleteInsideActivation); }
    void replacedInsideActivation() { run(&::replacedInsideActivation); }
    void nestedLoopInsideActivation() { run(&::nestedLoopInsideActivation); }
    void disarmedEventsDoNotSpin() { run(&::disarmedEventsDoNotSpin); }
    void thousandsOfNotifiers() { run(&::thousandsOfNotifiers); }
    void regularFileIsAlwaysReady() { run(&::regularFileIsAlwaysReady); }
    void processEventsSaysWhetherItDidSomething() {
        run(&::processEventsSaysWhetherItDidSomething);
    }
    void timersOfAllTypes() { run(&::timersOfAllTypes); }
    void zeroTimers() { run(&::zeroTimers); }
    void singleShots() { run(&::singleShots); }
    void killTimerInsideTimerEvent() { run(&::killTimerInsideTimerEvent); }
    void remainingTimeAndRegisteredTimers() { run(&::remainingTimeAndRegisteredTimers); }
    void timersFollowMoveToThread() { run(&::timersFollowMoveToThread); }

    void engineDispatcherFallback();
};

void TestEpollEventDispatcher::initTestCase() {
    rlimit limit;
    QVERIFY(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    QVERIFY(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
    g_manyPairs = int(std::min<rlim_t>(ManyPairs, (limit.rlim_cur - FdHeadroom) / 2));
    QVERIFY2(g_manyPairs >= 500, "the open-files limit is far too small");
}

void TestEpollEventDispatcher::engineDispatcherFallback() {
    QFETCH_GLOBAL(int, where);
    if (where != MainThread)
        QSKIP("once is enough");
    const QByteArray saved = qgetenv("WSGATE_EVENT_DISPATCHER");
    qputenv("WSGATE_EVENT_DISPATCHER", "qt");
    QCOMPARE(createEngineEventDispatcher(), nullptr);
    qunsetenv("WSGATE_EVENT_DISPATCHER");
    std::unique_ptr<QAbstractEventDispatcher> made(createEngineEventDispatcher());
    QVERIFY(made);
    QCOMPARE(engineEventDispatcherName(made.get()), "epoll");
    QCOMPARE(engineEventDispatcherName(QAbstractEventDispatcher::instance()), "epoll");
    QCOMPARE(engineEventDispatcherName(nullptr), "none");
    if (!saved.isNull())
        qputenv("WSGATE_EVENT_DISPATCHER", saved);
}

WSGATE_TEST_MAIN(TestEpollEventDispatcher)
#include "tst_epolleventdispatcher.moc"

#else // the dispatcher is Linux only

int main() {
    return 0;
}

#endif
