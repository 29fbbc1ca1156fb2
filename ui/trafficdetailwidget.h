#pragma once

#include "observe/trafficentry.h"

#include <QWidget>

class BodyView;
class EditorLauncher;
class QLabel;
class QPushButton;
class QTabWidget;
class QTableWidget;
class StderrView;

/// The selected traffic entry in full: FastCGI params (secrets masked until revealed), request
/// and reply bodies, PHP's status and headers, STDERR as messages, timings, what a replay
/// sent; built when the selection changes, never before. It keeps its own copy of the entry,
/// so it stays when the row leaves the log.
class TrafficDetailWidget final : public QWidget {
    Q_OBJECT
public:
    explicit TrafficDetailWidget(QWidget *parent = nullptr);

    void setEntry(const TrafficEntry &entry);
    void clear();
    quint64 entryId() const { return m_entry.id; }
    const TrafficEntry &entry() const { return m_entry; }
    bool hasEntry() const { return m_entry.id != 0; }
    /// Replay buttons off with `reason` as their tooltip (a read-only capture), or back on.
    void setReplayBlocked(bool blocked, const QString &reason = {});
    /// The shown entry has left the log's ring: the pane says it shows the console's copy.
    void setDetached(bool detached);
    /// Shows secret params and headers in clear until the next entry is shown.
    void setSecretsRevealed(bool revealed);
    bool secretsRevealed() const { return m_revealed; }
    /// Opens STDERR's file:line links (not owned).
    void setEditorLauncher(EditorLauncher *launcher);

    // For tests and copy actions.
    QTableWidget *paramsTable() const { return m_params; }
    QTableWidget *headersTable() const { return m_headers; }
    BodyView *requestBody() const { return m_request; }
    BodyView *replyBody() const { return m_reply; }
    StderrView *stderrView() const { return m_stderr; }
    QTabWidget *tabs() const { return m_tabs; }
    QWidget *stderrTab() const { return m_stderrTab; }
    QWidget *replyTab() const { return m_replyTab; }
    QString stderrText() const;
    /// The header as plain text.
    QString summaryText() const;
    QPushButton *replayButton() const { return m_replay; }
    QPushButton *editReplayButton() const { return m_editReplay; }
    QPushButton *revealButton() const { return m_reveal; }

Q_SIGNALS:
    /// Fires when the user asks to send the shown message to PHP again, unchanged (entry()
    /// is the console's copy to replay from).
    void replayRequested(quint64 entryId);
    /// Fires when the user asks to edit the shown message before replaying it.
    void editReplayRequested(quint64 entryId);
    /// Fires when a link to another entry ("replay of #12") is clicked.
    void entryLinkActivated(quint64 entryId);
    /// Fires with a line for the status bar (a link that could not be opened).
    void statusMessage(const QString &text);

private:
    void fillSecrets();
    void updateReplayButtons();

    QLabel *m_summary;
    QLabel *m_detached;
    QPushButton *m_replay;
    QPushButton *m_editReplay;
    QPushButton *m_reveal;
    QTabWidget *m_tabs;
    QTableWidget *m_params;
    BodyView *m_request;
    QLabel *m_status;
    QTableWidget *m_headers;
    BodyView *m_reply;
    StderrView *m_stderr;
    QWidget *m_paramsTab;
    QWidget *m_replyTab;
    QWidget *m_stderrTab;
    TrafficEntry m_entry;
    bool m_revealed = false;
    bool m_replayBlocked = false;
    QString m_blockedReason;
};
