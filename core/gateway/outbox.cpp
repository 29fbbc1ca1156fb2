#include "outbox.h"

#include "clientsession.h"
#include "memorybudget.h"
#include "trafficrecorder.h"

namespace {
constexpr int CloseCodePolicyViolated = 1008; // a slow consumer
constexpr int CloseCodeTryAgainLater = 1013;  // the outbound budget is spent
} // namespace

Outbox::Outbox(const Settings &settings, TrafficRecorder *recorder, MemoryBudget *budget)
    : m_settings(settings)
    , m_recorder(recorder)
    , m_budget(budget) {}

Outbox::Result Outbox::admit(ClientSession &s, qint64 bytes, Purpose purpose) {
    WebSocketConnection *c = s.connection();
    if (s.closing || !c || c->state() != WebSocketConnection::State::Open)
        return Result::Closed;
    const qint64 queued = c->bytesToWrite();
    // One message always fits an empty buffer: the mark bounds what piles up, not sizes.
    const bool overMark = queued > 0 && queued + bytes > m_settings.sendBufferBytes;
    const bool overBudget = !m_budget->outboundFits(bytes);
    if (!overMark && !overBudget)
        return Result::Sent;
    if (overBudget && !overMark) {
        if (purpose == Purpose::Push) {
            m_recorder->metrics()->countError(Metrics::MemoryBudget);
            return Result::BufferFull;
        }
        m_recorder->error(s.id, Metrics::MemoryBudget,
                          QStringLiteral("client %1: a %2-byte reply does not fit the outbound "
                                         "budget (%3 of %4 bytes used); closing with 1013")
                              .arg(QString::fromLatin1(s.id))
                              .arg(bytes)
                              .arg(m_budget->outboundBytes())
                              .arg(m_budget->outboundLimit()));
        close(s, CloseCodeTryAgainLater, QByteArrayLiteral("server memory budget reached"));
        return Result::Closed;
    }
    if (purpose == Purpose::Push && !m_settings.closeSlowConsumers) {
        m_recorder->metrics()->countError(Metrics::BufferFull);
        return Result::BufferFull;
    }
    // A reply to a client that stopped reading: dropping it silently is not an option.
    m_recorder->error(s.id, Metrics::SlowConsumerClosed,
                      QStringLiteral("client %1 has %2 bytes unsent (--send-buffer %3); closing "
                                     "with 1008")
                          .arg(QString::fromLatin1(s.id))
                          .arg(queued)
                          .arg(m_settings.sendBufferBytes));
    close(s, CloseCodePolicyViolated, QByteArrayLiteral("send buffer full"));
    // Our close frame waits behind what it does not read: no grace period. Aborted from the
    // event loop, so that no caller finds its session deleted under it.
    if (m_abortLater)
        m_abortLater(s);
    return purpose == Purpose::Push ? Result::BufferFull : Result::Closed;
}

void Outbox::counted(ClientSession &s, qint64 payloadBytes) {
    ++s.messagesOut;
    s.bytesOut += payloadBytes;
    Metrics *m = m_recorder->metrics();
    m->messagesOut.fetch_add(1, std::memory_order_relaxed);
    m->bytesOut.fetch_add(payloadBytes, std::memory_order_relaxed);
}

Outbox::Result Outbox::send(ClientSession &s, const QByteArray &payload, bool binary,
                            Purpose purpose) {
    const Result r = admit(s, payload.size(), purpose);
    if (r != Result::Sent)
        return r;
    s.connection()->sendMessage(payload, binary);
    counted(s, payload.size());
    return r;
}

Outbox::Result Outbox::sendFrame(ClientSession &s, const QByteArray &frame, qint64 payloadBytes,
                                 Purpose purpose) {
    const Result r = admit(s, frame.size(), purpose);
    if (r != Result::Sent)
        return r;
    s.connection()->sendEncodedFrame(frame);
    counted(s, payloadBytes);
    return r;
}

void Outbox::close(ClientSession &s, int code, const QByteArray &reason) {
    if (s.closing || !s.connection())
        return;
    s.closing = true;
    s.connection()->close(code, reason);
    if (m_closingWatcher)
        m_closingWatcher(s);
}
