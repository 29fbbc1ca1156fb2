#pragma once

#include "http/httprequest.h"

#include <QByteArray>
#include <QByteArrayView>

#include <memory>
#include <optional>

/// Resumable, bounded HTTP/1.x request parser over http_parser: bytes in, request out.
class HttpRequestParser final {
public:
    enum class Status { Incomplete, HeadersComplete, Complete, Error };
    enum class Error {
        None,
        BadRequest,                  // 400: malformed syntax, missing Host, obs-fold, …
        RequestLineTooLong,          // 414
        HeadersTooLarge,             // 431: total header bytes
        TooManyHeaders,              // 431
        BodyTooLarge,                // 413
        UnsupportedTransferEncoding, // 501: anything but exactly "chunked"
        UnsupportedVersion,          // 505: not HTTP/1.0 or 1.1
        ExpectationFailed,           // 417: Expect other than 100-continue
    };
    struct Result {
        Status status = Status::Incomplete;
        qsizetype consumed = 0; // bytes of the input that belong to this request
    };

    static constexpr qsizetype DefaultMaxRequestLineBytes = 8 * 1024;
    static constexpr qsizetype DefaultMaxHeaderBytes = 64 * 1024;
    static constexpr int DefaultMaxHeaderCount = 100;
    static constexpr qsizetype DefaultMaxBodyBytes = 16 * 1024 * 1024 + 64 * 1024;

    /// Inclusive limits: a request exactly at a limit passes. http_parser itself stops a head at
    /// 80 KiB, so request line + header limits beyond that end as HeadersTooLarge there.
    struct Limits {
        /// method + ' ' + request-target + ' ' + "HTTP/x.y", without CRLF
        qsizetype maxRequestLineBytes = DefaultMaxRequestLineBytes;
        /// sum over headers (and trailers) of name + value + 4 (": " and CRLF)
        qsizetype maxHeaderBytes = DefaultMaxHeaderBytes;
        int maxHeaderCount = DefaultMaxHeaderCount;
        qsizetype maxBodyBytes = DefaultMaxBodyBytes;
    };

    HttpRequestParser();
    explicit HttpRequestParser(const Limits &limits);
    ~HttpRequestParser();
    HttpRequestParser(const HttpRequestParser &other);
    HttpRequestParser &operator=(const HttpRequestParser &other);
    HttpRequestParser(HttpRequestParser &&other) noexcept;
    HttpRequestParser &operator=(HttpRequestParser &&other) noexcept;

    /// Feeds the next bytes, in any chunking. Stops after the head (HeadersComplete: the head's
    /// bytes are consumed, call again with the rest, even empty) and after the message
    /// (Complete: bytes past `consumed` belong to the next request; call reset() first).
    /// After Complete or Error it returns the same status and consumes nothing.
    /// To inspect a WebSocket handshake without consuming the socket, feed peeked bytes and stop
    /// at HeadersComplete: isUpgrade(), request().method/path/headers are set by then.
    Result feed(QByteArrayView data);
    /// Forgets the current request and starts over (keep-alive: the next request).
    void reset();

    Status status() const { return m_status; }
    Error error() const { return m_error; }
    /// Human-readable detail for the error (stable enough to log, not to parse).
    QByteArray errorDetail() const { return m_errorDetail; }
    const Limits &limits() const { return m_limits; }

    /// Valid from HeadersComplete on; the body is complete at Complete.
    const HttpRequest &request() const { return m_request; }
    HttpRequest takeRequest();
    bool headersComplete() const { return m_headersDone; }
    bool isUpgrade() const { return m_request.upgrade; }
    bool expectsContinue() const { return m_request.expectsContinue; }
    bool keepAlive() const { return m_request.keepAlive; }
    std::optional<quint64> contentLength() const { return m_request.contentLength; }

    /// 400, 413, 414, 417, 431, 501 or 505 for an error; 0 for None.
    static int statusCodeFor(Error error);
    /// Stable snake_case name ("body_too_large", …).
    static const char *errorName(Error error);

private:
    friend struct HttpRequestParserCallbacks;
    struct Engine;

    int fail(Error error, QByteArray detail);
    Result finish(qsizetype executed, qsizetype reported);
    int onUrl(const char *at, size_t length);
    int onHeaderField(const char *at, size_t length);
    int onHeaderValue(const char *at, size_t length);
    int onHeadersComplete();
    int onBody(const char *at, size_t length);
    int onChunkHeader();
    int onMessageComplete();
    bool splitTarget();
    /// Copies (or moves) every member but the engine.
    template <typename Source> void assignState(Source &&other);

    /// Bare-LF line endings in the head, found in any chunking: http_parser accepts them, a
    /// proxy in front may not, and such a differential is how requests are smuggled.
    struct LineEndings {
        char previous = 0;
        qsizetype lineBytes = 0;
        bool sawLine = false;
        bool headDone = false;
        /// False on a bare LF; looks no further than the head's empty line.
        bool feed(QByteArrayView data);
    };

    Limits m_limits;
    std::unique_ptr<Engine> m_engine;
    LineEndings m_lineEndings;
    HttpRequest m_request;
    Status m_status = Status::Incomplete;
    Error m_error = Error::None;
    QByteArray m_errorDetail;
    const char *m_chunkEnd = nullptr; // end of the buffer being executed
    qsizetype m_headerBytes = 0;
    int m_headerCount = 0;
    enum class Last { None, Field, Value } m_last = Last::None;
    bool m_valueClosed = false;  // the last value fragment ended before the buffer did
    bool m_headersDone = false;  // on_headers_complete ran; later header callbacks are trailers
    bool m_pausedAtHead = false; // paused inside on_headers_complete
    bool m_pendingLf = false;    // the head's final LF is still owed to http_parser
    bool m_messageDone = false;
};
