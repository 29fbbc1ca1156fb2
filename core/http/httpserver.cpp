#include "http/httpserver.h"

#include <QDateTime>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <algorithm>
#include <exception>
#include <vector>

#ifdef Q_OS_WIN
// <windows.h> (via winsock2.h) defines min/max macros that break std::min({...}) below.
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <winsock2.h>
#else
#include <sys/socket.h>
#endif

namespace {

// Read at most this much per turn, so one fast sender cannot starve the others.
constexpr qint64 kReadChunkBytes = 64 * 1024;
// Qt's socket buffer stops reading from the kernel beyond this: TCP flow control then holds a
// client whose pipelined requests we are not parsing (see Options::maxPendingOutputBytes).
constexpr qint64 kSocketReadBufferBytes = 256 * 1024;
// Refused connections linger to deliver their 503; past this many they are dropped outright.
constexpr int kMaxRefusedLingering = 64;
// The sweep runs at a quarter of the shortest timeout, within these bounds.
constexpr int kMinSweepIntervalMs = 10;
constexpr int kMaxSweepIntervalMs = 1'000;

QString peerOf(const QTcpSocket *socket) {
    const QHostAddress a = socket->peerAddress();
    const QString host = a.protocol() == QAbstractSocket::IPv6Protocol
                             ? QLatin1Char('[') + a.toString() + QLatin1Char(']')
                             : a.toString();
    return host + QLatin1Char(':') + QString::number(socket->peerPort());
}

HttpServer::ClientError kindOf(HttpRequestParser::Error e) {
    using E = HttpRequestParser::Error;
    using K = HttpServer::ClientError;
    switch (e) {
    case E::RequestLineTooLong:
        return K::RequestLineTooLong;
    case E::HeadersTooLarge:
    case E::TooManyHeaders:
        return K::HeadersTooLarge;
    case E::BodyTooLarge:
        return K::BodyTooLarge;
    case E::UnsupportedTransferEncoding:
    case E::UnsupportedVersion:
    case E::ExpectationFailed:
        return K::Unsupported;
    case E::None:
    case E::BadRequest:
        break;
    }
    return K::BadRequest;
}

} // namespace

struct HttpServer::Connection {
    QTcpSocket *socket = nullptr;
    HttpRequestParser parser;
    QByteArray input;       // last chunk read from the socket
    qsizetype inputPos = 0; // bytes of `input` already fed
    Phase phase = Phase::Idle;
    qint64 deadlineMs = 0;
    bool fresh = true; // no request seen yet
    bool refused = false;
    bool writeShut = false;
    bool dead = false; // disconnected; erased on the next turn
    QString peer;
};

HttpServer::HttpServer(QObject *parent)
    : HttpServer(Options{}, parent) {}

HttpServer::HttpServer(const Options &options, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_server(new QTcpServer(this))
    , m_sweepTimer(new QTimer(this)) {
    m_clock.start();
    connect(m_server, &QTcpServer::newConnection, this, &HttpServer::onNewConnection);
    connect(m_server, &QTcpServer::acceptError, this, [this](QAbstractSocket::SocketError) {
        const QString message = m_server->errorString();
        QMetaObject::invokeMethod(
            this, [this, message] { emit acceptError(message); }, Qt::QueuedConnection);
    });
    const int shortest = std::min({m_options.headTimeoutMs, m_options.bodyTimeoutMs,
                                   m_options.idleTimeoutMs, m_options.lingerTimeoutMs});
    m_sweepTimer->setInterval(std::clamp(shortest / 4, kMinSweepIntervalMs, kMaxSweepIntervalMs));
    connect(m_sweepTimer, &QTimer::timeout, this, &HttpServer::sweep);
}

HttpServer::~HttpServer() {
    for (auto &entry : m_connections)
        entry.first->disconnect(this);
}

void HttpServer::setHandler(Handler handler) {
    m_handler = std::move(handler);
}

void HttpServer::setHeadCheck(HeadCheck check) {
    m_headCheck = std::move(check);
}

bool HttpServer::listen(const QHostAddress &address, quint16 port) {
    if (!m_server->listen(address, port))
        return false;
    m_sweepTimer->start();
    return true;
}

void HttpServer::close() {
    m_server->close();
    m_sweepTimer->stop();
    for (auto &entry : m_connections) {
        entry.first->disconnect(this);
        entry.first->abort();
        entry.first->deleteLater();
    }
    m_connections.clear();
    m_refusedCount = 0;
}

bool HttpServer::isListening() const {
    return m_server->isListening();
}

quint16 HttpServer::serverPort() const {
    return m_server->serverPort();
}

QHostAddress HttpServer::serverAddress() const {
    return m_server->serverAddress();
}

QString HttpServer::errorString() const {
    return m_server->errorString();
}

HttpServer::Connection *HttpServer::find(QTcpSocket *socket) {
    const auto it = m_connections.find(socket);
    return it == m_connections.end() || it->second->dead ? nullptr : it->second.get();
}

void HttpServer::onNewConnection() {
    // Drain everything: QTcpServer keeps only maxPendingConnections (30) waiting.
    while (QTcpSocket *socket = m_server->nextPendingConnection())
        accept(socket);
}

void HttpServer::adopt(QTcpSocket *socket) {
    socket->setParent(m_server); // as if this server had accepted it
    if (!m_sweepTimer->isActive())
        m_sweepTimer->start();
    accept(socket);
}

void HttpServer::accept(QTcpSocket *socket) {
    auto c = std::make_unique<Connection>();
    c->socket = socket;
    c->peer = peerOf(socket);
    c->parser = HttpRequestParser(m_options.limits);
    socket->setReadBufferSize(kSocketReadBufferBytes);
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
    connect(socket, &QTcpSocket::bytesWritten, this, [this, socket] { onBytesWritten(socket); });
    connect(socket, &QTcpSocket::disconnected, this, [this, socket] { onDisconnected(socket); });
    Connection &ref = *c;
    const bool refuse = connectionCount() >= m_options.maxConnections;
    if (refuse && m_refusedCount >= kMaxRefusedLingering) {
        ++m_counters.errors[size_t(ClientError::TooManyConnections)];
        socket->disconnect(this);
        socket->abort();
        socket->deleteLater();
        return;
    }
    m_connections.emplace(socket, std::move(c));
    if (refuse) {
        ref.refused = true;
        ++m_refusedCount;
        failRequest(ref, ClientError::TooManyConnections, 503, "service_unavailable",
                    QStringLiteral("too many connections"));
        return;
    }
    ++m_counters.connectionsAccepted;
    setPhase(ref, Phase::Idle, m_options.headTimeoutMs);
    if (socket->bytesAvailable() > 0)
        process(ref);
}

void HttpServer::onReadyRead(QTcpSocket *socket) {
    Connection *c = find(socket);
    if (!c)
        return;
    if (c->phase == Phase::Closing) {
        socket->readAll(); // lingering: drain so the kernel never answers our FIN with RST
        return;
    }
    process(*c);
}

void HttpServer::onBytesWritten(QTcpSocket *socket) {
    Connection *c = find(socket);
    if (!c)
        return;
    if (c->phase == Phase::Closing) {
        if (!c->writeShut && socket->bytesToWrite() == 0)
            shutdownWrite(*c);
        return;
    }
    if (socket->bytesToWrite() <= m_options.maxPendingOutputBytes)
        process(*c); // resume pipelined requests held back while output was backlogged
}

void HttpServer::onDisconnected(QTcpSocket *socket) {
    const auto it = m_connections.find(socket);
    if (it == m_connections.end() || it->second->dead)
        return;
    it->second->dead = true;
    // Erased on the next turn: this can fire from inside process() or sweep().
    QMetaObject::invokeMethod(
        this,
        [this, socket] {
            const auto found = m_connections.find(socket);
            if (found == m_connections.end())
                return;
            if (found->second->refused)
                --m_refusedCount;
            m_connections.erase(found);
            socket->disconnect(this);
            socket->deleteLater();
        },
        Qt::QueuedConnection);
}

void HttpServer::setPhase(Connection &c, Phase phase, int timeoutMs) {
    c.phase = phase;
    c.deadlineMs = m_clock.elapsed() + timeoutMs;
}

void HttpServer::process(Connection &c) {
    bool mustFeed = false; // after HeadersComplete the parser needs a call even with no bytes
    while (!c.dead && c.phase != Phase::Closing) {
        if (c.socket->bytesToWrite() > m_options.maxPendingOutputBytes)
            return; // onBytesWritten resumes
        if (c.inputPos >= c.input.size() && !mustFeed) {
            c.input = c.socket->read(kReadChunkBytes);
            c.inputPos = 0;
            if (c.input.isEmpty())
                return;
        }
        mustFeed = false;
        const auto r = c.parser.feed(QByteArrayView(c.input).sliced(c.inputPos));
        c.inputPos += r.consumed;
        switch (r.status) {
        case HttpRequestParser::Status::Incomplete:
            if (c.phase == Phase::Idle && r.consumed > 0)
                setPhase(c, Phase::Head, m_options.headTimeoutMs);
            break;
        case HttpRequestParser::Status::HeadersComplete: {
            c.fresh = false;
            mustFeed = true;
            setPhase(c, Phase::Body, m_options.bodyTimeoutMs);
            HttpRequest head = c.parser.request();
            if (!head.bodyExpected())
                break;
            head.peer = c.peer;
            if (m_headCheck) {
                if (std::optional<HttpResponse> early = m_headCheck(head)) {
                    ++m_counters.earlyResponses;
                    respond(c, head, std::move(*early), true);
                    return;
                }
            }
            // Only when nothing of the body is here yet, and never to HTTP/1.0 (RFC 9110 10.1.1).
            if (head.expectsContinue && head.versionMinor >= 1 && c.inputPos >= c.input.size() &&
                c.socket->bytesAvailable() == 0) {
                c.socket->write("HTTP/1.1 100 Continue\r\n\r\n");
                ++m_counters.continuesSent;
            }
            break;
        }
        case HttpRequestParser::Status::Complete: {
            HttpRequest request = c.parser.takeRequest();
            c.parser.reset();
            request.peer = c.peer;
            ++m_counters.requests;
            HttpResponse response;
            try {
                response = m_handler ? m_handler(request)
                                     : HttpResponse::jsonError(404, "not_found", "no handler");
            } catch (const std::exception &e) {
                ++m_counters.errors[size_t(ClientError::HandlerFailed)];
                report(ClientError::HandlerFailed, c.peer, QString::fromUtf8(e.what()));
                response = HttpResponse::jsonError(500, "internal_error", "handler failed");
            }
            const bool close = !request.keepAlive || response.closeConnection();
            respond(c, request, std::move(response), close);
            if (!close)
                setPhase(c, Phase::Idle, m_options.idleTimeoutMs);
            break;
        }
        case HttpRequestParser::Status::Error: {
            const auto e = c.parser.error();
            failRequest(c, kindOf(e), HttpRequestParser::statusCodeFor(e),
                        HttpRequestParser::errorName(e), QString::fromUtf8(c.parser.errorDetail()));
            return;
        }
        }
    }
}

void HttpServer::respond(Connection &c, const HttpRequest &request, HttpResponse response,
                         bool close) {
    HttpResponse::Framing framing;
    framing.keepAlive = !close;
    framing.http10 = request.versionMajor == 1 && request.versionMinor == 0;
    framing.includeBody = request.method != "HEAD";
    if (m_options.dateHeader)
        framing.date = QDateTime::currentDateTimeUtc();
    c.socket->write(response.toBytes(framing));
    if (close)
        startClosing(c);
}

void HttpServer::failRequest(Connection &c, ClientError kind, int status, QByteArrayView code,
                             const QString &detail) {
    ++m_counters.errors[size_t(kind)];
    report(kind, c.peer, detail);
    HttpRequest unknown; // the head may be unparsed: answer as HTTP/1.1, closing
    respond(c, unknown, HttpResponse::jsonError(status, code, detail), true);
}

void HttpServer::startClosing(Connection &c) {
    setPhase(c, Phase::Closing, m_options.lingerTimeoutMs);
    if (c.socket->bytesToWrite() == 0)
        shutdownWrite(c);
}

void HttpServer::shutdownWrite(Connection &c) {
    // Half-close instead of close: unread input (an unwanted body) would make the kernel send
    // RST, and the client could lose our error response. The peer's FIN ends it, or the linger.
    c.writeShut = true;
    const qintptr fd = c.socket->socketDescriptor();
    if (fd == -1 || ::shutdown(fd, 1 /* SHUT_WR / SD_SEND */) != 0)
        c.socket->disconnectFromHost();
    c.socket->readAll();
}

void HttpServer::sweep() {
    const qint64 now = m_clock.elapsed();
    std::vector<QTcpSocket *> due;
    for (const auto &entry : m_connections) {
        if (!entry.second->dead && entry.second->deadlineMs <= now)
            due.push_back(entry.first);
    }
    for (QTcpSocket *socket : due) {
        Connection *c = find(socket);
        if (!c)
            continue;
        switch (c->phase) {
        case Phase::Idle:
            if (c->fresh) {
                ++m_counters.errors[size_t(ClientError::HeadTimeout)];
                report(ClientError::HeadTimeout, c->peer, QStringLiteral("no request sent"));
            } else {
                ++m_counters.idleClosed;
            }
            startClosing(*c);
            break;
        case Phase::Head:
            failRequest(*c, ClientError::HeadTimeout, 408, "request_timeout",
                        QStringLiteral("request head not received in time"));
            break;
        case Phase::Body:
            failRequest(*c, ClientError::BodyTimeout, 408, "request_timeout",
                        QStringLiteral("request body not received in time"));
            break;
        case Phase::Closing:
            socket->abort();
            break;
        }
    }
}

void HttpServer::report(ClientError kind, const QString &peer, const QString &detail) {
    QMetaObject::invokeMethod(
        this, [this, kind, peer, detail] { emit clientError(kind, peer, detail); },
        Qt::QueuedConnection);
}

const char *HttpServer::clientErrorName(ClientError error) {
    switch (error) {
    case ClientError::BadRequest:
        return "bad_request";
    case ClientError::RequestLineTooLong:
        return "request_line_too_long";
    case ClientError::HeadersTooLarge:
        return "headers_too_large";
    case ClientError::BodyTooLarge:
        return "body_too_large";
    case ClientError::Unsupported:
        return "unsupported";
    case ClientError::HeadTimeout:
        return "head_timeout";
    case ClientError::BodyTimeout:
        return "body_timeout";
    case ClientError::TooManyConnections:
        return "too_many_connections";
    case ClientError::HandlerFailed:
        return "handler_failed";
    case ClientError::Count:
        break;
    }
    return "unknown";
}
