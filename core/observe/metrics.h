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
        BadHandshake,         // refused from its head: 400, 404, 405, 426, 431
        HandshakeLimit,       // too many handshakes at once, overall or from one address: 503
        OpenRateLimited,      // open events over their rate, overall or per address: 503
        ProtocolError,        // the client broke RFC 6455: closed with 1002
        InvalidUtf8,          // a text message that is not UTF-8: closed with 1007
        FragmentTimeout,      // a message not completed in time: closed with 1008
        CloseTimeout,         // a closing peer that never finished the close: aborted
        AcceptError,          // accept() failed (EMFILE …)
        MemoryBudget,         // a gateway-wide memory budget refused a message or handshake
        InvalidControlHeader, // an X-WS-* value from PHP refused or changed
        InvalidUtf8Reply,     // a text reply from PHP that is not UTF-8
        PayloadTooLarge,      // a push larger than the per-client send buffer
        ClientErrorCount
    };
    /// Why a message from a client will never be answered by PHP.
    enum DropReason {
        DropClientClosed, // the client left (or was closed) with it queued or with PHP
        DropClosing,      // it arrived after the close handshake began
        DropQueueFull,    // queued past --queue-limit / --queue-bytes
        DropShutdown,     // the gateway stopped
        DropMemoryBudget, // the inbound budget was reached
        DropReasonCount
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
    std::array<std::atomic<qint64>, DropReasonCount> dropped{};

    void recordPhpLatency(qint64 us);
    void countPhp(PhpResult result) { phpResults[result].fetch_add(1, std::memory_order_relaxed); }
    void countError(ClientError error) {
        clientErrors[error].fetch_add(1, std::memory_order_relaxed);
    }

    void countDropped(DropReason reason, qint64 messages) {
        dropped[reason].fetch_add(messages, std::memory_order_relaxed);
    }

    static const char *phpResultName(PhpResult result);
    static const char *dropReasonName(DropReason reason);
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
