#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <optional>
#include <utility>

/// One parsed HTTP/1.x request head and body, as a plain value.
struct HttpRequest {
    using Header = std::pair<QByteArray, QByteArray>;

    QByteArray method; // "GET", "POST", … as sent (http_parser only knows upper-case methods)
    QByteArray target; // request-target exactly as sent
    QByteArray path;   // still percent-encoded; "*" for OPTIONS *
    QByteArray query;  // after '?', still percent-encoded, without '?'
    int versionMajor = 1;
    int versionMinor = 1;
    QList<Header> headers; // in arrival order, names as sent, values trimmed
    QByteArray body;       // identity or de-chunked
    std::optional<quint64> contentLength;
    bool chunked = false;
    bool keepAlive = true;
    bool expectsContinue = false;
    bool upgrade = false;  // Upgrade + Connection: upgrade (or CONNECT): another protocol follows
    QString peer;          // "address:port", filled by the server, empty otherwise
    quint16 localPort = 0; // the port the request arrived on, filled by the server; 0: unknown

    /// First value of a header (name compared case-insensitively); empty when absent.
    QByteArray header(QByteArrayView name) const;
    bool hasHeader(QByteArrayView name) const;
    QList<QByteArray> headerValues(QByteArrayView name) const;
    /// True when the request carries a body (Content-Length > 0 or chunked).
    bool bodyExpected() const { return chunked || contentLength.value_or(0) > 0; }

    /// Strict percent-decoding: nullopt on a '%' not followed by two hex digits.
    static std::optional<QByteArray> percentDecoded(QByteArrayView in, bool plusAsSpace = false);
    /// application/x-www-form-urlencoded pairs, decoded; nullopt when malformed.
    static std::optional<QList<Header>> parseUrlEncoded(QByteArrayView in);
};
