#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

/// Resumable FastCGI record parser: fed bytes in any chunking, yields one record at a time.
class FastCgiRecordParser final {
public:
    enum class Status {
        Ok,         // a whole record (padding included) was consumed; see type()/content()
        Incomplete, // every byte given was consumed, the record is not complete yet
        Error,      // malformed input (bad version); sticky until reset()
    };
    struct Result {
        Status status;
        qsizetype consumed; // bytes of the input used, also on Incomplete
    };

    /// Consumes bytes from `data` up to the end of one record. On Ok, type(), requestId()
    /// and content() describe it until the next parse() or reset(); content() may point
    /// into `data`, so `data` must stay alive as long as content() is used.
    /// Record types are not judged here: unknown or unexpected ones are the caller's call.
    Result parse(QByteArrayView data);
    void reset();

    quint8 type() const { return m_type; }
    quint16 requestId() const { return m_requestId; }
    QByteArrayView content() const { return m_contentView; }
    /// True between records: no partial header, content or padding is pending.
    bool atRecordBoundary() const { return m_headerFill == 0; }
    QString errorString() const { return m_error; }

private:
    Result fail(const QString &message, qsizetype consumed);
    bool readHeader(const uchar *header);

    char m_header[8] = {};
    qsizetype m_headerFill = 0;
    quint8 m_type = 0;
    quint16 m_requestId = 0;
    qsizetype m_contentLength = 0;
    qsizetype m_contentFill = 0;
    qsizetype m_paddingLeft = 0;
    QByteArray m_content; // only for records split across parse() calls
    QByteArrayView m_contentView;
    QString m_error;
};
