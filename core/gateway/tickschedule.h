#pragma once

#include <QtGlobal>

#include <algorithm>
#include <limits>
#include <vector>

/// When the keep-alive sweep must next wake. Tick k comes at epoch + k·tickMs and looks at
/// bucket k mod buckets; each bucket keeps a lower bound of its sessions' earliest deadlines,
/// and a tick is worth waking for only once that bound has come. So a gateway holding any
/// number of quiet connections sleeps until the first of them has something due, and then
/// wakes for that one bucket. Pure arithmetic, no clock of its own: the caller passes now.
class TickSchedule {
public:
    static constexpr qint64 Never = std::numeric_limits<qint64>::max();

    /// maxQuietTicks: wake at least this often even with nothing due (the tick hook's chores).
    TickSchedule(int buckets, qint64 tickMs, int maxQuietTicks)
        : m_tickMs(std::max<qint64>(1, tickMs))
        , m_maxQuietTicks(std::max(1, maxQuietTicks))
        , m_lowest(size_t(std::max(1, buckets)), Never) {}

    int bucketCount() const { return int(m_lowest.size()); }

    /// Tick 0 is now; nothing has been looked at yet.
    void restart(qint64 nowMs) {
        m_epochMs = nowMs;
        m_lastTick = 0;
    }
    qint64 timeOf(qint64 tick) const { return m_epochMs + tick * m_tickMs; }
    int bucketOf(qint64 tick) const { return int(tick % qint64(m_lowest.size())); }
    /// The tick is being handled: the next one is later.
    void handled(qint64 tick) { m_lastTick = std::max(m_lastTick, tick); }

    /// Something in the bucket may be due from dueMs on.
    void lower(int bucket, qint64 dueMs) {
        qint64 &lowest = m_lowest[size_t(bucket)];
        lowest = std::min(lowest, dueMs);
    }
    /// The bucket was just looked at: its bound is what its sessions now say.
    void reset(int bucket, qint64 dueMs) { m_lowest[size_t(bucket)] = dueMs; }
    qint64 lowest(int bucket) const { return m_lowest[size_t(bucket)]; }

    /// The next tick to wake for: after the last one handled and never in the past, the first
    /// whose bucket has something due by its time, or the very next one when everyTick.
    qint64 next(qint64 nowMs, bool everyTick) const {
        const qint64 first = std::max(m_lastTick + 1, (nowMs - m_epochMs) / m_tickMs + 1);
        if (everyTick)
            return first;
        const qint64 buckets = qint64(m_lowest.size());
        qint64 best = first + m_maxQuietTicks - 1;
        for (qint64 b = 0; b < buckets; ++b) {
            const qint64 due = m_lowest[size_t(b)];
            if (due == Never)
                continue;
            // The first tick at or after both `first` and the due time, then on to b's own.
            const qint64 from =
                due <= timeOf(first) ? first : (due - m_epochMs + m_tickMs - 1) / m_tickMs;
            if (from >= best)
                continue;
            const qint64 tick = from + ((b - from % buckets) % buckets + buckets) % buckets;
            best = std::min(best, tick);
        }
        return best;
    }

private:
    qint64 m_tickMs;
    int m_maxQuietTicks;
    qint64 m_epochMs = 0;
    qint64 m_lastTick = 0;
    std::vector<qint64> m_lowest; // per bucket: nothing in it is due before this
};
