#include "fastcgicodec.h"

#include <algorithm>
#include <cstring>

namespace {

// A pair bigger than this is refused when decoding: PHP-FPM itself caps params far below.
constexpr qsizetype kMaxNameValuePairBytes = 1024 * 1024;
// Lengths from this value on need the 4-byte form.
constexpr qsizetype kShortLengthLimit = 128;
// The 4-byte form has 31 bits for the length.
constexpr qsizetype kMaxEncodableLength = 0x7fffffff;

qsizetype lengthBytes(qsizetype length) {
    return length < kShortLengthLimit ? 1 : 4;
}

// Appends a byte stream as records of one type, opening a new record whenever the current
// one is full, so name-value pairs are written straight into `out` with no scratch buffer.
class RecordStreamWriter final {
public:
    RecordStreamWriter(QByteArray &out, quint8 type, quint16 requestId)
        : m_out(out)
        , m_type(type)
        , m_requestId(requestId) {}

    void write(const char *data, qsizetype size) {
        while (size > 0) {
            if (m_headerPos < 0 || m_fill == FastCgi::MaxContentBytes)
                openRecord();
            const qsizetype take = std::min<qsizetype>(size, FastCgi::MaxContentBytes - m_fill);
            m_out.append(data, take);
            m_fill += take;
            data += take;
            size -= take;
        }
    }

    // Closes the last record and appends the empty one that ends the stream.
    void finish() {
        closeRecord();
        FastCgiCodec::appendRecordHeader(m_out, m_type, m_requestId, 0);
    }

private:
    void openRecord() {
        closeRecord();
        m_headerPos = m_out.size();
        m_out.append(FastCgi::HeaderBytes, '\0');
        m_fill = 0;
    }

    void closeRecord() {
        if (m_headerPos < 0)
            return;
        FastCgiCodec::writeRecordHeader(m_out.data() + m_headerPos, m_type, m_requestId,
                                        quint16(m_fill));
        m_headerPos = -1;
    }

    QByteArray &m_out;
    quint8 m_type;
    quint16 m_requestId;
    qsizetype m_headerPos = -1;
    qsizetype m_fill = 0;
};

template <typename Sink> void writeLength(Sink &&sink, qsizetype length) {
    if (length < kShortLengthLimit) {
        const char b = char(length);
        sink(&b, 1);
        return;
    }
    const quint32 v = quint32(length) | 0x80000000u;
    const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
    sink(b, 4);
}

template <typename Sink> void writePair(Sink &&sink, QByteArrayView name, QByteArrayView value) {
    Q_ASSERT(name.size() <= kMaxEncodableLength && value.size() <= kMaxEncodableLength);
    writeLength(sink, name.size());
    writeLength(sink, value.size());
    sink(name.data(), name.size());
    sink(value.data(), value.size());
}

// Reads one length; returns false when the bytes run out.
bool readLength(const uchar *&p, const uchar *end, qsizetype *length) {
    if (p >= end)
        return false;
    if ((*p & 0x80) == 0) {
        *length = *p++;
        return true;
    }
    if (end - p < 4)
        return false;
    *length = qsizetype((quint32(p[0] & 0x7f) << 24) | (quint32(p[1]) << 16) |
                        (quint32(p[2]) << 8) | quint32(p[3]));
    p += 4;
    return true;
}

} // namespace

void FastCgiCodec::writeRecordHeader(char *out, quint8 type, quint16 requestId,
                                     quint16 contentLength, quint8 paddingLength) {
    out[0] = char(FastCgi::Version1);
    out[1] = char(type);
    out[2] = char(requestId >> 8);
    out[3] = char(requestId & 0xff);
    out[4] = char(contentLength >> 8);
    out[5] = char(contentLength & 0xff);
    out[6] = char(paddingLength);
    out[7] = 0;
}

void FastCgiCodec::appendRecordHeader(QByteArray &out, quint8 type, quint16 requestId,
                                      quint16 contentLength, quint8 paddingLength) {
    char header[FastCgi::HeaderBytes];
    writeRecordHeader(header, type, requestId, contentLength, paddingLength);
    out.append(header, FastCgi::HeaderBytes);
}

void FastCgiCodec::appendRecord(QByteArray &out, quint8 type, quint16 requestId,
                                QByteArrayView content, quint8 paddingLength) {
    Q_ASSERT(content.size() <= FastCgi::MaxContentBytes);
    appendRecordHeader(out, type, requestId, quint16(content.size()), paddingLength);
    out.append(content.data(), content.size());
    if (paddingLength > 0)
        out.append(paddingLength, '\0');
}

qsizetype FastCgiCodec::streamBytes(qsizetype dataBytes) {
    const qsizetype records = (dataBytes + FastCgi::MaxContentBytes - 1) / FastCgi::MaxContentBytes;
    return dataBytes + (records + 1) * FastCgi::HeaderBytes;
}

void FastCgiCodec::appendStream(QByteArray &out, quint8 type, quint16 requestId,
                                QByteArrayView data) {
    out.reserve(out.size() + streamBytes(data.size()));
    RecordStreamWriter writer(out, type, requestId);
    writer.write(data.data(), data.size());
    writer.finish();
}

void FastCgiCodec::streamViews(QByteArray &headers, std::vector<QByteArrayView> &parts, quint8 type,
                               quint16 requestId, QByteArrayView data) {
    const qsizetype records =
        (data.size() + FastCgi::MaxContentBytes - 1) / FastCgi::MaxContentBytes;
    headers.resize((records + 1) * FastCgi::HeaderBytes); // before any view points into it
    parts.reserve(parts.size() + size_t(records) * 2 + 1);
    for (qsizetype r = 0; r <= records; ++r) {
        const qsizetype at = r * FastCgi::MaxContentBytes;
        const qsizetype n = std::min<qsizetype>(data.size() - at, FastCgi::MaxContentBytes);
        char *header = headers.data() + r * FastCgi::HeaderBytes;
        writeRecordHeader(header, type, requestId, quint16(r < records ? n : 0));
        parts.emplace_back(header, FastCgi::HeaderBytes);
        if (r < records)
            parts.push_back(data.sliced(at, n));
    }
}

void FastCgiCodec::appendBeginRequest(QByteArray &out, quint16 requestId, quint16 role,
                                      bool keepConn) {
    const char body[8] = {
        char(role >> 8), char(role & 0xff), char(keepConn ? FastCgi::KeepConn : 0), 0, 0, 0, 0, 0};
    appendRecord(out, FastCgi::BeginRequest, requestId, QByteArrayView(body, sizeof body));
}

void FastCgiCodec::appendEndRequest(QByteArray &out, quint16 requestId, quint32 appStatus,
                                    quint8 protocolStatus) {
    const char body[8] = {char(appStatus >> 24),
                          char(appStatus >> 16),
                          char(appStatus >> 8),
                          char(appStatus),
                          char(protocolStatus),
                          0,
                          0,
                          0};
    appendRecord(out, FastCgi::EndRequest, requestId, QByteArrayView(body, sizeof body));
}

void FastCgiCodec::appendParams(QByteArray &out, quint16 requestId,
                                const FastCgi::NameValuePairs &params) {
    appendParams(out, requestId, QByteArrayView(), params);
}

void FastCgiCodec::appendParams(QByteArray &out, quint16 requestId, QByteArrayView encodedPrefix,
                                const FastCgi::NameValuePairs &params) {
    qsizetype total = encodedPrefix.size();
    for (const auto &p : params)
        total += nameValuePairBytes(p.first.size(), p.second.size());
    if (total <= FastCgi::MaxContentBytes) {
        // The usual case: one record. Sized once, then filled through a cursor, no appends.
        const qsizetype start = out.size();
        out.resize(start + total + (total > 0 ? 2 : 1) * FastCgi::HeaderBytes);
        char *cursor = out.data() + start;
        if (total > 0) {
            writeRecordHeader(cursor, FastCgi::Params, requestId, quint16(total));
            cursor += FastCgi::HeaderBytes;
        }
        const auto sink = [&cursor](const char *data, qsizetype size) {
            if (size > 0)
                memcpy(cursor, data, size_t(size));
            cursor += size;
        };
        sink(encodedPrefix.data(), encodedPrefix.size());
        for (const auto &p : params)
            writePair(sink, p.first, p.second);
        writeRecordHeader(cursor, FastCgi::Params, requestId, 0);
        Q_ASSERT(cursor + FastCgi::HeaderBytes == out.constData() + out.size());
        return;
    }
    out.reserve(out.size() + streamBytes(total));
    RecordStreamWriter writer(out, FastCgi::Params, requestId);
    writer.write(encodedPrefix.data(), encodedPrefix.size());
    const auto sink = [&writer](const char *data, qsizetype size) { writer.write(data, size); };
    for (const auto &p : params)
        writePair(sink, p.first, p.second);
    writer.finish();
}

QByteArray FastCgiCodec::encodeRequest(quint16 requestId, const FastCgi::NameValuePairs &params,
                                       QByteArrayView stdinData, bool keepConn) {
    QByteArray out;
    out.reserve(2 * FastCgi::HeaderBytes + streamBytes(stdinData.size()));
    appendBeginRequest(out, requestId, FastCgi::Responder, keepConn);
    appendParams(out, requestId, params);
    appendStream(out, FastCgi::Stdin, requestId, stdinData);
    return out;
}

qsizetype FastCgiCodec::nameValuePairBytes(qsizetype nameBytes, qsizetype valueBytes) {
    return lengthBytes(nameBytes) + lengthBytes(valueBytes) + nameBytes + valueBytes;
}

void FastCgiCodec::appendNameValuePair(QByteArray &out, QByteArrayView name, QByteArrayView value) {
    out.reserve(out.size() + nameValuePairBytes(name.size(), value.size()));
    writePair([&out](const char *data, qsizetype size) { out.append(data, size); }, name, value);
}

QByteArray FastCgiCodec::encodeNameValuePairs(const FastCgi::NameValuePairs &pairs) {
    qsizetype total = 0;
    for (const auto &p : pairs)
        total += nameValuePairBytes(p.first.size(), p.second.size());
    QByteArray out;
    out.reserve(total);
    for (const auto &p : pairs)
        appendNameValuePair(out, p.first, p.second);
    return out;
}

bool FastCgiCodec::decodeNameValuePairs(QByteArrayView data, FastCgi::NameValuePairs *pairs,
                                        QString *error, qsizetype maxPairBytes) {
    if (maxPairBytes < 0)
        maxPairBytes = kMaxNameValuePairBytes;
    const auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    const uchar *p = reinterpret_cast<const uchar *>(data.data());
    const uchar *end = p + data.size();
    while (p < end) {
        const qsizetype offset = qsizetype(p - reinterpret_cast<const uchar *>(data.data()));
        qsizetype nameLength = 0;
        qsizetype valueLength = 0;
        if (!readLength(p, end, &nameLength) || !readLength(p, end, &valueLength))
            return fail(
                QStringLiteral("name-value pair at offset %1: truncated length").arg(offset));
        // Checked before anything is copied, so a forged length cannot make us allocate.
        if (nameLength + valueLength > maxPairBytes)
            return fail(QStringLiteral("name-value pair at offset %1: %2 bytes, over the limit "
                                       "of %3")
                            .arg(offset)
                            .arg(nameLength + valueLength)
                            .arg(maxPairBytes));
        if (end - p < nameLength + valueLength)
            return fail(QStringLiteral("name-value pair at offset %1: lengths point past the end")
                            .arg(offset));
        if (pairs) {
            pairs->append(
                {QByteArray(reinterpret_cast<const char *>(p), nameLength),
                 QByteArray(reinterpret_cast<const char *>(p) + nameLength, valueLength)});
        }
        p += nameLength + valueLength;
    }
    return true;
}

qsizetype FastCgiCodec::defaultMaxNameValuePairBytes() {
    return kMaxNameValuePairBytes;
}
