// The scheduler's floor for event-loop stalls: an empty Qt event loop running the same 20 ms
// timer as the console's StallMonitor, for comparison in the same run.
//
//   loopstall SECONDS
//
// Prints "max event-loop stall: N ms" every 5 s, like `wsgate` with WSGATE_REPORT_STALLS=1.
// On a machine whose cores are saturated (PHP workers, the gateway, the load generator), even
// this loop waits for a core; scripts/bench-gui.sh reports the console's stall next to it.

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace {
constexpr int TickIntervalMs = 20;
constexpr int ReportIntervalMs = 5000;
} // namespace

int main(int argc, char **argv) {
    if (argc != 2 || std::atoi(argv[1]) <= 0) {
        std::fprintf(stderr, "usage: loopstall SECONDS\n");
        return 2;
    }
    QCoreApplication app(argc, argv);
    QElapsedTimer clock;
    clock.start();
    qint64 last = 0;
    qint64 maxStall = 0;
    QTimer tick;
    tick.setInterval(TickIntervalMs);
    tick.setTimerType(Qt::PreciseTimer);
    QObject::connect(&tick, &QTimer::timeout, [&] {
        const qint64 now = clock.elapsed();
        maxStall = std::max(maxStall, now - last - TickIntervalMs);
        last = now;
    });
    QTimer report;
    QObject::connect(&report, &QTimer::timeout, [&] {
        std::fprintf(stderr, "max event-loop stall: %lld ms\n", static_cast<long long>(maxStall));
        std::fflush(stderr);
        maxStall = 0;
    });
    tick.start();
    report.start(ReportIntervalMs);
    QTimer::singleShot(std::atoi(argv[1]) * 1000, &app, &QCoreApplication::quit);
    return app.exec();
}
