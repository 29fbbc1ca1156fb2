#include "gateway.h"

#include "keepalivesweep.h"
#include "memorybudget.h"
#include "observe/trafficlog.h"
#include "outbox.h"
#include "php/phpbackend.h"
#include "sessionregistry.h"
#include "trafficrecorder.h"
#include "websocket/websocketframewriter.h"

#include <QDateTime>

namespace {

constexpr int StopDrainTimeoutMs = 10000; // requests with PHP may finish this long
constexpr int StopCloseTimeoutMs = 2000;  // then clients get this long to finish closing
constexpr int CloseCodeGoingAway = 1001;

qint64 epochMs() {
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace

Gateway::Gateway(const Settings &settings, PhpBackend *backend, TrafficLog *log, Metrics *metrics,
                 MemoryBudget *budget, QObject *parent)
    : QObject(parent)
    , m_settings(settings)
    , m_backend(backend)
    , m_log(log)
    , m_budget(budget)
    , m_recorder(new TrafficRecorder(log, metrics, this))
    , m_registry(std::make_unique<SessionRegistry>()) {
    Outbox::Settings out;
    out.sendBufferBytes = settings.sendBufferBytes;
    out.closeSlowConsumers = settings.closeSlowConsumers;
    m_outbox = std::make_unique<Outbox>(out, m_recorder, budget);
    m_bridge = std::make_unique<PhpBridge>(settings.bridge, backend, m_registry.get(),
                                           m_outbox.get(), m_recorder, budget);
    m_sweep = new KeepAliveSweep(
        {settings.pingIntervalSec, settings.closeGraceMs, settings.fragmentTimeoutMs},
        m_outbox.get(), m_recorder, this);
    m_sweep->setTickHook([this](qint64 now) { return onTick(now); });
    m_outbox->setClosingWatcher([this](ClientSession &s) { m_sweep->watchClosing(&s); });
    m_outbox->setAborter([this](ClientSession &s) {
        QMetaObject::invokeMethod(
            this,
            [this, id = s.id] {
                if (ClientSession *session = m_registry->find(id); session && session->connection())
                    session->connection()->abort();
            },
            Qt::QueuedConnection);
    });

    m_front = new WebSocketFront(settings.front, m_recorder, budget, this);
    m_front->setSessionCount([this] { return m_registry->size(); });
    m_front->setHandshakeWatcher([this] { m_sweep->requestTick(); });
    m_front->setOpenHandler(
        [this](const QByteArray &id, std::shared_ptr<const PhpParamBlock> cgi,
               std::function<void(const OpenDecision &)> done) {
            return m_bridge->open(id, std::move(cgi), std::move(done));
        },
        [this](PhpBackend::Ticket ticket) { m_bridge->abandonOpen(ticket); });
    m_front->setUpgradeHandler([this](WebSocketFront::Upgrade &&up) { onUpgrade(std::move(up)); });
    connect(m_front, &WebSocketFront::lostAfterOpen, this,
            [this](const QByteArray &id, std::shared_ptr<const PhpParamBlock> cgi,
                   const OpenDecision &d) { m_bridge->lostAfterOpen(id, std::move(cgi), d); });

    connect(m_recorder, &TrafficRecorder::errorLogged, this, &Gateway::errorLogged);
    connect(m_recorder, &TrafficRecorder::clientEvent, this, &Gateway::clientEvent);
    connect(m_recorder, &TrafficRecorder::debugLogged, this, &Gateway::debugLogged);
    connect(&m_snapshotTimer, &QTimer::timeout, this, &Gateway::publishSnapshot);
}

Gateway::~Gateway() {
    m_front->close();
    // Sessions go before the parts they call into; no callback reaches us from here on.
    m_registry->forEach([](ClientSession *s) {
        if (s->connection())
            s->connection()->stream()->setListener(nullptr);
    });
    m_registry.reset();
}

bool Gateway::start(QString *error) {
    if (isListening())
        return true;
    if (!m_front->listen(error))
        return false;
    m_stopping = false;
    m_closedAll = false;
    m_sweep->start();
    publishSnapshot();
    return true;
}

bool Gateway::isListening() const {
    return m_front->isListening();
}

quint16 Gateway::serverPort() const {
    return m_front->port();
}

void Gateway::setDebugLogging(bool enabled) {
    m_recorder->setDebugLogging(enabled);
}

void Gateway::setMembershipListener(
    std::function<void(bool isGroup, const QString &name, bool present)> listener) {
    m_registry->setMembershipListener(std::move(listener));
}

int Gateway::clientCount() const {
    return m_registry->size();
}

// ---------------------------------------------------------------------------------------------
// Connections

void Gateway::onUpgrade(WebSocketFront::Upgrade &&up) {
    if (m_stopping) {
        up.stream->abort();
        return;
    }
    // From here on what the client has not taken yet (the 101 answer included) is held
    // against the outbound budget, which Outbox::admit() checks.
    up.stream->setQueuedBytesCounter(m_budget->outboundCounter());
    auto owned =
        std::make_unique<ClientSession>(up.clientId, up.cgi, static_cast<SessionEvents *>(this));
    ClientSession *s = owned.get();
    s->connectedMs = s->lastActivityMs = epochMs();
    s->lastActivity = KeepAliveSweep::nowMs();
    if (up.open) {
        if (up.open->user)
            m_registry->setUser(s, *up.open->user);
        for (const QString &g : std::as_const(up.open->join))
            m_registry->join(s, g);
    }
    m_registry->add(std::move(owned));
    m_sweep->add(s);
    s->setConnection(std::make_unique<WebSocketConnection>(std::move(up.stream),
                                                           m_settings.front.connectionLimits, s));
    m_recorder->opened(*s, m_registry->size());
    // The open reply's body is the first message the client gets, its X-WS-Close the last.
    if (up.open && !up.open->body.isEmpty())
        m_bridge->sendPhpBody(s, up.open->body, up.open->contentType);
    if (up.open && up.open->closeCode)
        m_outbox->close(*s, up.open->closeCode, up.open->closeReason);
    // Last: reading the frames that came with the head may end the session (and delete it).
    s->connection()->start(up.leftover);
}

void Gateway::sessionMessage(ClientSession *s, QByteArray payload, bool binary) {
    m_bridge->onMessage(s, std::move(payload), binary);
}

void Gateway::sessionPong(ClientSession *s, qint64) {
    s->pingSentMs = 0;
    s->lastActivity = KeepAliveSweep::nowMs();
}

void Gateway::sessionClosing(ClientSession *s, int, const QByteArray &) {
    s->closing = true;
    m_sweep->watchClosing(s);
}

void Gateway::sessionDrained(ClientSession *) {}

void Gateway::sessionMessageBegun(ClientSession *s) {
    m_sweep->watchMessage(s);
}

void Gateway::sessionClosed(ClientSession *s, const WebSocketCloseInfo &info) {
    m_recorder->closed(*s, info, m_registry->size() - 1);
    if (const int late = s->connection() ? s->connection()->droppedWhileClosing() : 0)
        m_recorder->dropped(s->id, Metrics::DropClosing, late,
                            QStringLiteral("they arrived after the close handshake began"));
    m_bridge->onClosed(s, info.code, info.reason, m_stopping);
    m_sweep->remove(s);
    m_registry->remove(s); // deletes it: we are inside its last callback, which returns at once
    maybeFinishStop();
}

// ---------------------------------------------------------------------------------------------
// Delivery: this gateway's own connections

DeliveryResult Gateway::deliverHere(const PushTarget &target, const OutboundMessage &m) {
    DeliveryResult r;
    const auto count = [&r](Outbox::Result result) {
        ++r.matched;
        if (result == Outbox::Result::Sent)
            ++r.delivered;
        else if (result == Outbox::Result::BufferFull)
            ++r.bufferFull;
    };
    if (target.kind == PushTarget::Kind::Client) {
        if (ClientSession *s = m_registry->find(target.name))
            count(m_outbox->send(*s, m.payload, m.binary, Outbox::Purpose::Push));
    } else {
        const QString name = QString::fromUtf8(target.name);
        const QList<ClientSession *> sessions =
            target.kind == PushTarget::Kind::User    ? m_registry->usersSessions(name)
            : target.kind == PushTarget::Kind::Group ? m_registry->groupSessions(name)
                                                     : m_registry->all();
        // Who got it, for the console's per-client conversation (only when it keeps a log).
        const bool record = m_recorder->logEnabled();
        auto receivers = record ? std::make_shared<QList<QByteArray>>() : nullptr;
        bool truncated = false;
        if (!sessions.isEmpty()) {
            // Encoded once, queued by reference for every client.
            const QByteArray frame = WebSocketFrameWriter::frame(
                m.binary ? WebSocketOpcode::Binary : WebSocketOpcode::Text, m.payload);
            for (ClientSession *s : sessions) {
                const Outbox::Result result =
                    m_outbox->sendFrame(*s, frame, m.payload.size(), Outbox::Purpose::Push);
                count(result);
                if (record && result == Outbox::Result::Sent) {
                    if (receivers->size() < TrafficEntry::MaxReceivers)
                        receivers->append(s->id);
                    else
                        truncated = true;
                }
            }
        }
        m_recorder->pushed(target.describe(), {}, m.payload, m.binary, r, std::move(receivers),
                           truncated);
        return r;
    }
    m_recorder->pushed(target.describe(), target.name, m.payload, m.binary, r);
    return r;
}

void Gateway::deliver(const PushTarget &target, const OutboundMessage &m, bool, Done done) {
    done(deliverHere(target, m));
}

void Gateway::closeClient(const QByteArray &clientId, int code, const QByteArray &reason,
                          Found done) {
    ClientSession *s = m_registry->find(clientId);
    if (s)
        m_outbox->close(*s, code, reason);
    done(ClientLookup{s != nullptr});
}

void Gateway::setMembership(const QByteArray &clientId, const QString &group, bool join,
                            Found done) {
    ClientSession *s = m_registry->find(clientId);
    if (s) {
        if (join)
            m_registry->join(s, group);
        else
            m_registry->leave(s, group);
    }
    done(ClientLookup{s != nullptr});
}

void Gateway::clients(std::function<void(const QList<ClientInfo> &)> done) {
    QList<ClientInfo> list;
    list.reserve(m_registry->size());
    m_registry->forEach([&list](ClientSession *s) { list.append(SessionRegistry::info(*s)); });
    done(list);
}

void Gateway::client(const QByteArray &clientId, Found done) {
    const ClientSession *s = m_registry->find(clientId);
    if (!s)
        return done({});
    done(ClientLookup{true, {}, SessionRegistry::info(*s)});
}

void Gateway::groups(std::function<void(const QHash<QString, QList<QByteArray>> &)> done) {
    done(m_registry->groupMembers());
}

// ---------------------------------------------------------------------------------------------
// Replay

bool Gateway::replay(const QByteArray &clientId, const ReplayRequest &replay, QString *error) {
    ClientSession *s = m_registry->find(clientId);
    if (!s) {
        *error = QStringLiteral("client %1 has left").arg(QString::fromLatin1(clientId));
        return false;
    }
    return m_bridge->replay(s, replay, error);
}

bool Gateway::addToNextMessage(const QByteArray &clientId, const PhpParams &params) {
    ClientSession *s = m_registry->find(clientId);
    if (s)
        m_bridge->addToNextMessage(s, params);
    return s != nullptr;
}

bool Gateway::replay(quint64 entryId, QString *error) {
    TrafficEntry entry;
    if (!m_log->entry(entryId, &entry) || !entry.php) {
        *error = QStringLiteral("entry %1 is not a PHP exchange in the log").arg(entryId);
        return false;
    }
    ReplayRequest r;
    r.entryId = entryId;
    if (!PhpBridge::messageOf(*entry.php, &r, error))
        return false;
    return replay(entry.clientId, r, error);
}

// ---------------------------------------------------------------------------------------------
// Snapshot, sweep, stop

void Gateway::setSnapshotInterval(int ms) {
    if (ms <= 0) {
        m_snapshotTimer.stop();
        return;
    }
    m_snapshotTimer.start(ms);
    publishSnapshot();
}

std::shared_ptr<const GatewaySnapshot> Gateway::snapshot() const {
    QMutexLocker lock(&m_snapshotMutex);
    return m_snapshot;
}

void Gateway::publishSnapshot() {
    auto snap = std::make_shared<GatewaySnapshot>();
    snap->timeMs = epochMs();
    snap->listening = isListening();
    snap->clients.reserve(m_registry->size());
    m_registry->forEach(
        [&snap](ClientSession *s) { snap->clients.append(SessionRegistry::info(*s)); });
    snap->groups = m_registry->groups();
    snap->users = m_registry->users();
    snap->pool = m_backend->stats();
    snap->lastPhpError = m_recorder->lastPhpError();
    snap->lastPhpErrorMs = m_recorder->lastPhpErrorMs();
    snap->lastPhpOkMs = m_recorder->lastPhpOkMs();
    snap->handshakes = m_front->handshakeCount();
    snap->inboundBytes = m_budget->inboundBytes();
    snap->inboundBudget = m_budget->inboundLimit();
    snap->outboundBytes = m_budget->outboundBytes();
    snap->outboundBudget = m_budget->outboundLimit();
    QMutexLocker lock(&m_snapshotMutex);
    m_snapshot = std::move(snap);
}

bool Gateway::onTick(qint64 now) {
    m_front->sweep(now);
    if (m_stopping)
        maybeFinishStop();
    // Handshakes and the stop drain have deadlines of their own, checked on every tick.
    return m_front->handshakeCount() > 0 || m_stopping;
}

void Gateway::stop() {
    if (m_stopping)
        return;
    m_stopping = true;
    m_stopTimer.start();
    m_sweep->requestTick();
    m_front->close();
    // Queued messages will not reach PHP: said in the log, counted as "shutdown".
    m_bridge->dropAllQueued();
    maybeFinishStop();
}

void Gateway::maybeFinishStop() {
    if (!m_stopping || !m_stopTimer.isValid())
        return;
    const bool drained = m_bridge->inFlight() == 0 || m_stopTimer.elapsed() > StopDrainTimeoutMs;
    if (!drained)
        return;
    if (!m_closedAll) {
        m_closedAll = true;
        const QList<ClientSession *> sessions = m_registry->all();
        for (ClientSession *s : sessions)
            m_outbox->close(*s, CloseCodeGoingAway, QByteArrayLiteral("server shutdown"));
    }
    if (!m_registry->isEmpty() && m_stopTimer.elapsed() <= StopDrainTimeoutMs + StopCloseTimeoutMs)
        return;
    m_stopTimer.invalidate();
    const QList<ClientSession *> sessions = m_registry->all();
    for (ClientSession *s : sessions) {
        if (s->connection())
            s->connection()->abort(); // removes the session
    }
    m_sweep->stop();
    publishSnapshot();
    QTimer::singleShot(0, this, &Gateway::stopped);
}
