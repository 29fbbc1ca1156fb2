#pragma once

#include "enginesample.h"
#include "fpmsample.h"

#include <QWidget>

class QLabel;
class QTableWidget;
class StatCard;
class TimeChart;

/// PHP-FPM pool health next to the traffic: state banner, pool cards, warnings, charts over
/// time (processes, listen queue, gateway queue) and the per-process table.
class FpmPanel final : public QWidget {
    Q_OBJECT
public:
    explicit FpmPanel(QWidget *parent = nullptr);

    /// A copy of the poller's state (about once a second).
    void setFpmSample(const FpmSample &sample);
    /// The gateway's side (queue depth, pool use), every tick.
    void setEngineSample(const EngineSample &sample);
    /// Shown when no engine runs.
    void setStopped();

    QString stateText() const;
    QString warningsText() const;
    QTableWidget *processTable() const { return m_processes; }

private:
    void setCard(StatCard *card, const QString &value, const QString &detail = {},
                 bool warning = false);

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
    TimeChart *m_processChart;
    TimeChart *m_queueChart;
    TimeChart *m_gatewayChart;
    QTableWidget *m_processes;
    qint64 m_lastHistoryMs = 0;
};
