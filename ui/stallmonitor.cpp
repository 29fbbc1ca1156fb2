#include "stallmonitor.h"

#include <cstdio>

namespace {
constexpr int TickIntervalMs = 20;
constexpr qint64 ReportEachStallMs = 50; // the target: no stall this long
} // namespace

StallMonitor::StallMonitor(QObject *parent)
    : QObject(parent) {
    m_tick.setInterval(TickIntervalMs);
    m_tick.setTimerType(Qt::PreciseTimer);
    connect(&m_tick, &QTimer::timeout, this, &StallMonitor::tick);
    connect(&m_report, &QTimer::timeout, this, [this] {
        std::fprintf(stderr, "max event-loop stall: %lld ms\n",
                     static_cast<long long>(takeMaxStallMs()));
        std::fflush(stderr);
    });
}

void StallMonitor::start() {
    m_clock.start();
    m_lastTickMs = 0;
    m_tick.start();
}

void StallMonitor::tick() {
    const qint64 now = m_clock.elapsed();
    const qint64 late = now - m_lastTickMs - TickIntervalMs;
    if (late > m_maxStallMs)
        m_maxStallMs = late;
    if (m_reportEach && late >= ReportEachStallMs) {
        // Monotonic time (as perf and /proc use), to match a stall with a profile.
        std::fprintf(stderr, "event-loop stall: %lld ms, ended at %.3f s\n",
                     static_cast<long long>(late),
                     double(m_clock.msecsSinceReference() + now) / 1000.0);
    }
    m_lastTickMs = now;
}

qint64 StallMonitor::takeMaxStallMs() {
    const qint64 max = m_maxStallMs;
    m_maxStallMs = 0;
    return max;
}

void StallMonitor::reportToStderr(int intervalMs) {
    m_reportEach = true;
    m_report.start(intervalMs);
}
