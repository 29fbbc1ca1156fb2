#pragma once

#include <QObject>
#include <QSet>
#include <QTimer>

#include <functional>
#include <vector>

class ClientSession;
class Outbox;
class TrafficRecorder;

/// One timer for every connection's deadlines. Sessions are spread over buckets and each tick
/// looks at one bucket, so a tick costs connections/buckets, never all of them: idle pings
/// (and closing those that do not answer), messages not completed in time, and closes the
/// peer never finishes. Sessions that are closing are also looked at every tick, so the
/// grace period holds to the second.
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
    /// Called once per tick before the buckets (handshake deadlines, the stop drain).
    void setTickHook(std::function<void(qint64 nowMs)> hook) { m_hook = std::move(hook); }

    void add(ClientSession *session);
    void remove(ClientSession *session);
    /// Watch a closing session every tick until it is removed.
    void watchClosing(ClientSession *session);

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
    void check(ClientSession *session, qint64 now);
    void setDue(ClientSession *session, qint64 dueMs);

    Settings m_settings;
    Outbox *m_outbox;
    TrafficRecorder *m_recorder;
    QTimer m_timer;
    std::vector<Bucket> m_buckets;
    QSet<ClientSession *> m_closing;
    std::vector<ClientSession *> m_due; // a tick's sessions to check (kept: no allocation)
    size_t m_nextBucket = 0;
    size_t m_fill = 0; // round-robin placement of new sessions
    std::function<void(qint64)> m_hook;
};
