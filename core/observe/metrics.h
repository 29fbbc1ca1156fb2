#pragma once

#include <QByteArray>

#include <array>
#include <atomic>

/// Gateway counters: lock-free, written on the core thread, read from any thread (GUI sampling,
/// the metrics endpoint).
class Metrics final {
public:
    /// Why a request to PHP ended the way it did; the order matches phpOutcomeName().
    enum PhpResult {
        PhpOk,
        PhpUnavailable,
        PhpTimeout,
        PhpBadResponse,
        PhpOverloaded,
        PhpStatusError,
        PhpResultCount
    };
    /// Client-side errors, each named in logs and metrics.
    enum ClientError {
        MessageTooBig,      // closed with 1009
        QueueFull,          // closed with 1008
        OriginRefused,      // 403 at the handshake
        TooManyConnections, // 503 at the handshake
        HandshakeTimeout,
        OpenRefused,        // PHP refused the open event
        VanishedMidRequest, // the client left while PHP was working for it
        BufferFull,         // a push refused by the backpressure policy
        SlowConsumerClosed, // closed 1008 by the backpressure policy
        IdleTimeout,
        ClientErrorCount
    };

    static constexpr std::array<double, 12> LatencyBucketsSec = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};

    std::atomic<qint64> connectionsOpened{0};
    std::atomic<qint64> connectionsClosed{0};
    std::atomic<qint64> connectionsCurrent{0};
    std::atomic<qint64> messagesIn{0};
    std::atomic<qint64> messagesOut{0};
    std::atomic<qint64> bytesIn{0};
    std::atomic<qint64> bytesOut{0};
    std::atomic<qint64> pushes{0};
    std::atomic<qint64> queuedMessages{0}; // inbound messages waiting for PHP, all clients
    std::array<std::atomic<qint64>, PhpResultCount> phpResults{};
    std::array<std::atomic<qint64>, ClientErrorCount> clientErrors{};

    void recordPhpLatency(qint64 us);
    void countPhp(PhpResult result) { phpResults[result].fetch_add(1, std::memory_order_relaxed); }
    void countError(ClientError error) {
        clientErrors[error].fetch_add(1, std::memory_order_relaxed);
    }

    static const char *phpResultName(PhpResult result);
    static const char *clientErrorName(ClientError error);

    /// Appends one Prometheus metric (HELP, TYPE and one sample) to `out`.
    static void appendMetric(QByteArray &out, const char *name, const char *type, const char *help,
                             qint64 value, const QByteArray &labels = {});

    /// Appends the Prometheus text exposition of every counter and histogram to `out`.
    void appendPrometheus(QByteArray &out) const;

private:
    std::array<std::atomic<qint64>, LatencyBucketsSec.size()> m_latencyBuckets{};
    std::atomic<qint64> m_latencyCount{0};
    std::atomic<qint64> m_latencySumUs{0};
};
