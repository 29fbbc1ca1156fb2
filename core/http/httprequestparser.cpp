#include "http/httprequestparser.h"

#include <http_parser.h>

#include <cstring>
#include <utility>

namespace {

// "HTTP/1.1": http_parser accepts one digit each side only after validating, so the version
// part of a request line is always this long.
constexpr qsizetype kHttpVersionBytes = 8;
// ": " and CRLF counted per header line towards Limits::maxHeaderBytes.
constexpr qsizetype kHeaderLineOverheadBytes = 4;

bool equalsNoCase(QByteArrayView a, QByteArrayView b) {
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

} // namespace

struct HttpRequestParser::Engine {
    http_parser parser;
};

/// Trampolines from http_parser's C callbacks to the parser object.
struct HttpRequestParserCallbacks {
    static HttpRequestParser *self(http_parser *p) {
        return static_cast<HttpRequestParser *>(p->data);
    }
    static int url(http_parser *p, const char *at, size_t n) { return self(p)->onUrl(at, n); }
    static int field(http_parser *p, const char *at, size_t n) {
        return self(p)->onHeaderField(at, n);
    }
    static int value(http_parser *p, const char *at, size_t n) {
        return self(p)->onHeaderValue(at, n);
    }
    static int headersComplete(http_parser *p) { return self(p)->onHeadersComplete(); }
    static int body(http_parser *p, const char *at, size_t n) { return self(p)->onBody(at, n); }
    static int chunkHeader(http_parser *p) { return self(p)->onChunkHeader(); }
    static int messageComplete(http_parser *p) { return self(p)->onMessageComplete(); }

    static const http_parser_settings &settings() {
        static const http_parser_settings s = [] {
            http_parser_settings st;
            http_parser_settings_init(&st);
            st.on_url = &url;
            st.on_header_field = &field;
            st.on_header_value = &value;
            st.on_headers_complete = &headersComplete;
            st.on_body = &body;
            st.on_chunk_header = &chunkHeader;
            st.on_message_complete = &messageComplete;
            return st;
        }();
        return s;
    }
};

HttpRequestParser::HttpRequestParser()
    : HttpRequestParser(Limits{}) {}

HttpRequestParser::HttpRequestParser(const Limits &limits)
    : m_limits(limits)
    , m_engine(std::make_unique<Engine>()) {
    reset();
}

HttpRequestParser::~HttpRequestParser() = default;

HttpRequestParser::HttpRequestParser(const HttpRequestParser &other) {
    *this = other;
}

template <typename Source> void HttpRequestParser::assignState(Source &&other) {
    // `Source` is const HttpRequestParser & (copy) or HttpRequestParser (move): forwarding the
    // object moves its members out only in the second case.
    m_limits = other.m_limits;
    m_lineEndings = other.m_lineEndings;
    m_request = std::forward<Source>(other).m_request;
    m_status = other.m_status;
    m_error = other.m_error;
    m_errorDetail = std::forward<Source>(other).m_errorDetail;
    m_chunkEnd = nullptr; // only meaningful inside execute()
    m_headerBytes = other.m_headerBytes;
    m_headerCount = other.m_headerCount;
    m_last = other.m_last;
    m_valueClosed = other.m_valueClosed;
    m_headersDone = other.m_headersDone;
    m_pausedAtHead = other.m_pausedAtHead;
    m_pendingLf = other.m_pendingLf;
    m_messageDone = other.m_messageDone;
}

HttpRequestParser &HttpRequestParser::operator=(const HttpRequestParser &other) {
    if (this == &other)
        return *this;
    m_engine = std::make_unique<Engine>(*other.m_engine);
    m_engine->parser.data = this;
    assignState(other);
    return *this;
}

HttpRequestParser::HttpRequestParser(HttpRequestParser &&other) noexcept {
    *this = std::move(other);
}

HttpRequestParser &HttpRequestParser::operator=(HttpRequestParser &&other) noexcept {
    if (this == &other)
        return *this;
    m_engine = std::move(other.m_engine);
    if (m_engine)
        m_engine->parser.data = this;
    assignState(std::move(other));
    // A moved-from parser stays usable: it gets a fresh engine.
    other.m_engine = std::make_unique<Engine>();
    other.reset();
    return *this;
}

void HttpRequestParser::reset() {
    http_parser_init(&m_engine->parser, HTTP_REQUEST);
    m_engine->parser.data = this;
    m_request = HttpRequest{};
    m_lineEndings = LineEndings{};
    m_status = Status::Incomplete;
    m_error = Error::None;
    m_errorDetail.clear();
    m_chunkEnd = nullptr;
    m_headerBytes = 0;
    m_headerCount = 0;
    m_last = Last::None;
    m_valueClosed = false;
    m_headersDone = false;
    m_pausedAtHead = false;
    m_pendingLf = false;
    m_messageDone = false;
}

HttpRequest HttpRequestParser::takeRequest() {
    HttpRequest r = std::move(m_request);
    m_request = HttpRequest{};
    return r;
}

bool HttpRequestParser::LineEndings::feed(QByteArrayView data) {
    for (qsizetype i = 0; i < data.size() && !headDone; ++i) {
        const char c = data[i];
        if (c == '\n') {
            if (previous != '\r')
                return false;
            if (lineBytes == 1 && sawLine)
                headDone = true; // the empty line: what follows is the body
            sawLine = sawLine || lineBytes > 1;
            lineBytes = 0;
        } else {
            ++lineBytes;
        }
        previous = c;
    }
    return true;
}

HttpRequestParser::Result HttpRequestParser::feed(QByteArrayView data) {
    if (m_status == Status::Complete || m_status == Status::Error)
        return {m_status, 0};
    http_parser *p = &m_engine->parser;
    const http_parser_settings &settings = HttpRequestParserCallbacks::settings();

    if (m_pendingLf) {
        // Paused inside on_headers_complete, http_parser stopped on the head's final LF and
        // wants it again; the caller was told it was consumed, so it is fed from here.
        static const char lf = '\n';
        m_pendingLf = false;
        http_parser_pause(p, 0);
        m_chunkEnd = &lf + 1;
        const size_t n = http_parser_execute(p, &settings, &lf, 1);
        const Result r = finish(qsizetype(n), 0);
        if (r.status != Status::Incomplete)
            return r;
    }
    if (data.isEmpty())
        return {Status::Incomplete, 0}; // http_parser takes an empty buffer as EOF
    if (!m_headersDone && !m_lineEndings.feed(data)) {
        m_error = Error::BadRequest;
        m_errorDetail = "bare LF line ending in the request head (CRLF required)";
        m_status = Status::Error;
        return {m_status, 0};
    }
    http_parser_pause(p, 0);
    m_chunkEnd = data.data() + data.size();
    const size_t n = http_parser_execute(p, &settings, data.data(), size_t(data.size()));
    return finish(qsizetype(n), qsizetype(n));
}

HttpRequestParser::Result HttpRequestParser::finish(qsizetype executed, qsizetype reported) {
    Q_UNUSED(executed);
    http_parser *p = &m_engine->parser;
    m_chunkEnd = nullptr;
    if (m_error != Error::None) {
        m_status = Status::Error;
        return {m_status, reported};
    }
    const auto err = HTTP_PARSER_ERRNO(p);
    if (err == HPE_PAUSED) {
        if (m_messageDone) {
            m_status = Status::Complete;
            return {m_status, reported};
        }
        if (m_pausedAtHead) {
            m_pausedAtHead = false;
            m_pendingLf = true;
            m_status = Status::HeadersComplete;
            // The final LF was not consumed by http_parser but is by us (see feed()).
            return {m_status, reported + 1};
        }
    }
    if (err != HPE_OK) {
        switch (err) {
        case HPE_HEADER_OVERFLOW:
            m_error = Error::HeadersTooLarge;
            break;
        case HPE_INVALID_TRANSFER_ENCODING:
            m_error = Error::UnsupportedTransferEncoding;
            break;
        default:
            m_error = Error::BadRequest;
            break;
        }
        m_errorDetail = http_errno_description(err);
        m_status = Status::Error;
        return {m_status, reported};
    }
    m_status = m_headersDone ? Status::HeadersComplete : Status::Incomplete;
    // Between HeadersComplete and Complete the state reads "HeadersComplete" but feed() reports
    // Incomplete: the caller acts on the transition only once.
    return {Status::Incomplete, reported};
}

int HttpRequestParser::fail(Error error, QByteArray detail) {
    if (m_error == Error::None) {
        m_error = error;
        m_errorDetail = std::move(detail);
    }
    return 1;
}

int HttpRequestParser::onUrl(const char *at, size_t length) {
    const http_parser *p = &m_engine->parser;
    const qsizetype methodBytes =
        qsizetype(std::strlen(http_method_str(static_cast<http_method>(p->method))));
    const qsizetype lineBytes =
        methodBytes + 2 + kHttpVersionBytes + m_request.target.size() + qsizetype(length);
    if (lineBytes > m_limits.maxRequestLineBytes)
        return fail(Error::RequestLineTooLong, "request line too long");
    m_request.target.append(at, qsizetype(length));
    return 0;
}

int HttpRequestParser::onHeaderField(const char *at, size_t length) {
    if (m_last != Last::Field) {
        if (m_headerCount + 1 > m_limits.maxHeaderCount)
            return fail(Error::TooManyHeaders, "too many header lines");
        ++m_headerCount;
        m_headerBytes += kHeaderLineOverheadBytes;
        if (!m_headersDone)
            m_request.headers.append(HttpRequest::Header{});
    }
    m_last = Last::Field;
    m_headerBytes += qsizetype(length);
    if (m_headerBytes > m_limits.maxHeaderBytes)
        return fail(Error::HeadersTooLarge, "header section too large");
    if (!m_headersDone) // trailers are counted, then dropped
        m_request.headers.last().first.append(at, qsizetype(length));
    return 0;
}

int HttpRequestParser::onHeaderValue(const char *at, size_t length) {
    if (m_last == Last::Value && m_valueClosed && length > 0)
        return fail(Error::BadRequest, "obsolete header line folding");
    if (m_last == Last::None)
        return fail(Error::BadRequest, "header value without a name");
    m_last = Last::Value;
    m_valueClosed = at + length != m_chunkEnd;
    m_headerBytes += qsizetype(length);
    if (m_headerBytes > m_limits.maxHeaderBytes)
        return fail(Error::HeadersTooLarge, "header section too large");
    if (!m_headersDone)
        m_request.headers.last().second.append(at, qsizetype(length));
    return 0;
}

bool HttpRequestParser::splitTarget() {
    const QByteArray &t = m_request.target;
    QByteArray pathAndQuery;
    if (t.startsWith('/')) {
        pathAndQuery = t;
    } else if (t == "*") {
        m_request.path = t;
        return m_request.method == "OPTIONS";
    } else {
        // absolute-form ("http://host/path?q"): servers must accept it (RFC 9112 3.2.2)
        http_parser_url u;
        http_parser_url_init(&u);
        if (http_parser_parse_url(t.constData(), size_t(t.size()), 0, &u) != 0)
            return false;
        if (!(u.field_set & (1 << UF_SCHEMA)) || !(u.field_set & (1 << UF_HOST)))
            return false;
        const auto scheme =
            QByteArrayView(t).sliced(u.field_data[UF_SCHEMA].off, u.field_data[UF_SCHEMA].len);
        if (!equalsNoCase(scheme, "http") && !equalsNoCase(scheme, "https"))
            return false;
        if (u.field_set & (1 << UF_PATH))
            pathAndQuery = t.mid(u.field_data[UF_PATH].off);
        else
            pathAndQuery =
                "/" + (u.field_set & (1 << UF_QUERY) ? t.mid(u.field_data[UF_QUERY].off - 1)
                                                     : QByteArray());
    }
    const qsizetype hash = pathAndQuery.indexOf('#');
    if (hash >= 0)
        return false; // a fragment is never sent in a request-target
    const qsizetype q = pathAndQuery.indexOf('?');
    m_request.path = q < 0 ? pathAndQuery : pathAndQuery.left(q);
    m_request.query = q < 0 ? QByteArray() : pathAndQuery.mid(q + 1);
    return !m_request.path.isEmpty();
}

int HttpRequestParser::onHeadersComplete() {
    const http_parser *p = &m_engine->parser;
    m_headersDone = true;
    m_last = Last::None;
    HttpRequest &r = m_request;
    // Any other non-zero return means "no body" or "upgrade" to http_parser, not an error.
    const auto failHead = [this](Error e, const char *detail) {
        fail(e, detail);
        return -1;
    };
    r.method = http_method_str(static_cast<http_method>(p->method));
    r.versionMajor = p->http_major;
    r.versionMinor = p->http_minor;
    r.keepAlive = http_should_keep_alive(p) != 0;
    r.upgrade = p->upgrade != 0;
    r.chunked = (p->flags & F_CHUNKED) != 0;
    if (p->flags & F_CONTENTLENGTH)
        r.contentLength = p->content_length;
    for (HttpRequest::Header &h : r.headers)
        h.second = h.second.trimmed();

    if (r.versionMajor != 1 || r.versionMinor > 1)
        return failHead(Error::UnsupportedVersion, "only HTTP/1.0 and HTTP/1.1 are supported");
    if (!splitTarget())
        return failHead(Error::BadRequest, "malformed request target");
    const QList<QByteArray> hosts = r.headerValues("Host");
    if (hosts.size() > 1 || (r.versionMinor == 1 && hosts.isEmpty()))
        return failHead(Error::BadRequest, "HTTP/1.1 needs exactly one Host header");
    const QList<QByteArray> encodings = r.headerValues("Transfer-Encoding");
    if (!encodings.isEmpty()) {
        // Only plain "chunked": gzip/deflate bodies are not decoded here.
        if (encodings.size() != 1 || !equalsNoCase(encodings.first(), "chunked"))
            return failHead(Error::UnsupportedTransferEncoding, "only chunked transfer coding");
    }
    const QList<QByteArray> expects = r.headerValues("Expect");
    if (!expects.isEmpty()) {
        if (expects.size() != 1 || !equalsNoCase(expects.first(), "100-continue"))
            return failHead(Error::ExpectationFailed, "only Expect: 100-continue is supported");
        r.expectsContinue = true;
    }
    if (r.contentLength && *r.contentLength > quint64(m_limits.maxBodyBytes))
        return failHead(Error::BodyTooLarge, "declared body too large");

    // Stop here so the caller sees the head before the body (100-continue, upgrade handoff).
    m_pausedAtHead = true;
    http_parser_pause(&m_engine->parser, 1);
    return 0;
}

int HttpRequestParser::onBody(const char *at, size_t length) {
    if (quint64(m_request.body.size()) + length > quint64(m_limits.maxBodyBytes))
        return fail(Error::BodyTooLarge, "body too large");
    m_request.body.append(at, qsizetype(length));
    return 0;
}

int HttpRequestParser::onChunkHeader() {
    // Refuse an oversized chunk from its size line, before any of it is buffered.
    const quint64 chunk = m_engine->parser.content_length;
    if (quint64(m_request.body.size()) + chunk > quint64(m_limits.maxBodyBytes))
        return fail(Error::BodyTooLarge, "chunked body too large");
    return 0;
}

int HttpRequestParser::onMessageComplete() {
    m_messageDone = true;
    http_parser_pause(&m_engine->parser, 1);
    return 0;
}

int HttpRequestParser::statusCodeFor(Error error) {
    switch (error) {
    case Error::None:
        return 0;
    case Error::BadRequest:
        return 400;
    case Error::RequestLineTooLong:
        return 414;
    case Error::HeadersTooLarge:
    case Error::TooManyHeaders:
        return 431;
    case Error::BodyTooLarge:
        return 413;
    case Error::UnsupportedTransferEncoding:
        return 501;
    case Error::UnsupportedVersion:
        return 505;
    case Error::ExpectationFailed:
        return 417;
    }
    return 400;
}

const char *HttpRequestParser::errorName(Error error) {
    switch (error) {
    case Error::None:
        return "none";
    case Error::BadRequest:
        return "bad_request";
    case Error::RequestLineTooLong:
        return "request_line_too_long";
    case Error::HeadersTooLarge:
        return "headers_too_large";
    case Error::TooManyHeaders:
        return "too_many_headers";
    case Error::BodyTooLarge:
        return "payload_too_large";
    case Error::UnsupportedTransferEncoding:
        return "unsupported_transfer_encoding";
    case Error::UnsupportedVersion:
        return "http_version_not_supported";
    case Error::ExpectationFailed:
        return "expectation_failed";
    }
    return "bad_request";
}
