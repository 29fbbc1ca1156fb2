#pragma once

#include <QtGlobal>

#include <atomic>

/// The gateway-wide memory budgets, shared by every engine thread (lock-free): inbound bytes
/// (client messages queued for PHP or with it) and outbound bytes (queued towards clients,
/// control frames included). Per-connection limits bound one client; these bound all of them.
class MemoryBudget final {
public:
    MemoryBudget(qint64 inboundLimitBytes, qint64 outboundLimitBytes);

    /// Charges `bytes` of inbound messages; false (nothing charged) when it would pass the
    /// limit.
    bool chargeInbound(qint64 bytes);
    void releaseInbound(qint64 bytes);
    /// Whether `bytes` more towards clients fit.
    bool outboundFits(qint64 bytes) const;
    /// What every client stream adds its queued bytes to.
    std::atomic<qint64> *outboundCounter() { return &m_outbound; }
    /// New handshakes are refused (503) once either budget is this full.
    bool admitsHandshakes() const;

    qint64 inboundBytes() const { return m_inbound.load(std::memory_order_relaxed); }
    qint64 outboundBytes() const { return m_outbound.load(std::memory_order_relaxed); }
    qint64 inboundLimit() const { return m_inboundLimit; }
    qint64 outboundLimit() const { return m_outboundLimit; }

    /// Prometheus text: the budgets and their use.
    void appendPrometheus(QByteArray &out) const;

private:
    const qint64 m_inboundLimit;
    const qint64 m_outboundLimit;
    std::atomic<qint64> m_inbound{0};
    std::atomic<qint64> m_outbound{0};
};
