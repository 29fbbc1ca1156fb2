#include "http/httpserver.h"

#include "http/httpanswerqueue.h"
#include "http/httpserverconnection.h"

#include <QDateTime>
#include <QPointer>
#include <QSslServer>
#include <QSslSocket>
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
// Requests of one connection waiting for their answers; parsing pauses beyond this.
constexpr size_t kMaxPipelinedRequests = 16;
// The sweep runs at a quarter of the shortest timeout, within these bounds.
constexpr int kMinSweepIntervalMs = 10;
constexpr int kMaxSweepIntervalMs = 1'000;
// https: at least this many connections may be in their TLS handshake at once.
constexpr int kMinPendingHandshakes = 64;

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

HttpServer::HttpServer(QObject *parent)
    : HttpServer(Options{}, parent) {}

HttpServer::HttpServer(const Options &options, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_server(new QTcpServer(this))
    , m_sweepTimer(new QTimer(this))
    , m_admission(options.maxConnections - options.reservedConnections,
                  options.maxConnectionsPerAddress) {
    m_clock.start();
    connectServer();
    const int shortest =
        std::min({m_options.headTimeoutMs, m_options.bodyTimeoutMs, m_options.idleTimeoutMs,
                  m_options.lingerTimeoutMs, m_options.handlerTimeoutMs});
    m_sweepTimer->setInterval(std::clamp(shortest / 4, kMinSweepIntervalMs, kMaxSweepIntervalMs));
    connect(m_sweepTimer, &QTimer::timeout, this, &HttpServer::sweep);
}

HttpServer::~HttpServer() {
    for (auto &entry : m_connections)
        entry.first->disconnect(this);
}

void HttpServer::connectServer() {
    connect(m_server, &QTcpServer::newConnection, this, &HttpServer::onNewConnection);
    // QSslServer emits newConnection when the TCP connection arrives, before its handshake,
    // and queues the socket only once it is encrypted: that is signalled by this one alone.
    if (m_tls)
        connect(m_server, &QTcpServer::pendingConnectionAvailable, this,
                &HttpServer::onNewConnection);
    connect(m_server, &QTcpServer::acceptError, this, [this](QAbstractSocket::SocketError) {
        const QString message = m_server->errorString();
        QMetaObject::invokeMethod(
            this, [this, message] { emit acceptError(message); }, Qt::QueuedConnection);
    });
}

bool HttpServer::setTlsConfiguration(const QSslConfiguration &tls) {
    if (m_server->isListening())
        return false;
    auto *server = new QSslServer(this);
    server->setSslConfiguration(tls);
    server->setHandshakeTimeout(m_options.headTimeoutMs);
    // Sockets in their handshake wait in the server's queue (Qt counts them as pending): a
    // handful of slow handshakes must not stop accepting. The connection limit applies after.
    server->setMaxPendingConnections(std::max(m_options.maxConnections, kMinPendingHandshakes));
    connect(server, &QSslServer::errorOccurred, this,
            [this](QSslSocket *socket, QAbstractSocket::SocketError) {
                if (socket->isEncrypted())
                    return; // an established connection: its disconnect is handled as usual
                ++m_counters.errors[size_t(ClientError::TlsHandshake)];
                report(ClientError::TlsHandshake, peerOf(socket), socket->errorString());
            });
    delete m_server;
    m_server = server;
    m_tls = true;
    connectServer();
    return true;
}

void HttpServer::setHandler(Handler handler) {
    m_handler = std::move(handler);
}

void HttpServer::setHeadCheck(HeadCheck check) {
    m_headCheck = std::move(check);
}

void HttpServer::setAuthorizer(Authorizer authorizer) {
    m_authorizer = std::move(authorizer);
}

bool HttpServer::listen(const QHostAddress &address, quint16 port) {
    return m_server->listen(address, port); // the sweep runs while there are connections
}

void HttpServer::close() {
    m_server->close();
    m_sweepTimer->stop();
    for (auto &entry : m_connections) {
        entry.second->dead = true; // responders still holding it see a dead connection
        entry.first->disconnect(this);
        entry.first->abort();
        entry.first->deleteLater();
    }
    m_connections.clear();
    m_openCount = 0;
    m_refusedCount = 0;
    m_admission = ConnectionAdmission(m_options.maxConnections - m_options.reservedConnections,
                                      m_options.maxConnectionsPerAddress);
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
        accept(socket, {});
}

void HttpServer::adopt(QTcpSocket *socket, const QByteArray &alreadyRead) {
    socket->setParent(m_server); // as if this server had accepted it
    accept(socket, alreadyRead);
}

void HttpServer::accept(QTcpSocket *socket, const QByteArray &alreadyRead) {
    auto c = std::make_shared<Connection>();
    c->socket = socket;
    c->peer = peerOf(socket);
    c->address = socket->peerAddress();
    c->serial = m_nextSerial++;
    c->parser = HttpRequestParser(m_options.limits);
    c->input = alreadyRead;
    socket->setReadBufferSize(kSocketReadBufferBytes);
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
    connect(socket, &QTcpSocket::bytesWritten, this, [this, socket] { onBytesWritten(socket); });
    // Over TLS, bytesWritten means "encrypted", not "sent": the records go out later.
    if (auto *ssl = qobject_cast<QSslSocket *>(socket))
        connect(ssl, &QSslSocket::encryptedBytesWritten, this,
                [this, socket] { onBytesWritten(socket); });
    connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
        const auto it = m_connections.find(socket);
        if (it != m_connections.end())
            markDead(*it->second);
    });
    const bool full = m_openCount >= m_options.maxConnections && !evictOneOnProbation();
    if (full && m_refusedCount >= kMaxRefusedLingering) {
        ++m_counters.errors[size_t(ClientError::TooManyConnections)];
        socket->disconnect(this);
        socket->abort();
        socket->deleteLater();
        return;
    }
    Connection &ref = *c;
    m_connections.emplace(socket, std::move(c));
    if (!m_sweepTimer->isActive())
        m_sweepTimer->start();
    if (full) {
        ref.refused = true;
        ++m_refusedCount;
        failRequest(ref, ClientError::TooManyConnections, 503, "service_unavailable",
                    QStringLiteral("too many connections"));
        return;
    }
    ++m_openCount;
    ++m_counters.connectionsAccepted;
    if (m_authorizer) {
        ref.anonymous = true;
        const ConnectionAdmission::Verdict v = m_admission.enter(ref.address);
        ref.probation = v != ConnectionAdmission::Verdict::Admitted;
        if (v == ConnectionAdmission::Verdict::OverAddressLimit)
            ref.probationReason = ClientError::TooManyFromAddress;
    }
    setPhase(ref, Phase::Idle, m_options.headTimeoutMs);
    if (!ref.input.isEmpty() || socket->bytesAvailable() > 0)
        process(ref);
}

bool HttpServer::evictOneOnProbation() {
    Connection *oldest = nullptr;
    for (const auto &entry : m_connections) {
        Connection *c = entry.second.get();
        if (c->probation && !c->dead && !c->refused && (!oldest || c->serial < oldest->serial))
            oldest = c;
    }
    if (!oldest)
        return false;
    ++m_counters.evicted;
    ++m_counters.errors[size_t(oldest->probationReason)];
    report(oldest->probationReason, oldest->peer,
           QStringLiteral("anonymous connection dropped for a newcomer (server full)"));
    QTcpSocket *socket = oldest->socket;
    markDead(*oldest);
    socket->abort();
    return true;
}

void HttpServer::leaveAnonymous(Connection &c) {
    if (c.anonymous)
        m_admission.leave(c.address);
    c.anonymous = false;
}

void HttpServer::markDead(Connection &c) {
    if (c.dead)
        return;
    c.dead = true;
    leaveAnonymous(c);
    if (!c.refused)
        --m_openCount;
    c.answers.clear();
    QTcpSocket *socket = c.socket;
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
            if (m_connections.empty())
                m_sweepTimer->stop(); // nothing to time out: no wake-ups while idle
        },
        Qt::QueuedConnection);
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
        if (!c->writeShut && pendingOutput(socket) == 0)
            shutdownWrite(*c);
        return;
    }
    if (pendingOutput(socket) <= m_options.maxPendingOutputBytes)
        process(*c); // resume pipelined requests held back while output was backlogged
}

void HttpServer::setPhase(Connection &c, Phase phase, int timeoutMs) {
    c.phase = phase;
    c.deadlineMs = m_clock.elapsed() + timeoutMs;
}

void HttpServer::process(Connection &c) {
    if (c.processing)
        return; // an answer given synchronously from inside the loop below: it goes on
    c.processing = true;
    bool mustFeed = false; // after HeadersComplete the parser needs a call even with no bytes
    while (!c.dead && c.phase != Phase::Closing && !c.readingStopped) {
        if (pendingOutput(c.socket) > m_options.maxPendingOutputBytes)
            break; // onBytesWritten resumes
        if (c.answers.size() >= kMaxPipelinedRequests)
            break; // flush() resumes
        if (c.inputPos >= c.input.size() && !mustFeed) {
            c.input = c.socket->read(kReadChunkBytes);
            c.inputPos = 0;
            if (c.input.isEmpty())
                break;
        }
        mustFeed = false;
        const auto r = c.parser.feed(QByteArrayView(c.input).sliced(c.inputPos));
        c.inputPos += r.consumed;
        switch (r.status) {
        case HttpRequestParser::Status::Incomplete:
            if (c.phase == Phase::Idle && r.consumed > 0)
                setPhase(c, Phase::Head, m_options.headTimeoutMs);
            else if (c.phase == Phase::Body && r.consumed > 0)
                c.continueOwed = false; // the client sends its body without waiting
            break;
        case HttpRequestParser::Status::HeadersComplete:
            mustFeed = true;
            onHead(c); // when it answers from the head, reading stops and the loop ends
            break;
        case HttpRequestParser::Status::Complete: {
            HttpRequest request = c.parser.takeRequest();
            c.parser.reset();
            c.continueOwed = false;
            setPhase(c, Phase::Idle, m_options.idleTimeoutMs);
            dispatch(c, std::move(request));
            break;
        }
        case HttpRequestParser::Status::Error: {
            const auto e = c.parser.error();
            failRequest(c, kindOf(e), HttpRequestParser::statusCodeFor(e),
                        HttpRequestParser::errorName(e), QString::fromUtf8(c.parser.errorDetail()));
            break;
        }
        }
    }
    c.processing = false;
}

// A head is complete: admission, authorization, head check, 100-continue.
void HttpServer::onHead(Connection &c) {
    c.fresh = false;
    setPhase(c, Phase::Body, m_options.bodyTimeoutMs);
    HttpRequest head = c.parser.request();
    head.peer = c.peer;
    head.localPort = c.socket->localPort();
    c.currentAuthorized = !m_authorizer || m_authorizer(head);
    if (c.currentAuthorized) {
        c.authorized = true;
        c.probation = false;
        leaveAnonymous(c);
    }
    if (c.probation) {
        ++m_counters.errors[size_t(c.probationReason)];
        report(c.probationReason, c.peer,
               QStringLiteral("anonymous connection beyond the limit for anonymous clients"));
        enqueueFinal(c, head,
                     HttpResponse::jsonError(503, "service_unavailable",
                                             QStringLiteral("too many connections")));
        return;
    }
    c.closeAfterCurrent = !head.keepAlive || (m_options.closeUnauthorized && !c.currentAuthorized);
    if (!head.bodyExpected())
        return;
    if (m_headCheck) {
        if (std::optional<HttpResponse> early = m_headCheck(head)) {
            ++m_counters.earlyResponses;
            enqueueFinal(c, head, std::move(*early));
            return;
        }
    }
    // Only when nothing of the body is here yet, and never to HTTP/1.0 (RFC 9110 10.1.1); an
    // interim answer must not overtake the final answers to earlier requests.
    if (head.expectsContinue && head.versionMinor >= 1 && c.inputPos >= c.input.size() &&
        c.socket->bytesAvailable() == 0) {
        if (c.answers.isEmpty()) {
            c.socket->write("HTTP/1.1 100 Continue\r\n\r\n");
            ++m_counters.continuesSent;
        } else {
            c.continueOwed = true;
        }
    }
}

void HttpServer::dispatch(Connection &c, HttpRequest request) {
    request.peer = c.peer;
    request.localPort = c.socket->localPort();
    ++m_counters.requests;
    HttpAnswerQueue::Entry entry;
    entry.http10 = request.versionMajor == 1 && request.versionMinor == 0;
    entry.includeBody = request.method != "HEAD";
    entry.close = c.closeAfterCurrent;
    entry.deadlineMs = m_clock.elapsed() + m_options.handlerTimeoutMs;
    const quint64 sequence = c.answers.add(std::move(entry));
    if (c.closeAfterCurrent)
        c.readingStopped = true;

    // The responder reaches the connection only while both it and this server exist.
    const std::weak_ptr<Connection> weak = m_connections.at(c.socket);
    const QPointer<HttpServer> server(this);
    auto state = std::make_shared<HttpResponder::State>();
    state->send = [server, weak, sequence](HttpResponse &&response) {
        const std::shared_ptr<Connection> connection = weak.lock();
        if (server && connection && !connection->dead)
            server->answer(*connection, sequence, std::move(response));
    };
    state->waiting = [server, weak, sequence] {
        const std::shared_ptr<Connection> connection = weak.lock();
        return server && connection && !connection->dead && connection->answers.isWaiting(sequence);
    };
    const HttpResponder respond{state};
    try {
        if (m_handler)
            m_handler(request, respond);
        else
            respond(HttpResponse::jsonError(404, "not_found", QStringLiteral("no handler")));
    } catch (const std::exception &e) {
        ++m_counters.errors[size_t(ClientError::HandlerFailed)];
        report(ClientError::HandlerFailed, c.peer, QString::fromUtf8(e.what()));
        respond(HttpResponse::jsonError(500, "internal_error", QStringLiteral("handler failed")));
    }
}

void HttpServer::answer(Connection &c, quint64 sequence, HttpResponse &&response) {
    if (c.answers.answer(sequence, std::move(response)))
        flush(c);
}

// Writes the answers at the front of the queue that are ready, in order.
void HttpServer::flush(Connection &c) {
    while (!c.dead) {
        std::optional<HttpAnswerQueue::Entry> e = c.answers.takeReady();
        if (!e)
            break;
        const int status = e->response->status();
        const bool close = e->close || e->response->closeConnection() ||
                           (m_options.closeOnClientError && status >= 400 && status < 500);
        HttpResponse::Framing framing;
        framing.keepAlive = !close;
        framing.http10 = e->http10;
        framing.includeBody = e->includeBody;
        if (m_options.dateHeader)
            framing.date = QDateTime::currentDateTimeUtc();
        c.socket->write(e->response->toBytes(framing));
        if (close) {
            c.answers.clear(); // later requests are never answered: the connection ends here
            c.readingStopped = true;
            startClosing(c);
            return;
        }
    }
    if (c.dead || !c.answers.isEmpty())
        return;
    if (c.continueOwed && c.phase == Phase::Body) {
        c.continueOwed = false;
        c.socket->write("HTTP/1.1 100 Continue\r\n\r\n");
        ++m_counters.continuesSent;
    }
    if (c.phase == Phase::Idle)
        setPhase(c, Phase::Idle, m_options.idleTimeoutMs); // idle from the last answer on
    if (!c.processing && (c.inputPos < c.input.size() || c.socket->bytesAvailable() > 0))
        process(c); // pipelined requests held back by kMaxPipelinedRequests
}

// Queues an answer the server gives itself (refusal, error, early answer): the connection's
// last, after the answers to earlier requests.
void HttpServer::enqueueFinal(Connection &c, const HttpRequest &request, HttpResponse response) {
    HttpAnswerQueue::Entry entry;
    entry.http10 = request.versionMajor == 1 && request.versionMinor == 0;
    entry.includeBody = request.method != "HEAD";
    entry.close = true;
    entry.response = std::move(response);
    c.answers.add(std::move(entry));
    c.readingStopped = true;
    setPhase(c, Phase::Idle, m_options.idleTimeoutMs); // no more reading: no head/body timer
    flush(c);
}

void HttpServer::failRequest(Connection &c, ClientError kind, int status, QByteArrayView code,
                             const QString &detail) {
    ++m_counters.errors[size_t(kind)];
    report(kind, c.peer, detail);
    HttpRequest unknown; // the head may be unparsed: answer as HTTP/1.1, closing
    enqueueFinal(c, unknown, HttpResponse::jsonError(status, code, detail));
}

qint64 HttpServer::pendingOutput(const QTcpSocket *socket) {
    const auto *ssl = qobject_cast<const QSslSocket *>(socket);
    return socket->bytesToWrite() + (ssl ? ssl->encryptedBytesToWrite() : 0);
}

void HttpServer::startClosing(Connection &c) {
    setPhase(c, Phase::Closing, m_options.lingerTimeoutMs);
    if (pendingOutput(c.socket) == 0)
        shutdownWrite(c);
}

void HttpServer::shutdownWrite(Connection &c) {
    // Half-close instead of close: unread input (an unwanted body) would make the kernel send
    // RST, and the client could lose our error response. The peer's FIN ends it, or the linger.
    c.writeShut = true;
    if (qobject_cast<QSslSocket *>(c.socket)) {
        // TLS ends with close_notify, which only QSslSocket can write; it closes once the
        // records are out (no half-close: an unread body may then draw a reset).
        c.socket->disconnectFromHost();
        c.socket->readAll();
        return;
    }
    const qintptr fd = c.socket->socketDescriptor();
    if (fd == -1 || ::shutdown(fd, 1 /* SHUT_WR / SD_SEND */) != 0)
        c.socket->disconnectFromHost();
    c.socket->readAll();
}
