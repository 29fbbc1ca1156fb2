#pragma once

#include "enginesample.h"
#include "fpmsample.h"

#include <QWidget>

class QLabel;
class QTabWidget;
class QTableWidget;
class SlowLogView;
class StatCard;
class TimeChart;

/// PHP-FPM pool health next to the traffic: state banner, pool cards (counted from the worker
/// list, the gateway's kept-alive connections told apart), the gateway's own cards (FastCGI
/// pool, memory budgets, handshakes), warnings, charts over time, the per-process table and
/// FPM's slowlog.
class FpmPanel final : public QWidget {
    Q_OBJECT
public:
    /// What a worker of the status page is doing, as the console tells it.
    enum class WorkerRole { Busy, Idle, KeptByGateway, StatusPoll };

    explicit FpmPanel(QWidget *parent = nullptr);

    /// A copy of the poller's state (about once a second).
    void setFpmSample(const FpmSample &sample);
    /// The gateway's side (queue depth, pool use, budgets), every tick.
    void setEngineSample(const EngineSample &sample);
    /// Shown when no engine runs.
    void setStopped();

    /// The role of each of `status`'s workers. A kept-alive FastCGI connection the gateway is
    /// not using parks its worker in "Reading headers" (FPM waits for the next request on it)
    /// with a request duration that only grows; a real request reads its headers in well under
    /// a millisecond. So: of the workers in "Reading headers" for at least keptIdleMinUs, the
    /// `gatewayIdle` longest-waiting (the gateway's idle connection count) are its kept ones.
    /// The worker answering `statusPath` is the poll itself.
    static QList<WorkerRole> workerRoles(const FpmStatus &status, int gatewayIdle,
                                         const QString &statusPath);
    static constexpr qint64 KeptIdleMinUs = 50 * 1000;

    QString stateText() const;
    QString warningsText() const;
    QTableWidget *processTable() const { return m_processes; }
    SlowLogView *slowLog() const { return m_slowLog; }
    StatCard *card(const QString &objectName) const;

protected:
    void changeEvent(QEvent *event) override;

private:
    void setCard(StatCard *card, const QString &value, const QString &detail = {},
                 bool warning = false);
    void applyColors();
    void fillProcesses(const FpmStatus &status, const QList<WorkerRole> &roles);

    QLabel *m_banner;
    QLabel *m_enableHelp;
    QLabel *m_warnings;
    StatCard *m_active;
    StatCard *m_idle;
    StatCard *m_total;
    StatCard *m_listenQueue;
    StatCard *m_maxChildren;
    StatCard *m_slow;
    StatCard *m_accepted;
    StatCard *m_manager;
    StatCard *m_memory;
    StatCard *m_gatewayPool;
    StatCard *m_inbound;
    StatCard *m_outbound;
    StatCard *m_handshakes;
    TimeChart *m_processChart;
    TimeChart *m_queueChart;
    TimeChart *m_gatewayChart;
    QTabWidget *m_bottom;
    QTableWidget *m_processes;
    SlowLogView *m_slowLog;
    PhpBackendStats m_pool; // the gateway's, from the last engine sample
    qint64 m_lastHistoryMs = 0;
};
