#include "fastcgirecordparser.h"

#include "fastcgicodec.h"

#include <algorithm>
#include <cstring>

bool FastCgiRecordParser::readHeader(const uchar *header) {
    if (header[0] != FastCgi::Version1)
        return false;
    m_type = header[1];
    m_requestId = quint16((header[2] << 8) | header[3]);
    m_contentLength = (header[4] << 8) | header[5];
    m_paddingLeft = header[6];
    m_contentFill = 0;
    return true;
}

FastCgiRecordParser::Result FastCgiRecordParser::fail(const QString &message, qsizetype consumed) {
    m_error = message;
    return {Status::Error, consumed};
}

FastCgiRecordParser::Result FastCgiRecordParser::parse(QByteArrayView data) {
    if (!m_error.isEmpty())
        return {Status::Error, 0};
    m_contentView = {};
    const char *p = data.data();
    const qsizetype size = data.size();
    qsizetype used = 0;

    if (m_headerFill < FastCgi::HeaderBytes) {
        const uchar *header = nullptr;
        if (m_headerFill == 0 && size >= FastCgi::HeaderBytes) {
            header = reinterpret_cast<const uchar *>(p); // common case: no copy
        } else {
            const qsizetype take = std::min(FastCgi::HeaderBytes - m_headerFill, size);
            if (take > 0) // an empty view may have no data pointer, and memcpy needs one
                std::memcpy(m_header + m_headerFill, p, size_t(take));
            m_headerFill += take;
            used = take;
            if (m_headerFill < FastCgi::HeaderBytes)
                return {Status::Incomplete, used};
            header = reinterpret_cast<const uchar *>(m_header);
        }
        if (!readHeader(header))
            return fail(QStringLiteral("unsupported FastCGI version %1").arg(header[0]), used);
        if (header != reinterpret_cast<const uchar *>(m_header))
            used = FastCgi::HeaderBytes;
        m_headerFill = FastCgi::HeaderBytes;
    }

    const qsizetype left = size - used;
    // Fast path: the whole rest of the record is here, so the content is a view into `data`.
    if (m_contentFill == 0 && left >= m_contentLength + m_paddingLeft) {
        m_contentView = QByteArrayView(p + used, m_contentLength);
        used += m_contentLength + m_paddingLeft;
        m_headerFill = 0;
        m_paddingLeft = 0;
        return {Status::Ok, used};
    }

    if (m_contentFill < m_contentLength) {
        if (m_contentFill == 0) {
            m_content.resize(0); // keeps its capacity between records
            m_content.reserve(m_contentLength);
        }
        const qsizetype take = std::min(m_contentLength - m_contentFill, size - used);
        m_content.append(p + used, take);
        m_contentFill += take;
        used += take;
        if (m_contentFill < m_contentLength)
            return {Status::Incomplete, used};
    }
    const qsizetype skip = std::min(m_paddingLeft, size - used);
    m_paddingLeft -= skip;
    used += skip;
    if (m_paddingLeft > 0)
        return {Status::Incomplete, used};
    m_contentView = QByteArrayView(m_content.constData(), m_contentLength);
    m_headerFill = 0;
    return {Status::Ok, used};
}

void FastCgiRecordParser::reset() {
    m_headerFill = 0;
    m_type = 0;
    m_requestId = 0;
    m_contentLength = 0;
    m_contentFill = 0;
    m_paddingLeft = 0;
    m_contentView = {};
    m_error.clear();
}
