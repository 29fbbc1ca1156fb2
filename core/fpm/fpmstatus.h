#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

/// One snapshot of a PHP-FPM pool as its status page reports it, plus lenient parsers for it.
struct FpmStatus {
    /// One worker of the pool (`?full`), field names as FPM prints them.
    struct Process {
        qint64 pid = 0;
        QString state;            // "Idle", "Running", "Reading headers", "Finishing", …
        qint64 startTime = 0;     // unix seconds
        qint64 startSinceSec = 0; // seconds since the worker started
        qint64 requests = 0;
        qint64 requestDurationUs = 0;
        QString requestMethod; // "-" when none yet, as FPM prints it
        QString requestUri;    // includes the query string; may hold any byte the client sent
        qint64 contentLength = 0;
        QString user;
        QString script;
        double lastRequestCpuPercent = 0;
        qint64 lastRequestMemoryBytes = 0;

        QJsonObject toJson() const;
    };

    /// How a body was read: fully, or with repairs the caller may want to surface.
    enum class Quality {
        Exact,     // valid JSON, or complete plain text
        Repaired,  // invalid JSON (unescaped quotes/backslashes/control bytes in strings) repaired
        Truncated, // the body ended early; the complete part was kept
    };

    QString pool;
    QString processManager; // "static", "dynamic" or "ondemand"
    qint64 startTime = 0;   // unix seconds
    qint64 startSinceSec = 0;
    qint64 acceptedConn = 0;
    qint64 listenQueue = 0;
    qint64 maxListenQueue = 0;
    qint64 listenQueueLen = 0;
    qint64 idleProcesses = 0;
    qint64 activeProcesses = 0;
    qint64 totalProcesses = 0;
    qint64 maxActiveProcesses = 0;
    qint64 maxChildrenReached = 0;
    qint64 slowRequests = 0;
    std::optional<qint64> memoryPeakBytes; // PHP >= 8.4 only
    bool hasProcesses = false;             // the page was asked with `full` and listed workers
    QList<Process> processes;
    /// Set by countFromProcesses() when FPM's counters disagreed with its own process list:
    /// what the counters said.
    std::optional<qint64> reportedActiveProcesses;
    std::optional<qint64> reportedIdleProcesses;
    std::optional<qint64> reportedTotalProcesses;

    /// FPM's scoreboard counters race under load (php-src bug #76003, issues #14212, #18956):
    /// "active processes" can exceed pm.max_children or stay near zero while every worker is
    /// busy. With `full`, the per-worker states are the truth: recounts idle/active/total from
    /// them and keeps the reported figures when they differ. Returns true when it corrected.
    bool countFromProcesses();

    /// FPM's own key names (so existing dashboards read it), plus "processes" when known.
    QJsonObject toJson() const;

    /// Reads a `?json` / `?json&full` body. Repairs what FPM is known to get wrong; fails with a
    /// message when the body is not a status page or too little of it arrived.
    static std::optional<FpmStatus> fromJson(const QByteArray &body, Quality *quality = nullptr,
                                             QString *error = nullptr);
    /// Reads the plain-text page (`?full` or no query).
    static std::optional<FpmStatus> fromText(const QByteArray &body, Quality *quality = nullptr,
                                             QString *error = nullptr);
    /// Picks fromJson or fromText by the first non-blank byte.
    static std::optional<FpmStatus> parse(const QByteArray &body, Quality *quality = nullptr,
                                          QString *error = nullptr);
};
