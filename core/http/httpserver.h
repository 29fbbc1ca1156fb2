#pragma once

#include "http/connectionadmission.h"
#include "http/httprequest.h"
#include "http/httprequestparser.h"
#include "http/httpresponder.h"
#include "http/httpresponse.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QHostAddress>
#include <QObject>
#include <QString>

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>

class QSslConfiguration;
class QTcpServer;
class QTcpSocket;
class QTimer;

/// Strict HTTP/1.1 server: limits, timeouts, pipelining and 100-continue; one handler answers,
/// asynchronously.
///
/// Connection admission. maxConnections bounds open connections (beyond: 503 and close). A
/// connection is *anonymous* until one of its request heads passes the Authorizer (without
/// one, every connection is authorized and the two limits below do nothing). Anonymous connections
/// are bounded twice: at most maxConnections - reservedConnections overall and at most
/// maxConnectionsPerAddress from one peer address. A connection that arrives beyond either bound is
/// admitted *on probation*: its first request must be authorized, or it is answered 503 and closed
/// before its body is read or the handler runs; and while the server is full, a newcomer takes the
/// slot of the oldest connection still on probation (that one is aborted). Anonymous clients can
/// pass through the reserved slots but never hold them.
class HttpServer final : public QObject {
    Q_OBJECT
public:
    struct Options {
        HttpRequestParser::Limits limits;
        int headTimeoutMs = 10'000;       // from accept or the request's first byte to end of head
        int bodyTimeoutMs = 30'000;       // from the end of head to the end of body
        int idleTimeoutMs = 15'000;       // keep-alive: between a response and the next request
        int lingerTimeoutMs = 2'000;      // after a closing response, wait this long for the FIN
        int handlerTimeoutMs = 30'000;    // from the end of a request to its answer; then 504
        int maxConnections = 256;         // beyond: 503 and close
        int reservedConnections = 0;      // of maxConnections, for authorized connections only
        int maxConnectionsPerAddress = 0; // anonymous ones from one peer address; 0: no limit
        bool closeOnClientError = false;  // a 4xx answer closes the connection after it
        bool closeUnauthorized = false;   // so does any answer to a request not authorized
        qint64 maxPendingOutputBytes = 4 * 1024 * 1024; // stop parsing while peer doesn't read
        bool dateHeader = true;
    };

    /// Why the server itself answered with an error, dropped or refused a client.
    enum class ClientError {
        BadRequest,
        RequestLineTooLong,
        HeadersTooLarge,
        BodyTooLarge,
        Unsupported, // transfer coding, HTTP version or Expect
        HeadTimeout,
        BodyTimeout,
        TooManyConnections, // the server is full, or an anonymous client beyond the reserve
        TooManyFromAddress, // an anonymous client beyond maxConnectionsPerAddress
        HandlerFailed,
        HandlerTimeout, // 504
        TlsHandshake,   // https: the TLS handshake failed or timed out
        Count
    };
    Q_ENUM(ClientError)

    struct Counters {
        quint64 connectionsAccepted = 0;
        quint64 requests = 0;       // complete requests handed to the handler
        quint64 earlyResponses = 0; // answered from the head, body never read
        quint64 continuesSent = 0;  // "100 Continue"
        quint64 idleClosed = 0;     // keep-alive connections closed for idleness
        quint64 evicted = 0;        // connections on probation aborted for a newcomer
        std::array<quint64, int(ClientError::Count)> errors{};
        quint64 error(ClientError e) const { return errors[size_t(e)]; }
    };

    /// Handles a complete request and answers it through `respond`, now or later (at most
    /// handlerTimeoutMs later, or the server answers 504). Runs on the server's thread; must
    /// not block. Pipelined requests are handed over as they arrive, so several may be
    /// waiting at once; their answers go out in request order. When an answer closes the
    /// connection, the answers to later requests on it are dropped.
    using Handler = std::function<void(const HttpRequest &request, HttpResponder respond)>;
    /// Looks at a head before its body is read (auth, route, media type). A response here is
    /// final: the body is never read, no "100 Continue" is sent and the connection closes.
    /// Only called for requests that carry a body. Synchronous.
    using HeadCheck = std::function<std::optional<HttpResponse>(const HttpRequest &head)>;
    /// Says from a head whether the request carries valid credentials; called for every
    /// request, before the head check. The connection counts as authorized from its first
    /// authorized request on (admission, above); closeUnauthorized looks at each request.
    using Authorizer = std::function<bool(const HttpRequest &head)>;

    explicit HttpServer(QObject *parent = nullptr);
    explicit HttpServer(const Options &options, QObject *parent = nullptr);
    ~HttpServer() override;

    void setHandler(Handler handler);
    void setHeadCheck(HeadCheck check);
    void setAuthorizer(Authorizer authorizer);

    /// Serves https:// from the next listen() on (QSslServer): a connection counts, and its
    /// head timeout runs, once its TLS handshake is done, which has headTimeoutMs of its own.
    /// Call before listen(); false when already listening.
    bool setTlsConfiguration(const QSslConfiguration &tls);
    bool isTls() const { return m_tls; }
    bool listen(const QHostAddress &address = QHostAddress::LocalHost, quint16 port = 0);
    /// Serves a connection accepted elsewhere (the gateway's port, for the push API under a
    /// prefix). `alreadyRead` are bytes the caller has read from the socket already: they are
    /// parsed as the start of the stream, then whatever is buffered in the socket.
    void adopt(QTcpSocket *socket, const QByteArray &alreadyRead = {});
    void close();
    bool isListening() const;
    quint16 serverPort() const;
    QHostAddress serverAddress() const;
    QString errorString() const;

    const Options &options() const { return m_options; }
    /// Open connections, not counting refused ones lingering after their 503.
    int connectionCount() const { return m_openCount; }
    /// Open connections no request of which has been authorized yet.
    int anonymousConnectionCount() const { return m_admission.anonymousCount(); }
    const Counters &counters() const { return m_counters; }
    static const char *clientErrorName(ClientError error);

signals:
    /// A client got an error answer from the server itself, timed out, or was refused (queued).
    void clientError(HttpServer::ClientError error, const QString &peer, const QString &detail);
    /// Accepting a connection failed, e.g. out of file descriptors (queued).
    void acceptError(const QString &message);

private:
    struct Connection;
    enum class Phase { Idle, Head, Body, Closing };

    void connectServer();
    void onNewConnection();
    void accept(QTcpSocket *socket, const QByteArray &alreadyRead);
    void onReadyRead(QTcpSocket *socket);
    void onBytesWritten(QTcpSocket *socket);
    void markDead(Connection &c);
    void sweep();
    void process(Connection &c);
    void onHead(Connection &c);
    void dispatch(Connection &c, HttpRequest request);
    void answer(Connection &c, quint64 sequence, HttpResponse &&response);
    void flush(Connection &c);
    void enqueueFinal(Connection &c, const HttpRequest &request, HttpResponse response);
    void failRequest(Connection &c, ClientError kind, int status, QByteArrayView code,
                     const QString &detail);
    void startClosing(Connection &c);
    void shutdownWrite(Connection &c);
    /// Bytes written but not on the wire yet, TLS records included.
    static qint64 pendingOutput(const QTcpSocket *socket);
    void setPhase(Connection &c, Phase phase, int timeoutMs);
    void leaveAnonymous(Connection &c);
    bool evictOneOnProbation();
    void report(ClientError kind, const QString &peer, const QString &detail);
    Connection *find(QTcpSocket *socket);

    Options m_options;
    QTcpServer *m_server = nullptr;
    bool m_tls = false;
    QTimer *m_sweepTimer = nullptr;
    QElapsedTimer m_clock; // every deadline is a point on this one clock
    Handler m_handler;
    HeadCheck m_headCheck;
    Authorizer m_authorizer;
    std::unordered_map<QTcpSocket *, std::shared_ptr<Connection>> m_connections;
    int m_openCount = 0;    // admitted, not refused, not dead
    int m_refusedCount = 0; // in m_connections only lingering after a 503
    ConnectionAdmission m_admission;
    quint64 m_nextSerial = 0; // accept order, for eviction
    Counters m_counters;
};
