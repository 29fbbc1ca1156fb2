#include "trafficlogview.h"

#include "capturebanner.h"
#include "editorlauncher.h"
#include "enginecontroller.h"
#include "plaintextdelegate.h"
#include "steadylabel.h"
#include "theme.h"
#include "themecolors.h"
#include "trafficcaptureactions.h"
#include "trafficcontextmenu.h"
#include "trafficcopy.h"
#include "trafficdetailwidget.h"
#include "trafficexport.h"
#include "trafficfilterproxymodel.h"
#include "trafficlogmodel.h"
#include "trafficmarks.h"
#include "trafficreplay.h"
#include "trafficstatusline.h"

#include "fpm/managedphp.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QSplitter>
#include <QTableView>
#include <QTextDocumentFragment>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace {

constexpr int BottomSlackRows = 2; // "at the bottom" tolerates a row of scroll slack
constexpr int CellPaddingPx = 16;  // a cell's margins and the grid line around its text
const char *const RingSizeKey = "traffic/ringEntries";

QToolButton *toolButton(QWidget *parent, const QString &name, const QString &icon,
                        const QString &text, const QString &tip) {
    auto *b = new QToolButton(parent);
    b->setObjectName(name);
    if (!icon.isEmpty())
        Theme::setIcon(b, icon); // drawn for the palette, redrawn when the theme changes
    b->setText(text);
    b->setToolTip(tip);
    b->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    return b;
}

} // namespace

TrafficLogView::TrafficLogView(int capacity, QWidget *parent)
    : QWidget(parent)
    , m_live(new TrafficLogModel(capacity, this))
    , m_proxy(new TrafficFilterProxyModel(m_live, this))
    , m_text(new QLineEdit(this))
    , m_client(new QLineEdit(this))
    , m_kinds(new QToolButton(this))
    , m_errorsOnly(new QCheckBox(tr("Errors only"), this))
    , m_warnings(new QCheckBox(tr("Warnings"), this))
    , m_pause(toolButton(this, QStringLiteral("trafficPause"), QStringLiteral("pause"), tr("Pause"),
                         tr("Pause the log (new entries are held until you resume)")))
    , m_captureButton(toolButton(this, QStringLiteral("trafficCapture"), QString(), tr("Capture"),
                                 tr("Ring size, pause on the first error, one client only, "
                                    "captures saved to files")))
    , m_counts(new SteadyLabel(this))
    , m_banner(new CaptureBanner(this))
    , m_statusLine(new TrafficStatusLine(this))
    , m_table(new QTableView(this))
    , m_detail(new TrafficDetailWidget(this))
    , m_splitter(new QSplitter(Qt::Vertical, this))
    , m_replay(new TrafficReplay(this))
    , m_editor(std::make_unique<EditorLauncher>())
    , m_openCaptureAction(new QAction(tr("&Open capture…"), this))
    , m_nextErrorAction(new QAction(tr("&Next error"), this))
    , m_previousErrorAction(new QAction(tr("Pre&vious error"), this))
    , m_configuredCapacity(capacity) {
    setObjectName(QStringLiteral("trafficLogView"));
    m_text->setPlaceholderText(tr("Filter text (re:REGEX for a regular expression)  Ctrl+F"));
    m_text->setClearButtonEnabled(true);
    m_text->setObjectName(QStringLiteral("trafficFilterText"));
    m_client->setPlaceholderText(tr("Client id"));
    m_client->setObjectName(QStringLiteral("trafficFilterClient"));
    m_client->setClearButtonEnabled(true);
    m_client->setMaximumWidth(220);
    m_errorsOnly->setObjectName(QStringLiteral("trafficErrorsOnly"));
    m_errorsOnly->setToolTip(tr("Failed exchanges, error rows, and replies that went well but "
                                "whose STDERR has a warning or an error (F8: next one)"));
    m_warnings->setObjectName(QStringLiteral("trafficWarnings"));
    m_warnings->setToolTip(tr("Exchanges whose STDERR has a PHP warning, notice or deprecation"));

    m_kinds->setText(tr("Events"));
    m_kinds->setPopupMode(QToolButton::InstantPopup);
    auto *kindMenu = new QMenu(m_kinds);
    for (int k = int(TrafficEntry::Kind::Open); k <= int(TrafficEntry::Kind::PhpLog); ++k) {
        QAction *a = kindMenu->addAction(TrafficLogModel::kindText(TrafficEntry::Kind(k)));
        a->setCheckable(true);
        a->setChecked(true);
        a->setData(k);
        connect(a, &QAction::toggled, this, &TrafficLogView::applyFilter);
        m_kindActions.append(a);
    }
    m_kinds->setMenu(kindMenu);

    m_pause->setCheckable(true);
    connect(m_pause, &QToolButton::toggled, this, &TrafficLogView::setPaused);

    m_captureButton->setPopupMode(QToolButton::InstantPopup);
    m_captureButton->setMenu(TrafficCaptureActions::createMenu(this, m_captureButton));

    QToolButton *clearButton =
        toolButton(this, QStringLiteral("trafficClear"), QStringLiteral("clear"), tr("Clear"),
                   tr("Clear the log view (Ctrl+L)"));
    connect(clearButton, &QToolButton::clicked, this, &TrafficLogView::clear);

    QToolButton *exportButton = toolButton(
        this, QStringLiteral("trafficExport"), QStringLiteral("export"), tr("Export…"),
        tr("Save the shown rows as JSON Lines (secrets masked unless you ask for them; only you "
           "can read the file)"));
    connect(exportButton, &QToolButton::clicked, this,
            [this] { TrafficCaptureActions::exportDialog(this); });

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_text, 3);
    bar->addWidget(m_client, 1);
    bar->addWidget(m_kinds);
    bar->addWidget(m_errorsOnly);
    bar->addWidget(m_warnings);
    bar->addWidget(m_pause);
    bar->addWidget(m_captureButton);
    bar->addWidget(clearButton);
    bar->addWidget(exportButton);
    bar->addWidget(m_counts);

    // A capture from a file replaces the live rows until closed: say so where one looks.
    connect(m_banner, &CaptureBanner::backToLiveRequested, this, &TrafficLogView::closeCapture);
    connect(m_statusLine, &TrafficStatusLine::allClientsRequested, this,
            [this] { setCaptureClient({}); });

    m_table->setModel(m_proxy);
    m_table->setItemDelegate(new PlainTextDelegate(m_table));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setHighlightSections(false);
    const int em = m_table->fontMetrics().horizontalAdvance(QLatin1Char('M'));
    // Columns of known text fit it (in ems the time and direction were elided).
    const auto fit = [this](const QString &text) {
        return m_table->fontMetrics().horizontalAdvance(text) + CellPaddingPx;
    };
    m_table->setColumnWidth(TrafficLogModel::Time, fit(QStringLiteral("00:00:00.000")));
    int kindWidth = 0; // the widest event name (PhpLog is the last kind; 7 ems elided some)
    for (int k = 0; k <= int(TrafficEntry::Kind::PhpLog); ++k)
        kindWidth = std::max(kindWidth, fit(TrafficLogModel::kindText(TrafficEntry::Kind(k))));
    m_table->setColumnWidth(TrafficLogModel::Kind, kindWidth);
    m_table->setColumnWidth(TrafficLogModel::Client, 16 * em);
    m_table->setColumnWidth(TrafficLogModel::Direction, fit(QStringLiteral("← out")));
    m_table->setColumnWidth(TrafficLogModel::Size, 5 * em);
    m_table->setColumnWidth(TrafficLogModel::Status, 5 * em);
    m_table->setColumnWidth(TrafficLogModel::Duration, 6 * em);
    connect(m_table, &QWidget::customContextMenuRequested, this, [this](const QPoint &pos) {
        const QModelIndex index = m_table->indexAt(pos);
        if (!index.isValid())
            return;
        QMenu *menu = contextMenu(index.row());
        menu->setAttribute(Qt::WA_DeleteOnClose);
        menu->popup(m_table->viewport()->mapToGlobal(pos));
    });

    m_splitter->addWidget(m_table);
    m_splitter->addWidget(m_detail);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(m_statusLine);
    layout->addWidget(m_banner);
    layout->addWidget(m_splitter, 1);

    m_openCaptureAction->setObjectName(QStringLiteral("openCaptureAction"));
    m_openCaptureAction->setToolTip(tr("Show a saved JSON Lines export, read-only"));
    connect(m_openCaptureAction, &QAction::triggered, this,
            [this] { TrafficCaptureActions::openDialog(this); });
    // F8 as in debuggers and compilers' error lists; the window-wide context lets it work
    // from the detail pane and the filters too.
    m_nextErrorAction->setObjectName(QStringLiteral("nextErrorAction"));
    m_nextErrorAction->setShortcut(Qt::Key_F8);
    m_nextErrorAction->setShortcutContext(Qt::WindowShortcut);
    connect(m_nextErrorAction, &QAction::triggered, this, [this] { selectNextError(false); });
    m_previousErrorAction->setShortcut(QKeySequence(Qt::SHIFT | Qt::Key_F8));
    m_previousErrorAction->setShortcutContext(Qt::WindowShortcut);
    connect(m_previousErrorAction, &QAction::triggered, this, [this] { selectNextError(true); });
    addAction(m_nextErrorAction);
    addAction(m_previousErrorAction);

    m_detail->setEditorLauncher(m_editor.get());
    m_replay->setXdebugParams(ManagedPhp::xdebugTriggerParams(),
                              tr("adds the Xdebug trigger; PHP must run Xdebug in trigger mode"));
    connect(m_text, &QLineEdit::textChanged, this, &TrafficLogView::applyFilter);
    connect(m_client, &QLineEdit::textChanged, this, &TrafficLogView::applyFilter);
    connect(m_errorsOnly, &QCheckBox::toggled, this, &TrafficLogView::applyFilter);
    connect(m_warnings, &QCheckBox::toggled, this, &TrafficLogView::applyFilter);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &TrafficLogView::onCurrentChanged);
    connect(m_detail, &TrafficDetailWidget::replayRequested, this,
            [this] { m_replay->replay(m_detail->entry()); });
    connect(m_detail, &TrafficDetailWidget::editReplayRequested, this,
            [this] { editReplay(m_detail->entry()); });
    connect(m_detail, &TrafficDetailWidget::entryLinkActivated, this,
            [this](quint64 id) { selectEntry(id); });
    connect(m_detail, &TrafficDetailWidget::statusMessage, this, &TrafficLogView::statusMessage);
    connect(m_replay, &TrafficReplay::finished, this,
            [this](bool, const QString &message) { Q_EMIT statusMessage(message); });

    // Follow the tail only when the user was at the bottom before the batch landed.
    connect(m_proxy, &QAbstractItemModel::rowsAboutToBeInserted, this, [this] {
        const QScrollBar *bar = m_table->verticalScrollBar();
        m_atBottom = bar->value() >= bar->maximum() - BottomSlackRows;
    });
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, [this] {
        if (m_atBottom)
            m_table->scrollToBottom();
        updateCounts();
    });
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &TrafficLogView::updateCounts);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &TrafficLogView::updateCounts);
    updateCounts();
}

TrafficLogView::~TrafficLogView() = default;

TrafficLogModel *TrafficLogView::model() const {
    return m_capture ? m_capture : m_live;
}

void TrafficLogView::setController(EngineController *controller) {
    m_controller = controller;
    m_replay->setController(controller);
    if (controller && m_ringSize > 0)
        controller->setTrafficLogCapacity(m_ringSize);
}

void TrafficLogView::setSettings(QSettings *settings) {
    m_settings = settings;
    m_editor = std::make_unique<EditorLauncher>(settings);
    m_detail->setEditorLauncher(m_editor.get());
    if (settings)
        setRingSize(settings->value(QLatin1String(RingSizeKey), 0).toInt());
}

int TrafficLogView::capacity() const {
    return m_ringSize > 0 ? m_ringSize : m_configuredCapacity;
}

void TrafficLogView::setCapacity(int capacity) {
    m_configuredCapacity = capacity;
    m_syncing = !isShowingCapture();
    m_live->setCapacity(this->capacity());
    m_syncing = false;
    if (!isShowingCapture())
        syncSelection();
    updateRingNote();
}

void TrafficLogView::setRingSize(int entries) {
    m_ringSize = std::max(0, entries);
    if (m_settings) {
        if (m_ringSize > 0)
            m_settings->setValue(QLatin1String(RingSizeKey), m_ringSize);
        else
            m_settings->remove(QLatin1String(RingSizeKey));
    }
    m_syncing = !isShowingCapture(); // a smaller ring drops rows: not the user's choice
    m_live->setCapacity(capacity());
    m_syncing = false;
    // The engine's ring too: a row the console keeps should stay replayable by the engine's
    // own id-based tools (the admin API) for as long as the console shows it.
    if (m_controller)
        m_controller->setTrafficLogCapacity(capacity());
    updateRingNote();
    syncSelection();
}

void TrafficLogView::appendEntries(const QVector<TrafficEntry> &batch) {
    QVector<TrafficEntry> kept;
    const QVector<TrafficEntry> *entries = &batch;
    if (!m_captureClient.isEmpty()) {
        kept.reserve(batch.size());
        for (const TrafficEntry &e : batch) {
            if (e.clientId == m_captureClient)
                kept.append(e);
        }
        entries = &kept;
    }
    if (entries->isEmpty())
        return;
    if (m_paused) {
        for (const TrafficEntry &e : *entries)
            m_held.push_back(e);
        while (int(m_held.size()) > m_live->capacity())
            m_held.pop_front();
        updateCounts();
        return;
    }
    if (!m_pauseOnError) {
        appendLive(*entries);
        return;
    }
    const auto it = std::find_if(entries->cbegin(), entries->cend(), TrafficMarks::isProblem);
    if (it == entries->cend()) {
        appendLive(*entries);
        return;
    }
    // Everything up to the problem is shown, the rest held: the log stops where it went wrong.
    const qsizetype stop = it - entries->cbegin();
    const quint64 problemId = it->id;
    appendLive(entries->first(stop + 1));
    for (qsizetype i = stop + 1; i < entries->size(); ++i)
        m_held.push_back(entries->at(i));
    setPaused(true);
    if (!isShowingCapture())
        selectEntry(problemId);
    setNotice(
        tr("Paused at the first error, #%1 (Capture ▸ Pause on the first error)").arg(problemId));
}

void TrafficLogView::appendLive(const QVector<TrafficEntry> &entries) {
    // Rows leaving the ring move the current index; that is not the user choosing a row.
    m_syncing = !isShowingCapture();
    m_live->append(entries);
    m_syncing = false;
    if (!isShowingCapture())
        syncSelection();
    updateRingNote();
}

void TrafficLogView::updateRingNote() {
    QString note;
    const int rows = m_live->rowCount();
    if (rows > 0 && rows >= m_live->capacity()) {
        const qint64 spanMs = m_live->entry(rows - 1).timeMs - m_live->entry(0).timeMs;
        if (spanMs < ShortRingMs)
            note = tr("The log keeps the last %1 s of traffic (%2 entries); choose a bigger "
                      "ring under Capture ▸ Ring size.")
                       .arg(double(spanMs) / 1000.0, 0, 'f', spanMs < 1000 ? 2 : 1)
                       .arg(QLocale().toString(rows));
    }
    m_statusLine->setRingNote(note);
}

void TrafficLogView::setNotice(const QString &text) {
    m_statusLine->setNotice(text);
}

QString TrafficLogView::statusLineText() const {
    return m_statusLine->plainText();
}

void TrafficLogView::setPaused(bool paused) {
    if (m_paused == paused)
        return;
    m_paused = paused;
    if (m_pause->isChecked() != paused)
        m_pause->setChecked(paused);
    Theme::setIcon(m_pause, paused ? QStringLiteral("resume") : QStringLiteral("pause"));
    m_pause->setText(paused ? tr("Resume") : tr("Pause"));
    if (!paused) {
        if (!m_held.empty()) {
            const QVector<TrafficEntry> held(m_held.begin(), m_held.end());
            m_held.clear();
            appendLive(held);
        }
        if (m_statusLine->notice().startsWith(tr("Paused")))
            setNotice({});
    }
    updateCounts();
}

void TrafficLogView::setPauseOnFirstError(bool enabled) {
    m_pauseOnError = enabled;
}

void TrafficLogView::setCaptureClient(const QByteArray &clientId) {
    m_captureClient = clientId;
    m_statusLine->setCaptureClient(clientId);
}

void TrafficLogView::clear() {
    m_held.clear();
    m_syncing = true;
    model()->clear();
    m_syncing = false;
    m_selectedId = 0;
    m_detail->clear();
    updateRingNote();
}

void TrafficLogView::focusFilter() {
    m_text->setFocus();
    m_text->selectAll();
}

void TrafficLogView::setClientFilter(const QByteArray &clientId) {
    m_client->setText(QString::fromLatin1(clientId));
}

void TrafficLogView::applyFilter() {
    TrafficFilter filter;
    filter.setClientId(m_client->text().trimmed().toLatin1());
    const QString error = TrafficFilter::textError(m_text->text());
    // An invalid pattern keeps the last valid filter and says why, instead of hiding all rows.
    m_text->setStyleSheet(
        error.isEmpty()
            ? QString()
            : QStringLiteral("QLineEdit { background: %1; }")
                  .arg(ThemeColors::tint(ThemeColors::Tone::Error, m_text->palette()).name()));
    m_text->setToolTip(error.isEmpty() ? QString()
                                       : tr("Invalid regular expression: %1").arg(error));
    if (!error.isEmpty())
        filter.setText(m_proxy->filter().text());
    else
        filter.setText(m_text->text());
    int hidden = 0;
    for (QAction *a : std::as_const(m_kindActions)) {
        filter.setKindEnabled(TrafficEntry::Kind(a->data().toInt()), a->isChecked());
        hidden += a->isChecked() ? 0 : 1;
    }
    m_kinds->setText(hidden ? tr("Events (%1 hidden)").arg(hidden) : tr("Events"));
    filter.setErrorsOnly(m_errorsOnly->isChecked());
    filter.setWarningsOnly(m_warnings->isChecked());
    m_syncing = true;
    m_proxy->setFilter(filter);
    m_syncing = false;
    syncSelection();
    updateCounts();
}

void TrafficLogView::onCurrentChanged() {
    // Rows leaving the ring, a filter or a reset move the current index under the user:
    // syncSelection puts it back on the pinned entry afterwards.
    if (m_syncing)
        return;
    const QModelIndex current = m_table->currentIndex();
    if (!current.isValid())
        return; // the row went (filtered, trimmed): the detail pane keeps the entry
    const int row = m_proxy->mapToSource(current).row();
    if (row < 0 || row >= model()->rowCount())
        return;
    const TrafficEntry &e = model()->entry(row);
    if (e.id == m_selectedId && m_detail->entryId() == e.id)
        return;
    m_selectedId = e.id;
    m_detail->setEntry(e);
    m_detail->setReplayBlocked(isShowingCapture(),
                               tr("A capture from a file is read-only: replay needs the live "
                                  "gateway (Back to the live log)"));
}

void TrafficLogView::syncSelection() {
    if (m_selectedId == 0)
        return;
    const int row = model()->rowOfId(m_selectedId);
    const QModelIndex index =
        row < 0 ? QModelIndex() : m_proxy->mapFromSource(model()->index(row, 0));
    QItemSelectionModel *selection = m_table->selectionModel();
    m_syncing = true;
    if (!index.isValid())
        selection->clear();
    else if (selection->currentIndex().row() != index.row() ||
             !selection->isRowSelected(index.row()))
        selection->setCurrentIndex(index,
                                   QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_syncing = false;
    m_detail->setDetached(row < 0 && m_detail->entryId() == m_selectedId);
}

bool TrafficLogView::selectEntry(quint64 id) {
    const int row = model()->rowOfId(id);
    if (row < 0)
        return false;
    const QModelIndex index = m_proxy->mapFromSource(model()->index(row, 0));
    if (!index.isValid())
        return false;
    m_table->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect |
                                                          QItemSelectionModel::Rows);
    m_table->scrollTo(index);
    onCurrentChanged();
    return true;
}

bool TrafficLogView::selectNextError(bool backwards) {
    const int rows = m_proxy->rowCount();
    if (rows == 0)
        return false;
    const QModelIndex current = m_table->currentIndex();
    int start = current.isValid() ? current.row() : (backwards ? rows : -1);
    for (int step = 1; step <= rows; ++step) {
        const int r = ((start + (backwards ? -step : step)) % rows + rows) % rows;
        const TrafficEntry &e = model()->entry(m_proxy->mapToSource(m_proxy->index(r, 0)).row());
        if (TrafficMarks::isProblem(e)) {
            selectEntry(e.id);
            return true;
        }
    }
    Q_EMIT statusMessage(tr("No error rows in the shown log"));
    return false;
}

QMenu *TrafficLogView::contextMenu(int proxyRow) {
    const QModelIndex index = m_proxy->index(proxyRow, 0);
    const TrafficEntry &e = model()->entry(m_proxy->mapToSource(index).row());
    selectEntry(e.id);
    return TrafficContextMenu::create(this, e, this);
}

void TrafficLogView::editReplay(const TrafficEntry &entry) {
    if (isShowingCapture()) {
        Q_EMIT statusMessage(tr("A capture from a file is read-only"));
        return;
    }
    m_replay->editAndReplay(entry, TrafficContextMenu::clientParams(m_live, entry), this);
}

void TrafficLogView::updateCounts() {
    QString text = tr("%1 of %2").arg(m_proxy->rowCount()).arg(model()->rowCount());
    if (!m_held.empty())
        text += tr(", %1 held").arg(m_held.size());
    m_counts->setSteadyText(text);
}

bool TrafficLogView::exportJsonLines(const QString &fileName, QString *error,
                                     bool includeSecrets) const {
    const TrafficLogModel *rows = model();
    return TrafficExport::writeJsonLines(
        fileName, m_proxy->rowCount(),
        [this, rows](int r) -> const TrafficEntry & {
            return rows->entry(m_proxy->mapToSource(m_proxy->index(r, 0)).row());
        },
        includeSecrets, error);
}

bool TrafficLogView::openCapture(const QString &fileName, QString *error) {
    QVector<TrafficEntry> entries;
    if (!TrafficExport::readJsonLines(fileName, &entries, error))
        return false;
    auto *capture = new TrafficLogModel(int(entries.size()), this);
    capture->append(entries);
    closeCapture();
    m_capture = capture;
    m_captureFile = fileName;
    m_syncing = true;
    m_proxy->setLogModel(capture);
    m_syncing = false;
    m_selectedId = 0;
    m_detail->clear();
    m_banner->showCapture(fileName, int(entries.size()));
    updateCounts();
    Q_EMIT statusMessage(tr("Opened capture %1").arg(QDir::toNativeSeparators(fileName)));
    return true;
}

void TrafficLogView::closeCapture() {
    if (!m_capture)
        return;
    m_syncing = true;
    m_proxy->setLogModel(m_live);
    m_syncing = false;
    m_capture->deleteLater();
    m_capture = nullptr;
    m_captureFile.clear();
    m_banner->setVisible(false);
    m_selectedId = 0;
    m_detail->clear();
    m_detail->setReplayBlocked(false);
    updateCounts();
}

QString TrafficLogView::bannerText() const {
    return m_banner->plainText();
}
