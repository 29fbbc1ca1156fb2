#pragma once

#include <QObject>
#include <QSet>
#include <QTimer>

#include "tickschedule.h"

#include <functional>
#include <vector>

class ClientSession;
class Outbox;
class TrafficRecorder;

/// One timer for every connection's deadlines. Sessions are spread over buckets and each tick
/// looks at one bucket, so a tick costs connections/buckets, never all of them: idle pings
/// (and closing those that do not answer), messages not completed in time, and closes the
/// peer never finishes. Sessions that are closing are also looked at every tick, so the
/// grace period holds to the second. Ticks nothing is due in are skipped (TickSchedule): a
/// gateway holding quiet connections wakes only when one of them needs a ping.
class KeepAliveSweep final : public QObject {
    Q_OBJECT
public:
    struct Settings {
        int pingIntervalSec = 30;      // 0: no pings, no idle timeout
        int closeGraceMs = 5000;       // after our close frame (or the peer's), then abort
        int fragmentTimeoutMs = 30000; // a message begun and not completed in this long
    };

    KeepAliveSweep(const Settings &settings, Outbox *outbox, TrafficRecorder *recorder,
                   QObject *parent = nullptr);

    void start();
    void stop();
    /// Called on every tick before the buckets (handshake deadlines, the stop drain); returns
    /// whether it wants the next tick too. It is called at least once a minute regardless.
    void setTickHook(std::function<bool(qint64 nowMs)> hook) { m_hook = std::move(hook); }
    /// Tick within the second even if nothing is due (the hook has something to watch).
    void requestTick();

    void add(ClientSession *session);
    void remove(ClientSession *session);
    /// Watch a closing session every tick until it is removed.
    void watchClosing(ClientSession *session);
    /// Watch a session whose message has begun every tick until the message is complete, so
    /// --fragment-timeout holds to the second (a bucket alone is looked at every few seconds).
    void watchMessage(ClientSession *session);

    /// Monotonic milliseconds, the clock of every deadline here.
    static qint64 nowMs();
    /// Ticks between two looks at the same session.
    int bucketCount() const { return int(m_buckets.size()); }

private:
    struct Entry {
        ClientSession *session;
        qint64 dueMs; // monotonic ms before which it has no deadline
    };
    using Bucket = std::vector<Entry>; // sessions find their entry by sweepBucket/sweepSlot

    void tick();
    void arm();
    void check(ClientSession *session, qint64 now);
    void setDue(ClientSession *session, qint64 dueMs);

    Settings m_settings;
    Outbox *m_outbox;
    TrafficRecorder *m_recorder;
    QTimer m_timer; // single shot, for the tick in m_armed
    TickSchedule m_schedule;
    std::vector<Bucket> m_buckets;
    QSet<ClientSession *> m_closing;
    QSet<ClientSession *> m_messages;   // a message begun and, when last looked at, not complete
    std::vector<ClientSession *> m_due; // a tick's sessions to check (kept: no allocation)
    size_t m_fill = 0;                  // round-robin placement of new sessions
    qint64 m_armed = -1;                // the tick the timer is set for, or -1
    bool m_running = false;
    bool m_hookWantsTicks = false;
    bool m_tickRequested = false;
    std::function<bool(qint64)> m_hook;
};
