#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>
#include <QString>

#include <limits>

/// Resumable parser of a CGI response (PHP's STDOUT): header block, then body.
///
/// Header lines end in "\r\n" or "\n"; an empty line ends the block. The block is bounded
/// (64 KiB); a line without a colon, a bad header name, a control character in a value, a
/// continuation line, or a bad or repeated Status is an error. No Status means 200, or 302
/// when a Location header is present (CGI/1.1 §6.2.3). Body bytes beyond maxBodyBytes are
/// dropped and bodyTruncated() is set: the response is still well-formed, so the caller
/// decides; the stream keeps being consumed so the connection stays usable.
class CgiResponseParser final {
public:
    enum class Status {
        Ok,         // headers complete (body may still follow)
        Incomplete, // still inside the header block
        Error,      // malformed; sticky until reset()
    };

    explicit CgiResponseParser(qint64 maxBodyBytes = std::numeric_limits<qint64>::max());

    /// Feeds the next STDOUT bytes.
    Status feed(QByteArrayView chunk);
    /// The STDOUT stream ended. Error when the header block never ended.
    Status finish();
    void reset();
    void setMaxBodyBytes(qint64 maxBodyBytes) { m_maxBodyBytes = maxBodyBytes; }

    bool headersComplete() const { return m_headersComplete; }
    int status() const { return m_status; }
    const QByteArray &reason() const { return m_reason; }
    const QByteArray &contentType() const { return m_contentType; }
    /// Every header but Status, in order, names as sent.
    const QList<QPair<QByteArray, QByteArray>> &headers() const { return m_headers; }
    QList<QPair<QByteArray, QByteArray>> takeHeaders() { return std::move(m_headers); }
    const QByteArray &body() const { return m_body; }
    QByteArray takeBody() { return std::move(m_body); }
    bool bodyTruncated() const { return m_bodyTruncated; }
    QString errorString() const { return m_error; }

    /// The bound on the header block, in bytes.
    static qsizetype maxHeaderBytes();

private:
    Status fail(const QString &message);
    bool parseLine(QByteArrayView line);
    void finishHeaders();
    void appendBody(QByteArrayView bytes);

    qint64 m_maxBodyBytes;
    qsizetype m_headerBytes = 0;
    QByteArray m_partialLine; // a header line split across feed() calls
    bool m_headersComplete = false;
    bool m_sawStatus = false;
    bool m_sawLocation = false;
    int m_status = 200;
    QByteArray m_reason;
    QByteArray m_contentType;
    QList<QPair<QByteArray, QByteArray>> m_headers;
    QByteArray m_body;
    bool m_bodyTruncated = false;
    QString m_error;
};
