// What idle connections cost an event loop: round trips per second of one ping-pong socket pair
// on a thread that also holds N idle read notifiers, on Qt's dispatchers (glib, and the poll()
// one that QT_NO_GLIB=1 selects) and on EpollEventDispatcher, all in one run:
//
//   dispatchercost [SECONDS_PER_CELL]
//
// Raises the soft open-files limit to the hard one first; sizes that still do not fit are
// skipped. Each cell is a fresh thread; percentages compare with the same dispatcher at N = 0.

#include "benchcommon.h"
#include "loop/epolleventdispatcher.h"

#include <QAbstractEventDispatcher>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QSocketNotifier>
#include <QThread>
#include <QTimer>

#include <memory>
#include <vector>

#include <sys/socket.h>

namespace {

constexpr int IdleCounts[] = {0, 3000, 9000};
constexpr double DefaultSecondsPerCell = 1.5;
constexpr int WarmUpMs = 200;
constexpr int FdHeadroom = 100; // descriptors for everything but the idle pairs

enum class Kind { Glib, Poll, Epoll };
constexpr Kind Kinds[] = {Kind::Glib, Kind::Poll, Kind::Epoll};

struct Cell {
    double roundTripsPerSecond = 0;
    QByteArray dispatcher; // class name, to show the environment variable did its work
};

void pairOrDie(int fds[2]) {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
        std::perror("socketpair");
        std::exit(1);
    }
}

// Runs on the thread under test.
Cell measure(int idle, int measureMs) {
    std::vector<int> fds;
    std::vector<std::unique_ptr<QSocketNotifier>> idleNotifiers;
    for (int i = 0; i < idle; ++i) {
        int pair[2];
        pairOrDie(pair);
        fds.insert(fds.end(), {pair[0], pair[1]});
        idleNotifiers.push_back(std::make_unique<QSocketNotifier>(pair[0], QSocketNotifier::Read));
    }
    int ping[2];
    pairOrDie(ping);
    QSocketNotifier left(ping[0], QSocketNotifier::Read), right(ping[1], QSocketNotifier::Read);
    quint64 trips = 0;
    auto bounce = [](int fd) {
        char c;
        if (::read(fd, &c, 1) == 1) {
            [[maybe_unused]] const auto n = ::write(fd, &c, 1);
        }
    };
    QObject::connect(&left, &QSocketNotifier::activated, [&] { bounce(ping[0]); });
    QObject::connect(&right, &QSocketNotifier::activated, [&] {
        ++trips;
        bounce(ping[1]);
    });
    [[maybe_unused]] const auto n = ::write(ping[1], "p", 1);

    QElapsedTimer clock;
    QEventLoop loop;
    QTimer::singleShot(WarmUpMs, [&] {
        trips = 0;
        clock.start();
    });
    QTimer::singleShot(WarmUpMs + measureMs, &loop, &QEventLoop::quit);
    loop.exec();
    Cell cell;
    cell.roundTripsPerSecond = double(trips) * 1e9 / double(clock.nsecsElapsed());
    cell.dispatcher = QAbstractEventDispatcher::instance()->metaObject()->className();
    idleNotifiers.clear();
    for (const int fd : fds)
        ::close(fd);
    ::close(ping[0]);
    ::close(ping[1]);
    return cell;
}

Cell runCell(Kind kind, int idle, int measureMs) {
    // Qt reads QT_NO_GLIB whenever a thread creates its dispatcher.
    if (kind == Kind::Poll)
        qputenv("QT_NO_GLIB", "1");
    else
        qunsetenv("QT_NO_GLIB");
    Cell cell;
    std::unique_ptr<QThread> thread(
        QThread::create([&cell, idle, measureMs] { cell = measure(idle, measureMs); }));
    if (kind == Kind::Epoll)
        thread->setEventDispatcher(new EpollEventDispatcher);
    thread->start();
    thread->wait();
    return cell;
}

long raiseFileLimit() {
    rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
    return long(limit.rlim_cur);
}

} // namespace

int main(int argc, char **argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : DefaultSecondsPerCell;
    if (argc > 2 || seconds <= 0) {
        std::fprintf(stderr, "usage: dispatchercost [SECONDS_PER_CELL]\n");
        return 2;
    }
    QCoreApplication app(argc, argv);
    const long files = raiseFileLimit();
    const int measureMs = int(seconds * 1000);

    std::printf("one ping-pong pair, N idle read notifiers, %.1f s per cell, open files %ld\n",
                seconds, files);
    std::printf("%8s  %22s  %22s  %22s  %10s\n", "N idle", "glib (round trips/s)",
                "poll (round trips/s)", "epoll (round trips/s)", "epoll/glib");
    double base[3] = {0, 0, 0};
    QByteArray names[3];
    for (const int idle : IdleCounts) {
        if (2L * idle + FdHeadroom > files) {
            std::printf("%8d  skipped: needs %d open files\n", idle, 2 * idle + FdHeadroom);
            continue;
        }
        double rate[3];
        for (int k = 0; k < 3; ++k) {
            const Cell cell = runCell(Kinds[k], idle, measureMs);
            rate[k] = cell.roundTripsPerSecond;
            names[k] = cell.dispatcher;
            if (idle == 0)
                base[k] = rate[k];
        }
        char cells[3][32];
        for (int k = 0; k < 3; ++k)
            std::snprintf(cells[k], sizeof cells[k], "%10.0f (%5.1f%%)", rate[k],
                          base[k] > 0 ? 100.0 * rate[k] / base[k] : 0.0);
        std::printf("%8d  %22s  %22s  %22s  %9.2fx\n", idle, cells[0], cells[1], cells[2],
                    rate[0] > 0 ? rate[2] / rate[0] : 0.0);
        std::fflush(stdout);
    }
    std::printf("dispatchers: %s, %s, %s\n", names[0].constData(), names[1].constData(),
                names[2].constData());
    return 0;
}
