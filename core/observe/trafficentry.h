#pragma once

#include "php/phprequest.h"

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

#include <memory>

/// One exchange with PHP: what was sent and what came back, kept for the detail pane.
struct PhpExchange {
    /// Every param sent, in order: base's then extraParams, concatenated on each call (detail
    /// pane, export, replay; not the hot path).
    PhpParams params() const;

    std::shared_ptr<const PhpParamBlock> base; // the connection's params, shared; may be null
    PhpParams extraParams;                     // the per-message ones, after them
    QByteArray requestBody;
    bool requestBodyTruncated = false;
    qint64 requestBodySize = 0;
    QString outcome; // "ok" or a stable error code (php_timeout …)
    QString error;   // human-readable detail when outcome != ok
    int status = 0;
    QList<QPair<QByteArray, QByteArray>> responseHeaders;
    QByteArray responseBody;
    bool responseBodyTruncated = false;
    qint64 responseBodySize = 0;
    QByteArray stderrData;
    qint64 queueWaitUs = 0;
    qint64 phpUs = 0;
};

/// One row of the traffic log. Light to copy: bodies are implicitly shared, PHP detail is shared.
struct TrafficEntry {
    enum class Kind { Open, MessageIn, Php, ReplyOut, Push, Close, Error, PhpLog };
    enum class Direction { None, In, Out };

    quint64 id = 0;    // set by TrafficLog::append, strictly increasing
    qint64 timeMs = 0; // ms since the epoch
    Kind kind = Kind::Error;
    Direction direction = Direction::None;
    QByteArray clientId;
    qint64 size = 0; // payload bytes (before truncation)
    QByteArray body; // payload, truncated to the log's body cap
    bool bodyTruncated = false;
    bool binary = false;
    int status = 0;        // PHP status (Php rows), close code (Close rows)
    qint64 durationUs = 0; // PHP time (Php rows)
    QString text;          // summary: error code and message, close reason, target of a push
    bool isError = false;
    quint64 replayOf = 0; // Php rows: the entry this exchange replays (console replay)
    /// Push rows to a user, group or everyone: the clients it was queued for (at most
    /// TrafficEntry::MaxReceivers; receiversTruncated says when there were more).
    std::shared_ptr<const QList<QByteArray>> receivers;
    bool receiversTruncated = false;
    static constexpr int MaxReceivers = 4096;
    std::shared_ptr<const PhpExchange> php;

    static const char *kindName(Kind kind);
};
