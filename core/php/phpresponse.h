#pragma once

#include "phprequest.h"

#include <QByteArray>
#include <QString>

/// How a PHP request ended, before looking at PHP's own HTTP status.
enum class PhpOutcome {
    Ok,          // PHP answered with a well-formed CGI response (any status)
    Unavailable, // could not connect, or the connection failed before anything was sent
    Timeout,     // connect timeout, no progress for too long, or past the request's deadline
    BadResponse, // malformed FastCGI records or CGI headers, a reply over the size cap, or the
                 // connection died mid-reply
    Overloaded,  // the backend's request queue is full
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
    PhpParams headers; // every CGI header but Status, in order
    QByteArray body;
    QByteArray stderrData;  // FCGI_STDERR, kept apart from the body (also when the request failed)
    quint32 appStatus = 0;  // END_REQUEST appStatus
    qint64 queueWaitUs = 0; // time waiting for a backend connection
    qint64 phpUs = 0;       // from first byte sent to END_REQUEST
    bool bodyTruncated = false;
    qint64 stdoutBytes = 0;   // STDOUT bytes PHP sent, even when the request failed
    PhpParams partialHeaders; // CGI headers already parsed when a request failed mid-reply

    /// First value of a header, case-insensitive name; empty when absent.
    QByteArray header(const QByteArray &name) const;
};
