#include "fastcgipool.h"

#include "fastcgiconnection.h"
#include "fastcgierrortext.h"
#include "websocket/fdstream.h"

#include <QFile>
#include <QLocalSocket>
#include <QTcpSocket>

#include <algorithm>
#include <limits>

namespace {

// The sweep runs at a quarter of the shortest timeout, within these bounds: often enough
// that a timeout fires at most ~25% late, rarely enough to cost nothing when idle.
constexpr int kMaxSweepIntervalMs = 250;
constexpr int kMinSweepIntervalMs = 10;

// The run-time fallback: WSGATE_FASTCGI_TRANSPORT=qt keeps every unix connection on QLocalSocket
// (read when a connection opens, so a test can switch it).
bool unixStreamsEnabled() {
#ifdef Q_OS_UNIX
    return qgetenv("WSGATE_FASTCGI_TRANSPORT") != "qt";
#else
    return false;
#endif
}

} // namespace

FastCgiPool::FastCgiPool(FastCgiPoolOptions options, QObject *parent)
    : PhpBackend(parent)
    , m_options(std::move(options)) {
    m_options.maxConnections = std::max(1, m_options.maxConnections);
    m_options.maxQueued = std::max(0, m_options.maxQueued);
    m_options.maxQueuedBytes = std::max<qint64>(0, m_options.maxQueuedBytes);
    m_options.deadlineMs = std::max(0, m_options.deadlineMs);
    m_slots.reserve(size_t(m_options.maxConnections));
    int shortest =
        std::min({m_options.connectTimeoutMs, m_options.readTimeoutMs, m_options.idleTimeoutMs});
    if (m_options.deadlineMs > 0)
        shortest = std::min(shortest, m_options.deadlineMs);
    m_sweepIntervalMs = std::clamp(shortest / 4, kMinSweepIntervalMs, kMaxSweepIntervalMs);
    m_sweepTimer.setInterval(m_sweepIntervalMs);
    connect(&m_sweepTimer, &QTimer::timeout, this, &FastCgiPool::sweep);
}

FastCgiPool::~FastCgiPool() = default;

FastCgiPool::Ticket FastCgiPool::submit(PhpRequest request, Callback done) {
    const Ticket ticket = ++m_lastTicket;
    const qint64 bytes = request.body.size();
    const QByteArray owner = request.owner;
    Job job;
    job.request = std::move(request);
    job.done = std::move(done);
    job.ticket = ticket;
    job.queued.start();
    m_queue.push(ticket, owner, std::move(job), bytes);
    pump(); // starts connections only: nothing here can call a callback synchronously
    if (!m_queue.contains(ticket))
        return ticket; // on a connection already
    QString full;
    if (m_queue.size() > m_options.maxQueued)
        full = QStringLiteral("FastCGI request queue full (%1 waiting)").arg(m_options.maxQueued);
    else if (m_queue.bytes() > m_options.maxQueuedBytes)
        full = QStringLiteral("FastCGI request queue full: a %1-byte body would make %2 bytes of "
                              "request bodies waiting, over the %3-byte limit")
                   .arg(bytes)
                   .arg(m_queue.bytes())
                   .arg(m_options.maxQueuedBytes);
    if (!full.isEmpty()) {
        Job rejected;
        m_queue.remove(ticket, &rejected);
        PhpResponse response;
        response.outcome = PhpOutcome::Overloaded;
        response.error = full;
        replyLater(std::move(rejected.done), std::move(response));
    }
    return ticket;
}

bool FastCgiPool::cancel(Ticket ticket) {
    // Only a queued job can go: one on a connection may already be with PHP.
    return m_queue.remove(ticket);
}

PhpBackendStats FastCgiPool::stats() const {
    PhpBackendStats s;
    s.connections = int(m_slots.size());
    for (const Slot &slot : m_slots) {
        if (slot.job)
            ++s.busy;
        else if (slot.connection->state() == FastCgiConnection::State::Idle)
            ++s.idle;
    }
    s.queued = m_queue.size();
    s.queuedBytes = m_queue.bytes();
    s.queuedOwners = m_queue.owners();
    s.maxConnections = m_options.maxConnections;
    return s;
}

void FastCgiPool::pump() {
    if (m_pumping)
        return;
    m_pumping = true;
    while (!m_queue.isEmpty()) {
        // A retried request gets a fresh connection: the kept ones may all be stale.
        const bool needsFresh = m_queue.front().retried;
        FastCgiConnection *connection = needsFresh ? nullptr : takeIdleConnection();
        if (!connection) {
            if (qsizetype(m_slots.size()) >= m_options.maxConnections &&
                !(needsFresh && closeOneIdle()))
                break;
            connection = openConnection();
        }
        Slot *slot = slotOf(connection);
        slot->job = m_queue.takeFront();
        slot->job->queueWaitUs = slot->job->queued.nsecsElapsed() / 1000;
        connection->start(slot->job->request, m_options.keepAlive);
        if (connection->requestCount() == 1) {
            // Connect only now, so a connect that completes (or fails) synchronously
            // finds the request already there.
            if (auto *local = qobject_cast<QLocalSocket *>(connection->device()))
                local->connectToServer(m_options.address.path);
            else if (auto *tcp = qobject_cast<QTcpSocket *>(connection->device()))
                tcp->connectToHost(m_options.address.host, m_options.address.port);
        }
    }
    m_pumping = false;
    updateSweepTimer();
}

FastCgiConnection *FastCgiPool::takeIdleConnection() {
    for (;;) {
        // Most recently used first: the others then age out and free their FPM workers.
        FastCgiConnection *best = nullptr;
        for (const Slot &slot : m_slots) {
            if (!slot.job && slot.connection->state() == FastCgiConnection::State::Idle &&
                (!best || slot.connection->msSinceProgress() < best->msSinceProgress()))
                best = slot.connection;
        }
        if (!best || best->isIdleAndAlive())
            return best;
        removeSlot(best); // FPM closed it while idle (worker recycled, FPM restarted)
    }
}

FastCgiConnection *FastCgiPool::openConnection() {
    FastCgiConnection *connection = nullptr;
    if (m_options.address.kind == FastCgiAddress::Kind::Unix && unixStreamsEnabled()) {
        // A connect to a unix socket completes at once or fails at once. Connected: the
        // request goes straight to the kernel (no QLocalSocket buffers, no FIONREAD per read).
        // Not: QLocalSocket tries again, waits on a full backlog and names the error.
        if (std::unique_ptr<FdStream> stream =
                FdStream::connectUnix(QFile::encodeName(m_options.address.path)))
            connection = new FastCgiConnection(std::move(stream), this);
    }
    if (!connection) {
        QIODevice *device = nullptr;
        if (m_options.address.kind == FastCgiAddress::Kind::Unix) {
            device = new QLocalSocket;
        } else {
            auto *tcp = new QTcpSocket;
            tcp->setSocketOption(QAbstractSocket::LowDelayOption, 1);
            device = tcp;
        }
        connection = new FastCgiConnection(device, this);
    }
    connection->setMaxResponseBytes(m_options.maxResponseBytes);
    connection->setAddress(m_options.address);
    connect(connection, &FastCgiConnection::finished, this,
            [this, connection] { onFinished(connection); });
    connect(connection, &FastCgiConnection::closed, this,
            [this, connection] { onClosed(connection); });
    m_slots.push_back({connection, std::nullopt});
    return connection;
}

bool FastCgiPool::closeOneIdle() {
    for (const Slot &slot : m_slots) {
        if (!slot.job && slot.connection->state() == FastCgiConnection::State::Idle) {
            removeSlot(slot.connection);
            return true;
        }
    }
    return false;
}

FastCgiPool::Slot *FastCgiPool::slotOf(FastCgiConnection *connection) {
    for (Slot &slot : m_slots) {
        if (slot.connection == connection)
            return &slot;
    }
    return nullptr;
}

void FastCgiPool::removeSlot(FastCgiConnection *connection) {
    const auto it = std::find_if(m_slots.begin(), m_slots.end(), [connection](const Slot &s) {
        return s.connection == connection;
    });
    if (it == m_slots.end())
        return;
    Q_ASSERT(!it->job);
    m_slots.erase(it);
    connection->disconnect(this);
    connection->close();
    connection->deleteLater();
}

void FastCgiPool::onFinished(FastCgiConnection *connection) {
    Slot *slot = slotOf(connection);
    if (!slot || !slot->job)
        return;
    Job job = std::move(*slot->job);
    slot->job.reset();
    PhpResponse response = connection->takeResponse();
    // Retry only what certainly never reached PHP, and only when the connection was a kept
    // one: a fresh connection failing means FPM is unreachable, and retrying cannot help.
    const bool retry = response.outcome == PhpOutcome::Unavailable && !connection->sentAnyBytes() &&
                       connection->requestCount() > 1 && !job.retried;
    if (connection->state() != FastCgiConnection::State::Idle)
        removeSlot(connection);
    // A kept connection PHP-FPM had closed (worker recycled, FPM restarted) before it was
    // reused is not an error: the same as one found closed while idle, dropped quietly.
    const bool stale = retry && connection->wasGoneBeforeRequest();
    if (response.outcome != PhpOutcome::Ok && !stale) {
        // Connect errors name the address themselves.
        const QString where = m_options.address.toString();
        emit connectionError(
            (response.error.contains(where) ? response.error
                                            : where + QStringLiteral(": ") + response.error) +
            (retry ? QStringLiteral(" (retrying on a fresh connection)") : QString()));
    }
    if (retry) {
        job.retried = true;
        const Ticket ticket = job.ticket;
        const qint64 bytes = job.request.body.size();
        const QByteArray owner = job.request.owner;
        m_queue.pushFront(ticket, owner, std::move(job), bytes);
        pump();
        return;
    }
    m_queue.finished(job.request.owner);
    response.queueWaitUs = job.queueWaitUs;
    pump(); // the queue gets the freed connection before anything the callback submits
    job.done(response);
}

void FastCgiPool::onClosed(FastCgiConnection *connection) {
    removeSlot(connection);
    pump();
}

void FastCgiPool::sweep() {
    std::vector<FastCgiConnection *> expired;
    for (const Slot &slot : m_slots) {
        FastCgiConnection *c = slot.connection;
        const qint64 quietMs = c->msSinceProgress();
        switch (c->state()) {
        case FastCgiConnection::State::Connecting:
            if (slot.job && quietMs > m_options.connectTimeoutMs)
                c->abort(PhpOutcome::Timeout, FastCgiErrorText::connectTimedOut(
                                                  m_options.address, m_options.connectTimeoutMs));
            break;
        case FastCgiConnection::State::Busy:
            // The deadline first: a handler that trickles output makes progress forever.
            if (m_options.deadlineMs > 0 && c->msSinceSent() > m_options.deadlineMs)
                c->abort(PhpOutcome::Timeout,
                         QStringLiteral("deadline: no complete reply within %1 ms")
                             .arg(m_options.deadlineMs));
            else if (quietMs > m_options.readTimeoutMs)
                c->abort(PhpOutcome::Timeout, QStringLiteral("read timeout: no progress for %1 ms")
                                                  .arg(m_options.readTimeoutMs));
            break;
        case FastCgiConnection::State::Idle:
            if (!slot.job && quietMs > m_options.idleTimeoutMs)
                expired.push_back(c);
            break;
        case FastCgiConnection::State::Closed:
            break;
        }
    }
    for (FastCgiConnection *c : expired)
        removeSlot(c);
    updateSweepTimer();
}

void FastCgiPool::updateSweepTimer() {
    if (m_slots.empty()) {
        m_sweepTimer.stop();
        return;
    }
    // While requests run, every sweep interval. With every connection idle nothing can time
    // out before the quietest of them reaches the idle timeout: one wake-up, then.
    qint64 quietest = -1;
    for (const Slot &slot : m_slots) {
        if (slot.job || slot.connection->state() != FastCgiConnection::State::Idle) {
            quietest = -1;
            break;
        }
        quietest = std::max(quietest, slot.connection->msSinceProgress());
    }
    if (quietest < 0) {
        if (!m_sweepTimer.isActive() || m_sweepTimer.interval() != m_sweepIntervalMs)
            m_sweepTimer.start(m_sweepIntervalMs);
        return;
    }
    const qint64 wait =
        std::max<qint64>(m_options.idleTimeoutMs - quietest + 1, kMinSweepIntervalMs);
    m_sweepTimer.start(int(std::min<qint64>(wait, std::numeric_limits<int>::max())));
}

void FastCgiPool::replyLater(Callback done, PhpResponse response) {
    QMetaObject::invokeMethod(
        this, [done = std::move(done), response = std::move(response)] { done(response); },
        Qt::QueuedConnection);
}
