#pragma once

#include "trafficentry.h"

#include <QMutex>
#include <QVector>

#include <atomic>
#include <deque>

/// Bounded ring of traffic entries with increasing ids; thread-safe. entriesSince() serves the
/// GUI, the headless log and HTTP alike.
class TrafficLog final {
public:
    /// Beside the entry count, the bytes of the bodies it keeps (payloads, PHP's request, reply
    /// and STDERR): 10,000 entries at a 64 KiB cap could otherwise hold well over a GiB.
    static constexpr qint64 DefaultMaxBytes = 256LL * 1024 * 1024;

    /// A capacity of 0 keeps nothing: append() drops every entry (see enabled()).
    explicit TrafficLog(int capacity = 10000, qint64 bodyCapBytes = 64 * 1024,
                        qint64 maxBytes = DefaultMaxBytes);

    /// Stamps id and time (if unset), truncates the body to the cap, stores; returns the id
    /// (0 when the log is disabled).
    quint64 append(TrafficEntry entry);
    /// False when the capacity is 0: writers skip building entries at all.
    bool enabled() const { return m_enabled.load(std::memory_order_relaxed); }
    /// Entries with id > lastId, oldest first, at most `max`.
    QVector<TrafficEntry> entriesSince(quint64 lastId, int max = 100000) const;
    /// The entry with this id, if still in the ring.
    bool entry(quint64 id, TrafficEntry *out) const;
    quint64 lastId() const;
    /// Ids go on after `lastId` (never back): a console that keeps the rows of an earlier
    /// engine gives the next one's log the last id it saw, so no id names two entries.
    void continueAfter(quint64 lastId);
    void clear();
    void setCapacity(int capacity);
    int capacity() const;
    qint64 bodyCapBytes() const { return m_bodyCap; }
    /// Body bytes held now (at most the byte bound, but for the newest entry).
    qint64 heldBytes() const;
    /// Truncates `body` to the cap; returns true when it was cut.
    bool capBody(QByteArray &body) const;

private:
    mutable QMutex m_mutex;
    std::deque<TrafficEntry> m_entries;
    int m_capacity;
    std::atomic<bool> m_enabled;
    qint64 m_bodyCap;
    quint64 m_nextId = 1;
    qint64 m_maxBytes;
    qint64 m_bytes = 0;

    static qint64 bytesOf(const TrafficEntry &entry);
    void trim(); // oldest first, to the capacity and the byte bound; m_mutex held
};
