#pragma once

#include "observe/trafficentry.h"

#include <QVector>
#include <QWidget>

#include <deque>
#include <memory>

class CaptureBanner;
class EditorLauncher;
class EngineController;
class QAction;
class QCheckBox;
class QFrame;
class QLabel;
class QLineEdit;
class QMenu;
class QSettings;
class QSplitter;
class QTableView;
class QToolButton;
class SteadyLabel;
class TrafficDetailWidget;
class TrafficFilterProxyModel;
class TrafficLogModel;
class TrafficReplay;
class TrafficStatusLine;

/// The traffic log: filterable table that follows the tail while the user is at the bottom,
/// the selection pinned to an entry (not a row), pause, capture controls (ring size, pause on
/// the first error, one client only), export to JSON Lines and captures opened read-only,
/// a context menu of copies and replays, and the detail pane for the selected entry.
class TrafficLogView final : public QWidget {
    Q_OBJECT
public:
    /// Ring sizes offered in the Capture menu.
    static constexpr int RingSizes[] = {10000, 100000, 1000000};
    /// Below this, the status line says how much time the full ring holds.
    static constexpr qint64 ShortRingMs = 10000;

    explicit TrafficLogView(int capacity, QWidget *parent = nullptr);
    ~TrafficLogView() override;

    /// The rows shown: the live log, or the capture opened from a file.
    TrafficLogModel *model() const;
    TrafficLogModel *liveModel() const { return m_live; }
    TrafficFilterProxyModel *proxy() const { return m_proxy; }
    QTableView *table() const { return m_table; }
    TrafficDetailWidget *detail() const { return m_detail; }
    QSplitter *splitter() const { return m_splitter; }
    TrafficReplay *replayer() const { return m_replay; }
    EditorLauncher *editorLauncher() const { return m_editor.get(); }

    /// The engine replays go through, and whose ring size the Capture menu sets (not owned).
    void setController(EngineController *controller);
    /// Where the view keeps its own keys (traffic/…): ring size, editor command. Not owned.
    void setSettings(QSettings *settings);

    /// The configuration's ring size; a size chosen in the Capture menu wins over it.
    void setCapacity(int capacity);
    /// The ring size in use for the console and the engine's log.
    int capacity() const;
    int configuredCapacity() const { return m_configuredCapacity; }
    /// The size chosen in the Capture menu; 0: the configuration's.
    int ringSize() const { return m_ringSize; }
    /// Chooses the ring size for the console and the engine (0: the configuration's).
    void setRingSize(int entries);
    /// Takes a batch from the controller; while paused it is held (bounded) until resumed.
    void appendEntries(const QVector<TrafficEntry> &entries);
    /// Shows only this client's traffic (empty: all).
    void setClientFilter(const QByteArray &clientId);
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    /// Entries held while paused.
    int heldCount() const { return int(m_held.size()); }
    bool pausesOnFirstError() const { return m_pauseOnError; }
    /// Pauses the log when a batch brings a problem row (TrafficMarks::isProblem), at it.
    void setPauseOnFirstError(bool enabled);
    /// Keeps only this client's rows from now on (empty: every client's).
    void setCaptureClient(const QByteArray &clientId);
    QByteArray captureClient() const { return m_captureClient; }
    void clear();
    void focusFilter();
    /// Writes the rows that pass the filter as JSON Lines (mode 0600; secrets masked unless
    /// `includeSecrets`); false with `error` on I/O failure.
    bool exportJsonLines(const QString &fileName, QString *error,
                         bool includeSecrets = false) const;
    /// Shows a saved export instead of the live log, read-only; false with `error`.
    bool openCapture(const QString &fileName, QString *error);
    /// Back to the live log.
    void closeCapture();
    bool isShowingCapture() const { return m_capture != nullptr; }
    /// Selects the row of this entry id (if shown), pins the selection to it, builds its detail.
    bool selectEntry(quint64 id);
    /// The pinned entry; 0 when none.
    quint64 selectedEntryId() const { return m_selectedId; }
    /// Selects the next (or previous) problem row after the selection, wrapping; false when
    /// there is none.
    bool selectNextError(bool backwards = false);
    /// The context menu of a proxy row (tests pop it up themselves).
    QMenu *contextMenu(int proxyRow);

    QAction *openCaptureAction() const { return m_openCaptureAction; }
    QAction *nextErrorAction() const { return m_nextErrorAction; }
    QAction *previousErrorAction() const { return m_previousErrorAction; }
    QCheckBox *errorsOnlyBox() const { return m_errorsOnly; }
    QCheckBox *warningsBox() const { return m_warnings; }
    /// The banner above the table (a capture's file), and the line under the toolbar (how
    /// long the ring holds, what was just done).
    QString bannerText() const;
    QString statusLineText() const;
    /// A line in the status line until the next one (an export's confirmation).
    void setNotice(const QString &text);
    /// Opens the "Edit & replay" dialog for `entry` (modal).
    void editReplay(const TrafficEntry &entry);

Q_SIGNALS:
    /// Fires with a line for the status bar (replays, exports, copies).
    void statusMessage(const QString &text);

private:
    void applyFilter();
    void onCurrentChanged();
    void syncSelection();
    void updateCounts();
    void updateRingNote();
    void appendLive(const QVector<TrafficEntry> &entries);

    TrafficLogModel *m_live;
    TrafficLogModel *m_capture = nullptr; // an opened capture, shown instead of m_live
    TrafficFilterProxyModel *m_proxy;
    QLineEdit *m_text;
    QLineEdit *m_client;
    QToolButton *m_kinds;
    QVector<QAction *> m_kindActions;
    QCheckBox *m_errorsOnly;
    QCheckBox *m_warnings;
    QToolButton *m_pause;
    QToolButton *m_captureButton;
    SteadyLabel *m_counts;
    CaptureBanner *m_banner;
    TrafficStatusLine *m_statusLine;
    QTableView *m_table;
    TrafficDetailWidget *m_detail;
    QSplitter *m_splitter;
    TrafficReplay *m_replay;
    std::unique_ptr<EditorLauncher> m_editor;
    EngineController *m_controller = nullptr;
    QSettings *m_settings = nullptr;
    QAction *m_openCaptureAction;
    QAction *m_nextErrorAction;
    QAction *m_previousErrorAction;
    QString m_captureFile;
    int m_configuredCapacity;
    int m_ringSize = 0; // chosen in the Capture menu; 0: the configuration's
    bool m_paused = false;
    bool m_pauseOnError = false;
    bool m_atBottom = true;
    bool m_syncing =
        false; // the model or filter is changing: current-row changes are not the user's
    quint64 m_selectedId = 0;
    QByteArray m_captureClient;
    std::deque<TrafficEntry> m_held; // arrived while paused, bounded by the capacity
};
