#pragma once

#include <QByteArray>
#include <QHash>
#include <QHostAddress>

/// Admission of new connections by client address, with bounded memory: caps on concurrent
/// handshakes (overall and per address) and token-bucket rates for open events (overall and
/// per address), so a reconnect storm cannot take every PHP worker at once.
class HandshakeLimits final {
public:
    struct Settings {
        int maxHandshakes = 1024;
        int maxHandshakesPerAddress = 64;
        double openRate = 0;           // open events per second, all clients; 0: unlimited
        double openRatePerAddress = 0; // per client address; 0: unlimited
    };
    enum class Verdict { Admitted, TooMany, TooManyFromAddress };

    explicit HandshakeLimits(const Settings &settings);

    /// Counts a handshake in (when admitted); release() it when it ends either way.
    Verdict admit(const QHostAddress &address);
    void release(const QHostAddress &address);
    /// Takes a token for an open event; false when over the overall or the address's rate.
    bool takeOpen(const QHostAddress &address, qint64 nowMs);
    /// Forgets addresses with full buckets and no handshakes (bounded memory).
    void prune(qint64 nowMs);

    int handshakes() const { return m_total; }
    const Settings &settings() const { return m_settings; }

    static QByteArray key(const QHostAddress &address);

private:
    struct Bucket {
        double tokens = 0;
        qint64 updatedMs = 0;
    };
    static bool take(Bucket &bucket, double rate, qint64 nowMs);

    Settings m_settings;
    int m_total = 0;
    QHash<QByteArray, int> m_perAddress;
    Bucket m_overall;
    QHash<QByteArray, Bucket> m_buckets;
};
