#pragma once

#include "config/configuration.h"
#include "enginesample.h"
#include "fpmsample.h"
#include "gateway/delivery.h"
#include "gateway/phpbridge.h"
#include "observe/trafficentry.h"
#include "remotegateway.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QThread>
#include <QTimer>
#include <QVector>

#include <functional>
#include <memory>

class Engine;
class Gateway;
class NodeRouter;

/// Runs the Engine on a thread of its own and feeds the GUI by sampling a few times a second:
/// snapshot, counters and a batch of new traffic entries per tick, never a signal per message.
/// Calls into the gateway are queued to the engine thread; their answers come back queued.
///
/// Or, attached (attach()), it feeds the same views from a wsgated elsewhere through its admin
/// API (RemoteGateway): Starting until the daemon first answers, Running while attached (the
/// link itself may be lost and come back: remote()->link()), Stopped once detached. Entry ids
/// go on from the local engine's, and the other way round.
class EngineController final : public QObject {
    Q_OBJECT
public:
    enum class State { Stopped, Starting, Running, Stopping };
    Q_ENUM(State)
    enum class Target { Client, User, Group, Everyone };

    explicit EngineController(QObject *parent = nullptr);
    ~EngineController() override;

    void setConfiguration(const Configuration &config) { m_config = config; }
    const Configuration &configuration() const { return m_config; }
    State state() const { return m_state; }
    /// Ports the listeners really got (port 0 in the configuration picks a free one).
    quint16 listenPort() const { return m_listenPort; }
    quint16 pushPort() const { return m_pushPort; }
    /// ws:// URL clients connect to, with the real port; empty when not running.
    QString listenUrl() const;
    /// The engine of the last start, kept after a stop so its traffic stays readable.
    Engine *engine() const { return m_engine; }
    /// Sampling period; ticks also run when stopped, to drain the last log entries.
    void setSampleInterval(int ms) { m_timer.setInterval(ms); }

    void start();
    void stop();
    /// Stops a running engine and waits (bounded) for it; for exit. Detaches too.
    void shutdown();

    /// Stops the local engine (bounded wait) and shows `target` instead, until detach() or
    /// stop(). A refused token detaches again, with startFailed().
    void attach(const RemoteTarget &target) { attachAll({target}); }
    /// Several nodes of one cluster at once: one traffic log of all of them (one id space),
    /// their connections together, PHP-FPM of the first; push and close go through the first
    /// (the cluster routes them), a replay to the node that logged the entry.
    void attachAll(const QList<RemoteTarget> &targets);
    void detach();
    bool isAttached() const { return !m_remotes.isEmpty(); }
    /// The (first) attached daemon; null when not attached.
    RemoteGateway *remote() const { return m_remotes.isEmpty() ? nullptr : m_remotes.first(); }
    const QList<RemoteGateway *> &remotes() const { return m_remotes; }

    /// Delivers a push on the engine thread; `done` runs on the GUI thread unless `context`
    /// has gone. `error` is set when nothing could be attempted (not running).
    void push(Target target, const QString &name, const OutboundMessage &message, QObject *context,
              std::function<void(const DeliveryResult &, const QString &error)> done);
    /// `error` says why the client could not be closed when it may still be there (its node
    /// could not be asked, the attached gateway refused).
    void closeClient(const QByteArray &clientId, int code, const QString &reason, QObject *context,
                     std::function<void(bool found, const QString &error)> done);
    /// Sends `request` (built from the console's own copy of a logged message) to PHP as
    /// client `clientId`; `error` says why not (the client left, its queue is full).
    void replay(const QByteArray &clientId, const ReplayRequest &request, QObject *context,
                std::function<void(bool ok, const QString &error)> done);
    /// The engine's traffic-log ring size, now and for every later start (0: the
    /// configuration's).
    void setTrafficLogCapacity(int entries);
    /// The client's next message to PHP carries `params` too, once (the console's "debug next
    /// message": an Xdebug trigger). `found` is false when the client has gone.
    void addToNextMessage(const QByteArray &clientId, const PhpParams &params, QObject *context,
                          std::function<void(bool found)> done);

    static QString stateText(State state);

Q_SIGNALS:
    /// Fires on every state change.
    void stateChanged(EngineController::State state);
    /// Fires when start() failed; the engine is stopped again.
    void startFailed(const QString &error);
    /// Fires every tick while an engine exists.
    void sampled(const EngineSample &sample);
    /// Fires on a tick that found new traffic entries (oldest first), at most one per tick.
    void entriesArrived(const QVector<TrafficEntry> &entries);
    /// Fires about once a second while running, with a copy of the PHP-FPM poller's state.
    void fpmSampled(const FpmSample &sample);
    /// Fires for the engine's log lines, batched per tick.
    void logLines(const QStringList &lines);
    /// Fires when attached or detached, and when the attached daemon's link changes.
    void attachmentChanged();

private:
    void setState(State state);
    void tick();
    void onStarted(bool ok, const QString &error, Gateway *gateway, quint16 listenPort,
                   quint16 pushPort);
    void onStopped();
    void disposeEngine();
    void requestFpmSample();
    /// Runs `work` on the engine thread with the live gateway (null when none), then `reply` on
    /// this thread.
    void callRouter(std::function<void(NodeRouter *)> work);

    /// The newest entry id shown so far, of any engine or attached daemon.
    quint64 lastShownId() const;
    void onRemoteLink();
    void onRemoteSampled(RemoteGateway *from, const EngineSample &sample);
    /// The attached daemon that logged console entry `consoleId`; null when none.
    RemoteGateway *remoteOf(quint64 consoleId) const;

    Configuration m_config;
    QList<RemoteGateway *> m_remotes;
    std::unique_ptr<RemoteIdBook> m_remoteIds;
    QHash<RemoteGateway *, EngineSample> m_remoteSamples;
    State m_state = State::Stopped;
    QThread m_thread;
    Engine *m_engine = nullptr;   // lives on m_thread
    Gateway *m_gateway = nullptr; // set while Running; snapshot() is thread-safe
    quint16 m_listenPort = 0;
    quint16 m_pushPort = 0;
    QTimer m_timer;
    quint64 m_lastEntryId = 0;
    int m_trafficLogCapacity = 0; // 0: the configuration's
    quint64 m_skippedEntries = 0; // entries the view jumped over since the last notice
    QElapsedTimer m_skipNotice;
    QElapsedTimer m_rateClock;
    qint64 m_lastIn = 0;
    qint64 m_lastOut = 0;
    double m_rateIn = 0;
    double m_rateOut = 0;
    QStringList m_pendingLines;
    bool m_stopRequested = false;
    bool m_fpmRequestInFlight = false;
    int m_tickCount = 0;
};
