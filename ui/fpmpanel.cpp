#include "fpmpanel.h"

#include "slowlogview.h"
#include "statcard.h"
#include "themecolors.h"
#include "timechart.h"

#include <QDateTime>
#include <QEvent>
#include <QFontDatabase>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <numeric>

namespace {

constexpr int MaxGatewayPoints = 1200; // 5 min at 4 Hz
constexpr qint64 ChartWindowMs = 5 * 60 * 1000;
constexpr int BudgetWarnPercent = 80; // a budget this full is worth a red number
constexpr int FpmCardColumns = 5;
constexpr int GatewayCardColumns = 4;
using Tone = ThemeColors::Tone;
enum ProcessColumn { PidColumn, StateColumn, SinceColumn, RequestsColumn, DurationColumn };

QString duration(qint64 seconds) {
    if (seconds < 120)
        return QStringLiteral("%1 s").arg(seconds);
    if (seconds < 7200)
        return QStringLiteral("%1 min").arg(seconds / 60);
    if (seconds < 172800)
        return QStringLiteral("%1 h").arg(seconds / 3600);
    return QStringLiteral("%1 d").arg(seconds / 86400);
}

QString bytes(qint64 n) {
    return QLocale::system().formattedDataSize(n, 1, QLocale::DataSizeTraditionalFormat);
}

QTableWidgetItem *numberItem(qint64 v, const QString &text = {}) {
    auto *item = new QTableWidgetItem(text.isEmpty() ? QString::number(v) : text);
    item->setData(Qt::UserRole, v);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

bool isState(const FpmStatus::Process &p, const char *state) {
    return p.state.compare(QLatin1String(state), Qt::CaseInsensitive) == 0;
}

} // namespace

FpmPanel::FpmPanel(QWidget *parent)
    : QWidget(parent)
    , m_banner(new QLabel(this))
    , m_enableHelp(new QLabel(this))
    , m_warnings(new QLabel(this))
    , m_active(new StatCard(tr("Active workers"), this))
    , m_idle(new StatCard(tr("Idle workers"), this))
    , m_total(new StatCard(tr("Total workers"), this))
    , m_listenQueue(new StatCard(tr("Listen queue"), this))
    , m_maxChildren(new StatCard(tr("Max children reached"), this))
    , m_slow(new StatCard(tr("Slow requests"), this))
    , m_accepted(new StatCard(tr("Accepted conn"), this))
    , m_manager(new StatCard(tr("Process manager"), this))
    , m_memory(new StatCard(tr("Memory peak"), this))
    , m_gatewayPool(new StatCard(tr("Gateway FastCGI"), this))
    , m_inbound(new StatCard(tr("Inbound budget"), this))
    , m_outbound(new StatCard(tr("Outbound budget"), this))
    , m_handshakes(new StatCard(tr("Handshakes"), this))
    , m_processChart(new TimeChart(tr("Processes"), this))
    , m_queueChart(new TimeChart(tr("FPM listen queue"), this))
    , m_gatewayChart(new TimeChart(tr("Gateway FastCGI"), this))
    , m_bottom(new QTabWidget(this))
    , m_processes(new QTableWidget(0, 12, this))
    , m_slowLog(new SlowLogView(this)) {
    setObjectName(QStringLiteral("fpmPanel"));
    const QList<QPair<StatCard *, const char *>> names = {{m_active, "fpmActive"},
                                                          {m_idle, "fpmIdle"},
                                                          {m_total, "fpmTotal"},
                                                          {m_listenQueue, "fpmListenQueue"},
                                                          {m_maxChildren, "fpmMaxChildren"},
                                                          {m_slow, "fpmSlow"},
                                                          {m_accepted, "fpmAccepted"},
                                                          {m_manager, "fpmManager"},
                                                          {m_memory, "fpmMemory"},
                                                          {m_gatewayPool, "gatewayPool"},
                                                          {m_inbound, "gatewayInbound"},
                                                          {m_outbound, "gatewayOutbound"},
                                                          {m_handshakes, "gatewayHandshakes"}};
    for (const auto &n : names)
        n.first->setObjectName(QLatin1String(n.second));
    m_banner->setWordWrap(true);
    m_banner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_enableHelp->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_enableHelp->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_enableHelp->setFrameShape(QFrame::StyledPanel);
    m_enableHelp->setMargin(6);
    m_enableHelp->hide();
    m_warnings->setWordWrap(true);
    m_warnings->hide();
    m_inbound->setToolTip(tr("Client messages queued for or with PHP, all clients "
                             "(--inbound-budget)"));
    m_outbound->setToolTip(tr("Bytes queued towards clients, all clients (--outbound-budget)"));
    m_handshakes->setToolTip(tr("Connections not upgraded to WebSocket yet"));

    m_processChart->addSeries(tr("active"), {});
    m_processChart->addSeries(tr("idle"), {});
    m_processChart->addSeries(tr("total"), {});
    m_queueChart->addSeries(tr("listen queue"), {});
    m_gatewayChart->addSeries(tr("waiting"), {});
    m_gatewayChart->addSeries(tr("busy"), {});
    m_gatewayChart->addSeries(tr("kept"), {});
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
    const QFontMetrics fm = m_processes->fontMetrics();
    m_processes->setColumnWidth(PidColumn, fm.horizontalAdvance(QStringLiteral("9999999")) + 12);
    m_processes->setColumnWidth(
        StateColumn, fm.horizontalAdvance(QStringLiteral("Idle (kept by the gateway)")) + 16);
    m_processes->setColumnWidth(SinceColumn, fm.horizontalAdvance(QStringLiteral("999 min")) + 12);
    m_processes->setColumnWidth(RequestsColumn,
                                fm.horizontalAdvance(QStringLiteral("Requests")) + 16);
    m_processes->setColumnWidth(5, fm.horizontalAdvance(QStringLiteral("Method")) + 16);
    m_processes->setColumnWidth(6, fm.averageCharWidth() * 28);
    m_processes->setColumnWidth(9, fm.averageCharWidth() * 28);

    auto *fpmBox = new QGroupBox(tr("PHP-FPM pool (counted from its worker list)"), this);
    auto *fpmCards = new QGridLayout(fpmBox);
    fpmCards->setSpacing(6);
    const QList<StatCard *> fpm = {m_active, m_idle,     m_total,   m_listenQueue, m_maxChildren,
                                   m_slow,   m_accepted, m_manager, m_memory};
    for (int i = 0; i < fpm.size(); ++i)
        fpmCards->addWidget(fpm.at(i), i / FpmCardColumns, i % FpmCardColumns);
    auto *gatewayBox = new QGroupBox(tr("Gateway"), this);
    auto *gatewayCards = new QGridLayout(gatewayBox);
    gatewayCards->setSpacing(6);
    const QList<StatCard *> gateway = {m_gatewayPool, m_handshakes, m_inbound, m_outbound};
    for (int i = 0; i < gateway.size(); ++i)
        gatewayCards->addWidget(gateway.at(i), i / GatewayCardColumns, i % GatewayCardColumns);
    // One above the other: side by side, seven cards wide, they would not fit beside the
    // push dock at a large scale factor.
    auto *cards = new QVBoxLayout;
    cards->addWidget(fpmBox);
    cards->addWidget(gatewayBox);

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

    m_bottom->setDocumentMode(true);
    m_bottom->addTab(m_processes, tr("Workers"));
    m_bottom->addTab(m_slowLog, tr("Slow log"));
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(m_bottom);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(split);
    applyColors();
    setStopped();
}

StatCard *FpmPanel::card(const QString &objectName) const {
    return findChild<StatCard *>(objectName);
}

void FpmPanel::applyColors() {
    const QPalette p = palette();
    m_processChart->setSeriesColor(0, ThemeColors::color(Tone::Warning, p));
    m_processChart->setSeriesColor(1, ThemeColors::color(Tone::Ok, p));
    m_processChart->setSeriesColor(2, ThemeColors::color(Tone::Muted, p));
    m_queueChart->setSeriesColor(0, ThemeColors::color(Tone::Error, p));
    m_gatewayChart->setSeriesColor(0, ThemeColors::color(Tone::Info, p));
    m_gatewayChart->setSeriesColor(1, ThemeColors::color(Tone::Accent, p));
    m_gatewayChart->setSeriesColor(2, ThemeColors::color(Tone::Muted, p));
    m_warnings->setStyleSheet(
        QStringLiteral("QLabel { background: %1; border: 1px solid %2; border-radius: 3px; "
                       "padding: 4px; }")
            .arg(ThemeColors::tint(Tone::Warning, p).name(),
                 ThemeColors::color(Tone::Warning, p).name()));
}

void FpmPanel::changeEvent(QEvent *event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        applyColors();
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

QList<FpmPanel::WorkerRole> FpmPanel::workerRoles(const FpmStatus &status, int gatewayIdle,
                                                  const QString &statusPath) {
    QList<WorkerRole> roles;
    roles.reserve(status.processes.size());
    QList<int> waiting; // "Reading headers" long enough to be a parked connection
    for (int i = 0; i < status.processes.size(); ++i) {
        const FpmStatus::Process &p = status.processes.at(i);
        if (isState(p, "Idle")) {
            roles.append(WorkerRole::Idle);
            continue;
        }
        roles.append(WorkerRole::Busy);
        if (isState(p, "Reading headers") && p.requestDurationUs >= KeptIdleMinUs)
            waiting.append(i);
        else if (!statusPath.isEmpty() && isState(p, "Running") &&
                 p.requestUri.startsWith(statusPath))
            roles[i] = WorkerRole::StatusPoll;
    }
    std::sort(waiting.begin(), waiting.end(), [&status](int a, int b) {
        return status.processes.at(a).requestDurationUs > status.processes.at(b).requestDurationUs;
    });
    for (int k = 0; k < std::min<int>(int(waiting.size()), std::max(gatewayIdle, 0)); ++k)
        roles[waiting.at(k)] = WorkerRole::KeptByGateway;
    return roles;
}

void FpmPanel::setFpmSample(const FpmSample &s) {
    const QString managed =
        s.managedPhpState.isEmpty()
            ? QString()
            : tr(" &nbsp; managed PHP: %1%2")
                  .arg(s.managedPhpState,
                       s.managedPhpError.isEmpty()
                           ? QString()
                           : QStringLiteral(" (%1)").arg(s.managedPhpError.toHtmlEscaped()));
    const QString ping =
        !s.pingOk.has_value() ? QString()
        : *s.pingOk
            ? tr(" &nbsp; ping %1 ms").arg(double(s.pingUs) / 1000.0, 0, 'f', 1)
            : QStringLiteral(" &nbsp; ") + ThemeColors::span(Tone::Error, tr("ping failed"));
    QString banner;
    switch (s.state) {
    case FpmPoller::State::Unknown:
        banner = tr("<b>PHP-FPM</b>: waiting for the first poll…");
        break;
    case FpmPoller::State::Ok:
        banner = tr("<b>PHP-FPM pool “%1”</b>: %2")
                     .arg(s.status ? s.status->pool.toHtmlEscaped() : QString(),
                          ThemeColors::span(Tone::Ok, tr("reachable")));
        if (s.quality == FpmStatus::Quality::Repaired)
            banner += tr(" &nbsp; (status JSON was invalid and has been repaired)");
        else if (s.quality == FpmStatus::Quality::Truncated)
            banner += tr(" &nbsp; (status page arrived truncated)");
        if (s.status && s.status->reportedActiveProcesses)
            banner += tr(" &nbsp; (FPM's own counters said %1 active, %2 total: they race "
                         "under load, so the cards count the worker list)")
                          .arg(*s.status->reportedActiveProcesses)
                          .arg(s.status->reportedTotalProcesses.value_or(0));
        break;
    case FpmPoller::State::NotEnabled:
        banner = tr("<b>PHP-FPM</b>: %1 — FPM answers, but no status page at the configured "
                    "path. Add these lines to the pool's config and reload php-fpm:")
                     .arg(ThemeColors::span(Tone::Warning, tr("status page not enabled")));
        break;
    case FpmPoller::State::Unreachable:
        banner = tr("<b>PHP-FPM</b>: %1 — %2")
                     .arg(ThemeColors::span(Tone::Error, tr("unreachable")),
                          s.lastError.toHtmlEscaped());
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
        const QList<WorkerRole> roles = workerRoles(st, m_pool.idle, s.fpmStatusPath);
        const auto count = [&roles](WorkerRole r) {
            return int(std::count(roles.begin(), roles.end(), r));
        };
        const int kept = count(WorkerRole::KeptByGateway);
        const int poll = count(WorkerRole::StatusPoll);
        if (st.hasProcesses && !st.processes.isEmpty()) {
            const int busy = count(WorkerRole::Busy);
            const int idle = count(WorkerRole::Idle);
            setCard(m_active, QString::number(busy),
                    poll ? tr("of %1 (+1: this poll)").arg(st.processes.size())
                         : tr("of %1").arg(st.processes.size()));
            setCard(m_idle, QString::number(idle + kept),
                    kept ? tr("%n kept open by the gateway", nullptr, kept) : QString());
            m_idle->setToolTip(
                tr("Workers waiting for a request. The gateway's idle kept-alive FastCGI "
                   "connections park a worker in \"Reading headers\": those are counted idle "
                   "here, though no one else can use them (--fastcgi-idle closes them)."));
            setCard(m_total, QString::number(st.processes.size()));
        } else {
            // No worker list (an old FPM, or the plain page): FPM's own counters, said so.
            setCard(m_active, QString::number(st.activeProcesses), tr("FPM's counter"));
            setCard(m_idle, QString::number(st.idleProcesses), tr("FPM's counter"));
            setCard(m_total, QString::number(st.totalProcesses));
        }
        setCard(m_listenQueue, QString::number(st.listenQueue),
                tr("max %1, len %2").arg(st.maxListenQueue).arg(st.listenQueueLen),
                st.listenQueue > 0);
        setCard(m_maxChildren, QString::number(st.maxChildrenReached), tr("since FPM started"),
                warned("max_children_reached"));
        setCard(m_slow, QString::number(st.slowRequests), tr("since FPM started"),
                warned("slow_requests"));
        setCard(m_accepted, QLocale::system().toString(st.acceptedConn));
        setCard(m_manager, st.processManager, tr("up %1").arg(duration(st.startSinceSec)));
        setCard(m_memory, st.memoryPeakBytes ? bytes(*st.memoryPeakBytes) : tr("n/a"),
                st.memoryPeakBytes ? QString() : tr("PHP ≥ 8.4 only"));
        fillProcesses(st, roles);
        m_bottom->setTabText(1, st.slowRequests > 0 ? tr("Slow log (%1)").arg(st.slowRequests)
                                                    : tr("Slow log"));
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
    if (s.polling)
        m_slowLog->setPool(s.managedPhpConfigPath, s.fastcgiAddress);
}

void FpmPanel::fillProcesses(const FpmStatus &st, const QList<WorkerRole> &roles) {
    const QColor busyColor = ThemeColors::color(Tone::Warning, palette());
    const QColor mutedColor = ThemeColors::color(Tone::Muted, palette());
    m_processes->setSortingEnabled(false);
    m_processes->setRowCount(int(st.processes.size()));
    for (int r = 0; r < st.processes.size(); ++r) {
        const FpmStatus::Process &p = st.processes.at(r);
        const WorkerRole role = r < roles.size() ? roles.at(r) : WorkerRole::Busy;
        m_processes->setItem(r, 0, numberItem(p.pid));
        auto *state = new QTableWidgetItem(p.state);
        switch (role) {
        case WorkerRole::Busy:
            state->setForeground(busyColor);
            break;
        case WorkerRole::Idle:
            break;
        case WorkerRole::KeptByGateway:
            state->setText(tr("Idle (kept by the gateway)"));
            state->setForeground(mutedColor);
            state->setToolTip(
                tr("FPM says \"%1\": the gateway holds this worker's FastCGI connection open "
                   "for its next message (keep-alive) and sends nothing now. It closes idle "
                   "connections after --fastcgi-idle.")
                    .arg(p.state));
            break;
        case WorkerRole::StatusPoll:
            state->setText(tr("Running (this status poll)"));
            state->setForeground(mutedColor);
            break;
        }
        m_processes->setItem(r, 1, state);
        m_processes->setItem(r, 2, numberItem(p.startSinceSec, duration(p.startSinceSec)));
        m_processes->setItem(r, 3, numberItem(p.requests));
        m_processes->setItem(
            r, 4,
            numberItem(p.requestDurationUs, QStringLiteral("%1 ms").arg(
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
        m_processes->setItem(r, 11,
                             numberItem(p.lastRequestMemoryBytes, bytes(p.lastRequestMemoryBytes)));
    }
}

void FpmPanel::setEngineSample(const EngineSample &sample) {
    if (!sample.snapshot)
        return;
    const GatewaySnapshot &snap = *sample.snapshot;
    m_pool = snap.pool;
    const double now = double(snap.timeMs ? snap.timeMs : QDateTime::currentMSecsSinceEpoch());
    m_gatewayChart->appendPoint(0, QPointF(now, double(sample.queuedMessages + m_pool.queued)),
                                MaxGatewayPoints);
    m_gatewayChart->appendPoint(1, QPointF(now, double(m_pool.busy)), MaxGatewayPoints);
    m_gatewayChart->appendPoint(2, QPointF(now, double(m_pool.idle)), MaxGatewayPoints);
    // Red only when it limits: every connection busy and requests waiting for one. All
    // connections open and idle is keep-alive doing its job.
    const bool saturated =
        m_pool.maxConnections > 0 && m_pool.busy >= m_pool.maxConnections && m_pool.queued > 0;
    setCard(m_gatewayPool, QStringLiteral("%1 / %2").arg(m_pool.busy).arg(m_pool.maxConnections),
            tr("busy of %1; %2 kept idle, %3 queued")
                .arg(m_pool.maxConnections)
                .arg(m_pool.idle)
                .arg(m_pool.queued),
            saturated);
    const auto budget = [](StatCard *card, qint64 used, qint64 limit) {
        const int percent = limit > 0 ? int(used * 100 / limit) : 0;
        card->setValue(bytes(used), limit > 0
                                        ? QObject::tr("of %1 (%2 %)").arg(bytes(limit)).arg(percent)
                                        : QObject::tr("no budget"));
        card->setWarning(limit > 0 && percent >= BudgetWarnPercent);
    };
    budget(m_inbound, snap.inboundBytes, snap.inboundBudget);
    budget(m_outbound, snap.outboundBytes, snap.outboundBudget);
    setCard(m_handshakes, QString::number(snap.handshakes), tr("not upgraded yet"));
}
