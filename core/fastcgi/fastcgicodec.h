#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>
#include <QString>

#include <vector>

/// Wire constants of FastCGI 1.0 (the specification's names, as C++ enums).
namespace FastCgi {

constexpr quint8 Version1 = 1;
constexpr qsizetype HeaderBytes = 8;
constexpr quint16 MaxContentBytes = 65535; // a record's content length is 16 bits
constexpr quint8 MaxPaddingBytes = 255;    // and its padding length 8 bits
constexpr quint16 NullRequestId = 0;       // management records

enum RecordType : quint8 {
    BeginRequest = 1,
    AbortRequest = 2,
    EndRequest = 3,
    Params = 4,
    Stdin = 5,
    Stdout = 6,
    Stderr = 7,
    Data = 8,
    GetValues = 9,
    GetValuesResult = 10,
    UnknownType = 11,
};

enum Role : quint16 {
    Responder = 1,
    Authorizer = 2,
    Filter = 3,
};

enum BeginRequestFlag : quint8 {
    KeepConn = 1,
};

enum ProtocolStatus : quint8 {
    RequestComplete = 0,
    CantMpxConn = 1,
    Overloaded = 2,
    UnknownRole = 3,
};

using NameValuePairs = QList<QPair<QByteArray, QByteArray>>;

} // namespace FastCgi

/// Pure FastCGI encoder and name-value pair codec: bytes in, bytes out, no I/O.
class FastCgiCodec final {
public:
    FastCgiCodec() = delete;

    /// The 8-byte record header, written at `out` (which must hold HeaderBytes).
    static void writeRecordHeader(char *out, quint8 type, quint16 requestId, quint16 contentLength,
                                  quint8 paddingLength = 0);
    static void appendRecordHeader(QByteArray &out, quint8 type, quint16 requestId,
                                   quint16 contentLength, quint8 paddingLength = 0);
    /// One record; `content` must not exceed MaxContentBytes.
    static void appendRecord(QByteArray &out, quint8 type, quint16 requestId,
                             QByteArrayView content, quint8 paddingLength = 0);
    /// A stream (PARAMS, STDIN, STDOUT, STDERR): records of at most MaxContentBytes each, then
    /// the empty record that ends the stream.
    static void appendStream(QByteArray &out, quint8 type, quint16 requestId, QByteArrayView data);
    /// How many bytes appendStream() appends for `dataBytes` of data.
    static qsizetype streamBytes(qsizetype dataBytes);
    /// The same stream without copying `data`: `headers` becomes the records' headers (the
    /// ending one included), and the views to write, in order, are appended to `parts`; they
    /// point into `headers` and `data`, which must stay unchanged while they are used.
    static void streamViews(QByteArray &headers, std::vector<QByteArrayView> &parts, quint8 type,
                            quint16 requestId, QByteArrayView data);

    static void appendBeginRequest(QByteArray &out, quint16 requestId, quint16 role, bool keepConn);
    static void appendEndRequest(QByteArray &out, quint16 requestId, quint32 appStatus,
                                 quint8 protocolStatus);
    /// PARAMS records carrying `params` as name-value pairs, then the empty PARAMS record.
    static void appendParams(QByteArray &out, quint16 requestId,
                             const FastCgi::NameValuePairs &params);
    /// The same, with `encodedPrefix` (pairs already encoded by encodeNameValuePairs(), e.g.
    /// a connection's fixed params) sent before `params`: the bytes equal appendParams() of
    /// the decoded prefix followed by `params`.
    static void appendParams(QByteArray &out, quint16 requestId, QByteArrayView encodedPrefix,
                             const FastCgi::NameValuePairs &params);

    /// A whole RESPONDER request: BEGIN_REQUEST, PARAMS, empty PARAMS, STDIN, empty STDIN.
    /// No padding is added: it is optional, FPM ignores alignment, and it would only cost
    /// bytes and a branch per record.
    static QByteArray encodeRequest(quint16 requestId, const FastCgi::NameValuePairs &params,
                                    QByteArrayView stdinData, bool keepConn);

    /// Encoded size of one pair: 1-byte lengths below 128, 4-byte lengths from 128.
    static qsizetype nameValuePairBytes(qsizetype nameBytes, qsizetype valueBytes);
    static void appendNameValuePair(QByteArray &out, QByteArrayView name, QByteArrayView value);
    static QByteArray encodeNameValuePairs(const FastCgi::NameValuePairs &pairs);
    /// Decodes a complete name-value stream (the concatenated PARAMS contents). Fails on a
    /// length pointing past the end or a pair (name + value) larger than `maxPairBytes`.
    static bool decodeNameValuePairs(QByteArrayView data, FastCgi::NameValuePairs *pairs,
                                     QString *error, qsizetype maxPairBytes = -1);
    /// The default bound for decodeNameValuePairs().
    static qsizetype defaultMaxNameValuePairBytes();
};
