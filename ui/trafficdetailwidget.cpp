#include "trafficdetailwidget.h"

#include "bodyview.h"
#include "observe/secretmask.h"
#include "stderrview.h"
#include "theme.h"
#include "themecolors.h"
#include "trafficcopy.h"
#include "trafficlogmodel.h"
#include "trafficmarks.h"

#include <QDateTime>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QIcon>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QTextDocumentFragment>
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

template <typename Pairs> void fillPairs(QTableWidget *table, const Pairs &pairs) {
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

bool isBinaryReply(const PhpExchange &php) {
    for (const auto &h : php.responseHeaders) {
        if (h.first.compare("content-type", Qt::CaseInsensitive) == 0)
            return h.second.startsWith("application/octet-stream");
    }
    return false;
}

/// Why `e` cannot be replayed; empty when it can.
QString notReplayable(const TrafficEntry &e) {
    if (e.kind == TrafficEntry::Kind::MessageIn)
        return e.bodyTruncated ? TrafficDetailWidget::tr("the logged message was truncated; it "
                                                         "cannot be replayed exactly")
                               : QString();
    if (e.kind != TrafficEntry::Kind::Php || !e.php)
        return TrafficDetailWidget::tr("only messages and PHP exchanges can be replayed");
    const QByteArray event = TrafficCopy::paramValue(e.php->params(), "WS_EVENT");
    if (!event.isEmpty() && event != "message")
        return TrafficDetailWidget::tr("only message events can be replayed (this is %1)")
            .arg(QString::fromLatin1(event));
    if (e.php->requestBodyTruncated)
        return TrafficDetailWidget::tr("the logged body was truncated; it cannot be replayed "
                                       "exactly");
    return {};
}

} // namespace

TrafficDetailWidget::TrafficDetailWidget(QWidget *parent)
    : QWidget(parent)
    , m_summary(new QLabel(this))
    , m_detached(new QLabel(this))
    , m_replay(new QPushButton(tr("&Replay"), this))
    , m_editReplay(new QPushButton(tr("&Edit && replay…"), this))
    , m_reveal(new QPushButton(tr("Reveal secrets"), this))
    , m_tabs(new QTabWidget(this))
    , m_params(makePairTable(this, tr("Param"), tr("Value")))
    , m_request(new BodyView(tr("Request body"), this))
    , m_status(new QLabel(this))
    , m_headers(makePairTable(this, tr("Header"), tr("Value")))
    , m_reply(new BodyView(tr("Reply body"), this))
    , m_stderr(new StderrView(this))
    , m_paramsTab(new QWidget(this))
    , m_replyTab(new QWidget(this))
    , m_stderrTab(new QWidget(this)) {
    m_summary->setObjectName(QStringLiteral("trafficDetailSummary"));
    m_summary->setTextInteractionFlags(Qt::TextBrowserInteraction);
    m_summary->setWordWrap(true);
    connect(m_summary, &QLabel::linkActivated, this, [this](const QString &link) {
        if (link.startsWith(QLatin1String("entry:")))
            Q_EMIT entryLinkActivated(link.mid(6).toULongLong());
    });
    m_detached->setObjectName(QStringLiteral("trafficDetailDetached"));
    m_detached->setWordWrap(true);
    m_detached->setVisible(false);
    m_replay->setObjectName(QStringLiteral("trafficReplay"));
    Theme::setIcon(m_replay, QStringLiteral("replay"));
    m_replay->setToolTip(tr("Send this message to PHP again, as its client, unchanged"));
    m_editReplay->setObjectName(QStringLiteral("trafficEditReplay"));
    m_editReplay->setToolTip(tr("Edit the message, the user and groups sent, then replay it"));
    m_reveal->setObjectName(QStringLiteral("trafficRevealSecrets"));
    m_reveal->setCheckable(true);
    m_reveal->setToolTip(tr("Show cookies, tokens and credentials in clear in this pane, until "
                            "another row is selected"));
    connect(m_replay, &QPushButton::clicked, this, [this] {
        if (hasEntry())
            Q_EMIT replayRequested(m_entry.id);
    });
    connect(m_editReplay, &QPushButton::clicked, this, [this] {
        if (hasEntry())
            Q_EMIT editReplayRequested(m_entry.id);
    });
    connect(m_reveal, &QPushButton::toggled, this, &TrafficDetailWidget::setSecretsRevealed);
    connect(m_stderr, &StderrView::problem, this, &TrafficDetailWidget::statusMessage);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setWordWrap(true);

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

    auto *buttons = new QVBoxLayout;
    buttons->addWidget(m_replay);
    buttons->addWidget(m_editReplay);
    buttons->addWidget(m_reveal);
    buttons->addStretch(1);
    auto *text = new QVBoxLayout;
    text->addWidget(m_summary);
    text->addWidget(m_detached);
    auto *top = new QHBoxLayout;
    top->addLayout(text, 1);
    top->addLayout(buttons);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(m_tabs, 1);
    clear();
}

void TrafficDetailWidget::setEditorLauncher(EditorLauncher *launcher) {
    m_stderr->setEditorLauncher(launcher);
}

QString TrafficDetailWidget::stderrText() const {
    return m_stderr->plainText();
}

QString TrafficDetailWidget::summaryText() const {
    return QTextDocumentFragment::fromHtml(m_summary->text()).toPlainText();
}

void TrafficDetailWidget::clear() {
    m_entry = TrafficEntry();
    m_revealed = false;
    m_reveal->blockSignals(true);
    m_reveal->setChecked(false);
    m_reveal->blockSignals(false);
    m_reveal->setText(tr("Reveal secrets"));
    m_summary->setText(tr("Select a row to see the exchange in full."));
    m_detached->setVisible(false);
    m_params->setRowCount(0);
    m_headers->setRowCount(0);
    m_request->clear();
    m_reply->clear();
    m_stderr->clear();
    m_status->clear();
    m_tabs->setTabText(m_tabs->indexOf(m_stderrTab), tr("STDERR"));
    updateReplayButtons();
}

void TrafficDetailWidget::setReplayBlocked(bool blocked, const QString &reason) {
    m_replayBlocked = blocked;
    m_blockedReason = reason;
    updateReplayButtons();
}

void TrafficDetailWidget::updateReplayButtons() {
    const QString why = !hasEntry()       ? QString()
                        : m_replayBlocked ? m_blockedReason
                                          : notReplayable(m_entry);
    const bool can = hasEntry() && why.isEmpty() && !m_replayBlocked;
    m_replay->setEnabled(can);
    m_editReplay->setEnabled(can);
    m_replay->setToolTip(can ? tr("Send this message to PHP again, as its client, unchanged")
                             : why);
    m_editReplay->setToolTip(can ? tr("Edit the message, the user and groups sent, then replay it")
                                 : why);
    const bool secrets = m_entry.php != nullptr;
    m_reveal->setEnabled(secrets);
}

void TrafficDetailWidget::setDetached(bool detached) {
    if (!hasEntry()) {
        m_detached->setVisible(false);
        return;
    }
    m_detached->setText(ThemeColors::span(
        ThemeColors::Tone::Muted,
        tr("#%1 has left the log's ring; this is the console's copy (replay still works from "
           "it).")
            .arg(m_entry.id)));
    m_detached->setVisible(detached);
}

void TrafficDetailWidget::setSecretsRevealed(bool revealed) {
    m_revealed = revealed;
    if (m_reveal->isChecked() != revealed) {
        m_reveal->blockSignals(true);
        m_reveal->setChecked(revealed);
        m_reveal->blockSignals(false);
    }
    m_reveal->setText(revealed ? tr("Hide secrets") : tr("Reveal secrets"));
    fillSecrets();
}

void TrafficDetailWidget::fillSecrets() {
    if (!m_entry.php) {
        m_params->setRowCount(0);
        m_headers->setRowCount(0);
        return;
    }
    const PhpExchange &php = *m_entry.php;
    if (m_revealed) {
        fillPairs(m_params, php.params());
        fillPairs(m_headers, php.responseHeaders);
    } else {
        fillPairs(m_params, SecretMask::masked(php.params()));
        fillPairs(m_headers, SecretMask::maskedHeaders(php.responseHeaders));
    }
}

void TrafficDetailWidget::setEntry(const TrafficEntry &e) {
    clear();
    m_entry = e;
    const QString time = QDateTime::fromMSecsSinceEpoch(e.timeMs).toString(
        QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
    QString summary = QStringLiteral("<b>%1</b> #%2 &nbsp; %3 &nbsp; client <tt>%4</tt>")
                          .arg(TrafficLogModel::kindText(e.kind).toHtmlEscaped())
                          .arg(e.id)
                          .arg(time, QString::fromLatin1(e.clientId).toHtmlEscaped());
    if (!e.text.isEmpty() && !e.php)
        summary += QStringLiteral("<br>%1").arg(e.text.toHtmlEscaped());

    if (e.php) {
        const PhpExchange &php = *e.php;
        const bool failed = TrafficMarks::isFailedExchange(php);
        const QString headline = TrafficMarks::phpHeadline(php).toHtmlEscaped();
        summary += QStringLiteral("<br><b>%1</b> &nbsp; queue wait %2 &nbsp; PHP time %3")
                       .arg(failed ? ThemeColors::span(ThemeColors::Tone::Error,
                                                       TrafficMarks::phpHeadline(php))
                                   : headline,
                            micros(php.queueWaitUs), micros(php.phpUs));
        const QString counts = TrafficMarks::stderrCounts(php.stderrData);
        if (!counts.isEmpty())
            summary += QStringLiteral(" &nbsp; STDERR: %1")
                           .arg(ThemeColors::span(PhpStderr::worst(php.stderrData) ==
                                                          PhpStderr::Severity::Error
                                                      ? ThemeColors::Tone::Error
                                                      : ThemeColors::Tone::Warning,
                                                  counts));
        if (e.replayOf) {
            // What the replay really sent: the user and groups may have been overridden.
            const PhpParams params = php.params();
            const QByteArray user = TrafficCopy::paramValue(params, "WS_USER");
            const QByteArray groups = TrafficCopy::paramValue(params, "WS_GROUPS");
            summary +=
                tr("<br>Replay of <a href='entry:%1'>#%1</a> (WS_REPLAY=1), sent as user "
                   "<tt>%2</tt>, groups <tt>%3</tt>")
                    .arg(e.replayOf)
                    .arg(user.isEmpty() ? tr("(none)") : QString::fromUtf8(user).toHtmlEscaped(),
                         groups.isEmpty() ? tr("(none)")
                                          : QString::fromUtf8(groups).toHtmlEscaped());
        }
        fillSecrets();
        m_request->setBody(php.requestBody, e.binary, php.requestBodySize,
                           php.requestBodyTruncated);
        const QString reason = TrafficMarks::phpHeadline(php).mid(5); // without "PHP: "
        m_status->setText(failed ? ThemeColors::span(ThemeColors::Tone::Error, reason)
                                 : reason.toHtmlEscaped());
        m_reply->setBody(php.responseBody, isBinaryReply(php), php.responseBodySize,
                         php.responseBodyTruncated);
        m_stderr->setStderr(php.stderrData);
        const int messages = int(m_stderr->messages().size());
        m_tabs->setTabText(m_tabs->indexOf(m_stderrTab),
                           messages ? tr("STDERR (%1)").arg(messages) : tr("STDERR"));
        m_tabs->setTabVisible(m_tabs->indexOf(m_replyTab), true);
        m_tabs->setTabVisible(m_tabs->indexOf(m_stderrTab), true);
        m_tabs->setTabText(m_tabs->indexOf(m_paramsTab), tr("Request"));
        m_params->setVisible(true);
        // A failed exchange opens on what says why: PHP's own messages when it wrote any,
        // else the reply with the error; a good one keeps the user's tab.
        if (failed)
            m_tabs->setCurrentWidget(messages ? m_stderrTab : m_replyTab);
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
    updateReplayButtons();
}
