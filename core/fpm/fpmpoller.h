#pragma once

#include "fpmstatus.h"

#include <QByteArray>
#include <QContiguousCache>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <chrono>
#include <optional>

class PhpBackend;
struct PhpResponse;

/// Polls PHP-FPM's status and ping pages over FastCGI, keeps a bounded history for charts and
/// derives warnings; GUI-free, so the daemon's /fpm and /metrics use it as the GUI does.
class FpmPoller final : public QObject {
    Q_OBJECT
public:
    enum class State {
        Unknown,     // not polled yet
        Ok,          // the status page answered
        NotEnabled,  // FPM answers, but pm.status_path is not set to our path
        Unreachable, // no answer, or an answer that is not a status page (see lastError())
    };
    Q_ENUM(State)

    /// One point of the charts.
    struct Sample {
        qint64 timeMs = 0; // ms since the epoch
        qint64 active = 0;
        qint64 idle = 0;
        qint64 total = 0;
        qint64 listenQueue = 0;
        qint64 maxChildrenReached = 0; // FPM's counter since its start
        qint64 slowRequests = 0;       // FPM's counter since its start
        qint64 acceptedConn = 0;       // FPM's counter since its start
    };

    /// Something an operator should act on; `code` is stable, `message` is for people.
    struct Warning {
        QString code; // max_children_reached, listen_queue, slow_requests, gateway_pins_workers
        QString message;
    };

    /// `backend` is not owned; give the poller its own single-connection pool so polls never
    /// wait behind (or starve) the gateway's requests.
    explicit FpmPoller(PhpBackend *backend, QObject *parent = nullptr);
    ~FpmPoller() override;

    void setStatusPath(const QString &path); // default /fpm-status
    QString statusPath() const { return m_statusPath; }
    void setPingPath(const QString &path); // default /fpm-ping; empty: no ping
    QString pingPath() const { return m_pingPath; }
    void setInterval(std::chrono::milliseconds interval); // default 1 s
    std::chrono::milliseconds interval() const;
    /// The interval while the state is NotEnabled or Unreachable (default 30 s, never
    /// shorter than interval()): an FPM without a status page is not asked every second.
    void setUnavailableInterval(std::chrono::milliseconds interval);
    void setHistoryCapacity(int samples); // default 600
    /// Connections the gateway's own pool may hold to this FPM; feeds gateway_pins_workers.
    void setGatewayPoolSize(int connections);

    void start();
    void stop();
    bool isActive() const { return m_timer.isActive(); }
    /// Polls now (unless a poll is in flight), without waiting for the timer.
    void pollNow();

    State state() const { return m_state; }
    QString lastError() const { return m_lastError; }
    std::optional<FpmStatus> lastStatus() const { return m_lastStatus; }
    FpmStatus::Quality lastQuality() const { return m_lastQuality; }
    qint64 lastPollMs() const { return m_lastPollMs; }
    QList<Sample> history() const;
    QList<Warning> warnings() const { return m_warnings; }
    /// Ping answered "pong" on the last poll; nullopt when not pinged (yet).
    std::optional<bool> pingOk() const { return m_pingOk; }
    qint64 pingUs() const { return m_pingUs; }

    /// The php-fpm pool lines that enable what this poller reads (shown in NotEnabled).
    static QStringList enableConfigLines();

    /// Prometheus text: wsgate_fpm_up always, pool numbers only while the state is Ok.
    void appendMetrics(QByteArray &out) const;

    /// The FastCGI params of a GET to `path` (query without '?'), as nginx would send them.
    static QList<QPair<QByteArray, QByteArray>> getParams(const QString &path,
                                                          const QString &query);

signals:
    /// Fires after a poll changed anything; several changes in one event-loop turn give one.
    void updated();
    /// Fires when state() changes (also reflected by updated()).
    void stateChanged(FpmPoller::State state);

private:
    void onStatus(const PhpResponse &response);
    void onPing(const PhpResponse &response);
    void setState(State state, const QString &error);
    void recomputeWarnings();
    void scheduleUpdated();
    void applyInterval();

    PhpBackend *m_backend;
    QTimer m_timer;
    std::chrono::milliseconds m_interval;
    std::chrono::milliseconds m_unavailableInterval;
    QString m_statusPath;
    QString m_pingPath;
    int m_gatewayPoolSize = 0;
    bool m_statusInFlight = false;
    bool m_pingInFlight = false;
    bool m_updatePending = false;
    quint64 m_generation = 0; // answers to polls sent before stop() are ignored

    State m_state = State::Unknown;
    QString m_lastError;
    std::optional<FpmStatus> m_lastStatus;
    FpmStatus::Quality m_lastQuality = FpmStatus::Quality::Exact;
    qint64 m_lastPollMs = 0;
    QContiguousCache<Sample> m_history;
    QList<Warning> m_warnings;
    std::optional<bool> m_pingOk;
    qint64 m_pingUs = 0;
};
