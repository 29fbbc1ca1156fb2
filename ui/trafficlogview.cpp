#include "trafficlogview.h"

#include "plaintextdelegate.h"
#include "steadylabel.h"
#include "trafficdetailwidget.h"
#include "trafficfilterproxymodel.h"
#include "trafficlogmodel.h"

#include <QAction>
#include <QCheckBox>
#include <QDateTime>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QSaveFile>
#include <QScrollBar>
#include <QSplitter>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

#include "bodyformatter.h"

namespace {

constexpr int BottomSlackRows = 2; // "at the bottom" tolerates a row of scroll slack
const char *const InvalidStyle = "QLineEdit { background: #fbe3e4; }";

QJsonValue bytesJson(const QByteArray &bytes, bool binary) {
    if (!binary && BodyFormatter::isValidUtf8(bytes))
        return QString::fromUtf8(bytes);
    return QJsonObject{{QStringLiteral("base64"), QString::fromLatin1(bytes.toBase64())}};
}

QJsonArray pairsJson(const QList<QPair<QByteArray, QByteArray>> &pairs) {
    QJsonArray out;
    for (const auto &p : pairs)
        out.append(QJsonArray{QString::fromLatin1(p.first), QString::fromUtf8(p.second)});
    return out;
}

bool binaryReply(const PhpExchange &p) {
    for (const auto &header : p.responseHeaders) {
        if (header.first.compare("Content-Type", Qt::CaseInsensitive) == 0)
            return header.second.trimmed().startsWith("application/octet-stream");
    }
    return false;
}

QJsonObject entryJson(const TrafficEntry &e) {
    QJsonObject o{
        {QStringLiteral("id"), double(e.id)},
        {QStringLiteral("time"),
         QDateTime::fromMSecsSinceEpoch(e.timeMs).toUTC().toString(Qt::ISODateWithMs)},
        {QStringLiteral("kind"), QString::fromLatin1(TrafficEntry::kindName(e.kind))},
        {QStringLiteral("direction"),
         e.direction == TrafficEntry::Direction::In    ? QStringLiteral("in")
         : e.direction == TrafficEntry::Direction::Out ? QStringLiteral("out")
                                                       : QString()},
        {QStringLiteral("client"), QString::fromLatin1(e.clientId)},
        {QStringLiteral("size"), double(e.size)},
        {QStringLiteral("error"), e.isError},
    };
    if (e.status)
        o[QStringLiteral("status")] = e.status;
    if (!e.text.isEmpty())
        o[QStringLiteral("text")] = e.text;
    if (!e.body.isEmpty()) {
        o[QStringLiteral("body")] = bytesJson(e.body, e.binary);
        o[QStringLiteral("binary")] = e.binary;
        if (e.bodyTruncated)
            o[QStringLiteral("bodyTruncated")] = true;
    }
    if (e.php) {
        const PhpExchange &p = *e.php;
        o[QStringLiteral("php")] = QJsonObject{
            {QStringLiteral("params"), pairsJson(p.params())},
            // A binary message went to PHP as application/octet-stream; PHP's reply is binary
            // when it says so (the same rule the gateway applies before sending it on).
            {QStringLiteral("requestBody"), bytesJson(p.requestBody, e.binary)},
            {QStringLiteral("requestBodySize"), double(p.requestBodySize)},
            {QStringLiteral("requestBodyTruncated"), p.requestBodyTruncated},
            {QStringLiteral("outcome"), p.outcome},
            {QStringLiteral("errorText"), p.error},
            {QStringLiteral("status"), p.status},
            {QStringLiteral("headers"), pairsJson(p.responseHeaders)},
            {QStringLiteral("responseBody"), bytesJson(p.responseBody, binaryReply(p))},
            {QStringLiteral("responseBodySize"), double(p.responseBodySize)},
            {QStringLiteral("responseBodyTruncated"), p.responseBodyTruncated},
            {QStringLiteral("stderr"), QString::fromUtf8(p.stderrData)},
            {QStringLiteral("queueWaitUs"), double(p.queueWaitUs)},
            {QStringLiteral("phpUs"), double(p.phpUs)},
        };
    }
    return o;
}

} // namespace

TrafficLogView::TrafficLogView(int capacity, QWidget *parent)
    : QWidget(parent)
    , m_model(new TrafficLogModel(capacity, this))
    , m_proxy(new TrafficFilterProxyModel(m_model, this))
    , m_text(new QLineEdit(this))
    , m_client(new QLineEdit(this))
    , m_kinds(new QToolButton(this))
    , m_errorsOnly(new QCheckBox(tr("Errors only"), this))
    , m_pause(new QToolButton(this))
    , m_counts(new SteadyLabel(this))
    , m_table(new QTableView(this))
    , m_detail(new TrafficDetailWidget(this))
    , m_splitter(new QSplitter(Qt::Vertical, this)) {
    setObjectName(QStringLiteral("trafficLogView"));
    m_text->setPlaceholderText(tr("Filter text (re:REGEX for a regular expression)  Ctrl+F"));
    m_text->setClearButtonEnabled(true);
    m_text->setObjectName(QStringLiteral("trafficFilterText"));
    m_client->setPlaceholderText(tr("Client id"));
    m_client->setObjectName(QStringLiteral("trafficFilterClient"));
    m_client->setClearButtonEnabled(true);
    m_client->setMaximumWidth(220);

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
    m_pause->setIcon(QIcon(QStringLiteral(":/wsgate/ui/icons/pause.svg")));
    m_pause->setText(tr("Pause"));
    m_pause->setToolTip(tr("Pause the log (new entries are held until you resume)"));
    m_pause->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    connect(m_pause, &QToolButton::toggled, this, &TrafficLogView::setPaused);

    auto *clearButton = new QToolButton(this);
    clearButton->setObjectName(QStringLiteral("trafficClear"));
    clearButton->setIcon(QIcon(QStringLiteral(":/wsgate/ui/icons/clear.svg")));
    clearButton->setText(tr("Clear"));
    clearButton->setToolTip(tr("Clear the log view (Ctrl+L)"));
    clearButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    connect(clearButton, &QToolButton::clicked, this, &TrafficLogView::clear);

    auto *exportButton = new QToolButton(this);
    exportButton->setObjectName(QStringLiteral("trafficExport"));
    exportButton->setIcon(QIcon(QStringLiteral(":/wsgate/ui/icons/export.svg")));
    exportButton->setText(tr("Export…"));
    exportButton->setToolTip(tr("Save the shown rows as JSON Lines"));
    exportButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    connect(exportButton, &QToolButton::clicked, this, &TrafficLogView::exportDialog);

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_text, 3);
    bar->addWidget(m_client, 1);
    bar->addWidget(m_kinds);
    bar->addWidget(m_errorsOnly);
    bar->addWidget(m_pause);
    bar->addWidget(clearButton);
    bar->addWidget(exportButton);
    bar->addWidget(m_counts);

    m_table->setModel(m_proxy);
    m_table->setItemDelegate(new PlainTextDelegate(m_table));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setHighlightSections(false);
    m_table->setColumnWidth(TrafficLogModel::Time, 96);
    m_table->setColumnWidth(TrafficLogModel::Kind, 84);
    m_table->setColumnWidth(TrafficLogModel::Client, 200);
    m_table->setColumnWidth(TrafficLogModel::Direction, 52);
    m_table->setColumnWidth(TrafficLogModel::Size, 64);
    m_table->setColumnWidth(TrafficLogModel::Status, 52);
    m_table->setColumnWidth(TrafficLogModel::Duration, 72);

    m_splitter->addWidget(m_table);
    m_splitter->addWidget(m_detail);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(m_splitter, 1);

    connect(m_text, &QLineEdit::textChanged, this, &TrafficLogView::applyFilter);
    connect(m_client, &QLineEdit::textChanged, this, &TrafficLogView::applyFilter);
    connect(m_errorsOnly, &QCheckBox::toggled, this, &TrafficLogView::applyFilter);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &TrafficLogView::onCurrentChanged);
    connect(m_detail, &TrafficDetailWidget::replayRequested, this,
            &TrafficLogView::replayRequested);

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

void TrafficLogView::setCapacity(int capacity) {
    m_model->setCapacity(capacity);
}

void TrafficLogView::appendEntries(const QVector<TrafficEntry> &entries) {
    if (!m_paused) {
        m_model->append(entries);
        return;
    }
    for (const TrafficEntry &e : entries)
        m_held.push_back(e);
    while (int(m_held.size()) > m_model->capacity())
        m_held.pop_front();
    updateCounts();
}

void TrafficLogView::setPaused(bool paused) {
    if (m_paused == paused)
        return;
    m_paused = paused;
    if (m_pause->isChecked() != paused)
        m_pause->setChecked(paused);
    m_pause->setIcon(QIcon(paused ? QStringLiteral(":/wsgate/ui/icons/resume.svg")
                                  : QStringLiteral(":/wsgate/ui/icons/pause.svg")));
    m_pause->setText(paused ? tr("Resume") : tr("Pause"));
    if (!paused && !m_held.empty()) {
        const QVector<TrafficEntry> held(m_held.begin(), m_held.end());
        m_held.clear();
        m_model->append(held);
    }
    updateCounts();
}

void TrafficLogView::clear() {
    m_held.clear();
    m_model->clear();
    m_detail->clear();
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
    m_text->setStyleSheet(error.isEmpty() ? QString() : QString::fromLatin1(InvalidStyle));
    m_text->setToolTip(error.isEmpty() ? QString()
                                       : tr("Invalid regular expression: %1").arg(error));
    if (!error.isEmpty())
        filter.setText(m_proxy->filter().text());
    else
        filter.setText(m_text->text());
    for (QAction *a : std::as_const(m_kindActions))
        filter.setKindEnabled(TrafficEntry::Kind(a->data().toInt()), a->isChecked());
    int hidden = 0;
    for (QAction *a : std::as_const(m_kindActions))
        hidden += a->isChecked() ? 0 : 1;
    m_kinds->setText(hidden ? tr("Events (%1 hidden)").arg(hidden) : tr("Events"));
    filter.setErrorsOnly(m_errorsOnly->isChecked());
    m_proxy->setFilter(filter);
    updateCounts();
}

void TrafficLogView::onCurrentChanged() {
    const QModelIndex current = m_table->currentIndex();
    if (!current.isValid()) {
        m_detail->clear();
        return;
    }
    const int row = m_proxy->mapToSource(current).row();
    if (row >= 0 && row < m_model->rowCount())
        m_detail->setEntry(m_model->entry(row));
}

bool TrafficLogView::selectEntry(quint64 id) {
    const int row = m_model->rowOfId(id);
    if (row < 0)
        return false;
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
    if (!index.isValid())
        return false;
    m_table->setCurrentIndex(index);
    m_table->scrollTo(index);
    onCurrentChanged();
    return true;
}

void TrafficLogView::updateCounts() {
    QString text = tr("%1 of %2").arg(m_proxy->rowCount()).arg(m_model->rowCount());
    if (!m_held.empty())
        text += tr(", %1 held").arg(m_held.size());
    m_counts->setSteadyText(text);
}

bool TrafficLogView::exportJsonLines(const QString &fileName, QString *error) const {
    QSaveFile file(fileName);
    if (!file.open(QIODevice::WriteOnly)) {
        *error = file.errorString();
        return false;
    }
    for (int r = 0; r < m_proxy->rowCount(); ++r) {
        const int row = m_proxy->mapToSource(m_proxy->index(r, 0)).row();
        QByteArray line =
            QJsonDocument(entryJson(m_model->entry(row))).toJson(QJsonDocument::Compact);
        line += '\n';
        file.write(line);
    }
    if (!file.commit()) {
        *error = file.errorString();
        return false;
    }
    return true;
}

void TrafficLogView::exportDialog() {
    const QString name = QFileDialog::getSaveFileName(this, tr("Export traffic"),
                                                      QStringLiteral("wsgate-traffic.jsonl"),
                                                      tr("JSON Lines (*.jsonl);;All files (*)"));
    if (name.isEmpty())
        return;
    QString error;
    if (!exportJsonLines(name, &error))
        QMessageBox::warning(this, tr("Export traffic"),
                             tr("Could not write %1: %2").arg(name, error));
}
