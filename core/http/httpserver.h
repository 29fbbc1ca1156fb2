#pragma once

#include "http/httprequest.h"
#include "http/httprequestparser.h"
#include "http/httpresponse.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QObject>
#include <QString>

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>

class QTcpServer;
class QTcpSocket;
class QTimer;

/// Strict HTTP/1.1 server: limits, timeouts, pipelining and 100-continue; one handler answers.
class HttpServer final : public QObject {
    Q_OBJECT
public:
    struct Options {
        HttpRequestParser::Limits limits;
        int headTimeoutMs = 10'000;  // from accept or the request's first byte to the end of head
        int bodyTimeoutMs = 30'000;  // from the end of head to the end of body
        int idleTimeoutMs = 15'000;  // keep-alive: between a response and the next request
        int lingerTimeoutMs = 2'000; // after a closing response, wait this long for the peer's FIN
        int maxConnections = 256;    // beyond: 503 and close
        qint64 maxPendingOutputBytes = 4 * 1024 * 1024; // stop parsing while the peer doesn't read
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
        TooManyConnections,
        HandlerFailed,
        Count
    };
    Q_ENUM(ClientError)

    struct Counters {
        quint64 connectionsAccepted = 0;
        quint64 requests = 0;       // complete requests answered by the handler
        quint64 earlyResponses = 0; // answered from the head, body never read
        quint64 continuesSent = 0;  // "100 Continue"
        quint64 idleClosed = 0;     // keep-alive connections closed for idleness
        std::array<quint64, int(ClientError::Count)> errors{};
        quint64 error(ClientError e) const { return errors[size_t(e)]; }
    };

    /// Answers a complete request. Runs on the server's thread; must not block.
    using Handler = std::function<HttpResponse(const HttpRequest &request)>;
    /// Looks at a head before its body is read (auth, route, media type). A response here is
    /// final: the body is never read, no "100 Continue" is sent and the connection closes.
    using HeadCheck = std::function<std::optional<HttpResponse>(const HttpRequest &head)>;

    explicit HttpServer(QObject *parent = nullptr);
    explicit HttpServer(const Options &options, QObject *parent = nullptr);
    ~HttpServer() override;

    void setHandler(Handler handler);
    void setHeadCheck(HeadCheck check);

    bool listen(const QHostAddress &address = QHostAddress::LocalHost, quint16 port = 0);
    /// Serves a connection accepted elsewhere (the gateway's port, for the push API under a
    /// prefix); bytes already buffered or peeked in the socket are read as the first request.
    void adopt(QTcpSocket *socket);
    void close();
    bool isListening() const;
    quint16 serverPort() const;
    QHostAddress serverAddress() const;
    QString errorString() const;

    const Options &options() const { return m_options; }
    /// Open connections, not counting refused ones lingering after their 503.
    int connectionCount() const { return int(m_connections.size()) - m_refusedCount; }
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

    void onNewConnection();
    void accept(QTcpSocket *socket);
    void onReadyRead(QTcpSocket *socket);
    void onBytesWritten(QTcpSocket *socket);
    void onDisconnected(QTcpSocket *socket);
    void sweep();
    void process(Connection &c);
    void respond(Connection &c, const HttpRequest &request, HttpResponse response, bool close);
    void failRequest(Connection &c, ClientError kind, int status, QByteArrayView code,
                     const QString &detail);
    void startClosing(Connection &c);
    void shutdownWrite(Connection &c);
    void setPhase(Connection &c, Phase phase, int timeoutMs);
    void report(ClientError kind, const QString &peer, const QString &detail);
    Connection *find(QTcpSocket *socket);

    Options m_options;
    QTcpServer *m_server = nullptr;
    QTimer *m_sweepTimer = nullptr;
    QElapsedTimer m_clock; // every deadline is a point on this one clock
    Handler m_handler;
    HeadCheck m_headCheck;
    std::unordered_map<QTcpSocket *, std::unique_ptr<Connection>> m_connections;
    int m_refusedCount = 0; // connections in m_connections only lingering after a 503
    Counters m_counters;
};
