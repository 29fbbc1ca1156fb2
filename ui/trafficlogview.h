#pragma once

#include "observe/trafficentry.h"

#include <QVector>
#include <QWidget>

#include <deque>

class QAction;
class QCheckBox;
class QLabel;
class SteadyLabel;
class QLineEdit;
class QSplitter;
class QTableView;
class QToolButton;
class TrafficDetailWidget;
class TrafficFilterProxyModel;
class TrafficLogModel;

/// The traffic log: filterable table that follows the tail while the user is at the bottom,
/// pause, clear, export to JSON Lines, and the detail pane for the selected row.
class TrafficLogView final : public QWidget {
    Q_OBJECT
public:
    explicit TrafficLogView(int capacity, QWidget *parent = nullptr);

    TrafficLogModel *model() const { return m_model; }
    TrafficFilterProxyModel *proxy() const { return m_proxy; }
    QTableView *table() const { return m_table; }
    TrafficDetailWidget *detail() const { return m_detail; }
    QSplitter *splitter() const { return m_splitter; }

    void setCapacity(int capacity);
    /// Takes a batch from the controller; while paused it is held (bounded) until resumed.
    void appendEntries(const QVector<TrafficEntry> &entries);
    /// Shows only this client's traffic (empty: all).
    void setClientFilter(const QByteArray &clientId);
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    void clear();
    void focusFilter();
    /// Writes the rows that pass the filter as JSON Lines; false with `error` on I/O failure.
    bool exportJsonLines(const QString &fileName, QString *error) const;
    /// Selects the row of this entry id (if shown) and builds its detail.
    bool selectEntry(quint64 id);

Q_SIGNALS:
    /// Fires when the detail pane's Replay is pressed.
    void replayRequested(quint64 entryId);

private:
    void applyFilter();
    void onCurrentChanged();
    void exportDialog();
    void updateCounts();

    TrafficLogModel *m_model;
    TrafficFilterProxyModel *m_proxy;
    QLineEdit *m_text;
    QLineEdit *m_client;
    QToolButton *m_kinds;
    QVector<QAction *> m_kindActions;
    QCheckBox *m_errorsOnly;
    QToolButton *m_pause;
    SteadyLabel *m_counts;
    QTableView *m_table;
    TrafficDetailWidget *m_detail;
    QSplitter *m_splitter;
    bool m_paused = false;
    bool m_atBottom = true;
    std::deque<TrafficEntry> m_held; // arrived while paused, bounded by the capacity
};
