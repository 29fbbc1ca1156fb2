#include "http/admintrafficfeed.h"

#include "http/httprequest.h"
#include "observe/trafficlog.h"

#include <QJsonDocument>

#include <algorithm>
#include <cmath>

namespace {

constexpr int kDefaultMaxEntries = 1000;
constexpr int kMaxEntriesCap = 10000;
constexpr double kMaxWaitSec = 30.0;
// An answer stops adding entries past this (one entry always goes, however large).
constexpr qsizetype kMaxAnswerBytes = 4 * 1024 * 1024;
// How soon a waiting reader sees a new entry; the timer runs only while someone waits.
constexpr int kPollIntervalMs = 50;
// Readers waiting at once; beyond, 503 (each holds a connection and a slot in the poll).
constexpr size_t kMaxWaiters = 64;
constexpr int kMaxIdDigits = 20;

const QByteArray kNdjson = "application/x-ndjson";

HttpResponse badQuery(const QString &message) {
    return HttpResponse::jsonError(400, "bad_request", message);
}

std::optional<quint64> parseId(const QByteArray &text) {
    if (text.isEmpty() || text.size() > kMaxIdDigits)
        return std::nullopt;
    bool ok = false;
    const quint64 v = text.toULongLong(&ok);
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
    }
    return ok ? std::optional<quint64>(v) : std::nullopt;
}

} // namespace

AdminTrafficFeed::AdminTrafficFeed(TrafficLog *log, const QByteArray &instanceId,
                                   const TrafficEntryJson::Options &json, QObject *parent)
    : QObject(parent)
    , m_log(log)
    , m_instanceId(instanceId)
    , m_json(json) {
    m_clock.start();
    m_pollTimer.setInterval(kPollIntervalMs);
    connect(&m_pollTimer, &QTimer::timeout, this, &AdminTrafficFeed::poll);
}

AdminTrafficFeed::~AdminTrafficFeed() = default;

std::optional<HttpResponse> AdminTrafficFeed::parseQuery(const QByteArray &query, Query *out) {
    const auto pairs = HttpRequest::parseUrlEncoded(query);
    if (!pairs)
        return badQuery(QStringLiteral("malformed query string"));
    Query q;
    for (const auto &[name, value] : *pairs) {
        if (name == "since") {
            const std::optional<quint64> id = parseId(value);
            if (!id)
                return badQuery(QStringLiteral("since must be an entry id (0 for the oldest)"));
            q.since = *id;
        } else if (name == "max") {
            const std::optional<quint64> n = parseId(value);
            if (!n || *n == 0)
                return badQuery(QStringLiteral("max must be a positive number of entries"));
            q.max = int(std::min<quint64>(*n, kMaxEntriesCap));
        } else if (name == "wait") {
            bool ok = false;
            const double sec = value.toDouble(&ok);
            if (!ok || !std::isfinite(sec) || sec < 0)
                return badQuery(QStringLiteral("wait must be a number of seconds (0-30)"));
            q.waitMs = int(std::min(sec, kMaxWaitSec) * 1000);
        }
    }
    *out = q;
    return std::nullopt;
}

void AdminTrafficFeed::serve(const Query &query, Answer answer, Pending pending) {
    // Answer at once when there is something to say: entries after the cursor, a cursor
    // beyond the log (another instance's: the reader resets), no log, or no wait asked.
    if (!m_log->enabled() || query.waitMs <= 0 || m_log->lastId() != query.since) {
        answer(answerFor(query));
        return;
    }
    if (m_waiters.size() >= kMaxWaiters) {
        answer(HttpResponse::jsonError(
            503, "too_many_readers",
            QStringLiteral("%1 readers are waiting already; ask again without wait")
                .arg(kMaxWaiters)));
        return;
    }
    m_waiters.push_back(
        {query, m_clock.elapsed() + query.waitMs, std::move(answer), std::move(pending)});
    if (!m_pollTimer.isActive())
        m_pollTimer.start();
}

void AdminTrafficFeed::poll() {
    const qint64 now = m_clock.elapsed();
    const quint64 last = m_log->lastId();
    for (auto it = m_waiters.begin(); it != m_waiters.end();) {
        if (!it->pending()) {
            it = m_waiters.erase(it);
            continue;
        }
        if (last == it->query.since && now < it->deadlineMs && m_log->enabled()) {
            ++it;
            continue;
        }
        // Out of the list before answering: the answer may re-enter serve().
        const Waiter w = std::move(*it);
        it = m_waiters.erase(it);
        w.answer(answerFor(w.query));
    }
    if (m_waiters.empty())
        m_pollTimer.stop();
}

HttpResponse AdminTrafficFeed::answerFor(const Query &query) const {
    if (!m_log->enabled()) {
        HttpResponse r = HttpResponse::jsonError(
            409, "traffic_log_off",
            QStringLiteral("this gateway keeps no traffic log: start it with --traffic-log N "
                           "(a ring of N entries, e.g. --traffic-log 10000; wsgated keeps "
                           "none by default)"));
        r.setHeader("X-WsGate-Instance", m_instanceId);
        return r;
    }
    const QVector<TrafficEntry> entries = m_log->entriesSince(query.since, query.max);
    const quint64 lastId = m_log->lastId();
    const QVector<TrafficEntry> oldest = m_log->entriesSince(0, 1);
    const quint64 firstId = oldest.isEmpty() ? 0 : oldest.first().id;

    QByteArray body;
    int count = 0;
    for (const TrafficEntry &e : entries) {
        QByteArray line =
            QJsonDocument(TrafficEntryJson::toJson(e, m_json)).toJson(QJsonDocument::Compact);
        if (count > 0 && body.size() + line.size() + 1 > kMaxAnswerBytes)
            break;
        body += line;
        body += '\n';
        ++count;
    }
    // With nothing returned the cursor moves to the log's end: past entries lost to a clear,
    // and back from a cursor beyond it (another instance's; the reader sees a new instance id).
    const quint64 next = count > 0 ? entries.at(count - 1).id : lastId;
    // Ids are contiguous: whatever lies between the cursor and what we return is gone.
    quint64 skipped = 0;
    if (count > 0 && entries.first().id > query.since + 1)
        skipped = entries.first().id - query.since - 1;
    else if (count == 0 && lastId > query.since)
        skipped = lastId - query.since; // the ring was cleared
    const bool more = count > 0 && next < lastId;

    HttpResponse r = HttpResponse::text(200, body, kNdjson);
    r.setHeader("Cache-Control", "no-store");
    r.setHeader("X-WsGate-Instance", m_instanceId);
    r.setHeader("X-WsGate-First-Id", QByteArray::number(firstId));
    r.setHeader("X-WsGate-Last-Id", QByteArray::number(lastId));
    r.setHeader("X-WsGate-Next-Since", QByteArray::number(next));
    r.setHeader("X-WsGate-Skipped", QByteArray::number(skipped));
    r.setHeader("X-WsGate-More", more ? "1" : "0");
    r.setHeader("X-WsGate-Count", QByteArray::number(count));
    return r;
}
