#include "http/connectionadmission.h"

ConnectionAdmission::ConnectionAdmission(int maxAnonymous, int maxPerAddress)
    : m_maxAnonymous(maxAnonymous)
    , m_maxPerAddress(maxPerAddress) {}

QHostAddress ConnectionAdmission::keyOf(const QHostAddress &address) {
    bool mapped = false;
    const quint32 v4 = address.toIPv4Address(&mapped);
    return mapped ? QHostAddress(v4) : address;
}

ConnectionAdmission::Verdict ConnectionAdmission::enter(const QHostAddress &address) {
    int &fromAddress = m_byAddress[keyOf(address)];
    Verdict v = Verdict::Admitted;
    if (m_maxPerAddress > 0 && fromAddress >= m_maxPerAddress)
        v = Verdict::OverAddressLimit;
    else if (m_count >= m_maxAnonymous)
        v = Verdict::OverReserve;
    ++fromAddress;
    ++m_count;
    return v;
}

void ConnectionAdmission::leave(const QHostAddress &address) {
    const auto it = m_byAddress.find(keyOf(address));
    if (it == m_byAddress.end())
        return;
    --m_count;
    if (--*it <= 0)
        m_byAddress.erase(it);
}

int ConnectionAdmission::anonymousFrom(const QHostAddress &address) const {
    return m_byAddress.value(keyOf(address), 0);
}
