#pragma once

#include "observe/trafficentry.h"

#include <QWidget>

class BodyView;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTabWidget;
class QTableWidget;

/// The selected traffic entry in full: FastCGI params, request and reply bodies, PHP status
/// and headers, STDERR, timings; built when the selection changes, never before.
class TrafficDetailWidget final : public QWidget {
    Q_OBJECT
public:
    explicit TrafficDetailWidget(QWidget *parent = nullptr);

    void setEntry(const TrafficEntry &entry);
    void clear();
    quint64 entryId() const { return m_entryId; }

    // For tests and copy actions.
    QTableWidget *paramsTable() const { return m_params; }
    QTableWidget *headersTable() const { return m_headers; }
    BodyView *requestBody() const { return m_request; }
    BodyView *replyBody() const { return m_reply; }
    QString stderrText() const;
    QString summaryText() const;
    QPushButton *replayButton() const { return m_replay; }

Q_SIGNALS:
    /// Fires when the user asks to replay the shown PHP exchange.
    void replayRequested(quint64 entryId);

private:
    QLabel *m_summary;
    QPushButton *m_replay;
    QTabWidget *m_tabs;
    QTableWidget *m_params;
    BodyView *m_request;
    QLabel *m_status;
    QTableWidget *m_headers;
    BodyView *m_reply;
    QPlainTextEdit *m_stderr;
    QWidget *m_paramsTab;
    QWidget *m_replyTab;
    QWidget *m_stderrTab;
    quint64 m_entryId = 0;
};
