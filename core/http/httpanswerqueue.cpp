#include "http/httpanswerqueue.h"

#include <algorithm>

quint64 HttpAnswerQueue::add(Entry entry) {
    entry.sequence = m_nextSequence++;
    m_entries.push_back(std::move(entry));
    return m_entries.back().sequence;
}

bool HttpAnswerQueue::answer(quint64 sequence, HttpResponse &&response) {
    for (Entry &e : m_entries) {
        if (e.sequence == sequence) {
            if (e.response)
                return false;
            e.response = std::move(response);
            return true;
        }
    }
    return false;
}

bool HttpAnswerQueue::isWaiting(quint64 sequence) const {
    return std::any_of(m_entries.begin(), m_entries.end(), [sequence](const Entry &e) {
        return e.sequence == sequence && !e.response;
    });
}

int HttpAnswerQueue::expire(qint64 nowMs, const HttpResponse &timeoutAnswer) {
    int expired = 0;
    for (Entry &e : m_entries) {
        if (!e.response && e.deadlineMs <= nowMs) {
            e.response = timeoutAnswer;
            ++expired;
        }
    }
    return expired;
}

bool HttpAnswerQueue::hasExpired(qint64 nowMs) const {
    return std::any_of(m_entries.begin(), m_entries.end(),
                       [nowMs](const Entry &e) { return !e.response && e.deadlineMs <= nowMs; });
}

std::optional<HttpAnswerQueue::Entry> HttpAnswerQueue::takeReady() {
    if (m_entries.empty() || !m_entries.front().response)
        return std::nullopt;
    Entry e = std::move(m_entries.front());
    m_entries.pop_front();
    return e;
}
