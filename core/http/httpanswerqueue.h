#pragma once

#include "http/httpresponse.h"

#include <QtGlobal>

#include <deque>
#include <optional>

/// The answers one connection owes, in request order: a later one waits for the earlier ones.
class HttpAnswerQueue final {
public:
    struct Entry {
        quint64 sequence = 0; // set by add()
        bool http10 = false;
        bool includeBody = true; // false for HEAD
        bool close = false;      // the connection closes after this answer, whatever it says
        qint64 deadlineMs = 0;   // no answer by then: expire() gives the timeout answer
        std::optional<HttpResponse> response;
    };

    /// Queues a request (waiting unless `entry.response` is set); returns its sequence number.
    quint64 add(Entry entry);
    /// Sets the answer of a waiting request; false when it is not waiting (answered, dropped).
    bool answer(quint64 sequence, HttpResponse &&response);
    bool isWaiting(quint64 sequence) const;
    /// Gives `timeoutAnswer` to every request still waiting at `nowMs`; returns how many.
    int expire(qint64 nowMs, const HttpResponse &timeoutAnswer);
    bool hasExpired(qint64 nowMs) const;
    /// The front entry when its answer is there.
    std::optional<Entry> takeReady();
    /// Drops every entry: their answers will never be sent.
    void clear() { m_entries.clear(); }
    bool isEmpty() const { return m_entries.empty(); }
    size_t size() const { return m_entries.size(); }

private:
    std::deque<Entry> m_entries;
    quint64 m_nextSequence = 0;
};
