#pragma once

#include "observe/trafficentry.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QSet>
#include <QVector>

#include <deque>

/// Everything one client sent and received, in log order: its own entries (open, messages,
/// PHP exchanges, replies, pushes by client id, errors, close) and every push to a user, a
/// group or everyone that was queued for it (TrafficEntry::receivers). Kept for live clients
/// and for the most recently closed ones, bounded in entries, bytes and closed clients.
class ConversationStore final {
public:
    struct Conversation {
        QByteArray clientId;
        QList<TrafficEntry> entries; // ascending ids
        qint64 dropped = 0;          // oldest entries let go to stay within the bounds
        bool closed = false;
        qint64 closedMs = 0;
        int closeCode = 0;
        QString closeReason;
        /// Pushes to a user, group or everyone whose receiver list was cut (more than
        /// TrafficEntry::MaxReceivers) without naming this client: it may have got them.
        int uncertainPushes = 0;
    };

    struct Limits {
        int entriesPerClient = 2000;
        int closedClients = 200;
        int totalEntries = 200000;
        qint64 totalBytes = qint64(64) * 1024 * 1024; // bodies kept alive by the conversations
    };

    ConversationStore();
    explicit ConversationStore(const Limits &limits);

    /// Files `entries` (oldest first) under their clients; returns the clients whose
    /// conversation changed.
    QSet<QByteArray> add(const QVector<TrafficEntry> &entries);
    /// Marks closed the conversations of clients that are not `live` and have logged nothing
    /// for `graceMs` (a snapshot may lag the log): their close entry never came (skipped rows,
    /// a stopped engine), and they must not stay "live" for ever.
    void closeMissing(const QSet<QByteArray> &live, qint64 nowMs, qint64 graceMs);
    /// Marks every live conversation closed (the engine stopped).
    void closeAll(qint64 nowMs);
    void clear();

    const Conversation *find(const QByteArray &clientId) const;
    bool contains(const QByteArray &clientId) const { return m_byId.contains(clientId); }
    int size() const { return int(m_byId.size()); }
    int closedCount() const { return int(m_closedOrder.size()); }
    qint64 totalEntries() const { return m_totalEntries; }
    qint64 totalBytes() const { return m_totalBytes; }
    /// Ids of the closed conversations kept, the most recently closed first.
    QList<QByteArray> closedIds() const;

private:
    struct Stored {
        QByteArray clientId;
        quint64 entryId = 0;
        qint64 bytes = 0;
    };

    Conversation &conversation(const QByteArray &clientId);
    void append(Conversation &c, const TrafficEntry &entry, qint64 bytes);
    void dropFirst(Conversation &c);
    void markClosed(Conversation &c, qint64 ms, int code, const QString &reason);
    void enforceLimits();
    static qint64 bytesOf(const TrafficEntry &entry);

    Limits m_limits;
    QHash<QByteArray, Conversation> m_byId;
    std::deque<QByteArray> m_closedOrder; // oldest closed first
    std::deque<Stored> m_stored;          // every entry kept, oldest first, for the global bounds
    qint64 m_totalEntries = 0;
    qint64 m_totalBytes = 0;
};
