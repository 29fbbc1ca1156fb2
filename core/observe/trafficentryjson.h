#pragma once

#include "trafficentry.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>

#include <optional>

/// TrafficEntry as one JSON object of the admin API's traffic feed, and back. A pure codec.
///
/// On the way out, secrets are masked as the console masks them (SecretMask: WS_PUSH_TOKEN,
/// cookie values, the Authorization credentials) and every byte string of Options::scrub is
/// replaced by "********" wherever it appears (bodies, STDERR, text, params, headers), so a
/// token PHP echoes back is not shown either. Fields (snake_case; absent means empty/0/false
/// only where said):
///   id, time (ISO 8601 UTC, ms), time_ms, kind (TrafficEntry::kindName), direction
///   ("in" | "out" | "none"), client, size (payload bytes before truncation), body (base64 of
///   the stored, possibly truncated payload), body_truncated, binary, status, duration_us,
///   text, is_error, replay_of, receivers (array of client ids; only on push rows that have
///   them) with receivers_truncated, and php (only on rows with an exchange):
///   { params: [[name, value], …] in wire order, header_values likewise for PHP's response
///     headers as "headers"; a value that is not UTF-8 is {"base64": "…"} instead of a string;
///     request_body, response_body, stderr (base64), request_body_size,
///     response_body_size, request_body_truncated, response_body_truncated, outcome, error,
///     status, queue_wait_us, php_us }.
class TrafficEntryJson final {
public:
    struct Options {
        QList<QByteArray> scrub; // e.g. the push token; empty entries are ignored
    };

    TrafficEntryJson() = delete;

    static QJsonObject toJson(const TrafficEntry &entry, const Options &options);
    static QJsonObject toJson(const TrafficEntry &entry) { return toJson(entry, Options{}); }
    /// The entry back, as masked; its PHP params all in PhpExchange::extraParams. nullopt when
    /// a field has the wrong type or a base64 field does not decode.
    static std::optional<TrafficEntry> fromJson(const QJsonObject &object);

    /// A param or header value: a string when it is UTF-8, else {"base64": "…"}.
    static QJsonValue bytesValue(const QByteArray &bytes);
    static std::optional<QByteArray> bytesFrom(const QJsonValue &value);
};
