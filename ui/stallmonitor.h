#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

/// Measures how late the GUI thread's event loop runs a short periodic timer: the longest
/// lateness is the longest time the GUI could not react (an event-loop stall).
class StallMonitor final : public QObject {
    Q_OBJECT
public:
    explicit StallMonitor(QObject *parent = nullptr);

    void start();
    /// Longest stall since the last takeMaxStallMs(), in ms; resets it.
    qint64 takeMaxStallMs();
    /// Prints "max event-loop stall: N ms" to stderr every `intervalMs` (for scripts/bench-gui.sh),
    /// and each stall of 50 ms or more when it ends, with its monotonic time.
    void reportToStderr(int intervalMs);

private:
    void tick();

    QTimer m_tick;
    QTimer m_report;
    QElapsedTimer m_clock;
    qint64 m_lastTickMs = 0;
    qint64 m_maxStallMs = 0;
    bool m_reportEach = false;
};
