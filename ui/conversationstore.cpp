#include "conversationstore.h"

#include <algorithm>

ConversationStore::ConversationStore()
    : ConversationStore(Limits()) {}

ConversationStore::ConversationStore(const Limits &limits)
    : m_limits(limits) {}

qint64 ConversationStore::bytesOf(const TrafficEntry &e) {
    qint64 bytes = e.body.size();
    if (e.php)
        bytes += e.php->requestBody.size() + e.php->responseBody.size() + e.php->stderrData.size();
    return bytes;
}

ConversationStore::Conversation &ConversationStore::conversation(const QByteArray &clientId) {
    auto it = m_byId.find(clientId);
    if (it == m_byId.end()) {
        it = m_byId.insert(clientId, Conversation());
        it->clientId = clientId;
    }
    return *it;
}

void ConversationStore::dropFirst(Conversation &c) {
    // Its bytes stay counted until its record in m_stored comes up: an overestimate, bounded.
    c.entries.removeFirst();
    ++c.dropped;
    --m_totalEntries;
}

void ConversationStore::append(Conversation &c, const TrafficEntry &entry, qint64 bytes) {
    c.entries.append(entry);
    ++m_totalEntries;
    m_totalBytes += bytes;
    m_stored.push_back({c.clientId, entry.id, bytes});
    if (c.entries.size() > m_limits.entriesPerClient)
        dropFirst(c); // its record in m_stored goes stale and is skipped when it comes up
}

void ConversationStore::markClosed(Conversation &c, qint64 ms, int code, const QString &reason) {
    if (c.closed)
        return;
    c.closed = true;
    c.closedMs = ms;
    c.closeCode = code;
    c.closeReason = reason;
    m_closedOrder.push_back(c.clientId);
}

QSet<QByteArray> ConversationStore::add(const QVector<TrafficEntry> &entries) {
    QSet<QByteArray> changed;
    QSet<QByteArray> listed; // the receivers of one push, when its list was cut
    for (const TrafficEntry &e : entries) {
        const qint64 bytes = bytesOf(e);
        if (e.kind == TrafficEntry::Kind::Push && e.clientId.isEmpty()) {
            // To a user, a group or everyone: filed under each client it was queued for. The
            // body is shared between them, so it is counted once.
            bool first = true;
            if (e.receivers) {
                for (const QByteArray &id : *e.receivers) {
                    Conversation &c = conversation(id);
                    append(c, e, first ? bytes : 0);
                    first = false;
                    changed.insert(id);
                }
            }
            if (e.receiversTruncated) {
                listed.clear();
                if (e.receivers)
                    listed = QSet<QByteArray>(e.receivers->cbegin(), e.receivers->cend());
                for (auto it = m_byId.begin(); it != m_byId.end(); ++it) {
                    if (!it->closed && !listed.contains(it.key())) {
                        ++it->uncertainPushes;
                        changed.insert(it.key());
                    }
                }
            }
            continue;
        }
        if (e.clientId.isEmpty())
            continue; // PHP-FPM's log, gateway-wide errors: nobody's conversation
        Conversation &c = conversation(e.clientId);
        append(c, e, bytes);
        if (e.kind == TrafficEntry::Kind::Close)
            markClosed(c, e.timeMs, e.status, e.text);
        changed.insert(e.clientId);
    }
    enforceLimits();
    // A conversation evicted in this very batch has not "changed" for anyone to show.
    for (auto it = changed.begin(); it != changed.end();) {
        if (m_byId.contains(*it))
            ++it;
        else
            it = changed.erase(it);
    }
    return changed;
}

void ConversationStore::enforceLimits() {
    while (int(m_closedOrder.size()) > m_limits.closedClients) {
        const QByteArray id = m_closedOrder.front();
        m_closedOrder.pop_front();
        const auto it = m_byId.find(id);
        if (it == m_byId.end())
            continue;
        m_totalEntries -= it->entries.size();
        m_byId.erase(it); // its records in m_stored go stale
    }
    // The oldest kept entry goes first, whoever's it is, until both totals fit. A record whose
    // entry already went (per-client cap, evicted conversation) only gives back its bytes.
    while (!m_stored.empty() &&
           (m_totalEntries > m_limits.totalEntries || m_totalBytes > m_limits.totalBytes ||
            qint64(m_stored.size()) > 2 * qint64(m_limits.totalEntries))) {
        const Stored s = m_stored.front();
        m_stored.pop_front();
        m_totalBytes -= s.bytes;
        const auto it = m_byId.find(s.clientId);
        if (it != m_byId.end() && !it->entries.isEmpty() &&
            it->entries.constFirst().id == s.entryId)
            dropFirst(*it);
    }
}

void ConversationStore::closeMissing(const QSet<QByteArray> &live, qint64 nowMs, qint64 graceMs) {
    for (auto it = m_byId.begin(); it != m_byId.end(); ++it) {
        if (it->closed || live.contains(it.key()))
            continue;
        const qint64 last = it->entries.isEmpty() ? 0 : it->entries.constLast().timeMs;
        if (nowMs - last >= graceMs)
            markClosed(*it, nowMs, 0, QString());
    }
    enforceLimits();
}

void ConversationStore::closeAll(qint64 nowMs) {
    for (auto it = m_byId.begin(); it != m_byId.end(); ++it)
        markClosed(*it, nowMs, 0, QString());
    enforceLimits();
}

void ConversationStore::clear() {
    m_byId.clear();
    m_closedOrder.clear();
    m_stored.clear();
    m_totalEntries = 0;
    m_totalBytes = 0;
}

const ConversationStore::Conversation *ConversationStore::find(const QByteArray &clientId) const {
    const auto it = m_byId.constFind(clientId);
    return it == m_byId.constEnd() ? nullptr : &*it;
}

QList<QByteArray> ConversationStore::closedIds() const {
    QList<QByteArray> out;
    for (auto it = m_closedOrder.crbegin(); it != m_closedOrder.crend(); ++it) {
        if (m_byId.contains(*it))
            out.append(*it);
    }
    return out;
}
