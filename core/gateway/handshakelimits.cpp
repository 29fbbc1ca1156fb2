#include "handshakelimits.h"

namespace {
// Addresses tracked for open-event rates; beyond, unknown addresses share the overall bucket.
constexpr qsizetype MaxTrackedAddresses = 100000;
} // namespace

HandshakeLimits::HandshakeLimits(const Settings &settings)
    : m_settings(settings) {
    m_overall.tokens = settings.openRate;
}

QByteArray HandshakeLimits::key(const QHostAddress &address) {
    const Q_IPV6ADDR bytes = address.toIPv6Address(); // IPv4 as ::ffff:a.b.c.d
    return QByteArray(reinterpret_cast<const char *>(bytes.c), 16);
}

HandshakeLimits::Verdict HandshakeLimits::admit(const QHostAddress &address) {
    if (m_total >= m_settings.maxHandshakes)
        return Verdict::TooMany;
    int &n = m_perAddress[key(address)];
    if (n >= m_settings.maxHandshakesPerAddress)
        return Verdict::TooManyFromAddress;
    ++n;
    ++m_total;
    return Verdict::Admitted;
}

void HandshakeLimits::release(const QHostAddress &address) {
    const auto it = m_perAddress.find(key(address));
    if (it == m_perAddress.end())
        return;
    --m_total;
    if (--*it <= 0)
        m_perAddress.erase(it);
}

bool HandshakeLimits::take(Bucket &b, double rate, qint64 nowMs) {
    if (rate <= 0)
        return true;
    if (b.updatedMs == 0) {
        b.tokens = rate; // a burst of one second's worth
    } else {
        b.tokens = std::min(rate, b.tokens + rate * double(nowMs - b.updatedMs) / 1000.0);
    }
    b.updatedMs = nowMs;
    if (b.tokens < 1.0)
        return false;
    b.tokens -= 1.0;
    return true;
}

bool HandshakeLimits::takeOpen(const QHostAddress &address, qint64 nowMs) {
    if (m_settings.openRatePerAddress > 0) {
        const QByteArray k = key(address);
        auto it = m_buckets.find(k);
        if (it == m_buckets.end() && m_buckets.size() < MaxTrackedAddresses)
            it = m_buckets.insert(k, Bucket{});
        if (it != m_buckets.end() && !take(*it, m_settings.openRatePerAddress, nowMs))
            return false;
    }
    return take(m_overall, m_settings.openRate, nowMs);
}

void HandshakeLimits::prune(qint64 nowMs) {
    const double rate = m_settings.openRatePerAddress;
    for (auto it = m_buckets.begin(); it != m_buckets.end();) {
        // Full again: forgetting it changes nothing.
        const double tokens = it->tokens + rate * double(nowMs - it->updatedMs) / 1000.0;
        if (tokens >= rate)
            it = m_buckets.erase(it);
        else
            ++it;
    }
}
