#include "cgiresponseparser.h"

#include <algorithm>

namespace {

// PHP's own header lines are short; a block this big is a runaway script, not a response.
constexpr qsizetype kMaxHeaderBlockBytes = 64 * 1024;
constexpr int kMinStatus = 100;
constexpr int kMaxStatus = 999;
constexpr int kStatusWhenLocation = 302;

bool isTokenChar(char c) {
    // RFC 9110 tchar
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return false;
    }
}

bool isWhitespace(char c) {
    return c == ' ' || c == '\t';
}

QByteArrayView trimmed(QByteArrayView v) {
    while (!v.isEmpty() && isWhitespace(v.front()))
        v = v.sliced(1);
    while (!v.isEmpty() && isWhitespace(v.back()))
        v.chop(1);
    return v;
}

} // namespace

CgiResponseParser::CgiResponseParser(qint64 maxBodyBytes)
    : m_maxBodyBytes(maxBodyBytes) {}

qsizetype CgiResponseParser::maxHeaderBytes() {
    return kMaxHeaderBlockBytes;
}

CgiResponseParser::Status CgiResponseParser::fail(const QString &message) {
    m_error = message;
    return Status::Error;
}

CgiResponseParser::Status CgiResponseParser::feed(QByteArrayView chunk) {
    if (!m_error.isEmpty())
        return Status::Error;
    if (m_headersComplete) {
        appendBody(chunk);
        return Status::Ok;
    }
    while (!chunk.isEmpty()) {
        const qsizetype newline = chunk.indexOf('\n');
        const qsizetype lineBytes = newline < 0 ? chunk.size() : newline + 1;
        if (m_headerBytes + lineBytes > kMaxHeaderBlockBytes)
            return fail(QStringLiteral("CGI header block over %1 bytes").arg(kMaxHeaderBlockBytes));
        m_headerBytes += lineBytes;
        if (newline < 0) {
            m_partialLine.append(chunk.data(), chunk.size());
            return Status::Incomplete;
        }
        QByteArrayView line = chunk.first(newline);
        if (!m_partialLine.isEmpty()) {
            m_partialLine.append(line.data(), line.size());
            line = m_partialLine;
        }
        if (line.endsWith('\r'))
            line.chop(1);
        chunk = chunk.sliced(newline + 1);
        if (line.isEmpty()) {
            m_partialLine.clear();
            finishHeaders();
            appendBody(chunk);
            return Status::Ok;
        }
        if (!parseLine(line))
            return Status::Error;
        m_partialLine.resize(0);
    }
    return Status::Incomplete;
}

bool CgiResponseParser::parseLine(QByteArrayView line) {
    if (isWhitespace(line.front())) {
        fail(QStringLiteral("CGI header continuation lines are not supported"));
        return false;
    }
    const qsizetype colon = line.indexOf(':');
    if (colon <= 0) {
        fail(QStringLiteral("malformed CGI header line: %1")
                 .arg(QString::fromLatin1(line.first(std::min<qsizetype>(line.size(), 80)))));
        return false;
    }
    const QByteArrayView name = line.first(colon);
    if (!std::all_of(name.begin(), name.end(), isTokenChar)) {
        fail(QStringLiteral("malformed CGI header name: %1").arg(QString::fromLatin1(name)));
        return false;
    }
    const QByteArrayView value = trimmed(line.sliced(colon + 1));
    for (const char c : value) {
        if ((uchar(c) < 0x20 && c != '\t') || c == 0x7f) {
            fail(QStringLiteral("control character in CGI header %1")
                     .arg(QString::fromLatin1(name)));
            return false;
        }
    }
    if (name.compare("Status", Qt::CaseInsensitive) == 0) {
        if (m_sawStatus) {
            fail(QStringLiteral("repeated CGI Status header"));
            return false;
        }
        m_sawStatus = true;
        bool ok = value.size() >= 3 && (value.size() == 3 || value[3] == ' ');
        const int code = ok ? value.first(3).toInt(&ok) : 0;
        if (!ok || code < kMinStatus || code > kMaxStatus) {
            fail(QStringLiteral("malformed CGI Status: %1").arg(QString::fromLatin1(value)));
            return false;
        }
        m_status = code;
        m_reason = trimmed(value.sliced(3)).toByteArray();
        return true;
    }
    if (name.compare("Content-Type", Qt::CaseInsensitive) == 0 && m_contentType.isNull())
        m_contentType = value.toByteArray();
    else if (name.compare("Location", Qt::CaseInsensitive) == 0)
        m_sawLocation = true;
    m_headers.append({name.toByteArray(), value.toByteArray()});
    return true;
}

void CgiResponseParser::finishHeaders() {
    m_headersComplete = true;
    if (!m_sawStatus && m_sawLocation)
        m_status = kStatusWhenLocation;
}

void CgiResponseParser::appendBody(QByteArrayView bytes) {
    if (bytes.isEmpty())
        return;
    const qint64 room = m_maxBodyBytes - m_body.size();
    if (bytes.size() > room) {
        m_bodyTruncated = true;
        bytes = bytes.first(qsizetype(std::max<qint64>(room, 0)));
    }
    m_body.append(bytes.data(), bytes.size());
}

CgiResponseParser::Status CgiResponseParser::finish() {
    if (!m_error.isEmpty())
        return Status::Error;
    if (!m_headersComplete)
        return fail(m_headerBytes == 0
                        ? QStringLiteral("empty CGI response")
                        : QStringLiteral("CGI response ended inside the header block"));
    return Status::Ok;
}

void CgiResponseParser::reset() {
    m_headerBytes = 0;
    m_partialLine.resize(0);
    m_headersComplete = false;
    m_sawStatus = false;
    m_sawLocation = false;
    m_status = 200;
    m_reason.clear();
    m_contentType.clear();
    m_headers.clear();
    m_body.clear();
    m_bodyTruncated = false;
    m_error.clear();
}
