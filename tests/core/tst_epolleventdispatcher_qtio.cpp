// Qt's event loops and I/O classes on EpollEventDispatcher: wake-ups from other threads,
// interrupt(), nested loops, deleteLater(), the exclusion flags, TCP, local sockets, QProcess
// (cases in the style of tests/common/dispatchercase.h; notifiers and timers:
// tst_epolleventdispatcher).

#include "dispatchercase.h"
#include "testmain.h"

#ifdef Q_OS_LINUX

#include <QElapsedTimer>
#include <QLocalServer>
#include <QLocalSocket>
#include <QPointer>
#include <QProcess>
#include <QSemaphore>
#include <QTcpServer>
#include <QTcpSocket>

#include <atomic>
#include <thread>

using namespace dispatchercase;

namespace {

constexpr qint64 EchoBytes = 1 << 20;

class EventCounter final : public QObject {
public:
    std::atomic<int> userEvents{0};

protected:
    bool event(QEvent *e) override {
        if (e->type() != QEvent::User)
            return QObject::event(e);
        ++userEvents;
        return true;
    }
};

QString wakeUpFromAnotherThread() {
    auto *dispatcher = QAbstractEventDispatcher::instance();
    EventCounter receiver;
    QSemaphore blocking;
    QObject::connect(dispatcher, &QAbstractEventDispatcher::aboutToBlock, &receiver,
                     [&] { blocking.release(); });
    std::atomic<bool> invoked{false};
    std::thread poster([&] {
        blocking.acquire(); // the loop is (about to be) in its wait, with no timer due
        QMetaObject::invokeMethod(
            &receiver, [&] { invoked = true; }, Qt::QueuedConnection);
        blocking.acquire();
        QCoreApplication::postEvent(&receiver, new QEvent(QEvent::User));
    });
    QElapsedTimer clock;
    clock.start();
    const bool delivered = spinUntil([&] { return invoked && receiver.userEvents == 1; });
    poster.join();
    CHECK(delivered);
    CHECK(clock.elapsed() < WaitMs); // woken by the posts, not by spinUntil's guard
    return {};
}

QString interruptEndsWait() {
    auto *dispatcher = QAbstractEventDispatcher::instance();
    QObject context;
    QSemaphore blocking;
    QObject::connect(dispatcher, &QAbstractEventDispatcher::aboutToBlock, &context,
                     [&] { blocking.release(); });
    bool guardFired = false;
    QTimer guard;
    guard.setSingleShot(true);
    QObject::connect(&guard, &QTimer::timeout, [&] { guardFired = true; });
    guard.start(WaitMs);
    std::thread interrupter([&] {
        blocking.acquire();
        dispatcher->interrupt();
    });
    dispatcher->processEvents(QEventLoop::WaitForMoreEvents);
    interrupter.join();
    CHECK(!guardFired);
    return {};
}

QString nestedEventLoop() {
    // A repeating timer's handler runs a nested loop: sockets and other timers keep working in
    // it, the timer itself is not re-entered (as in Qt), and the outer loop resumes after.
    SocketPair pair;
    QSocketNotifier notifier(pair.a, QSocketNotifier::Read);
    int reads = 0;
    countReads(&notifier, &reads);
    QTimer outer, inner;
    outer.setTimerType(Qt::PreciseTimer);
    inner.setTimerType(Qt::PreciseTimer);
    int outerFires = 0, innerFires = 0, outerFiresInside = -1, readsInside = -1;
    QObject::connect(&inner, &QTimer::timeout, [&] { ++innerFires; });
    QObject::connect(&outer, &QTimer::timeout, [&] {
        if (++outerFires > 1)
            return;
        pair.poke();
        inner.start(5);
        QEventLoop nested;
        QObject::connect(&inner, &QTimer::timeout, &nested, [&] {
            if (innerFires >= 5 && reads == 1)
                nested.quit();
        });
        nested.exec();
        outerFiresInside = outerFires;
        readsInside = reads;
        inner.stop();
    });
    outer.start(10);
    CHECK(spinUntil([&] { return outerFires >= 3; }));
    CHECK_EQ(outerFiresInside, 1);
    CHECK_EQ(readsInside, 1);
    CHECK(innerFires >= 5);
    return {};
}

QString deleteLaterSemantics() {
    // Qt's rules, kept because sendPostedEvents() applies them: a deleteLater() from outside any
    // loop waits for one; one from a slot waits for that slot's loop, not for a nested loop the
    // slot runs; one from inside the nested loop is done before that loop returns.
    QPointer<QObject> early = new QObject;
    early->deleteLater();
    QCoreApplication::processEvents();
    CHECK(early);
    runLoopFor(0);
    CHECK(!early);

    QPointer<QObject> fromSlot = new QObject;
    QPointer<QObject> fromNested = new QObject;
    bool aliveAfterNested = false, nestedOneGoneInside = false;
    QEventLoop outer;
    QTimer::singleShot(0, &outer, [&] {
        fromSlot->deleteLater();
        QEventLoop nested;
        QTimer::singleShot(0, &nested, [&] { fromNested->deleteLater(); });
        QTimer::singleShot(30, &nested, &QEventLoop::quit);
        nested.exec();
        aliveAfterNested = bool(fromSlot);
        nestedOneGoneInside = !fromNested;
        QObject::connect(fromSlot, &QObject::destroyed, &outer, &QEventLoop::quit);
    });
    QTimer::singleShot(WaitMs, &outer, &QEventLoop::quit);
    outer.exec();
    CHECK(aliveAfterNested);
    CHECK(nestedOneGoneInside);
    CHECK(!fromSlot);
    return {};
}

QString excludeFlags() {
    // ExcludeSocketNotifiers: a ready socket neither fires nor ends the wait (the timer does);
    // X11ExcludeTimers: a due timer does not fire.
    SocketPair pair;
    QSocketNotifier notifier(pair.a, QSocketNotifier::Read);
    int reads = 0, fires = 0;
    countReads(&notifier, &reads);
    QTimer timer;
    timer.setTimerType(Qt::PreciseTimer);
    QObject::connect(&timer, &QTimer::timeout, [&] { ++fires; });
    timer.start(30);
    pair.poke();
    auto *dispatcher = QAbstractEventDispatcher::instance();
    int wakeups = 0;
    QObject context;
    QObject::connect(dispatcher, &QAbstractEventDispatcher::awake, &context, [&] { ++wakeups; });
    QElapsedTimer clock;
    clock.start();
    while (fires == 0 && clock.elapsed() < WaitMs)
        dispatcher->processEvents(QEventLoop::WaitForMoreEvents |
                                  QEventLoop::ExcludeSocketNotifiers);
    CHECK_EQ(fires, 1);
    CHECK_EQ(reads, 0);
    CHECK(wakeups < 20); // waited for the timer instead of returning for the ready socket
    timer.stop();
    QTimer zero;
    QObject::connect(&zero, &QTimer::timeout, [&] { ++fires; });
    zero.start(0);
    dispatcher->processEvents(QEventLoop::X11ExcludeTimers);
    CHECK_EQ(fires, 1);
    CHECK_EQ(reads, 1);
    dispatcher->processEvents(QEventLoop::AllEvents);
    CHECK_EQ(fires, 2);
    return {};
}

// ---- Qt's I/O classes on top

QString tcpEcho() {
    QTcpServer server;
    CHECK(server.listen(QHostAddress::LocalHost, 0));
    std::unique_ptr<QTcpSocket> accepted;
    QObject::connect(&server, &QTcpServer::newConnection, [&] {
        accepted.reset(server.nextPendingConnection());
        QObject::connect(accepted.get(), &QTcpSocket::readyRead,
                         [&] { accepted->write(accepted->readAll()); });
    });
    QTcpSocket client;
    QByteArray sent(EchoBytes, Qt::Uninitialized), received;
    for (qint64 i = 0; i < EchoBytes; ++i)
        sent[i] = char(i * 7 + i / 251);
    QObject::connect(&client, &QTcpSocket::readyRead, [&] { received += client.readAll(); });
    client.connectToHost(QHostAddress::LocalHost, server.serverPort());
    client.write(sent);
    CHECK(spinUntil([&] { return received.size() >= EchoBytes; }));
    CHECK(received == sent);
    bool closed = false;
    QObject::connect(accepted.get(), &QTcpSocket::disconnected, [&] { closed = true; });
    client.disconnectFromHost();
    CHECK(spinUntil([&] { return closed; }));
    return {};
}

QString localSocketEcho() {
    QLocalServer server;
    static std::atomic<int> serial{0};
    const QString name = QStringLiteral("wsgate-tst-epoll-%1-%2")
                             .arg(QCoreApplication::applicationPid())
                             .arg(++serial);
    QLocalServer::removeServer(name);
    CHECK(server.listen(name));
    std::unique_ptr<QLocalSocket> accepted;
    QObject::connect(&server, &QLocalServer::newConnection, [&] {
        accepted.reset(server.nextPendingConnection());
        QObject::connect(accepted.get(), &QLocalSocket::readyRead,
                         [&] { accepted->write(accepted->readAll()); });
    });
    QLocalSocket client;
    const QByteArray sent(EchoBytes / 4, 'L');
    QByteArray received;
    QObject::connect(&client, &QLocalSocket::readyRead, [&] { received += client.readAll(); });
    client.connectToServer(name);
    client.write(sent);
    CHECK(spinUntil([&] { return received.size() >= sent.size(); }));
    CHECK(received == sent);
    return {};
}

QString processRuns() {
    QProcess process;
    bool finished = false;
    QObject::connect(&process, &QProcess::finished, [&] { finished = true; });
    process.start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), QStringLiteral("cat; exit 3")});
    process.write("through the pipes");
    process.closeWriteChannel();
    CHECK(spinUntil([&] { return finished; }));
    CHECK(process.readAllStandardOutput() == "through the pipes");
    CHECK_EQ(process.exitCode(), 3);
    return {};
}

} // namespace

class TestEpollEventDispatcherQtIo final : public QObject {
    Q_OBJECT
private slots:
    void initTestCase_data() { addRows(); }
    void init() {
        if (!rowCanRun())
            QSKIP("the main thread runs Qt's dispatcher (WSGATE_EVENT_DISPATCHER=qt)");
    }

    void wakeUpFromAnotherThread() { run(&::wakeUpFromAnotherThread); }
    void interruptEndsWait() { run(&::interruptEndsWait); }
    void nestedEventLoop() { run(&::nestedEventLoop); }
    void deleteLaterSemantics() { run(&::deleteLaterSemantics); }
    void excludeFlags() {
        QFETCH_GLOBAL(int, where);
        if (where == QtThread)
            QSKIP("Qt's glib dispatcher activates socket notifiers despite ExcludeSocketNotifiers");
        run(&::excludeFlags);
    }
    void tcpEcho() { run(&::tcpEcho); }
    void localSocketEcho() { run(&::localSocketEcho); }
    void processRuns() { run(&::processRuns); }
};

WSGATE_TEST_MAIN(TestEpollEventDispatcherQtIo)
#include "tst_epolleventdispatcher_qtio.moc"

#else // the dispatcher is Linux only

int main() {
    return 0;
}

#endif
