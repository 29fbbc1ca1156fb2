#include "fakephpbackend.h"

#include <QTimer>

FakePhpBackend::FakePhpBackend(QObject *parent)
    : PhpBackend(parent)
    , m_script([](const PhpRequest &request) { return reply(200, request.body); }) {}

FakePhpBackend::~FakePhpBackend() = default;

void FakePhpBackend::setScript(Script script) {
    m_script = std::move(script);
}

void FakePhpBackend::setDelayMs(int ms) {
    m_delayMs = std::max(0, ms);
}

void FakePhpBackend::setHeld(bool held) {
    m_holding = held;
}

int FakePhpBackend::release(int count) {
    const int n = count < 0 ? int(m_held.size()) : std::min(count, int(m_held.size()));
    for (int i = 0; i < n && !m_held.isEmpty(); ++i)
        deliver(m_held.takeFirst(), true);
    return n;
}

void FakePhpBackend::setMaxConcurrent(int n) {
    m_maxConcurrent = std::max(0, n);
    pump();
}

QByteArray FakePhpBackend::param(const PhpRequest &request, QByteArrayView name) {
    for (const PhpParam &p : request.allParams()) {
        if (p.first == name)
            return p.second;
    }
    return {};
}

PhpResponse FakePhpBackend::reply(int status, const QByteArray &body, PhpParams headers,
                                  const QByteArray &contentType) {
    PhpResponse r;
    r.status = status;
    r.contentType = contentType;
    if (!contentType.isEmpty())
        r.headers.append({"Content-Type", contentType});
    r.headers.append(std::move(headers));
    r.body = body;
    r.stdoutBytes = body.size();
    return r;
}

PhpResponse FakePhpBackend::failure(PhpOutcome outcome, const QString &error) {
    PhpResponse r;
    r.outcome = outcome;
    r.error = error;
    return r;
}

FakePhpBackend::Ticket FakePhpBackend::submit(PhpRequest request, Callback done) {
    const Ticket ticket = Ticket(m_records.size()) + 1;
    const QByteArray owner = request.owner;
    const qint64 bytes = request.body.size();
    m_records.append(Record{request, ticket, false, false});
    m_queue.push(ticket, owner, Job{ticket, std::move(done)}, bytes);
    pump(); // starts requests only; replies come later
    emit submitted(request);
    return ticket;
}

bool FakePhpBackend::cancel(Ticket ticket) {
    if (!m_queue.remove(ticket))
        return false;
    m_records[qsizetype(ticket - 1)].cancelled = true;
    ++m_cancelled;
    return true;
}

PhpBackendStats FakePhpBackend::stats() const {
    PhpBackendStats s;
    s.connections = inFlightCount();
    s.busy = inFlightCount();
    s.queued = m_queue.size();
    s.queuedBytes = m_queue.bytes();
    s.queuedOwners = m_queue.owners();
    s.maxConnections = m_maxConcurrent;
    return s;
}

void FakePhpBackend::pump() {
    while (!m_queue.isEmpty() && (m_maxConcurrent == 0 || inFlightCount() < m_maxConcurrent))
        start(m_queue.takeFront());
}

void FakePhpBackend::start(Job job) {
    const Ticket ticket = job.ticket;
    m_inFlight.insert(ticket, std::move(job.done));
    // The context object drops pending replies with this backend.
    if (m_delayMs > 0)
        QTimer::singleShot(m_delayMs, this, [this, ticket] { deliver(ticket, false); });
    else
        QMetaObject::invokeMethod(
            this, [this, ticket] { deliver(ticket, false); }, Qt::QueuedConnection);
}

void FakePhpBackend::deliver(Ticket ticket, bool releasing) {
    if (!m_inFlight.contains(ticket))
        return;
    if (m_holding && !releasing) {
        m_held.append(ticket);
        return;
    }
    Callback done = m_inFlight.take(ticket);
    Record &record = m_records[qsizetype(ticket - 1)];
    record.answered = true;
    const PhpRequest request = record.request; // the script or callback may submit more
    const PhpResponse response = m_script(request);
    m_queue.finished(request.owner);
    pump(); // like the pool: the freed slot goes to the queue before the callback submits
    done(response);
}
