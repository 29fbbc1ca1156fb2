#include "trafficlog.h"

#include <QDateTime>

#include <algorithm>

PhpParams PhpExchange::params() const {
    if (!base)
        return extraParams;
    PhpParams all;
    all.reserve(base->params.size() + extraParams.size());
    all.append(base->params);
    all.append(extraParams);
    return all;
}

const char *TrafficEntry::kindName(Kind kind) {
    switch (kind) {
    case Kind::Open:
        return "open";
    case Kind::MessageIn:
        return "message";
    case Kind::Php:
        return "php";
    case Kind::ReplyOut:
        return "reply";
    case Kind::Push:
        return "push";
    case Kind::Close:
        return "close";
    case Kind::Error:
        return "error";
    case Kind::PhpLog:
        return "php-log";
    }
    return "unknown";
}

TrafficLog::TrafficLog(int capacity, qint64 bodyCapBytes, qint64 maxBytes)
    : m_capacity(std::max(0, capacity))
    , m_enabled(m_capacity > 0)
    , m_bodyCap(bodyCapBytes)
    , m_maxBytes(std::max<qint64>(0, maxBytes)) {}

qint64 TrafficLog::bytesOf(const TrafficEntry &e) {
    qint64 bytes = e.body.size();
    // A PHP exchange is counted with its own row (a message row shares none of it).
    if (e.php && e.kind == TrafficEntry::Kind::Php)
        bytes += e.php->requestBody.size() + e.php->responseBody.size() + e.php->stderrData.size();
    return bytes;
}

void TrafficLog::trim() {
    // The newest entry always stays, whatever its size.
    while (m_entries.size() > size_t(m_capacity) ||
           (m_entries.size() > 1 && m_bytes > m_maxBytes)) {
        m_bytes -= bytesOf(m_entries.front());
        m_entries.pop_front();
    }
}

qint64 TrafficLog::heldBytes() const {
    QMutexLocker lock(&m_mutex);
    return m_bytes;
}

bool TrafficLog::capBody(QByteArray &body) const {
    if (body.size() <= m_bodyCap)
        return false;
    body = body.left(m_bodyCap);
    return true;
}

quint64 TrafficLog::append(TrafficEntry entry) {
    if (!enabled())
        return 0;
    if (entry.timeMs == 0)
        entry.timeMs = QDateTime::currentMSecsSinceEpoch();
    if (entry.size == 0)
        entry.size = entry.body.size();
    if (capBody(entry.body))
        entry.bodyTruncated = true;
    QMutexLocker lock(&m_mutex);
    entry.id = m_nextId++;
    const quint64 id = entry.id;
    m_bytes += bytesOf(entry);
    m_entries.push_back(std::move(entry));
    trim();
    return id;
}

QVector<TrafficEntry> TrafficLog::entriesSince(quint64 lastId, int max) const {
    QMutexLocker lock(&m_mutex);
    QVector<TrafficEntry> out;
    if (m_entries.empty() || m_entries.back().id <= lastId)
        return out;
    // Ids are contiguous inside the ring, so the first wanted entry is found by arithmetic.
    const quint64 firstId = m_entries.front().id;
    size_t start = lastId < firstId ? 0 : size_t(lastId - firstId + 1);
    const size_t count = std::min(m_entries.size() - start, size_t(std::max(0, max)));
    out.reserve(int(count));
    for (size_t i = start; i < start + count; ++i)
        out.append(m_entries[i]);
    return out;
}

bool TrafficLog::entry(quint64 id, TrafficEntry *out) const {
    QMutexLocker lock(&m_mutex);
    if (m_entries.empty() || id < m_entries.front().id || id > m_entries.back().id)
        return false;
    *out = m_entries[size_t(id - m_entries.front().id)];
    return true;
}

quint64 TrafficLog::lastId() const {
    QMutexLocker lock(&m_mutex);
    return m_nextId - 1;
}

void TrafficLog::continueAfter(quint64 lastId) {
    QMutexLocker lock(&m_mutex);
    m_nextId = std::max(m_nextId, lastId + 1);
}

void TrafficLog::clear() {
    QMutexLocker lock(&m_mutex);
    m_entries.clear();
    m_bytes = 0;
}

void TrafficLog::setCapacity(int capacity) {
    QMutexLocker lock(&m_mutex);
    m_capacity = std::max(0, capacity);
    m_enabled.store(m_capacity > 0, std::memory_order_relaxed);
    trim();
}

int TrafficLog::capacity() const {
    QMutexLocker lock(&m_mutex);
    return m_capacity;
}
