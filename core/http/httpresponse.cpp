#include "http/httpresponse.h"

#include <QJsonDocument>

namespace {

bool sameName(QByteArrayView a, QByteArrayView b) {
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

bool isFramingHeader(QByteArrayView name) {
    return sameName(name, "Content-Length") || sameName(name, "Connection") ||
           sameName(name, "Date") || sameName(name, "Transfer-Encoding");
}

// Header injection guard: CR/LF never reach the wire from a header value.
QByteArray sanitized(QByteArray value) {
    for (char &c : value) {
        if (c == '\r' || c == '\n' || c == '\0')
            c = ' ';
    }
    return value;
}

bool hasNoBody(int status) {
    return (status >= 100 && status < 200) || status == 204 || status == 304;
}

} // namespace

HttpResponse::HttpResponse(int status)
    : m_status(status) {}

HttpResponse HttpResponse::text(int status, const QByteArray &body, const QByteArray &contentType) {
    HttpResponse r(status);
    r.setBody(body, contentType);
    return r;
}

HttpResponse HttpResponse::json(int status, const QJsonObject &object) {
    HttpResponse r(status);
    r.setBody(QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n', "application/json");
    return r;
}

HttpResponse HttpResponse::jsonError(int status, QByteArrayView code, const QString &message) {
    return json(status, QJsonObject{{"error", QString::fromLatin1(code)}, {"message", message}});
}

QByteArray HttpResponse::reason() const {
    return m_reason.isEmpty() ? reasonPhrase(m_status) : m_reason;
}

void HttpResponse::setHeader(const QByteArray &name, const QByteArray &value) {
    m_headers.removeIf([&](const Header &h) { return sameName(h.first, name); });
    m_headers.append({name, value});
}

void HttpResponse::addHeader(const QByteArray &name, const QByteArray &value) {
    m_headers.append({name, value});
}

QByteArray HttpResponse::header(QByteArrayView name) const {
    for (const Header &h : m_headers) {
        if (sameName(h.first, name))
            return h.second;
    }
    return {};
}

void HttpResponse::setBody(const QByteArray &body, const QByteArray &contentType) {
    m_body = body;
    setHeader("Content-Type", contentType);
}

QByteArray HttpResponse::toBytes(const Framing &framing) const {
    QByteArray out;
    const bool bodyless = hasNoBody(m_status);
    out.reserve(128 + m_headers.size() * 32 + (framing.includeBody ? m_body.size() : 0));
    out += "HTTP/1.1 " + QByteArray::number(m_status) + ' ' + sanitized(reason()) + "\r\n";
    for (const Header &h : m_headers) {
        if (isFramingHeader(h.first))
            continue;
        out += sanitized(h.first) + ": " + sanitized(h.second) + "\r\n";
    }
    if (framing.date.isValid())
        out += "Date: " + httpDate(framing.date) + "\r\n";
    if (!bodyless)
        out += "Content-Length: " + QByteArray::number(m_body.size()) + "\r\n";
    if (m_status >= 200) {
        if (!framing.keepAlive || m_close)
            out += "Connection: close\r\n";
        else if (framing.http10)
            out += "Connection: keep-alive\r\n";
    }
    out += "\r\n";
    if (framing.includeBody && !bodyless)
        out += m_body;
    return out;
}

QByteArray HttpResponse::httpDate(const QDateTime &time) {
    static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const QDateTime utc = time.toUTC();
    const QDate d = utc.date();
    const QTime t = utc.time();
    return QByteArray(days[d.dayOfWeek() - 1]) + ", " +
           QByteArray::number(d.day()).rightJustified(2, '0') + ' ' + months[d.month() - 1] + ' ' +
           QByteArray::number(d.year()) + ' ' + t.toString("HH:mm:ss").toLatin1() + " GMT";
}

QByteArray HttpResponse::reasonPhrase(int status) {
    switch (status) {
    case 100:
        return "Continue";
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 421:
        return "Misdirected Request";
    case 426:
        return "Upgrade Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Status";
    }
}
