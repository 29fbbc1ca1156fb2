#include "fpmpanel.h"

#include "statcard.h"
#include "timechart.h"

#include <QDateTime>
#include <QFontDatabase>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QScrollArea>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

namespace {

constexpr int MaxGatewayPoints = 1200; // 5 min at 4 Hz
constexpr qint64 ChartWindowMs = 5 * 60 * 1000;
const QColor ActiveColor(0xe6, 0x61, 0x00);
const QColor IdleColor(0x26, 0xa2, 0x69);
const QColor TotalColor(0x77, 0x76, 0x7b);
const QColor QueueColor(0xc0, 0x1c, 0x28);
const QColor GatewayQueueColor(0x1a, 0x5f, 0xb4);
const QColor BusyColor(0x91, 0x41, 0xac);

QString duration(qint64 seconds) {
    if (seconds < 120)
        return QStringLiteral("%1 s").arg(seconds);
    if (seconds < 7200)
        return QStringLiteral("%1 min").arg(seconds / 60);
    if (seconds < 172800)
        return QStringLiteral("%1 h").arg(seconds / 3600);
    return QStringLiteral("%1 d").arg(seconds / 86400);
}

QTableWidgetItem *numberItem(qint64 v, const QString &text = {}) {
    auto *item = new QTableWidgetItem(text.isEmpty() ? QString::number(v) : text);
    item->setData(Qt::UserRole, v);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

} // namespace

FpmPanel::FpmPanel(QWidget *parent)
    : QWidget(parent)
    , m_banner(new QLabel(this))
    , m_enableHelp(new QLabel(this))
    , m_warnings(new QLabel(this))
    , m_active(new StatCard(tr("Active"), this))
    , m_idle(new StatCard(tr("Idle"), this))
    , m_total(new StatCard(tr("Total processes"), this))
    , m_listenQueue(new StatCard(tr("Listen queue"), this))
    , m_maxChildren(new StatCard(tr("Max children reached"), this))
    , m_slow(new StatCard(tr("Slow requests"), this))
    , m_accepted(new StatCard(tr("Accepted conn"), this))
    , m_manager(new StatCard(tr("Process manager"), this))
    , m_memory(new StatCard(tr("Memory peak"), this))
    , m_gatewayPool(new StatCard(tr("Gateway FastCGI"), this))
    , m_processChart(new TimeChart(tr("Processes"), this))
    , m_queueChart(new TimeChart(tr("FPM listen queue"), this))
    , m_gatewayChart(new TimeChart(tr("Gateway queue"), this))
    , m_processes(new QTableWidget(0, 12, this)) {
    setObjectName(QStringLiteral("fpmPanel"));
    m_banner->setWordWrap(true);
    m_banner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_enableHelp->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_enableHelp->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_enableHelp->setFrameShape(QFrame::StyledPanel);
    m_enableHelp->setMargin(6);
    m_enableHelp->hide();
    m_warnings->setWordWrap(true);
    m_warnings->setStyleSheet(QStringLiteral("QLabel { background: #fdf0d5; border: 1px solid "
                                             "#e5a50a; border-radius: 3px; padding: 4px; }"));
    m_warnings->hide();

    m_processChart->addSeries(tr("active"), ActiveColor);
    m_processChart->addSeries(tr("idle"), IdleColor);
    m_processChart->addSeries(tr("total"), TotalColor);
    m_queueChart->addSeries(tr("listen queue"), QueueColor);
    m_gatewayChart->addSeries(tr("waiting"), GatewayQueueColor);
    m_gatewayChart->addSeries(tr("busy"), BusyColor);
    for (TimeChart *c : {m_processChart, m_queueChart, m_gatewayChart})
        c->setWindowMs(ChartWindowMs);

    m_processes->setHorizontalHeaderLabels({tr("PID"), tr("State"), tr("Since"), tr("Requests"),
                                            tr("Duration"), tr("Method"), tr("URI"), tr("Length"),
                                            tr("User"), tr("Script"), tr("CPU"), tr("Memory")});
    m_processes->verticalHeader()->setVisible(false);
    m_processes->verticalHeader()->setDefaultSectionSize(m_processes->fontMetrics().height() + 6);
    m_processes->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_processes->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_processes->setAlternatingRowColors(true);
    m_processes->setWordWrap(false);
    m_processes->horizontalHeader()->setStretchLastSection(true);
    m_processes->setColumnWidth(0, 64);
    m_processes->setColumnWidth(1, 120);
    m_processes->setColumnWidth(2, 60);
    m_processes->setColumnWidth(3, 70);
    m_processes->setColumnWidth(5, 60);
    m_processes->setColumnWidth(6, 220);
    m_processes->setColumnWidth(9, 220);

    auto *cards = new QGridLayout;
    cards->setSpacing(6);
    const QList<StatCard *> all = {m_active, m_idle,     m_total,   m_listenQueue, m_maxChildren,
                                   m_slow,   m_accepted, m_manager, m_memory,      m_gatewayPool};
    for (int i = 0; i < all.size(); ++i)
        cards->addWidget(all.at(i), i / 5, i % 5);

    auto *charts = new QHBoxLayout;
    charts->addWidget(m_processChart);
    charts->addWidget(m_queueChart);
    charts->addWidget(m_gatewayChart);

    auto *top = new QWidget(this);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addWidget(m_banner);
    topLayout->addWidget(m_enableHelp);
    topLayout->addWidget(m_warnings);
    topLayout->addLayout(cards);
    topLayout->addLayout(charts, 1);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(m_processes);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(split);
    setStopped();
}

void FpmPanel::setCard(StatCard *card, const QString &value, const QString &detail, bool warning) {
    card->setValue(value, detail);
    card->setWarning(warning);
}

QString FpmPanel::stateText() const {
    return m_banner->text();
}

QString FpmPanel::warningsText() const {
    return m_warnings->isVisible() ? m_warnings->text() : QString();
}

void FpmPanel::setStopped() {
    m_banner->setText(tr("<b>PHP-FPM</b>: the gateway is not running; start it to poll the pool."));
    m_enableHelp->hide();
    m_warnings->hide();
}

void FpmPanel::setFpmSample(const FpmSample &s) {
    QString banner;
    const QString managed =
        s.managedPhpState.isEmpty()
            ? QString()
            : tr(" &nbsp; managed PHP: %1%2")
                  .arg(s.managedPhpState,
                       s.managedPhpError.isEmpty()
                           ? QString()
                           : QStringLiteral(" (%1)").arg(s.managedPhpError.toHtmlEscaped()));
    const QString ping = !s.pingOk.has_value() ? QString()
                         : *s.pingOk
                             ? tr(" &nbsp; ping %1 ms").arg(double(s.pingUs) / 1000.0, 0, 'f', 1)
                             : tr(" &nbsp; <span style='color:#c01c28'>ping failed</span>");
    switch (s.state) {
    case FpmPoller::State::Unknown:
        banner = tr("<b>PHP-FPM</b>: waiting for the first poll…");
        break;
    case FpmPoller::State::Ok:
        banner = tr("<b>PHP-FPM pool “%1”</b>: <span style='color:#26a269'>reachable</span>")
                     .arg(s.status ? s.status->pool.toHtmlEscaped() : QString());
        if (s.quality == FpmStatus::Quality::Repaired)
            banner += tr(" &nbsp; (status JSON was invalid and has been repaired)");
        else if (s.quality == FpmStatus::Quality::Truncated)
            banner += tr(" &nbsp; (status page arrived truncated)");
        if (s.status && s.status->reportedActiveProcesses)
            banner += tr(" &nbsp; (counts from the worker list: FPM's counters said %1 active, "
                         "%2 total)")
                          .arg(*s.status->reportedActiveProcesses)
                          .arg(s.status->reportedTotalProcesses.value_or(0));
        break;
    case FpmPoller::State::NotEnabled:
        banner = tr("<b>PHP-FPM</b>: <span style='color:#e66100'>status page not enabled</span> — "
                    "FPM answers, but no status page at the configured path. Add these lines to "
                    "the pool's config and reload php-fpm:");
        break;
    case FpmPoller::State::Unreachable:
        banner = tr("<b>PHP-FPM</b>: <span style='color:#c01c28'>unreachable</span> — %1")
                     .arg(s.lastError.toHtmlEscaped());
        break;
    }
    m_banner->setText(banner + ping + managed);
    m_enableHelp->setText(s.enableConfigLines.join(QLatin1Char('\n')));
    m_enableHelp->setVisible(s.state == FpmPoller::State::NotEnabled);

    QStringList warnings;
    for (const FpmPoller::Warning &w : s.warnings)
        warnings << QStringLiteral("⚠ %1").arg(w.message.toHtmlEscaped());
    m_warnings->setText(warnings.join(QStringLiteral("<br>")));
    m_warnings->setVisible(!warnings.isEmpty());
    auto warned = [&s](const char *code) {
        return std::any_of(
            s.warnings.begin(), s.warnings.end(),
            [code](const FpmPoller::Warning &w) { return w.code == QLatin1String(code); });
    };

    if (s.status) {
        const FpmStatus &st = *s.status;
        setCard(m_active, QString::number(st.activeProcesses),
                tr("max %1").arg(st.maxActiveProcesses));
        setCard(m_idle, QString::number(st.idleProcesses));
        setCard(m_total, QString::number(st.totalProcesses));
        setCard(m_listenQueue, QString::number(st.listenQueue),
                tr("max %1, len %2").arg(st.maxListenQueue).arg(st.listenQueueLen),
                st.listenQueue > 0);
        setCard(m_maxChildren, QString::number(st.maxChildrenReached), {},
                warned("max_children_reached"));
        setCard(m_slow, QString::number(st.slowRequests), {}, warned("slow_requests"));
        setCard(m_accepted, QLocale::system().toString(st.acceptedConn));
        setCard(m_manager, st.processManager, tr("up %1").arg(duration(st.startSinceSec)));
        setCard(m_memory,
                st.memoryPeakBytes ? QLocale::system().formattedDataSize(*st.memoryPeakBytes)
                                   : tr("n/a"),
                st.memoryPeakBytes ? QString() : tr("PHP ≥ 8.4 only"));

        m_processes->setSortingEnabled(false);
        m_processes->setRowCount(int(st.processes.size()));
        for (int r = 0; r < st.processes.size(); ++r) {
            const FpmStatus::Process &p = st.processes.at(r);
            m_processes->setItem(r, 0, numberItem(p.pid));
            auto *state = new QTableWidgetItem(p.state);
            if (p.state != QLatin1String("Idle"))
                state->setForeground(ActiveColor);
            m_processes->setItem(r, 1, state);
            m_processes->setItem(r, 2, numberItem(p.startSinceSec, duration(p.startSinceSec)));
            m_processes->setItem(r, 3, numberItem(p.requests));
            m_processes->setItem(r, 4,
                                 numberItem(p.requestDurationUs,
                                            QStringLiteral("%1 ms").arg(
                                                double(p.requestDurationUs) / 1000.0, 0, 'f', 1)));
            m_processes->setItem(r, 5, new QTableWidgetItem(p.requestMethod));
            m_processes->setItem(r, 6, new QTableWidgetItem(p.requestUri));
            m_processes->setItem(r, 7, numberItem(p.contentLength));
            m_processes->setItem(r, 8, new QTableWidgetItem(p.user));
            m_processes->setItem(r, 9, new QTableWidgetItem(p.script));
            m_processes->setItem(
                r, 10,
                numberItem(qint64(p.lastRequestCpuPercent * 100),
                           QStringLiteral("%1 %").arg(p.lastRequestCpuPercent, 0, 'f', 1)));
            m_processes->setItem(
                r, 11,
                numberItem(p.lastRequestMemoryBytes,
                           QLocale::system().formattedDataSize(p.lastRequestMemoryBytes)));
        }
    } else {
        for (StatCard *c : {m_active, m_idle, m_total, m_listenQueue, m_maxChildren, m_slow,
                            m_accepted, m_manager, m_memory})
            setCard(c, QStringLiteral("–"));
        m_processes->setRowCount(0);
    }

    QVector<QPointF> active, idle, total, queue;
    for (const FpmPoller::Sample &h : s.history) {
        active.append(QPointF(double(h.timeMs), double(h.active)));
        idle.append(QPointF(double(h.timeMs), double(h.idle)));
        total.append(QPointF(double(h.timeMs), double(h.total)));
        queue.append(QPointF(double(h.timeMs), double(h.listenQueue)));
    }
    m_processChart->setPoints(0, active);
    m_processChart->setPoints(1, idle);
    m_processChart->setPoints(2, total);
    m_queueChart->setPoints(0, queue);
    m_gatewayPool->setWarning(warned("gateway_pins_workers"));
}

void FpmPanel::setEngineSample(const EngineSample &sample) {
    if (!sample.snapshot)
        return;
    const PhpBackendStats &pool = sample.snapshot->pool;
    const double now = double(sample.snapshot->timeMs ? sample.snapshot->timeMs
                                                      : QDateTime::currentMSecsSinceEpoch());
    m_gatewayChart->appendPoint(0, QPointF(now, double(sample.queuedMessages + pool.queued)),
                                MaxGatewayPoints);
    m_gatewayChart->appendPoint(1, QPointF(now, double(pool.busy)), MaxGatewayPoints);
    m_gatewayPool->setValue(
        QStringLiteral("%1 / %2").arg(pool.busy).arg(pool.maxConnections),
        tr("busy / max; %1 idle kept, %2 queued").arg(pool.idle).arg(pool.queued));
}
