#pragma once

#include <QHash>
#include <QHostAddress>

/// Counts a server's anonymous connections (none of whose requests was authorized yet),
/// overall and per peer address, and says which newcomers are beyond the limits.
class ConnectionAdmission final {
public:
    enum class Verdict { Admitted, OverReserve, OverAddressLimit };

    ConnectionAdmission() = default;
    /// `maxAnonymous`: overall; `maxPerAddress`: from one address, 0 for no limit.
    ConnectionAdmission(int maxAnonymous, int maxPerAddress);

    /// Counts a new anonymous connection; Admitted, or which limit it is beyond (it is counted
    /// all the same, until leave()).
    Verdict enter(const QHostAddress &address);
    /// An anonymous connection was authorized or has gone.
    void leave(const QHostAddress &address);
    int anonymousCount() const { return m_count; }
    int anonymousFrom(const QHostAddress &address) const;

    /// One key per client machine: an IPv4 client of a dual-stack listener counts as IPv4.
    static QHostAddress keyOf(const QHostAddress &address);

private:
    int m_maxAnonymous = 0;
    int m_maxPerAddress = 0;
    int m_count = 0;
    QHash<QHostAddress, int> m_byAddress;
};
