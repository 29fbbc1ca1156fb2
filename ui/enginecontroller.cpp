#include "enginecontroller.h"

#include "cluster/noderouter.h"
#include "engine/engine.h"
#include "fpm/fpmpoller.h"
#include "fpm/managedphp.h"
#include "gateway/gateway.h"
#include "http/httpserver.h"
#include "loop/enginedispatcher.h"
#include "observe/metrics.h"
#include "observe/trafficlog.h"

#include <QAbstractEventDispatcher>
#include <QEventLoop>
#include <QMetaEnum>
#include <QMetaObject>

namespace {

constexpr int SampleIntervalMs = 250;   // 4 Hz: live enough, cheap at any load
constexpr int SnapshotIntervalMs = 250; // the gateway publishes as often as we sample
// Rows handed to the view per tick. Beyond that the view jumps to the newest entries: a
// backlog would only grow under sustained load, and inserting and trimming thousands of rows
// per tick stalls the GUI (seen: 0.5 s).
constexpr int MaxEntriesPerTick = 1000;
constexpr qint64 SkipNoticeIntervalMs = 10000;
constexpr int ShutdownWaitMs = 8000; // graceful stop on exit, then give up
constexpr int MaxLogLinesPerTick = 500;
constexpr int FpmSampleEveryTicks = 4;  // the poller itself polls once a second
constexpr int FpmPollIntervalMs = 1000; // someone watches the charts (headless: 5 s)
constexpr double RateSmoothing = 0.5;   // weight of the newest interval in msgs/s

} // namespace

EngineController::EngineController(QObject *parent)
    : QObject(parent) {
    qRegisterMetaType<EngineSample>();
    qRegisterMetaType<FpmSample>();
    m_thread.setObjectName(QStringLiteral("wsgate-engine"));
    if (QAbstractEventDispatcher *dispatcher = createEngineEventDispatcher())
        m_thread.setEventDispatcher(dispatcher); // the thread owns it
    m_thread.start();
    m_timer.setInterval(SampleIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &EngineController::tick);
}

EngineController::~EngineController() {
    shutdown();
    m_thread.quit();
    m_thread.wait();
}

QString EngineController::stateText(State state) {
    switch (state) {
    case State::Stopped:
        return tr("Stopped");
    case State::Starting:
        return tr("Starting…");
    case State::Running:
        return tr("Running");
    case State::Stopping:
        return tr("Stopping…");
    }
    return {};
}

QString EngineController::listenUrl() const {
    if (m_state != State::Running)
        return {};
    if (isAttached())
        return remote()->listenUrl();
    Configuration c = m_config;
    c.listenPort = m_listenPort;
    return c.listenUrl();
}

void EngineController::setState(State state) {
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

void EngineController::disposeEngine() {
    if (!m_engine)
        return;
    Engine *engine = m_engine;
    m_engine = nullptr;
    m_gateway = nullptr;
    // The engine's sockets and timers belong to its thread: delete it there, and wait, so no
    // queued call of ours can still reach it.
    QMetaObject::invokeMethod(
        engine, [engine] { delete engine; }, Qt::BlockingQueuedConnection);
}

quint64 EngineController::lastShownId() const {
    quint64 lastId = m_lastEntryId;
    if (m_engine && m_engine->trafficLog())
        lastId = std::max(lastId, m_engine->trafficLog()->lastId());
    if (m_remoteIds)
        lastId = std::max(lastId, m_remoteIds->lastId());
    return lastId;
}

void EngineController::start() {
    if (isAttached())
        detach();
    if (m_state != State::Stopped)
        return;
    tick(); // drain what the previous engine logged before it goes
    // The console keeps the rows of earlier engines, so the next log's ids go on after the
    // last one seen: an id names one entry for the console's whole life (replay, selection
    // and "replay of #N" rely on it). Clearing the rows instead would lose what the developer
    // was looking at when they restarted.
    const quint64 lastId = lastShownId();
    disposeEngine();
    m_lastEntryId = lastId;
    m_fpmRequestInFlight = false;
    m_tickCount = 0;
    m_lastIn = m_lastOut = 0;
    m_rateIn = m_rateOut = 0;
    setState(State::Starting);

    auto *engine = new Engine(m_config);
    if (TrafficLog *log = engine->trafficLog()) { // thread-safe, and nothing logs yet
        log->continueAfter(lastId);
        if (m_trafficLogCapacity > 0)
            log->setCapacity(m_trafficLogCapacity);
    }
    engine->moveToThread(&m_thread);
    m_engine = engine;
    connect(engine, &Engine::logLine, this, [this](const QString &level, const QString &text) {
        if (m_pendingLines.size() < MaxLogLinesPerTick)
            m_pendingLines << level + QStringLiteral(": ") + text;
    });
    connect(engine, &Engine::stopped, this, &EngineController::onStopped);

    QPointer<EngineController> self(this);
    QMetaObject::invokeMethod(
        engine,
        [engine, self] {
            QString error;
            const bool ok = engine->start(&error);
            Gateway *gateway = ok ? engine->gateway() : nullptr;
            quint16 port = 0;
            if (gateway) {
                engine->setSnapshotInterval(SnapshotIntervalMs);
                port = gateway->serverPort();
            }
            if (FpmPoller *poller = ok ? engine->fpmPoller() : nullptr)
                poller->setInterval(std::chrono::milliseconds(FpmPollIntervalMs));
            const quint16 pushPort =
                engine->httpServer() ? engine->httpServer()->serverPort() : quint16(0);
            QMetaObject::invokeMethod(
                self,
                [=] {
                    if (self)
                        self->onStarted(ok, error, gateway, port, pushPort);
                },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
    m_rateClock.start();
    m_timer.start();
}

void EngineController::onStarted(bool ok, const QString &error, Gateway *gateway,
                                 quint16 listenPort, quint16 pushPort) {
    if (!ok) {
        setState(State::Stopped);
        Q_EMIT startFailed(error);
        return;
    }
    m_gateway = gateway;
    m_listenPort = listenPort;
    m_pushPort = pushPort;
    setState(State::Running);
    if (m_stopRequested) {
        m_stopRequested = false;
        stop();
    }
}

void EngineController::stop() {
    if (isAttached()) {
        detach();
        return;
    }
    if (m_state == State::Starting) {
        m_stopRequested = true; // honoured once start() has answered
        return;
    }
    if (m_state != State::Running || !m_engine)
        return;
    // From here on the GUI no longer reads the gateway: it may go away with the stop.
    m_gateway = nullptr;
    setState(State::Stopping);
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(
        engine, [engine] { engine->stop(); }, Qt::QueuedConnection);
}

void EngineController::onStopped() {
    if (m_state == State::Stopped)
        return;
    tick();
    setState(State::Stopped);
}

void EngineController::shutdown() {
    if (isAttached()) {
        detach();
        return;
    }
    if (m_state == State::Starting) {
        QEventLoop loop;
        QTimer::singleShot(ShutdownWaitMs, &loop, &QEventLoop::quit);
        connect(this, &EngineController::stateChanged, &loop, &QEventLoop::quit);
        loop.exec();
    }
    if (m_state == State::Running)
        stop();
    if (m_state == State::Stopping) {
        QEventLoop loop;
        QTimer::singleShot(ShutdownWaitMs, &loop, &QEventLoop::quit);
        connect(this, &EngineController::stateChanged, &loop, [&loop](State s) {
            if (s == State::Stopped)
                loop.quit();
        });
        loop.exec();
    }
    m_timer.stop();
    disposeEngine();
    setState(State::Stopped);
}

void EngineController::tick() {
    if (!m_engine)
        return;
    Engine *engine = m_engine;

    // Metrics and the traffic log are thread-safe and live as long as the engine object.
    const Metrics *metrics = engine->metrics();
    EngineSample sample;
    if (metrics) {
        sample.connections = metrics->connectionsCurrent.load(std::memory_order_relaxed);
        sample.messagesIn = metrics->messagesIn.load(std::memory_order_relaxed);
        sample.messagesOut = metrics->messagesOut.load(std::memory_order_relaxed);
        sample.queuedMessages = metrics->queuedMessages.load(std::memory_order_relaxed);
        for (int r = Metrics::PhpOk + 1; r < Metrics::PhpResultCount; ++r)
            sample.phpFailures += metrics->phpResults[size_t(r)].load(std::memory_order_relaxed);
        const qint64 elapsedMs = m_rateClock.restart();
        if (elapsedMs > 0) {
            const double in = double(sample.messagesIn - m_lastIn) * 1000.0 / double(elapsedMs);
            const double out = double(sample.messagesOut - m_lastOut) * 1000.0 / double(elapsedMs);
            m_rateIn = RateSmoothing * in + (1 - RateSmoothing) * m_rateIn;
            m_rateOut = RateSmoothing * out + (1 - RateSmoothing) * m_rateOut;
        }
        m_lastIn = sample.messagesIn;
        m_lastOut = sample.messagesOut;
        sample.messagesInPerSec = m_rateIn;
        sample.messagesOutPerSec = m_rateOut;
    }
    if (m_gateway) {
        sample.snapshot = m_engine->snapshot(); // every engine thread's, merged
        const Engine::ClusterState cluster = m_engine->clusterState();
        sample.cluster = cluster.enabled;
        sample.clusterUp = cluster.up;
        sample.clusterNodes = cluster.nodes;
    }
    Q_EMIT sampled(sample);

    if (TrafficLog *log = engine->trafficLog()) {
        const quint64 newest = log->lastId();
        if (newest > m_lastEntryId + MaxEntriesPerTick) {
            m_skippedEntries += newest - MaxEntriesPerTick - m_lastEntryId;
            m_lastEntryId = newest - MaxEntriesPerTick;
        }
        if (m_skippedEntries > 0 &&
            (!m_skipNotice.isValid() || m_skipNotice.elapsed() > SkipNoticeIntervalMs)) {
            m_pendingLines.append(
                tr("traffic view: %1 entries not shown (more than %2 per %3 ms); the counters "
                   "and /metrics count every message")
                    .arg(m_skippedEntries)
                    .arg(MaxEntriesPerTick)
                    .arg(m_timer.interval()));
            m_skippedEntries = 0;
            m_skipNotice.start();
        }
        const QVector<TrafficEntry> entries = log->entriesSince(m_lastEntryId, MaxEntriesPerTick);
        if (!entries.isEmpty()) {
            m_lastEntryId = entries.constLast().id;
            Q_EMIT entriesArrived(entries);
        }
    }
    if (m_gateway && ++m_tickCount % FpmSampleEveryTicks == 1)
        requestFpmSample();
    if (!m_pendingLines.isEmpty()) {
        const QStringList lines = std::exchange(m_pendingLines, {});
        Q_EMIT logLines(lines);
    }
}

void EngineController::requestFpmSample() {
    // The poller has no thread-safe accessors: copy its state on its own thread. One request
    // at a time, so a busy engine thread never accumulates them.
    if (!m_engine || m_fpmRequestInFlight)
        return;
    m_fpmRequestInFlight = true;
    Engine *engine = m_engine;
    QPointer<EngineController> self(this);
    QMetaObject::invokeMethod(
        engine,
        [engine, self] {
            const FpmSample sample = engine->fpmReport(); // as GET /admin/fpm has it
            QMetaObject::invokeMethod(
                self,
                [self, sample] {
                    if (!self)
                        return;
                    self->m_fpmRequestInFlight = false;
                    Q_EMIT self->fpmSampled(sample);
                },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
}

void EngineController::callRouter(std::function<void(NodeRouter *)> work) {
    if (!m_engine) {
        work(nullptr);
        return;
    }
    // The node's router, not the first thread's gateway: with --threads or --cluster a client
    // may live on another engine thread or node.
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(
        engine, [engine, work] { work(engine->router()); }, Qt::QueuedConnection);
}

namespace {

/// Posts `fn` to the GUI thread through `controller`, and runs it only if `context` survived.
template <typename Fn> void answer(EngineController *controller, QPointer<QObject> context, Fn fn) {
    QMetaObject::invokeMethod(
        controller,
        [context, fn] {
            if (context)
                fn();
        },
        Qt::QueuedConnection);
}

} // namespace

void EngineController::push(Target target, const QString &name, const OutboundMessage &message,
                            QObject *context,
                            std::function<void(const DeliveryResult &, const QString &)> done) {
    if (m_state != State::Running) {
        done({}, tr("the gateway is not running"));
        return;
    }
    if (isAttached()) {
        const auto kind = target == Target::Client  ? PushTarget::Kind::Client
                          : target == Target::User  ? PushTarget::Kind::User
                          : target == Target::Group ? PushTarget::Kind::Group
                                                    : PushTarget::Kind::Everyone;
        remote()->push(kind, target == Target::Client ? name.toLatin1() : name.toUtf8(), message,
                       context, std::move(done));
        return;
    }
    QPointer<QObject> ctx(context);
    callRouter([this, ctx, target, name, message, done](NodeRouter *router) {
        if (!router) {
            answer(this, ctx, [done] { done({}, tr("the gateway is not running")); });
            return;
        }
        PushTarget t;
        t.kind = target == Target::Client  ? PushTarget::Kind::Client
                 : target == Target::User  ? PushTarget::Kind::User
                 : target == Target::Group ? PushTarget::Kind::Group
                                           : PushTarget::Kind::Everyone;
        t.name = target == Target::Client ? name.toLatin1() : name.toUtf8();
        router->deliver(t, message, false, [this, ctx, done](const DeliveryResult &result) {
            const QString error = QString::fromLatin1(result.error);
            answer(this, ctx, [done, result, error] { done(result, error); });
        });
    });
}

void EngineController::closeClient(const QByteArray &clientId, int code, const QString &reason,
                                   QObject *context,
                                   std::function<void(bool, const QString &)> done) {
    if (m_state != State::Running) {
        done(false, {});
        return;
    }
    if (isAttached()) {
        remote()->closeClient(clientId, code, reason, context, done);
        return;
    }
    QPointer<QObject> ctx(context);
    callRouter([this, ctx, clientId, code, reason, done](NodeRouter *router) {
        if (!router) {
            answer(this, ctx, [done] { done(false, {}); });
            return;
        }
        router->closeClient(
            clientId, code, reason.toUtf8(), [this, ctx, done](const ClientLookup &r) {
                const QString error =
                    r.error.isEmpty()
                        ? QString()
                        : tr("its node could not be asked (%1)").arg(QString::fromLatin1(r.error));
                answer(this, ctx, [done, found = r.found, error] { done(found, error); });
            });
    });
}

void EngineController::setTrafficLogCapacity(int entries) {
    m_trafficLogCapacity = std::max(0, entries);
    if (m_engine && m_engine->trafficLog())
        m_engine->trafficLog()->setCapacity(m_trafficLogCapacity > 0 ? m_trafficLogCapacity
                                                                     : m_config.trafficLogEntries);
}

void EngineController::replay(const QByteArray &clientId, const ReplayRequest &request,
                              QObject *context, std::function<void(bool, const QString &)> done) {
    if (m_state != State::Running) {
        done(false, tr("the gateway is not running"));
        return;
    }
    if (isAttached()) {
        RemoteGateway *from = remoteOf(request.entryId);
        (from ? from : remote())->replay(request, context, std::move(done));
        return;
    }
    QPointer<QObject> ctx(context);
    callRouter([this, ctx, clientId, request, done](NodeRouter *router) {
        if (!router) {
            answer(this, ctx, [done] { done(false, tr("the gateway is not running")); });
            return;
        }
        router->replay(clientId, request, [this, ctx, done](bool ok, const QString &error) {
            answer(this, ctx, [done, ok, error] { done(ok, error); });
        });
    });
}

void EngineController::addToNextMessage(const QByteArray &clientId, const PhpParams &params,
                                        QObject *context, std::function<void(bool)> done) {
    if (m_state != State::Running || isAttached()) { // not over the admin API (yet)
        done(false);
        return;
    }
    QPointer<QObject> ctx(context);
    callRouter([this, ctx, clientId, params, done](NodeRouter *router) {
        if (!router) {
            answer(this, ctx, [done] { done(false); });
            return;
        }
        router->addToNextMessage(clientId, params, [this, ctx, done](bool found) {
            answer(this, ctx, [done, found] { done(found); });
        });
    });
}
