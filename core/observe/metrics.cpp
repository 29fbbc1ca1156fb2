#include "metrics.h"

void Metrics::appendMetric(QByteArray &out, const char *name, const char *type, const char *help,
                           qint64 value, const QByteArray &labels) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
    out += name;
    out += labels;
    out += ' ';
    out += QByteArray::number(value);
    out += '\n';
}

void Metrics::recordPhpLatency(qint64 us) {
    const double sec = double(us) / 1e6;
    for (size_t i = 0; i < LatencyBucketsSec.size(); ++i) {
        if (sec <= LatencyBucketsSec[i]) {
            m_latencyBuckets[i].fetch_add(1, std::memory_order_relaxed);
            break;
        }
    }
    m_latencyCount.fetch_add(1, std::memory_order_relaxed);
    m_latencySumUs.fetch_add(us, std::memory_order_relaxed);
}

const char *Metrics::phpResultName(PhpResult result) {
    switch (result) {
    case PhpOk:
        return "ok";
    case PhpUnavailable:
        return "php_unavailable";
    case PhpTimeout:
        return "php_timeout";
    case PhpBadResponse:
        return "php_bad_response";
    case PhpOverloaded:
        return "php_overloaded";
    case PhpStatusError:
        return "php_status";
    case PhpResultCount:
        break;
    }
    return "unknown";
}

const char *Metrics::dropReasonName(DropReason reason) {
    switch (reason) {
    case DropClientClosed:
        return "client_closed";
    case DropClosing:
        return "closing";
    case DropQueueFull:
        return "queue_full";
    case DropShutdown:
        return "shutdown";
    case DropMemoryBudget:
        return "memory_budget";
    case DropReasonCount:
        break;
    }
    return "unknown";
}

const char *Metrics::clientErrorName(ClientError error) {
    switch (error) {
    case MessageTooBig:
        return "message_too_big";
    case QueueFull:
        return "queue_full";
    case OriginRefused:
        return "origin_refused";
    case TooManyConnections:
        return "too_many_connections";
    case HandshakeTimeout:
        return "handshake_timeout";
    case OpenRefused:
        return "open_refused";
    case VanishedMidRequest:
        return "vanished_mid_request";
    case BufferFull:
        return "client_buffer_full";
    case SlowConsumerClosed:
        return "slow_consumer_closed";
    case IdleTimeout:
        return "idle_timeout";
    case BadHandshake:
        return "bad_handshake";
    case HandshakeLimit:
        return "handshake_limit";
    case OpenRateLimited:
        return "open_rate_limited";
    case ProtocolError:
        return "protocol_error";
    case InvalidUtf8:
        return "invalid_utf8";
    case FragmentTimeout:
        return "fragment_timeout";
    case CloseTimeout:
        return "close_timeout";
    case AcceptError:
        return "accept_error";
    case MemoryBudget:
        return "memory_budget";
    case InvalidControlHeader:
        return "invalid_control_header";
    case InvalidUtf8Reply:
        return "invalid_utf8_reply";
    case PayloadTooLarge:
        return "payload_too_large";
    case ClientErrorCount:
        break;
    }
    return "unknown";
}

void Metrics::appendPrometheus(QByteArray &out) const {
    appendMetric(out, "wsgate_connections", "gauge", "Open WebSocket connections.",
                 connectionsCurrent.load());
    appendMetric(out, "wsgate_connections_opened_total", "counter",
                 "WebSocket connections accepted.", connectionsOpened.load());
    appendMetric(out, "wsgate_connections_closed_total", "counter", "WebSocket connections closed.",
                 connectionsClosed.load());
    appendMetric(out, "wsgate_messages_in_total", "counter", "Messages received from clients.",
                 messagesIn.load());
    appendMetric(out, "wsgate_messages_out_total", "counter", "Messages sent to clients.",
                 messagesOut.load());
    appendMetric(out, "wsgate_bytes_in_total", "counter", "Payload bytes received from clients.",
                 bytesIn.load());
    appendMetric(out, "wsgate_bytes_out_total", "counter", "Payload bytes sent to clients.",
                 bytesOut.load());
    appendMetric(out, "wsgate_pushes_total", "counter", "Push API deliveries requested.",
                 pushes.load());
    appendMetric(out, "wsgate_inbound_queue_depth", "gauge",
                 "Client messages waiting for PHP, all connections.", queuedMessages.load());

    out += "# HELP wsgate_php_requests_total PHP requests by outcome.\n"
           "# TYPE wsgate_php_requests_total counter\n";
    for (int i = 0; i < PhpResultCount; ++i) {
        out += "wsgate_php_requests_total{outcome=\"";
        out += phpResultName(PhpResult(i));
        out += "\"} ";
        out += QByteArray::number(phpResults[size_t(i)].load());
        out += '\n';
    }
    out += "# HELP wsgate_client_errors_total Client-side errors by kind.\n"
           "# TYPE wsgate_client_errors_total counter\n";
    for (int i = 0; i < ClientErrorCount; ++i) {
        out += "wsgate_client_errors_total{kind=\"";
        out += clientErrorName(ClientError(i));
        out += "\"} ";
        out += QByteArray::number(clientErrors[size_t(i)].load());
        out += '\n';
    }
    out += "# HELP wsgate_messages_dropped_total Client messages PHP never answered, by reason "
           "(each also logged and, where it can be, told to the client).\n"
           "# TYPE wsgate_messages_dropped_total counter\n";
    for (int i = 0; i < DropReasonCount; ++i) {
        out += "wsgate_messages_dropped_total{reason=\"";
        out += dropReasonName(DropReason(i));
        out += "\"} " + QByteArray::number(dropped[size_t(i)].load()) + '\n';
    }
    out += "# HELP wsgate_php_request_duration_seconds Time from sending to PHP to its reply.\n"
           "# TYPE wsgate_php_request_duration_seconds histogram\n";
    qint64 cumulative = 0;
    for (size_t i = 0; i < LatencyBucketsSec.size(); ++i) {
        cumulative += m_latencyBuckets[i].load();
        out += "wsgate_php_request_duration_seconds_bucket{le=\"";
        out += QByteArray::number(LatencyBucketsSec[i]);
        out += "\"} ";
        out += QByteArray::number(cumulative);
        out += '\n';
    }
    const qint64 count = m_latencyCount.load();
    out += "wsgate_php_request_duration_seconds_bucket{le=\"+Inf\"} ";
    out += QByteArray::number(count);
    out += "\nwsgate_php_request_duration_seconds_sum ";
    out += QByteArray::number(double(m_latencySumUs.load()) / 1e6, 'f', 6);
    out += "\nwsgate_php_request_duration_seconds_count ";
    out += QByteArray::number(count);
    out += '\n';
}
