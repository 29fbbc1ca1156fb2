#include "trafficdetailwidget.h"

#include "bodyview.h"
#include "trafficlogmodel.h"

#include <QDateTime>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QIcon>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

namespace {

QTableWidget *makePairTable(QWidget *parent, const QString &left, const QString &right) {
    auto *table = new QTableWidget(0, 2, parent);
    table->setHorizontalHeaderLabels({left, right});
    table->horizontalHeader()->setStretchLastSection(true);
    table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    table->verticalHeader()->setVisible(false);
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 6);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    table->setWordWrap(false);
    return table;
}

void fillPairs(QTableWidget *table, const QList<QPair<QByteArray, QByteArray>> &pairs) {
    table->setRowCount(int(pairs.size()));
    for (int i = 0; i < pairs.size(); ++i) {
        table->setItem(i, 0, new QTableWidgetItem(QString::fromLatin1(pairs.at(i).first)));
        auto *value = new QTableWidgetItem(QString::fromUtf8(pairs.at(i).second));
        value->setToolTip(value->text());
        table->setItem(i, 1, value);
    }
}

QString micros(qint64 us) {
    return us < 10000 ? QStringLiteral("%1 µs").arg(us)
                      : QStringLiteral("%1 ms").arg(double(us) / 1000.0, 0, 'f', 1);
}

} // namespace

TrafficDetailWidget::TrafficDetailWidget(QWidget *parent)
    : QWidget(parent)
    , m_summary(new QLabel(this))
    , m_replay(new QPushButton(QIcon(QStringLiteral(":/wsgate/ui/icons/replay.svg")), tr("&Replay"),
                               this))
    , m_tabs(new QTabWidget(this))
    , m_params(makePairTable(this, tr("Param"), tr("Value")))
    , m_request(new BodyView(tr("Request body"), this))
    , m_status(new QLabel(this))
    , m_headers(makePairTable(this, tr("Header"), tr("Value")))
    , m_reply(new BodyView(tr("Reply body"), this))
    , m_stderr(new QPlainTextEdit(this))
    , m_paramsTab(new QWidget(this))
    , m_replyTab(new QWidget(this))
    , m_stderrTab(new QWidget(this)) {
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setWordWrap(true);
    m_replay->setToolTip(tr("Send this request to PHP again, as if from its client"));
    m_replay->setEnabled(false);
    connect(m_replay, &QPushButton::clicked, this, [this] {
        if (m_entryId != 0)
            Q_EMIT replayRequested(m_entryId);
    });
    m_stderr->setReadOnly(true);
    m_stderr->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_stderr->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_stderr->setPlaceholderText(tr("PHP wrote nothing to STDERR"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    // Request: params beside the body, since both are read together.
    auto *requestSplit = new QSplitter(Qt::Horizontal, m_paramsTab);
    requestSplit->addWidget(m_params);
    requestSplit->addWidget(m_request);
    requestSplit->setStretchFactor(0, 3);
    requestSplit->setStretchFactor(1, 2);
    auto *paramsLayout = new QVBoxLayout(m_paramsTab);
    paramsLayout->setContentsMargins(4, 4, 4, 4);
    paramsLayout->addWidget(requestSplit);

    auto *replySplit = new QSplitter(Qt::Horizontal, m_replyTab);
    auto *headersBox = new QWidget(replySplit);
    auto *headersLayout = new QVBoxLayout(headersBox);
    headersLayout->setContentsMargins(0, 0, 0, 0);
    headersLayout->addWidget(m_status);
    headersLayout->addWidget(m_headers);
    replySplit->addWidget(headersBox);
    replySplit->addWidget(m_reply);
    replySplit->setStretchFactor(0, 2);
    replySplit->setStretchFactor(1, 3);
    auto *replyLayout = new QVBoxLayout(m_replyTab);
    replyLayout->setContentsMargins(4, 4, 4, 4);
    replyLayout->addWidget(replySplit);

    auto *stderrLayout = new QVBoxLayout(m_stderrTab);
    stderrLayout->setContentsMargins(4, 4, 4, 4);
    stderrLayout->addWidget(m_stderr);

    m_tabs->addTab(m_paramsTab, tr("Request"));
    m_tabs->addTab(m_replyTab, tr("Reply"));
    m_tabs->addTab(m_stderrTab, tr("STDERR"));
    m_tabs->setDocumentMode(true);

    auto *top = new QHBoxLayout;
    top->addWidget(m_summary, 1);
    top->addWidget(m_replay, 0, Qt::AlignTop);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(m_tabs, 1);
    clear();
}

QString TrafficDetailWidget::stderrText() const {
    return m_stderr->toPlainText();
}

QString TrafficDetailWidget::summaryText() const {
    return m_summary->text();
}

void TrafficDetailWidget::clear() {
    m_entryId = 0;
    m_summary->setText(tr("Select a row to see the exchange in full."));
    m_replay->setEnabled(false);
    m_params->setRowCount(0);
    m_headers->setRowCount(0);
    m_request->clear();
    m_reply->clear();
    m_stderr->clear();
    m_status->clear();
    m_tabs->setTabText(m_tabs->indexOf(m_stderrTab), tr("STDERR"));
}

void TrafficDetailWidget::setEntry(const TrafficEntry &e) {
    clear();
    m_entryId = e.id;
    const QString time = QDateTime::fromMSecsSinceEpoch(e.timeMs).toString(
        QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
    QString summary = QStringLiteral("<b>%1</b> #%2 &nbsp; %3 &nbsp; client <tt>%4</tt>")
                          .arg(TrafficLogModel::kindText(e.kind).toHtmlEscaped())
                          .arg(e.id)
                          .arg(time, QString::fromLatin1(e.clientId).toHtmlEscaped());
    if (!e.text.isEmpty())
        summary += QStringLiteral("<br>%1").arg(e.text.toHtmlEscaped());

    if (e.php) {
        const PhpExchange &php = *e.php;
        const bool ok = php.outcome.isEmpty() || php.outcome == QLatin1String("ok");
        summary += QStringLiteral("<br>PHP: <b>%1</b> &nbsp; status %2 &nbsp; queue wait %3 "
                                  "&nbsp; PHP time %4")
                       .arg(ok ? QStringLiteral("ok")
                               : QStringLiteral("<span style='color:#c01c28'>%1</span>")
                                     .arg(php.outcome.toHtmlEscaped()))
                       .arg(php.status)
                       .arg(micros(php.queueWaitUs), micros(php.phpUs));
        if (!ok && !php.error.isEmpty())
            summary += QStringLiteral("<br><span style='color:#c01c28'>%1</span>")
                           .arg(php.error.toHtmlEscaped());
        fillPairs(m_params, php.params());
        m_request->setBody(php.requestBody, false, php.requestBodySize, php.requestBodyTruncated);
        m_status->setText(php.status >= 400
                              ? tr("Status: <b style='color:#c01c28'>%1</b>").arg(php.status)
                              : tr("Status: <b>%1</b>").arg(php.status));
        fillPairs(m_headers, php.responseHeaders);
        bool binaryReply = false;
        for (const auto &h : php.responseHeaders) {
            if (h.first.compare("content-type", Qt::CaseInsensitive) == 0)
                binaryReply = h.second.startsWith("application/octet-stream");
        }
        m_reply->setBody(php.responseBody, binaryReply, php.responseBodySize,
                         php.responseBodyTruncated);
        const QString stderrText = QString::fromUtf8(php.stderrData);
        m_stderr->setPlainText(stderrText);
        const int lines =
            stderrText.isEmpty() ? 0 : int(stderrText.trimmed().count(QLatin1Char('\n')) + 1);
        m_tabs->setTabText(m_tabs->indexOf(m_stderrTab),
                           lines ? tr("STDERR (%1)").arg(lines) : tr("STDERR"));
        m_tabs->setTabVisible(m_tabs->indexOf(m_replyTab), true);
        m_tabs->setTabVisible(m_tabs->indexOf(m_stderrTab), true);
        m_tabs->setTabText(m_tabs->indexOf(m_paramsTab), tr("Request"));
        m_params->setVisible(true);
        m_replay->setEnabled(true);
        // A failed exchange opens on what PHP answered; a good one keeps the user's tab.
        if (!ok || php.status >= 400)
            m_tabs->setCurrentWidget(m_replyTab);
    } else {
        m_params->setVisible(false);
        // Not an exchange with PHP: only the payload.
        m_request->setBody(e.body, e.binary, e.size, e.bodyTruncated);
        m_tabs->setTabText(m_tabs->indexOf(m_paramsTab), tr("Payload"));
        m_tabs->setTabVisible(m_tabs->indexOf(m_replyTab), false);
        const bool phpLog = e.kind == TrafficEntry::Kind::PhpLog;
        m_tabs->setTabVisible(m_tabs->indexOf(m_stderrTab), phpLog);
        if (phpLog)
            m_stderr->setPlainText(QString::fromUtf8(e.body));
        m_tabs->setCurrentWidget(m_paramsTab);
    }
    if (e.status != 0 && !e.php)
        summary += QStringLiteral(" &nbsp; code %1").arg(e.status);
    m_summary->setText(summary);
}
