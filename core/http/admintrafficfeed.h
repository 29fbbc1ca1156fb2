#pragma once

#include "http/httpresponse.h"
#include "observe/trafficentryjson.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <functional>
#include <list>
#include <optional>

class TrafficLog;

/// GET /admin/traffic: the traffic log as long-polled JSON Lines (see AdminApi for the API).
///
/// A request with entries after its cursor is answered at once; one without waits up to its
/// `wait`, checked every kPollIntervalMs by one timer that runs only while someone waits, so
/// the gateway's writers never pay for readers (no signal per entry).
class AdminTrafficFeed final : public QObject {
    Q_OBJECT
public:
    struct Query {
        quint64 since = 0;
        int max = 1000;
        int waitMs = 0;
    };
    /// Sends the answer (the caller counts it); called once.
    using Answer = std::function<void(HttpResponse)>;
    /// False once nobody takes the answer any more (connection gone, 504 given).
    using Pending = std::function<bool()>;

    /// `log` must outlive this object (it is thread-safe: writers are the engine threads).
    AdminTrafficFeed(TrafficLog *log, const QByteArray &instanceId,
                     const TrafficEntryJson::Options &json, QObject *parent = nullptr);
    ~AdminTrafficFeed() override;

    /// since, max and wait from a query string; a 400 answer when one is malformed.
    static std::optional<HttpResponse> parseQuery(const QByteArray &query, Query *out);
    /// Answers now or when entries come or the wait ends.
    void serve(const Query &query, Answer answer, Pending pending);
    /// Readers waiting now.
    int waiting() const { return int(m_waiters.size()); }

private:
    struct Waiter {
        Query query;
        qint64 deadlineMs = 0;
        Answer answer;
        Pending pending;
    };
    /// The answer for `query` as the log is now.
    HttpResponse answerFor(const Query &query) const;
    void poll();

    TrafficLog *m_log;
    QByteArray m_instanceId;
    TrafficEntryJson::Options m_json;
    std::list<Waiter> m_waiters;
    QTimer m_pollTimer;
    QElapsedTimer m_clock;
};
