#include "keepalivesweep.h"

#include "clientsession.h"
#include "outbox.h"
#include "trafficrecorder.h"

#include <QtEndian>

#include <algorithm>
#include <chrono>
#include <limits>

namespace {

constexpr int TickMs = 1000;
// Each session is looked at every quarter ping interval, within these bounds: a ping or idle
// timeout is then at most ~25% late, and a tick sees a quarter interval's share of sessions.
constexpr int MinLookSec = 1;
constexpr int MaxLookSec = 15;
constexpr int LookSecWithoutPings = 5; // fragment and close deadlines only
constexpr int CloseCodePolicyViolated = 1008;
// With nothing due, still tick this often: the hook's chores (forgetting idle per-address rate
// buckets) and a bound on how long a mistaken lower bound could hold a deadline back.
constexpr int MaxQuietTicks = 60;

int bucketsFor(const KeepAliveSweep::Settings &settings) {
    const int lookSec = settings.pingIntervalSec > 0
                            ? std::clamp(settings.pingIntervalSec / 4, MinLookSec, MaxLookSec)
                            : LookSecWithoutPings;
    return lookSec * 1000 / TickMs;
}

} // namespace

KeepAliveSweep::KeepAliveSweep(const Settings &settings, Outbox *outbox, TrafficRecorder *recorder,
                               QObject *parent)
    : QObject(parent)
    , m_settings(settings)
    , m_outbox(outbox)
    , m_recorder(recorder)
    , m_schedule(bucketsFor(settings), TickMs, MaxQuietTicks)
    , m_buckets(size_t(m_schedule.bucketCount())) {
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer); // never early: a tick early would miss its due
    connect(&m_timer, &QTimer::timeout, this, &KeepAliveSweep::tick);
}

qint64 KeepAliveSweep::nowMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

void KeepAliveSweep::start() {
    if (m_running)
        return;
    m_running = true;
    m_schedule.restart(nowMs());
    m_hookWantsTicks = true; // once, to learn what the hook watches
    arm();
}

void KeepAliveSweep::stop() {
    m_running = false;
    m_timer.stop();
    m_armed = -1;
}

void KeepAliveSweep::requestTick() {
    m_tickRequested = true;
    arm();
}

void KeepAliveSweep::arm() {
    if (!m_running)
        return;
    const qint64 now = nowMs();
    const bool everyTick =
        m_tickRequested || m_hookWantsTicks || !m_closing.isEmpty() || !m_messages.isEmpty();
    const qint64 tick = m_schedule.next(now, everyTick);
    if (m_armed >= 0 && m_armed <= tick)
        return;
    m_armed = tick;
    m_timer.start(int(std::max<qint64>(0, m_schedule.timeOf(tick) - now)));
}

void KeepAliveSweep::add(ClientSession *s) {
    if (s->sweepSlot >= 0)
        return;
    s->sweepBucket = int(m_fill++ % m_buckets.size());
    Bucket &bucket = m_buckets[size_t(s->sweepBucket)];
    s->sweepSlot = int(bucket.size());
    // Nothing can come due before a whole idle interval or fragment timeout from now: a new
    // session costs no tick until then.
    qint64 due = TickSchedule::Never;
    const qint64 now = nowMs();
    if (m_settings.fragmentTimeoutMs > 0)
        due = now + m_settings.fragmentTimeoutMs;
    if (m_settings.pingIntervalSec > 0)
        due = std::min(due, now + qint64(m_settings.pingIntervalSec) * 1000);
    bucket.push_back({s, due});
    m_schedule.lower(s->sweepBucket, due);
    arm();
}

void KeepAliveSweep::remove(ClientSession *s) {
    m_closing.remove(s);
    m_messages.remove(s);
    if (s->sweepSlot < 0)
        return;
    Bucket &bucket = m_buckets[size_t(s->sweepBucket)];
    const size_t slot = size_t(s->sweepSlot);
    if (slot + 1 != bucket.size()) { // the last one takes its place
        bucket[slot] = bucket.back();
        bucket[slot].session->sweepSlot = int(slot);
    }
    bucket.pop_back();
    s->sweepSlot = -1;
}

void KeepAliveSweep::setDue(ClientSession *s, qint64 dueMs) {
    if (s->sweepSlot < 0)
        return;
    m_buckets[size_t(s->sweepBucket)][size_t(s->sweepSlot)].dueMs = dueMs;
    m_schedule.lower(s->sweepBucket, dueMs);
}

void KeepAliveSweep::watchClosing(ClientSession *s) {
    m_closing.insert(s);
    arm();
}

void KeepAliveSweep::watchMessage(ClientSession *s) {
    if (m_settings.fragmentTimeoutMs <= 0 || s->sweepSlot < 0)
        return;
    m_messages.insert(s);
    arm();
}

void KeepAliveSweep::tick() {
    const qint64 now = nowMs();
    const qint64 tickNo = m_armed;
    if (tickNo < 0)
        return;
    m_armed = -1;
    m_tickRequested = false;
    m_schedule.handled(tickNo);
    m_hookWantsTicks = m_hook && m_hook(now);
    if (!m_running)
        return; // the hook stopped us
    // Copies: a check may abort a session, whose removal comes later but edits these sets.
    const QSet<ClientSession *> closing = m_closing;
    for (ClientSession *s : closing)
        check(s, now);
    // Messages begun: forgotten once complete, checked (and closed) once past their time.
    const QSet<ClientSession *> messages = m_messages;
    for (ClientSession *s : messages) {
        const WebSocketConnection *c = s->connection();
        if (!c || !c->messageInProgress() || closing.contains(s)) {
            m_messages.remove(s);
        } else if (c->messageInProgressForMs() > m_settings.fragmentTimeoutMs) {
            m_messages.remove(s);
            check(s, now);
        }
    }
    // Of the bucket, only the sessions whose earliest deadline has come: the bucket holds the
    // times, so a bucket of idle sessions is read without touching one of them. The others
    // make the bucket's new bound; the checks lower it with the dues they set.
    const int b = m_schedule.bucketOf(tickNo);
    qint64 lowest = TickSchedule::Never;
    m_due.clear();
    for (const Entry &e : m_buckets[size_t(b)]) {
        if (e.dueMs > now)
            lowest = std::min(lowest, e.dueMs);
        else if (!closing.contains(e.session))
            m_due.push_back(e.session);
    }
    m_schedule.reset(b, lowest);
    for (ClientSession *s : m_due)
        check(s, now);
    m_due.clear();
    arm();
}

void KeepAliveSweep::check(ClientSession *s, qint64 now) {
    WebSocketConnection *c = s->connection();
    if (!c || c->state() == WebSocketConnection::State::Closed)
        return;
    if (c->state() == WebSocketConnection::State::Closing) {
        if (c->closingForMs() > m_settings.closeGraceMs) {
            m_recorder->error(s->id, Metrics::CloseTimeout,
                              QStringLiteral("client %1 did not finish closing in %2 ms "
                                             "(%3 bytes unsent); aborted")
                                  .arg(QString::fromLatin1(s->id))
                                  .arg(m_settings.closeGraceMs)
                                  .arg(c->bytesToWrite()));
            c->abort();
        } else {
            m_closing.insert(s);
        }
        return;
    }
    if (m_settings.fragmentTimeoutMs > 0 &&
        c->messageInProgressForMs() > m_settings.fragmentTimeoutMs) {
        m_recorder->error(s->id, Metrics::FragmentTimeout,
                          QStringLiteral("client %1 began a message %2 ms ago and has not "
                                         "finished it (%3 bytes so far); closing with 1008")
                              .arg(QString::fromLatin1(s->id))
                              .arg(c->messageInProgressForMs())
                              .arg(c->bufferedInboundBytes()));
        m_outbox->close(*s, CloseCodePolicyViolated, QByteArrayLiteral("message not completed"));
        m_closing.insert(s);
        return;
    }
    // The earliest a deadline can come, never later than the real one: a message begun from
    // now on ends its time no sooner than now + the timeout, and activity only moves the idle
    // ping later.
    qint64 due = std::numeric_limits<qint64>::max();
    if (m_settings.fragmentTimeoutMs > 0)
        due = now + m_settings.fragmentTimeoutMs - c->messageInProgressForMs();
    if (m_settings.pingIntervalSec > 0) {
        const qint64 intervalMs = qint64(m_settings.pingIntervalSec) * 1000;
        if (s->pingSentMs) {
            if (now - s->pingSentMs > intervalMs) {
                m_recorder->error(s->id, Metrics::IdleTimeout,
                                  QStringLiteral("client %1 did not answer a ping in %2 s; closing")
                                      .arg(QString::fromLatin1(s->id))
                                      .arg(m_settings.pingIntervalSec));
                s->closing = true;
                c->abort();
                return;
            }
            due = std::min(due, s->pingSentMs + intervalMs + 1);
        } else if (now - s->lastActivity >= intervalMs) {
            QByteArray payload(8, Qt::Uninitialized);
            qToBigEndian<qint64>(now, payload.data());
            s->pingSentMs = now;
            c->ping(payload);
            due = std::min(due, now + intervalMs + 1);
        } else {
            due = std::min(due, s->lastActivity + intervalMs);
        }
    }
    setDue(s, due);
}
