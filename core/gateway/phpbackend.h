#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPair>
#include <QString>

#include <functional>

/// One FastCGI RESPONDER request as the gateway builds it: ordered params and a body.
struct PhpRequest {
    /// Params sent after encodedBaseParams (all of them when that is empty).
    QList<QPair<QByteArray, QByteArray>> params;
    QByteArray body;
    /// Params fixed for a connection, encoded once with FastCgiCodec::encodeNameValuePairs()
    /// and sent first; implicitly shared, so a request costs no per-param work for them.
    QByteArray encodedBaseParams = {};

    /// Every param in wire order (decodes encodedBaseParams): for logs and replays, not the
    /// hot path.
    QList<QPair<QByteArray, QByteArray>> allParams() const;
};

/// How a PHP request ended, before looking at PHP's own HTTP status.
enum class PhpOutcome {
    Ok,          // PHP answered with a well-formed CGI response (any status)
    Unavailable, // could not connect, or the connection failed before anything was sent
    Timeout,     // connect or read timeout
    BadResponse, // malformed FastCGI records or CGI headers, or the connection died mid-reply
    Overloaded,  // the pool's request queue is full
};

/// Stable names for PhpOutcome, used in logs, metrics and error replies.
const char *phpOutcomeName(PhpOutcome outcome);

/// PHP's answer to one PhpRequest, CGI headers already parsed.
struct PhpResponse {
    PhpOutcome outcome = PhpOutcome::Ok;
    QString error;     // human-readable detail when outcome != Ok
    int status = 200;  // from the CGI Status: header (200 when absent)
    QByteArray reason; // reason phrase from Status:, may be empty
    QByteArray contentType;
    QList<QPair<QByteArray, QByteArray>> headers; // every CGI header but Status, in order
    QByteArray body;
    QByteArray stderrData;  // FCGI_STDERR, kept apart from the body
    quint32 appStatus = 0;  // END_REQUEST appStatus
    qint64 queueWaitUs = 0; // time waiting for a pool connection
    qint64 phpUs = 0;       // from first byte sent to END_REQUEST
    bool bodyTruncated = false;

    /// First value of a header, case-insensitive name; empty when absent.
    QByteArray header(const QByteArray &name) const;
};

/// Pool occupancy, sampled for metrics and the UI.
struct PhpBackendStats {
    int connections = 0; // open FastCGI connections
    int busy = 0;        // connections with a request in flight
    int idle = 0;        // kept-alive connections waiting for work
    int queued = 0;      // requests waiting for a connection
    int maxConnections = 0;
};

/// Where the gateway sends PHP requests. The real implementation is FastCgiPool;
/// tests may substitute an in-process fake.
class PhpBackend : public QObject {
    Q_OBJECT
public:
    using Callback = std::function<void(const PhpResponse &)>;

    using QObject::QObject;
    ~PhpBackend() override = default;

    /// Queues a request. `done` is always called exactly once, later, from the event loop
    /// of the thread this object lives in (never from inside submit()).
    virtual void submit(PhpRequest request, Callback done) = 0;

    virtual PhpBackendStats stats() const = 0;
};
