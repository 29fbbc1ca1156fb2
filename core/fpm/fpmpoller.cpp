#include "fpmpoller.h"

#include "observe/metrics.h"

#include "php/phpbackend.h"

#include <QDateTime>
#include <QPointer>

namespace {
constexpr std::chrono::milliseconds DefaultInterval{1000};
constexpr std::chrono::milliseconds DefaultUnavailableInterval{30000};
constexpr std::chrono::milliseconds MinInterval{50};
constexpr int DefaultHistorySamples = 600; // 10 minutes at the default interval
// Counters that rose within this window keep their warning up, so it does not flicker
// between polls.
constexpr qint64 RisingWindowMs = 60 * 1000;
// Above this share of FPM's workers, kept-alive gateway connections leave too few for the rest.
constexpr int PinnedWorkersPercent = 75;

const QString DefaultStatusPath = QStringLiteral("/fpm-status");
const QString DefaultPingPath = QStringLiteral("/fpm-ping");

// FPM's answer when SCRIPT_FILENAME is not its status/ping path: it tried to run it as a script.
bool looksLikeFpmNotFound(const PhpResponse &r) {
    return r.status == 404 || r.stderrData.contains("Primary script unknown") ||
           r.body.startsWith("File not found.");
}

QByteArray labelValue(const QString &value) {
    QByteArray out;
    for (const char c : value.toUtf8()) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

void appendMetric(QByteArray &out, const char *name, const char *type, const char *help,
                  const QByteArray &labels, qint64 value) {
    Metrics::appendMetric(out, name, type, help, value, labels);
}
} // namespace

FpmPoller::FpmPoller(PhpBackend *backend, QObject *parent)
    : QObject(parent)
    , m_backend(backend)
    , m_interval(DefaultInterval)
    , m_unavailableInterval(DefaultUnavailableInterval)
    , m_statusPath(DefaultStatusPath)
    , m_pingPath(DefaultPingPath)
    , m_history(DefaultHistorySamples) {
    m_timer.setInterval(DefaultInterval);
    connect(&m_timer, &QTimer::timeout, this, &FpmPoller::pollNow);
}

FpmPoller::~FpmPoller() = default;

void FpmPoller::setStatusPath(const QString &path) {
    m_statusPath = path;
}

void FpmPoller::setPingPath(const QString &path) {
    m_pingPath = path;
}

void FpmPoller::setInterval(std::chrono::milliseconds interval) {
    m_interval = std::max(interval, MinInterval);
    applyInterval();
}

std::chrono::milliseconds FpmPoller::interval() const {
    return m_interval;
}

void FpmPoller::setUnavailableInterval(std::chrono::milliseconds interval) {
    m_unavailableInterval = std::max(interval, MinInterval);
    applyInterval();
}

void FpmPoller::applyInterval() {
    const bool unavailable = m_state == State::NotEnabled || m_state == State::Unreachable;
    const auto wanted = unavailable ? std::max(m_interval, m_unavailableInterval) : m_interval;
    if (m_timer.intervalAsDuration() != wanted)
        m_timer.setInterval(wanted); // restarts a running timer: fine, a poll just ended
}

void FpmPoller::setHistoryCapacity(int samples) {
    m_history.setCapacity(std::max(1, samples));
}

void FpmPoller::setGatewayPoolSize(int connections) {
    m_gatewayPoolSize = std::max(0, connections);
    recomputeWarnings();
    scheduleUpdated();
}

void FpmPoller::start() {
    m_timer.start();
    pollNow();
}

void FpmPoller::stop() {
    m_timer.stop();
    ++m_generation;
    m_statusInFlight = false;
    m_pingInFlight = false;
}

QList<QPair<QByteArray, QByteArray>> FpmPoller::getParams(const QString &path,
                                                          const QString &query) {
    const QByteArray p = path.toUtf8();
    const QByteArray q = query.toUtf8();
    return {
        {"GATEWAY_INTERFACE", "CGI/1.1"},
        {"SERVER_SOFTWARE", "wsgate"},
        {"SERVER_PROTOCOL", "HTTP/1.1"},
        {"SERVER_NAME", "localhost"},
        {"SERVER_ADDR", "127.0.0.1"},
        {"SERVER_PORT", "0"},
        {"REMOTE_ADDR", "127.0.0.1"},
        {"REMOTE_PORT", "0"},
        {"REQUEST_METHOD", "GET"},
        // FPM matches pm.status_path / ping.path against SCRIPT_NAME; SCRIPT_FILENAME must be
        // set too, or FPM answers "Primary script unknown" before looking at it.
        {"SCRIPT_NAME", p},
        {"SCRIPT_FILENAME", p},
        {"DOCUMENT_URI", p},
        {"REQUEST_URI", q.isEmpty() ? p : p + '?' + q},
        {"QUERY_STRING", q},
        {"CONTENT_LENGTH", "0"},
    };
}

void FpmPoller::pollNow() {
    if (!m_backend || m_statusInFlight || m_pingInFlight)
        return;
    m_statusInFlight = true;
    const quint64 generation = m_generation;
    QPointer<FpmPoller> self(this);
    PhpRequest request;
    request.params = getParams(m_statusPath, QStringLiteral("json&full"));
    m_backend->submit(std::move(request), [self, generation](const PhpResponse &r) {
        if (self && self->m_generation == generation)
            self->onStatus(r);
    });
}

void FpmPoller::onStatus(const PhpResponse &r) {
    m_statusInFlight = false;
    m_lastPollMs = QDateTime::currentMSecsSinceEpoch();

    if (r.outcome != PhpOutcome::Ok) {
        setState(State::Unreachable,
                 QStringLiteral("%1: %2").arg(QLatin1String(phpOutcomeName(r.outcome)), r.error));
    } else if (looksLikeFpmNotFound(r)) {
        setState(State::NotEnabled,
                 QStringLiteral("%1 is not php-fpm's status page (it answered %2 %3); add to the "
                                "pool config: %4")
                     .arg(m_statusPath)
                     .arg(r.status)
                     .arg(QString::fromUtf8(r.body.trimmed().left(80)),
                          enableConfigLines().join(QLatin1String(", "))));
    } else if (r.status < 200 || r.status > 299) {
        setState(State::Unreachable, QStringLiteral("%1 answered HTTP %2: %3")
                                         .arg(m_statusPath)
                                         .arg(r.status)
                                         .arg(QString::fromUtf8(r.body.trimmed().left(200))));
    } else {
        QString error;
        FpmStatus::Quality quality = FpmStatus::Quality::Exact;
        auto status = FpmStatus::parse(r.body, &quality, &error);
        if (!status) {
            setState(State::Unreachable, error);
        } else {
            status->countFromProcesses(); // FPM's own counters race under load
            m_lastStatus = std::move(status);
            m_lastQuality = quality;
            Sample s;
            s.timeMs = m_lastPollMs;
            s.active = m_lastStatus->activeProcesses;
            s.idle = m_lastStatus->idleProcesses;
            s.total = m_lastStatus->totalProcesses;
            s.listenQueue = m_lastStatus->listenQueue;
            s.maxChildrenReached = m_lastStatus->maxChildrenReached;
            s.slowRequests = m_lastStatus->slowRequests;
            s.acceptedConn = m_lastStatus->acceptedConn;
            m_history.append(s);
            setState(State::Ok, QString());
        }
    }
    recomputeWarnings();
    scheduleUpdated();

    if (m_pingPath.isEmpty())
        return;
    m_pingInFlight = true;
    const quint64 generation = m_generation;
    QPointer<FpmPoller> self(this);
    PhpRequest request;
    request.params = getParams(m_pingPath, QString());
    m_backend->submit(std::move(request), [self, generation](const PhpResponse &pr) {
        if (self && self->m_generation == generation)
            self->onPing(pr);
    });
}

void FpmPoller::onPing(const PhpResponse &r) {
    m_pingInFlight = false;
    const bool ok = r.outcome == PhpOutcome::Ok && r.status == 200 &&
                    r.body.trimmed() == QByteArrayLiteral("pong");
    m_pingOk = ok;
    m_pingUs = ok ? r.phpUs : 0;
    scheduleUpdated();
}

void FpmPoller::setState(State state, const QString &error) {
    m_lastError = error;
    if (state != State::Ok)
        m_lastStatus.reset(); // never show stale numbers as if they were current
    if (m_state == state)
        return;
    m_state = state;
    applyInterval();
    emit stateChanged(state);
}

void FpmPoller::recomputeWarnings() {
    m_warnings.clear();
    if (m_state != State::Ok || !m_lastStatus || m_history.isEmpty())
        return;
    const Sample &now = m_history.last();
    // The oldest sample inside the window is the baseline a counter must have risen from.
    const Sample *base = &now;
    for (qsizetype i = m_history.lastIndex(); i >= m_history.firstIndex(); --i) {
        if (now.timeMs - m_history.at(i).timeMs > RisingWindowMs)
            break;
        base = &m_history.at(i);
    }
    // A counter lower than its baseline means FPM restarted: no rise to report.
    const qint64 childrenRise = now.maxChildrenReached - base->maxChildrenReached;
    if (childrenRise > 0) {
        m_warnings.append({QStringLiteral("max_children_reached"),
                           tr("pm.max_children was reached %n time(s) in the last minute: "
                              "requests wait for a free PHP worker. Raise pm.max_children or "
                              "make requests faster.",
                              nullptr, int(childrenRise))});
    }
    if (now.listenQueue > 0) {
        m_warnings.append({QStringLiteral("listen_queue"),
                           tr("%n connection(s) wait in php-fpm's listen queue: every worker is "
                              "busy.",
                              nullptr, int(now.listenQueue))});
    }
    const qint64 slowRise = now.slowRequests - base->slowRequests;
    if (slowRise > 0) {
        m_warnings.append({QStringLiteral("slow_requests"),
                           tr("%n slow request(s) in the last minute (request_slowlog_timeout); "
                              "see php-fpm's slowlog.",
                              nullptr, int(slowRise))});
    }
    // Only a static pool's total is its pm.max_children (FPM's page does not print the limit);
    // a dynamic or ondemand pool grows on demand, so its total says nothing until FPM reports
    // that it hit the limit. (A fresh dynamic pool of 2 workers warned on every demo start.)
    const bool totalIsLimit =
        now.maxChildrenReached > 0 ||
        (m_lastStatus &&
         m_lastStatus->processManager.compare(QLatin1String("static"), Qt::CaseInsensitive) == 0);
    if (m_gatewayPoolSize > 0 && now.total > 0 && totalIsLimit &&
        qint64(m_gatewayPoolSize) * 100 >= now.total * PinnedWorkersPercent) {
        m_warnings.append({QStringLiteral("gateway_pins_workers"),
                           tr("The gateway may keep %1 of php-fpm's %2 workers connected: "
                              "kept-alive FastCGI connections pin workers and leave too few for "
                              "other requests. Lower --fastcgi-pool or raise pm.max_children.")
                               .arg(m_gatewayPoolSize)
                               .arg(now.total)});
    }
}

void FpmPoller::scheduleUpdated() {
    if (m_updatePending)
        return;
    m_updatePending = true;
    QMetaObject::invokeMethod(
        this,
        [this] {
            m_updatePending = false;
            emit updated();
        },
        Qt::QueuedConnection);
}

QList<FpmPoller::Sample> FpmPoller::history() const {
    QList<Sample> out;
    out.reserve(m_history.count());
    for (qsizetype i = m_history.firstIndex(); i <= m_history.lastIndex(); ++i)
        out.append(m_history.at(i));
    return out;
}

QStringList FpmPoller::enableConfigLines() {
    return {QStringLiteral("pm.status_path = ") + DefaultStatusPath,
            QStringLiteral("ping.path = ") + DefaultPingPath};
}

void FpmPoller::appendMetrics(QByteArray &out) const {
    const bool up = m_state == State::Ok && m_lastStatus.has_value();
    appendMetric(out, "wsgate_fpm_up", "gauge",
                 "1 when php-fpm's status page answered the last poll.", {}, up ? 1 : 0);
    if (!up)
        return;
    const FpmStatus &s = *m_lastStatus;
    const QByteArray pool = "{pool=\"" + labelValue(s.pool) + "\"}";
    appendMetric(out, "wsgate_fpm_active_processes", "gauge", "Workers serving a request.", pool,
                 s.activeProcesses);
    appendMetric(out, "wsgate_fpm_idle_processes", "gauge", "Workers waiting for a request.", pool,
                 s.idleProcesses);
    appendMetric(out, "wsgate_fpm_total_processes", "gauge", "Workers in the pool.", pool,
                 s.totalProcesses);
    appendMetric(out, "wsgate_fpm_max_active_processes", "gauge",
                 "Most workers active at once since php-fpm started.", pool, s.maxActiveProcesses);
    appendMetric(out, "wsgate_fpm_listen_queue", "gauge", "Connections waiting for a free worker.",
                 pool, s.listenQueue);
    appendMetric(out, "wsgate_fpm_max_listen_queue", "gauge",
                 "Longest listen queue since php-fpm started.", pool, s.maxListenQueue);
    appendMetric(out, "wsgate_fpm_listen_queue_len", "gauge", "Size of the listen queue.", pool,
                 s.listenQueueLen);
    appendMetric(out, "wsgate_fpm_accepted_connections_total", "counter",
                 "Connections php-fpm accepted since it started.", pool, s.acceptedConn);
    appendMetric(out, "wsgate_fpm_max_children_reached_total", "counter",
                 "Times pm.max_children was reached since php-fpm started.", pool,
                 s.maxChildrenReached);
    appendMetric(out, "wsgate_fpm_slow_requests_total", "counter",
                 "Requests slower than request_slowlog_timeout since php-fpm started.", pool,
                 s.slowRequests);
    appendMetric(out, "wsgate_fpm_start_time_seconds", "gauge", "Unix time php-fpm's pool started.",
                 pool, s.startTime);
    if (s.memoryPeakBytes) {
        appendMetric(out, "wsgate_fpm_memory_peak_bytes", "gauge",
                     "Peak memory of the pool (php-fpm >= 8.4).", pool, *s.memoryPeakBytes);
    }
    out += "# HELP wsgate_fpm_warning 1 while the named php-fpm warning holds.\n"
           "# TYPE wsgate_fpm_warning gauge\n";
    for (const char *code :
         {"max_children_reached", "listen_queue", "slow_requests", "gateway_pins_workers"}) {
        bool active = false;
        for (const Warning &w : m_warnings)
            active = active || w.code == QLatin1String(code);
        out += "wsgate_fpm_warning{code=\"";
        out += code;
        out += "\"} ";
        out += active ? "1\n" : "0\n";
    }
}
