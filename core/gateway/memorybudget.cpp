#include "memorybudget.h"

#include <QByteArray>

namespace {
// Handshakes stop a little before the budgets are full, so the connections already open keep
// room for their replies.
constexpr int HandshakeAdmissionPercent = 90;
} // namespace

MemoryBudget::MemoryBudget(qint64 inboundLimitBytes, qint64 outboundLimitBytes)
    : m_inboundLimit(inboundLimitBytes)
    , m_outboundLimit(outboundLimitBytes) {}

bool MemoryBudget::chargeInbound(qint64 bytes) {
    qint64 current = m_inbound.load(std::memory_order_relaxed);
    do {
        if (current + bytes > m_inboundLimit)
            return false;
    } while (!m_inbound.compare_exchange_weak(current, current + bytes, std::memory_order_relaxed));
    return true;
}

void MemoryBudget::releaseInbound(qint64 bytes) {
    m_inbound.fetch_sub(bytes, std::memory_order_relaxed);
}

bool MemoryBudget::outboundFits(qint64 bytes) const {
    return outboundBytes() + bytes <= m_outboundLimit;
}

bool MemoryBudget::admitsHandshakes() const {
    return inboundBytes() * 100 < m_inboundLimit * HandshakeAdmissionPercent &&
           outboundBytes() * 100 < m_outboundLimit * HandshakeAdmissionPercent;
}

void MemoryBudget::appendPrometheus(QByteArray &out) const {
    out += "# HELP wsgate_memory_budget_bytes Gateway-wide memory budgets (--inbound-budget, "
           "--outbound-budget).\n# TYPE wsgate_memory_budget_bytes gauge\n";
    out += "wsgate_memory_budget_bytes{budget=\"inbound\"} " + QByteArray::number(m_inboundLimit) +
           '\n';
    out += "wsgate_memory_budget_bytes{budget=\"outbound\"} " +
           QByteArray::number(m_outboundLimit) + '\n';
    out += "# HELP wsgate_memory_used_bytes Bytes held against each budget: client messages "
           "queued for or with PHP, bytes queued towards clients.\n"
           "# TYPE wsgate_memory_used_bytes gauge\n";
    out +=
        "wsgate_memory_used_bytes{budget=\"inbound\"} " + QByteArray::number(inboundBytes()) + '\n';
    out += "wsgate_memory_used_bytes{budget=\"outbound\"} " + QByteArray::number(outboundBytes()) +
           '\n';
}
