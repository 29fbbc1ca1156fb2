#include "gateway.h"

#include "http/httpserver.h"

#include "http/httpresponse.h"
#include "observe/metrics.h"
#include "observe/trafficlog.h"
#include "version.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QUrl>
#include <QWebSocketServer>

#include <algorithm>

namespace {

constexpr int SweepIntervalMs = 1000;
// Idle pings are checked every quarter ping interval, within these bounds: a ping or idle
// timeout is then at most ~25% late, and 10k idle clients are not walked every second.
constexpr qint64 MinPingCheckMs = 1000;
constexpr qint64 MaxPingCheckMs = 15000;
constexpr qint64 MaxHandshakeHeadBytes = 64 * 1024;
constexpr int StopDrainTimeoutMs = 10000;
constexpr int StopCloseTimeoutMs = 2000;
constexpr int ClientIdRandomBytes = 16;  // 128 bits
constexpr int MaxCloseReasonBytes = 123; // a close frame's payload is at most 125 bytes
constexpr int MaxPendingWebSockets = 100000;
constexpr int CloseCodeInternalError = 1011; // PHP failed
constexpr int CloseCodeTryAgainLater = 1013; // PHP overloaded or unavailable

bool isHopByHop(const QByteArray &lowerName) {
    return lowerName == "connection" || lowerName == "keep-alive" ||
           lowerName == "proxy-connection" || lowerName == "te" || lowerName == "trailer" ||
           lowerName == "transfer-encoding" || lowerName == "upgrade" ||
           lowerName == "proxy" /* httpoxy */ || lowerName == "content-length" ||
           lowerName == "content-type";
}

/// A header name PHP would see as HTTP_<NAME>. Names with '_' are dropped (as nginx does by
/// default): "X_Forwarded_For" would otherwise collide with X-Forwarded-For.
bool cgiHeaderName(const QByteArray &name, QByteArray &out) {
    out = "HTTP_";
    out.reserve(5 + name.size());
    for (char c : name) {
        if (c >= 'a' && c <= 'z')
            out += char(c - 'a' + 'A');
        else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            out += c;
        else if (c == '-')
            out += '_';
        else
            return false;
    }
    return !name.isEmpty();
}

struct HandshakeHead {
    QByteArray method;
    QByteArray target;
    QByteArray path;
    QByteArray query;
    QList<QPair<QByteArray, QByteArray>> headers;
    bool upgrade = false;

    QByteArray header(const QByteArray &name) const {
        for (const auto &h : headers) {
            if (h.first.compare(name, Qt::CaseInsensitive) == 0)
                return h.second;
        }
        return {};
    }
};

/// Reads the request line and headers of a peeked handshake; QWebSocketServer validates the
/// rest. False on a malformed head.
bool parseHead(const QByteArray &head, HandshakeHead &out) {
    const QList<QByteArray> lines = head.split('\n');
    if (lines.isEmpty())
        return false;
    const QList<QByteArray> requestLine = lines.first().trimmed().split(' ');
    if (requestLine.size() != 3 || !requestLine.at(2).startsWith("HTTP/1."))
        return false;
    out.method = requestLine.at(0);
    out.target = requestLine.at(1);
    const int q = out.target.indexOf('?');
    out.path = q < 0 ? out.target : out.target.left(q);
    out.query = q < 0 ? QByteArray() : out.target.mid(q + 1);
    for (int i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        if (line.isEmpty())
            break;
        const int colon = line.indexOf(':');
        if (colon <= 0)
            return false;
        out.headers.emplaceBack(line.left(colon).trimmed(), line.mid(colon + 1).trimmed());
    }
    const QByteArray upgrade = out.header("Upgrade").toLower();
    out.upgrade = upgrade.contains("websocket");
    return true;
}

QByteArray peerKey(const QHostAddress &address, quint16 port) {
    return address.toString().toLatin1() + ' ' + QByteArray::number(port);
}

QByteArray errorJson(const QString &code, const QString &message, int status = 0) {
    QJsonObject o{{QStringLiteral("error"), code}, {QStringLiteral("message"), message}};
    if (status)
        o[QStringLiteral("status")] = status;
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

qint64 nowMs() {
    return QDateTime::currentMSecsSinceEpoch();
}

/// Removes `session` from the set under `key`, and the key once its set is empty.
void removeMember(QHash<QString, QSet<ClientSession *>> &index, const QString &key,
                  ClientSession *session) {
    auto it = index.find(key);
    if (it == index.end())
        return;
    it->remove(session);
    if (it->isEmpty())
        index.erase(it);
}

} // namespace

/// What the handshake peek learnt, kept until QWebSocketServer hands over the QWebSocket.
struct Gateway::PendingUpgrade {
    QByteArray id;
    std::shared_ptr<const PhpParamBlock> baseParams; // the connection's fixed params
    QString path;
    QByteArray query;
    QString origin;
    QString user;
    QSet<QString> groups;
    int closeCode = 0;
    QString closeReason;
    QByteArray welcome; // the open reply's body: the connection's first message
    bool welcomeBinary = false;
};

Gateway::Gateway(const Configuration &config, PhpBackend *backend, TrafficLog *log,
                 Metrics *metrics, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_backend(backend)
    , m_log(log)
    , m_metrics(metrics) {
    m_wsServer = new QWebSocketServer(QStringLiteral("wsgate/") + QLatin1String(WSGATE_VERSION),
                                      QWebSocketServer::NonSecureMode, this);
    m_wsServer->setMaxPendingConnections(MaxPendingWebSockets);
    connect(m_wsServer, &QWebSocketServer::newConnection, this, &Gateway::onWebSocketConnected);
    m_sweepTimer.setInterval(SweepIntervalMs);
    connect(&m_sweepTimer, &QTimer::timeout, this, &Gateway::sweep);
    connect(&m_snapshotTimer, &QTimer::timeout, this, &Gateway::publishSnapshot);
}

Gateway::~Gateway() {
    for (ClientSession *session : std::as_const(m_clients))
        delete session;
    m_clients.clear();
    for (auto it = m_handshakes.begin(); it != m_handshakes.end(); ++it) {
        it.key()->disconnect(this);
        it.key()->abort();
        it.key()->deleteLater();
    }
}

bool Gateway::start(QString *error) {
    if (isListening())
        return true;
    delete m_tcpServer;
    m_tcpServer = nullptr;
    QTcpServer *server = nullptr;
    if (!m_config.tlsCert.isEmpty()) {
        QFile certFile(m_config.tlsCert);
        QFile keyFile(m_config.tlsKey);
        if (!certFile.open(QIODevice::ReadOnly) || !keyFile.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("--tls-cert/--tls-key: cannot read the PEM files");
            return false;
        }
        const QList<QSslCertificate> chain = QSslCertificate::fromData(certFile.readAll());
        const QByteArray keyPem = keyFile.readAll();
        QSslKey key(keyPem, QSsl::Rsa);
        if (key.isNull())
            key = QSslKey(keyPem, QSsl::Ec);
        if (chain.isEmpty() || key.isNull()) {
            *error = QStringLiteral("--tls-cert/--tls-key: not a PEM certificate and key");
            return false;
        }
        auto *ssl = new QSslServer(this);
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setLocalCertificateChain(chain);
        tls.setPrivateKey(key);
        tls.setPeerVerifyMode(QSslSocket::VerifyNone);
        ssl->setSslConfiguration(tls);
        ssl->setHandshakeTimeout(m_config.handshakeTimeoutMs);
        server = ssl;
    } else {
        server = new QTcpServer(this);
    }
    server->setMaxPendingConnections(MaxPendingWebSockets);
    QHostAddress address;
    if (m_config.listenHost == QLatin1String("localhost"))
        address = QHostAddress::LocalHost;
    else if (m_config.listenHost == QLatin1String("*"))
        address = QHostAddress::Any;
    else
        address = QHostAddress(m_config.listenHost);
    if (!server->listen(address, m_config.listenPort)) {
        *error = QStringLiteral("--listen %1:%2: %3")
                     .arg(m_config.listenHost)
                     .arg(m_config.listenPort)
                     .arg(server->errorString());
        delete server;
        return false;
    }
    m_tcpServer = server;
    connect(m_tcpServer, &QTcpServer::pendingConnectionAvailable, this,
            &Gateway::onNewTcpConnection);
    m_sweepTimer.start();
    m_stopping = false;
    publishSnapshot();
    return true;
}

bool Gateway::isListening() const {
    return m_tcpServer && m_tcpServer->isListening();
}

quint16 Gateway::serverPort() const {
    return m_tcpServer ? m_tcpServer->serverPort() : 0;
}

void Gateway::setHttpPrefix(const QByteArray &prefix, HttpServer *server) {
    m_httpPrefix = prefix;
    m_httpPrefixServer = server;
}

void Gateway::setIndexPage(const QByteArray &html) {
    m_indexPage = html;
}

void Gateway::setExtraParams(const QList<QPair<QByteArray, QByteArray>> &params) {
    m_extraParams = params;
}

void Gateway::setSnapshotInterval(int ms) {
    if (ms <= 0) {
        m_snapshotTimer.stop();
        return;
    }
    m_snapshotTimer.start(ms);
    publishSnapshot();
}

std::shared_ptr<const GatewaySnapshot> Gateway::snapshot() const {
    QMutexLocker lock(&m_snapshotMutex);
    return m_snapshot;
}

QByteArray Gateway::newClientId() const {
    QByteArray raw(ClientIdRandomBytes, Qt::Uninitialized);
    QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(raw.data()),
                                         reinterpret_cast<quint32 *>(raw.data() + raw.size()));
    return raw.toHex();
}

// ---------------------------------------------------------------------------------------------
// Handshake: peek the head, decide (page, 403, 404, 503, PHP's open event), then hand the
// untouched socket to QWebSocketServer.

void Gateway::onNewTcpConnection() {
    while (m_tcpServer && m_tcpServer->hasPendingConnections()) {
        QTcpSocket *socket = m_tcpServer->nextPendingConnection();
        if (!socket)
            break;
        socket->setParent(this); // outlives the listener, which stop() closes
        if (m_stopping) {
            socket->abort();
            socket->deleteLater();
            continue;
        }
        QElapsedTimer t;
        t.start();
        m_handshakes.insert(socket, t);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onHandshakeData(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            if (m_handshakes.remove(socket))
                socket->deleteLater();
        });
        if (socket->bytesAvailable() > 0)
            onHandshakeData(socket);
    }
}

void Gateway::onHandshakeData(QTcpSocket *socket) {
    if (!m_handshakes.contains(socket))
        return;
    const QByteArray peeked = socket->peek(MaxHandshakeHeadBytes + 1);
    int end = peeked.indexOf("\r\n\r\n");
    if (end < 0) {
        if (peeked.size() > MaxHandshakeHeadBytes)
            refuseHandshake(socket, 431, HttpResponse::reasonPhrase(431),
                            "request head too large\n");
        return;
    }
    const QByteArray head = peeked.left(end + 4);
    HandshakeHead h;
    if (!parseHead(head, h)) {
        refuseHandshake(socket, 400, HttpResponse::reasonPhrase(400), "malformed request\n");
        return;
    }
    const QString path = QUrl::fromPercentEncoding(h.path);
    if (!h.upgrade && m_httpPrefixServer && h.path.startsWith(m_httpPrefix + '/')) {
        // The push API on this port: the HTTP server takes the socket with the request still
        // unread (we only peeked), and answers it and any that follow on the connection.
        m_handshakes.remove(socket);
        socket->disconnect(this);
        m_httpPrefixServer->adopt(socket);
        return;
    }
    if (!h.upgrade) {
        if (h.method == "GET" && (h.path == "/" || h.path == "/index.html") &&
            !m_indexPage.isEmpty()) {
            refuseHandshake(socket, 200, "OK", m_indexPage, "text/html; charset=utf-8");
        } else if (path == m_config.path) {
            refuseHandshake(socket, 426, HttpResponse::reasonPhrase(426),
                            "this is a WebSocket endpoint: connect with a WebSocket client\n");
        } else {
            refuseHandshake(socket, 404, HttpResponse::reasonPhrase(404), "not found\n");
        }
        return;
    }
    if (path != m_config.path) {
        refuseHandshake(socket, 404, HttpResponse::reasonPhrase(404),
                        "no WebSocket endpoint at this path\n");
        return;
    }
    const QByteArray origin = h.header("Origin");
    if (!originAllowed(origin)) {
        m_metrics->countError(Metrics::OriginRefused);
        logError({}, QStringLiteral("origin_refused"),
                 QStringLiteral("handshake from %1 refused: origin \"%2\" not allowed")
                     .arg(socket->peerAddress().toString(), QString::fromUtf8(origin)));
        refuseHandshake(socket, 403, HttpResponse::reasonPhrase(403), "origin not allowed\n");
        return;
    }
    if (m_clients.size() >= m_config.maxConnections) {
        m_metrics->countError(Metrics::TooManyConnections);
        logError({}, QStringLiteral("too_many_connections"),
                 QStringLiteral("handshake refused: %1 connections open (--max-connections)")
                     .arg(m_clients.size()));
        refuseHandshake(socket, 503, HttpResponse::reasonPhrase(503), "too many connections\n");
        return;
    }

    // The head is complete: stop watching the socket; QWebSocketServer reads it from here on.
    socket->disconnect(this);
    auto pending = std::make_shared<PendingUpgrade>();
    pending->id = newClientId();
    pending->path = path;
    pending->query = h.query;
    pending->origin = QString::fromUtf8(origin);

    QList<QPair<QByteArray, QByteArray>> p;
    p.reserve(32 + h.headers.size());
    const QFileInfo script(m_config.script);
    const QString docroot = m_config.docroot.isEmpty() ? script.absolutePath() : m_config.docroot;
    QString scriptName = QLatin1Char('/') + script.fileName();
    if (m_config.script.startsWith(docroot + QLatin1Char('/')))
        scriptName = m_config.script.mid(docroot.size());
    p.emplaceBack("GATEWAY_INTERFACE", "CGI/1.1");
    p.emplaceBack("SERVER_SOFTWARE", "wsgate/" WSGATE_VERSION);
    p.emplaceBack("REQUEST_METHOD", "POST");
    p.emplaceBack("SCRIPT_FILENAME", m_config.script.toUtf8());
    p.emplaceBack("SCRIPT_NAME", scriptName.toUtf8());
    p.emplaceBack("DOCUMENT_ROOT", docroot.toUtf8());
    p.emplaceBack("REQUEST_URI", h.target);
    p.emplaceBack("DOCUMENT_URI", h.path);
    p.emplaceBack("QUERY_STRING", h.query);
    p.emplaceBack("REMOTE_ADDR", socket->peerAddress().toString().toLatin1());
    p.emplaceBack("REMOTE_PORT", QByteArray::number(socket->peerPort()));
    p.emplaceBack("SERVER_ADDR", socket->localAddress().toString().toLatin1());
    p.emplaceBack("SERVER_PORT", QByteArray::number(socket->localPort()));
    QByteArray host = h.header("Host");
    if (host.startsWith('[')) // [::1]:8080
        host = host.left(host.indexOf(']') + 1);
    else if (host.contains(':'))
        host = host.left(host.indexOf(':'));
    p.emplaceBack("SERVER_NAME", host.isEmpty() ? m_config.listenHost.toUtf8() : host);
    p.emplaceBack("SERVER_PROTOCOL", "HTTP/1.1");
    p.emplaceBack("REDIRECT_STATUS", "200"); // php-cgi's cgi.force_redirect wants it
    if (!m_config.tlsCert.isEmpty())
        p.emplaceBack("HTTPS", "on");
    for (const auto &extra : m_extraParams)
        p.append(extra);
    // Every handshake header as HTTP_*, repeated headers joined as one value.
    QHash<QByteArray, int> seen;
    for (const auto &[name, value] : h.headers) {
        if (isHopByHop(name.toLower()))
            continue;
        QByteArray cgiName;
        if (!cgiHeaderName(name, cgiName))
            continue;
        const auto it = seen.constFind(cgiName);
        if (it != seen.constEnd()) {
            p[*it].second += (cgiName == "HTTP_COOKIE" ? "; " : ", ") + value;
            continue;
        }
        seen.insert(cgiName, p.size());
        p.emplaceBack(cgiName, value);
    }
    // Built once here; every request of the connection shares the block (the backend encodes
    // it once).
    auto block = std::make_shared<PhpParamBlock>();
    block->params = std::move(p);
    pending->baseParams = std::move(block);

    const QByteArray key = peerKey(socket->peerAddress(), socket->peerPort());
    if (!m_config.eventOpen) {
        m_handshakes.remove(socket);
        m_pendingUpgrades.insert(key, pending);
        m_wsServer->handleConnection(socket);
        return;
    }

    // The open event: PHP decides before the upgrade. The socket stays in m_handshakes, so the
    // sweep still enforces the handshake timeout while PHP thinks.
    connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
        if (m_handshakes.remove(socket))
            socket->deleteLater();
    });
    PhpRequest request;
    request.base = pending->baseParams;
    request.owner = pending->id;
    request.params.reserve(6);
    request.params.emplaceBack("WS_EVENT", "open");
    request.params.emplaceBack("WS_CLIENT_ID", pending->id);
    request.params.emplaceBack("WS_USER", "");
    request.params.emplaceBack("WS_GROUPS", "");
    request.params.emplaceBack("CONTENT_TYPE", "text/plain; charset=utf-8");
    request.params.emplaceBack("CONTENT_LENGTH", "0");
    QPointer<QTcpSocket> guard(socket);
    m_backend->submit(request, [this, guard, pending, request, key](const PhpResponse &r) {
        recordPhp(pending->id, "open", request, r);
        QTcpSocket *s = guard.data();
        if (!s || !m_handshakes.contains(s) || m_stopping) {
            if (s && m_handshakes.remove(s)) {
                s->abort();
                s->deleteLater();
            }
            return;
        }
        if (r.outcome != PhpOutcome::Ok) {
            refuseHandshake(
                s, r.outcome == PhpOutcome::Timeout ? 504 : 503,
                HttpResponse::reasonPhrase(r.outcome == PhpOutcome::Timeout ? 504 : 503),
                errorJson(QString::fromLatin1(phpOutcomeName(r.outcome)), r.error),
                "application/json");
            return;
        }
        if (r.status < 200 || r.status > 299) {
            m_metrics->countError(Metrics::OpenRefused);
            m_log->append([&] {
                TrafficEntry e;
                e.kind = TrafficEntry::Kind::Error;
                e.clientId = pending->id;
                e.status = r.status;
                e.isError = true;
                e.text = QStringLiteral("open_refused: PHP answered %1").arg(r.status);
                return e;
            }());
            refuseHandshake(s, r.status,
                            r.reason.isEmpty() ? HttpResponse::reasonPhrase(r.status) : r.reason,
                            r.body, r.contentType.isEmpty() ? "text/plain" : r.contentType);
            return;
        }
        // Control headers of the open reply take effect as the connection starts; its body,
        // if any, is the first message the client gets.
        pending->welcome = r.body;
        pending->welcomeBinary = r.contentType.startsWith("application/octet-stream");
        const QByteArray user = r.header("X-WS-User");
        if (!user.isEmpty())
            pending->user = QString::fromUtf8(user.trimmed());
        for (const QByteArray &g : r.header("X-WS-Join").split(',')) {
            if (!g.trimmed().isEmpty())
                pending->groups.insert(QString::fromUtf8(g.trimmed()));
        }
        const QByteArray close = r.header("X-WS-Close").trimmed();
        if (!close.isEmpty()) {
            const int space = close.indexOf(' ');
            pending->closeCode = (space < 0 ? close : close.left(space)).toInt();
            pending->closeReason = space < 0 ? QString() : QString::fromUtf8(close.mid(space + 1));
        }
        s->disconnect(this);
        m_handshakes.remove(s);
        m_pendingUpgrades.insert(key, pending);
        m_wsServer->handleConnection(s);
    });
}

bool Gateway::originAllowed(const QByteArray &origin) const {
    if (m_config.allowedOrigins.isEmpty() || m_config.allowedOrigins.contains(QStringLiteral("*")))
        return true;
    if (origin.isEmpty())
        return true; // non-browser clients send none; browsers always do
    const QString o = QString::fromUtf8(origin);
    for (const QString &allowed : m_config.allowedOrigins) {
        if (o.compare(allowed, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

void Gateway::refuseHandshake(QTcpSocket *socket, int status, const QByteArray &reason,
                              const QByteArray &body, const QByteArray &contentType) {
    m_handshakes.remove(socket);
    socket->disconnect(this);
    socket->readAll();
    QByteArray response = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\n";
    response += "Content-Type: " + contentType + "\r\n";
    response += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    response += "Connection: close\r\n\r\n";
    response += body;
    socket->write(response);
    connect(socket, &QTcpSocket::bytesWritten, socket, [socket] {
        if (socket->bytesToWrite() == 0)
            socket->disconnectFromHost();
    });
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    QTimer::singleShot(StopCloseTimeoutMs, socket, [socket] { socket->abort(); });
}

// ---------------------------------------------------------------------------------------------
// Connections

void Gateway::onWebSocketConnected() {
    while (m_wsServer->hasPendingConnections()) {
        QWebSocket *ws = m_wsServer->nextPendingConnection();
        if (!ws)
            break;
        const QByteArray key = peerKey(ws->peerAddress(), ws->peerPort());
        std::shared_ptr<PendingUpgrade> pending = m_pendingUpgrades.take(key);
        if (!pending || m_stopping) {
            ws->abort();
            ws->deleteLater();
            continue;
        }
        // QWebSocketServer stays connected to every upgraded socket and resolves sender() on
        // each handshake, which walks all its senders: opening n connections cost O(n²)
        // (10k took a minute). It has no further business with an upgraded socket.
        QObject::disconnect(ws, nullptr, m_wsServer, nullptr);
        for (QObject *child : ws->children())
            QObject::disconnect(child, nullptr, m_wsServer, nullptr);
        auto *session = new ClientSession(pending->id, ws);
        ws->setParent(this);
        ws->setMaxAllowedIncomingMessageSize(quint64(m_config.maxMessageBytes));
        ws->setMaxAllowedIncomingFrameSize(quint64(m_config.maxMessageBytes));
        session->peer =
            ws->peerAddress().toString() + QLatin1Char(':') + QString::number(ws->peerPort());
        session->path = pending->path;
        session->query = pending->query;
        session->origin = pending->origin;
        session->baseParams = std::move(pending->baseParams);
        session->connectedMs = session->lastActivityMs = nowMs();
        m_clients.insert(session->id, session);
        m_metrics->connectionsOpened.fetch_add(1, std::memory_order_relaxed);
        m_metrics->connectionsCurrent.fetch_add(1, std::memory_order_relaxed);
        if (!pending->user.isEmpty()) {
            session->user = pending->user;
            m_users[session->user].insert(session);
        }
        for (const QString &g : std::as_const(pending->groups)) {
            session->groups.insert(g);
            m_groups[g].insert(session);
        }

        connect(ws, &QWebSocket::textMessageReceived, this,
                [this, session](const QString &text) { onMessage(session, text.toUtf8(), false); });
        connect(ws, &QWebSocket::binaryMessageReceived, this,
                [this, session](const QByteArray &data) { onMessage(session, data, true); });
        connect(ws, &QWebSocket::pong, this, [session](quint64, const QByteArray &) {
            session->pingOutstanding = false;
            session->lastActivity.restart();
        });
        // QWebSocket emits aboutToClose when it sends its close frame: on our close() or in
        // answer to the peer's. A peer that vanished without a close frame gets none (1006).
        connect(ws, &QWebSocket::aboutToClose, this, [session] { session->sawClosing = true; });
        // Queued: close() and abort() can emit disconnected synchronously, and removing the
        // session inside them would pull it from under the caller (e.g. a loop over clients).
        connect(
            ws, &QWebSocket::disconnected, this, [this, session] { onDisconnected(session); },
            Qt::QueuedConnection);

        TrafficEntry e;
        e.kind = TrafficEntry::Kind::Open;
        e.direction = TrafficEntry::Direction::In;
        e.clientId = session->id;
        e.text = QStringLiteral("%1 %2%3%4 origin=%5")
                     .arg(session->peer, session->path,
                          session->query.isEmpty() ? QString() : QStringLiteral("?"),
                          QString::fromUtf8(session->query), session->origin);
        m_log->append(std::move(e));
        Q_EMIT clientEvent(QStringLiteral("client %1 connected from %2 (%3 open)")
                               .arg(QString::fromLatin1(session->id), session->peer)
                               .arg(m_clients.size()));
        if (!pending->welcome.isEmpty())
            sendReply(session, pending->welcome, pending->welcomeBinary);
        if (pending->closeCode)
            closeSession(session, pending->closeCode, pending->closeReason);
    }
}

void Gateway::onMessage(ClientSession *session, QByteArray payload, bool binary) {
    session->lastActivity.restart();
    session->lastActivityMs = nowMs();
    session->pingOutstanding = false;
    ++session->messagesIn;
    session->bytesIn += payload.size();
    m_metrics->messagesIn.fetch_add(1, std::memory_order_relaxed);
    m_metrics->bytesIn.fetch_add(payload.size(), std::memory_order_relaxed);
    if (m_log->enabled()) {
        TrafficEntry e;
        e.kind = TrafficEntry::Kind::MessageIn;
        e.direction = TrafficEntry::Direction::In;
        e.clientId = session->id;
        e.body = payload;
        e.binary = binary;
        m_log->append(std::move(e));
    }
    if (m_debugLogging)
        Q_EMIT debugLogged(QStringLiteral("client %1: in %2 %3 bytes")
                               .arg(QString::fromLatin1(session->id),
                                    binary ? QStringLiteral("binary") : QStringLiteral("text"))
                               .arg(payload.size()));
    if (session->closing || m_stopping)
        return; // the close frame is on its way; the client knows nothing more is read
    if (!m_config.eventMessage) {
        sendToSession(session,
                      errorJson(QStringLiteral("messages_disabled"),
                                QStringLiteral("this endpoint does not accept messages")),
                      false);
        return;
    }
    if (session->queue.size() >= m_config.queueLimit) {
        m_metrics->countError(Metrics::QueueFull);
        logError(session->id, QStringLiteral("queue_full"),
                 QStringLiteral("client %1 sent more than %2 messages while PHP was busy; closing "
                                "with 1008")
                     .arg(QString::fromLatin1(session->id))
                     .arg(m_config.queueLimit));
        closeSession(session, QWebSocketProtocol::CloseCodePolicyViolated,
                     QStringLiteral("queue full"));
        return;
    }
    session->queue.enqueue({std::move(payload), binary, session->lastActivityMs});
    m_metrics->queuedMessages.fetch_add(1, std::memory_order_relaxed);
    dispatchNext(session);
}

PhpRequest Gateway::buildRequest(const ClientSession &session, const char *event,
                                 const QByteArray &body, const QByteArray &contentType,
                                 QList<QPair<QByteArray, QByteArray>> extra) const {
    PhpRequest request;
    request.base = session.baseParams;
    request.owner = session.id;
    request.params.reserve(6 + extra.size());
    request.params.emplaceBack("WS_EVENT", event);
    request.params.emplaceBack("WS_CLIENT_ID", session.id);
    request.params.emplaceBack("WS_USER", session.user.toUtf8());
    request.params.emplaceBack("WS_GROUPS", session.groupsText().toUtf8());
    request.params.emplaceBack("CONTENT_TYPE", contentType);
    request.params.emplaceBack("CONTENT_LENGTH", QByteArray::number(body.size()));
    request.params.append(std::move(extra));
    request.body = body;
    return request;
}

void Gateway::dispatchNext(ClientSession *session) {
    if (session->phpInFlight || session->queue.isEmpty() || session->closing)
        return;
    ClientSession::Pending next = session->queue.dequeue();
    m_metrics->queuedMessages.fetch_sub(1, std::memory_order_relaxed);
    session->phpInFlight = true;
    QByteArray body;
    QByteArray contentType;
    if (m_config.mode == Configuration::BodyMode::Form) {
        body =
            "type=server&message=" + next.payload.toPercentEncoding() + "&client_id=" + session->id;
        contentType = "application/x-www-form-urlencoded";
    } else {
        body = next.payload;
        contentType = next.binary ? "application/octet-stream" : "text/plain; charset=utf-8";
    }
    PhpRequest request = buildRequest(*session, "message", body, contentType,
                                      {{"WS_MESSAGE_TYPE", next.binary ? "binary" : "text"}});
    const QByteArray id = session->id;
    const bool binary = next.binary;
    // The callback keeps its own reference (shared data, no deep copy) for the traffic log.
    PhpRequest logged = request;
    m_backend->submit(std::move(request),
                      [this, id, logged = std::move(logged), binary](const PhpResponse &r) {
                          onPhpReply(id, logged, binary, false, r);
                      });
}

void Gateway::recordPhp(const QByteArray &clientId, const char *event, const PhpRequest &request,
                        const PhpResponse &r) {
    const bool failed = r.outcome != PhpOutcome::Ok;
    if (failed) {
        m_metrics->countPhp(Metrics::PhpResult(int(r.outcome)));
        m_lastPhpError =
            QStringLiteral("%1: %2").arg(QLatin1String(phpOutcomeName(r.outcome)), r.error);
        m_lastPhpErrorMs = nowMs();
    } else {
        m_metrics->recordPhpLatency(r.phpUs);
        m_lastPhpOkMs = nowMs();
        if (r.status >= 200 && r.status <= 299) {
            m_metrics->countPhp(Metrics::PhpOk);
        } else {
            m_metrics->countPhp(Metrics::PhpStatusError);
            m_lastPhpError = QStringLiteral("php_status: PHP answered %1").arg(r.status);
            m_lastPhpErrorMs = m_lastPhpOkMs;
        }
    }
    if (m_debugLogging)
        Q_EMIT debugLogged(QStringLiteral("client %1: php %2 event: %3, status %4, %5 bytes "
                                          "out, %6 bytes back, %7 µs (queued %8 µs)")
                               .arg(QString::fromLatin1(clientId), QLatin1String(event),
                                    QLatin1String(phpOutcomeName(r.outcome)))
                               .arg(failed ? 0 : r.status)
                               .arg(request.body.size())
                               .arg(r.body.size())
                               .arg(r.phpUs)
                               .arg(r.queueWaitUs));
    if (failed)
        Q_EMIT errorLogged(QStringLiteral("client %1: %2 event: %3: %4")
                               .arg(QString::fromLatin1(clientId), QLatin1String(event),
                                    QLatin1String(phpOutcomeName(r.outcome)), r.error));
    if (!m_log->enabled())
        return;
    auto x = std::make_shared<PhpExchange>();
    x->base = request.base;
    x->extraParams = request.params;
    x->requestBody = request.body;
    x->requestBodySize = request.body.size();
    x->requestBodyTruncated = m_log->capBody(x->requestBody);
    x->outcome = QString::fromLatin1(phpOutcomeName(r.outcome));
    x->error = r.error;
    x->status = failed ? 0 : r.status;
    x->responseHeaders = r.headers; // Content-Type included: the parser keeps every header
    x->responseBody = r.body;
    x->responseBodySize = r.body.size();
    x->responseBodyTruncated = m_log->capBody(x->responseBody) || r.bodyTruncated;
    x->stderrData = r.stderrData;
    m_log->capBody(x->stderrData);
    x->queueWaitUs = r.queueWaitUs;
    x->phpUs = r.phpUs;

    TrafficEntry e;
    e.kind = TrafficEntry::Kind::Php;
    e.direction = TrafficEntry::Direction::Out;
    e.clientId = clientId;
    e.size = request.body.size();
    e.status = x->status;
    e.durationUs = r.phpUs;
    e.isError = failed || r.status < 200 || r.status > 299;
    // Plain concatenation: this runs for every message, QString::arg() showed in profiles.
    e.text = failed ? QLatin1String(event) + QLatin1Char(' ') + x->outcome + QLatin1String(": ") +
                          r.error
                    : QLatin1String(event) + QStringLiteral(" → ") + QString::number(r.status);
    if (!r.stderrData.isEmpty())
        e.text += QStringLiteral(" (stderr: %1 bytes)").arg(r.stderrData.size());
    e.php = std::move(x);
    m_log->append(std::move(e));
}

void Gateway::onPhpReply(const QByteArray &clientId, const PhpRequest &request, bool binary,
                         bool replayed, const PhpResponse &r) {
    Q_UNUSED(binary);
    recordPhp(clientId, "message", request, r);
    ClientSession *session = m_clients.value(clientId);
    if (!session) {
        if (!replayed) {
            m_metrics->countError(Metrics::VanishedMidRequest);
            logError(clientId, QStringLiteral("vanished_mid_request"),
                     QStringLiteral("client %1 left before PHP answered; reply discarded")
                         .arg(QString::fromLatin1(clientId)));
        }
        maybeFinishStop();
        return;
    }
    if (!replayed)
        session->phpInFlight = false;
    if (r.outcome != PhpOutcome::Ok || r.status < 200 || r.status > 299) {
        if (r.outcome == PhpOutcome::Ok)
            applyControlHeaders(session, r);
        reportPhpFailure(session, r);
    } else {
        applyControlHeaders(session, r);
        if (!r.body.isEmpty()) {
            const bool binaryReply = r.contentType.startsWith("application/octet-stream");
            sendReply(session, r.body, binaryReply);
        }
    }
    if (session->pendingCloseCode && !session->closing)
        closeSession(session, session->pendingCloseCode, session->pendingCloseReason);
    if (m_stopping) {
        maybeFinishStop();
        return;
    }
    dispatchNext(session);
}

void Gateway::applyControlHeaders(ClientSession *session, const PhpResponse &r) {
    for (const auto &[name, rawValue] : r.headers) {
        const QByteArray value = rawValue.trimmed();
        if (name.compare("X-WS-User", Qt::CaseInsensitive) == 0) {
            removeMember(m_users, session->user, session);
            session->user = QString::fromUtf8(value);
            if (!session->user.isEmpty())
                m_users[session->user].insert(session);
        } else if (name.compare("X-WS-Join", Qt::CaseInsensitive) == 0) {
            for (const QByteArray &g : value.split(',')) {
                if (!g.trimmed().isEmpty())
                    joinGroup(session->id, QString::fromUtf8(g.trimmed()));
            }
        } else if (name.compare("X-WS-Leave", Qt::CaseInsensitive) == 0) {
            for (const QByteArray &g : value.split(',')) {
                if (!g.trimmed().isEmpty())
                    leaveGroup(session->id, QString::fromUtf8(g.trimmed()));
            }
        } else if (name.compare("X-WS-Close", Qt::CaseInsensitive) == 0) {
            const int space = value.indexOf(' ');
            bool ok = false;
            const int code = (space < 0 ? value : value.left(space)).toInt(&ok);
            session->pendingCloseCode = ok ? code : int(QWebSocketProtocol::CloseCodeNormal);
            session->pendingCloseReason =
                space < 0 ? QString() : QString::fromUtf8(value.mid(space + 1));
        }
    }
}

void Gateway::reportPhpFailure(ClientSession *session, const PhpResponse &r) {
    const bool statusError = r.outcome == PhpOutcome::Ok;
    const QString code =
        statusError ? QStringLiteral("php_status") : QString::fromLatin1(phpOutcomeName(r.outcome));
    const QString message =
        statusError ? QStringLiteral("PHP answered %1 %2")
                          .arg(r.status)
                          .arg(QString::fromUtf8(
                              r.reason.isEmpty() ? HttpResponse::reasonPhrase(r.status) : r.reason))
                    : r.error;
    if (statusError)
        logError(session->id, code,
                 QStringLiteral("client %1: %2").arg(QString::fromLatin1(session->id), message));
    switch (m_config.onPhpError) {
    case Configuration::ErrorPolicy::Message:
        sendToSession(session, errorJson(code, message, statusError ? r.status : 0), false);
        break;
    case Configuration::ErrorPolicy::Close: {
        const bool overloaded = r.outcome == PhpOutcome::Unavailable ||
                                r.outcome == PhpOutcome::Overloaded ||
                                r.outcome == PhpOutcome::Timeout;
        closeSession(session, overloaded ? CloseCodeTryAgainLater : CloseCodeInternalError, code);
        break;
    }
    case Configuration::ErrorPolicy::Silent:
        break;
    }
}

void Gateway::sendReply(ClientSession *session, const QByteArray &body, bool binary) {
    sendToSession(session, body, binary);
    if (m_log->enabled()) {
        TrafficEntry e;
        e.kind = TrafficEntry::Kind::ReplyOut;
        e.direction = TrafficEntry::Direction::Out;
        e.clientId = session->id;
        e.body = body;
        e.binary = binary;
        m_log->append(std::move(e));
    }
}

void Gateway::sendToSession(ClientSession *session, const QByteArray &payload, bool binary,
                            const QString *text) {
    QWebSocket *ws = session->socket;
    if (ws->bytesToWrite() + payload.size() > m_config.sendBufferBytes && payload.size() > 0 &&
        ws->bytesToWrite() > 0) {
        // A reply to a client that stopped reading: dropping it silently is not an option.
        m_metrics->countError(Metrics::SlowConsumerClosed);
        logError(session->id, QStringLiteral("slow_consumer_closed"),
                 QStringLiteral("client %1 has %2 bytes unsent (--send-buffer); closing with 1008")
                     .arg(QString::fromLatin1(session->id))
                     .arg(ws->bytesToWrite()));
        closeSession(session, QWebSocketProtocol::CloseCodePolicyViolated,
                     QStringLiteral("send buffer full"));
        return;
    }
    if (binary)
        ws->sendBinaryMessage(payload);
    else if (text)
        ws->sendTextMessage(*text);
    else
        ws->sendTextMessage(QString::fromUtf8(payload));
    ++session->messagesOut;
    session->bytesOut += payload.size();
    if (m_debugLogging)
        Q_EMIT debugLogged(QStringLiteral("client %1: out %2 %3 bytes")
                               .arg(QString::fromLatin1(session->id),
                                    binary ? QStringLiteral("binary") : QStringLiteral("text"))
                               .arg(payload.size()));
    m_metrics->messagesOut.fetch_add(1, std::memory_order_relaxed);
    m_metrics->bytesOut.fetch_add(payload.size(), std::memory_order_relaxed);
}

void Gateway::closeSession(ClientSession *session, int code, const QString &reason) {
    if (session->closing)
        return;
    session->closing = true;
    QByteArray r = reason.toUtf8();
    if (r.size() > MaxCloseReasonBytes) {
        // Cut before a whole character: a split one would decode to U+FFFD (3 bytes) and
        // could push the reason past the frame's limit again.
        qsizetype cut = MaxCloseReasonBytes;
        while (cut > 0 && (uchar(r.at(cut)) & 0xC0) == 0x80)
            --cut;
        r.truncate(cut);
    }
    session->socket->close(QWebSocketProtocol::CloseCode(code), QString::fromUtf8(r));
}

void Gateway::onDisconnected(ClientSession *session) {
    QWebSocket *ws = session->socket;
    const bool vanished = !session->sawClosing && !session->closing;
    const int code =
        vanished ? int(QWebSocketProtocol::CloseCodeAbnormalDisconnection) : int(ws->closeCode());
    const QString reason = vanished ? QString() : ws->closeReason();
    TrafficEntry e;
    e.kind = TrafficEntry::Kind::Close;
    e.direction = TrafficEntry::Direction::In;
    e.clientId = session->id;
    e.status = code;
    e.text = reason;
    m_log->append(std::move(e));
    Q_EMIT clientEvent(QStringLiteral("client %1 disconnected (%2%3)")
                           .arg(QString::fromLatin1(session->id))
                           .arg(code)
                           .arg(reason.isEmpty() ? QString() : QLatin1Char(' ') + reason));
    if (m_config.eventClose && !m_stopping)
        sendEvent(session, "close", QByteArray::number(code), reason.toUtf8());
    // A reply still in flight finds no session and is counted as vanished_mid_request.
    removeSession(session);
}

void Gateway::sendEvent(ClientSession *session, const char *event, const QByteArray &closeCode,
                        const QByteArray &closeReason) {
    PhpRequest request =
        buildRequest(*session, event, {}, "text/plain; charset=utf-8",
                     {{"WS_CLOSE_CODE", closeCode}, {"WS_CLOSE_REASON", closeReason}});
    const QByteArray id = session->id;
    m_backend->submit(
        request, [this, id, request](const PhpResponse &r) { recordPhp(id, "close", request, r); });
}

void Gateway::removeSession(ClientSession *session) {
    removeMember(m_users, session->user, session);
    for (const QString &g : std::as_const(session->groups))
        removeMember(m_groups, g, session);
    m_metrics->queuedMessages.fetch_sub(session->queue.size(), std::memory_order_relaxed);
    m_clients.remove(session->id);
    m_metrics->connectionsClosed.fetch_add(1, std::memory_order_relaxed);
    m_metrics->connectionsCurrent.fetch_sub(1, std::memory_order_relaxed);
    delete session;
    maybeFinishStop();
}

// ---------------------------------------------------------------------------------------------
// MessageRouter: pushes, membership, state

void Gateway::deliver(ClientSession *session, const OutboundMessage &m, const QString &text,
                      DeliveryResult &result) {
    ++result.matched;
    if (session->closing)
        return;
    const qint64 buffered = session->socket->bytesToWrite();
    if (buffered > 0 && buffered + m.payload.size() > m_config.sendBufferBytes) {
        ++result.bufferFull;
        if (m_config.backpressure == Configuration::BackpressurePolicy::Close) {
            m_metrics->countError(Metrics::SlowConsumerClosed);
            logError(session->id, QStringLiteral("slow_consumer_closed"),
                     QStringLiteral("client %1 has %2 bytes unsent; closing with 1008")
                         .arg(QString::fromLatin1(session->id))
                         .arg(buffered));
            closeSession(session, QWebSocketProtocol::CloseCodePolicyViolated,
                         QStringLiteral("send buffer full"));
        } else {
            m_metrics->countError(Metrics::BufferFull);
        }
        return;
    }
    sendToSession(session, m.payload, m.binary, m.binary ? nullptr : &text);
    ++result.delivered;
}

void Gateway::logPush(const QString &target, const OutboundMessage &m, const DeliveryResult &r) {
    m_metrics->pushes.fetch_add(1, std::memory_order_relaxed);
    TrafficEntry e;
    e.kind = TrafficEntry::Kind::Push;
    e.direction = TrafficEntry::Direction::Out;
    e.body = m.payload;
    e.binary = m.binary;
    e.isError = r.delivered < r.matched || r.matched == 0;
    e.text =
        QStringLiteral("to %1: delivered %2 of %3").arg(target).arg(r.delivered).arg(r.matched);
    if (r.bufferFull)
        e.text += QStringLiteral(", %1 buffer full").arg(r.bufferFull);
    if (target.startsWith(QLatin1String("client ")))
        e.clientId = target.mid(7).toLatin1();
    m_log->append(std::move(e));
}

DeliveryResult Gateway::sendToClient(const QByteArray &clientId, const OutboundMessage &m) {
    DeliveryResult r;
    if (ClientSession *session = m_clients.value(clientId)) {
        const QString text = m.binary ? QString() : QString::fromUtf8(m.payload);
        deliver(session, m, text, r);
    }
    logPush(QStringLiteral("client ") + QString::fromLatin1(clientId), m, r);
    return r;
}

DeliveryResult Gateway::sendToUser(const QString &user, const OutboundMessage &m) {
    DeliveryResult r;
    const QString text = m.binary ? QString() : QString::fromUtf8(m.payload);
    const QSet<ClientSession *> sessions = m_users.value(user); // deliver() may close one
    for (ClientSession *session : sessions)
        deliver(session, m, text, r);
    logPush(QStringLiteral("user ") + user, m, r);
    return r;
}

DeliveryResult Gateway::sendToGroup(const QString &group, const OutboundMessage &m) {
    DeliveryResult r;
    const QString text = m.binary ? QString() : QString::fromUtf8(m.payload);
    const QSet<ClientSession *> sessions = m_groups.value(group);
    for (ClientSession *session : sessions)
        deliver(session, m, text, r);
    logPush(QStringLiteral("group ") + group, m, r);
    return r;
}

DeliveryResult Gateway::broadcast(const OutboundMessage &m) {
    DeliveryResult r;
    const QString text = m.binary ? QString() : QString::fromUtf8(m.payload);
    const QList<ClientSession *> sessions = m_clients.values();
    for (ClientSession *session : sessions)
        deliver(session, m, text, r);
    logPush(QStringLiteral("everyone"), m, r);
    return r;
}

bool Gateway::closeClient(const QByteArray &clientId, int code, const QString &reason) {
    ClientSession *session = m_clients.value(clientId);
    if (!session)
        return false;
    closeSession(session, code, reason);
    return true;
}

bool Gateway::joinGroup(const QByteArray &clientId, const QString &group) {
    ClientSession *session = m_clients.value(clientId);
    if (!session)
        return false;
    session->groups.insert(group);
    m_groups[group].insert(session);
    return true;
}

bool Gateway::leaveGroup(const QByteArray &clientId, const QString &group) {
    ClientSession *session = m_clients.value(clientId);
    if (!session)
        return false;
    session->groups.remove(group);
    removeMember(m_groups, group, session);
    return true;
}

QJsonObject Gateway::sessionJson(const ClientSession &s) const {
    QStringList groups(s.groups.begin(), s.groups.end());
    std::sort(groups.begin(), groups.end());
    return QJsonObject{
        {QStringLiteral("id"), QString::fromLatin1(s.id)},
        {QStringLiteral("peer"), s.peer},
        {QStringLiteral("path"), s.path},
        {QStringLiteral("query"), QString::fromUtf8(s.query)},
        {QStringLiteral("origin"), s.origin},
        {QStringLiteral("user"), s.user.isEmpty() ? QJsonValue() : QJsonValue(s.user)},
        {QStringLiteral("groups"), QJsonArray::fromStringList(groups)},
        {QStringLiteral("connected_at"),
         QDateTime::fromMSecsSinceEpoch(s.connectedMs).toUTC().toString(Qt::ISODateWithMs)},
        {QStringLiteral("messages_in"), double(s.messagesIn)},
        {QStringLiteral("messages_out"), double(s.messagesOut)},
        {QStringLiteral("bytes_in"), double(s.bytesIn)},
        {QStringLiteral("bytes_out"), double(s.bytesOut)},
        {QStringLiteral("queue_depth"), int(s.queue.size())},
        {QStringLiteral("send_buffer_bytes"), double(s.socket->bytesToWrite())},
    };
}

QJsonArray Gateway::clientList() const {
    QJsonArray list;
    for (const ClientSession *s : std::as_const(m_clients))
        list.append(sessionJson(*s));
    return list;
}

QJsonObject Gateway::clientInfo(const QByteArray &clientId) const {
    const ClientSession *s = m_clients.value(clientId);
    return s ? sessionJson(*s) : QJsonObject();
}

QJsonObject Gateway::groupList() const {
    QJsonObject groups;
    for (auto it = m_groups.cbegin(); it != m_groups.cend(); ++it) {
        QJsonArray members;
        for (const ClientSession *s : it.value())
            members.append(QString::fromLatin1(s->id));
        groups.insert(it.key(), members);
    }
    return groups;
}

// ---------------------------------------------------------------------------------------------
// Housekeeping: one sweep for handshake timeouts, idle pings and the stop drain.

void Gateway::sweep() {
    for (auto it = m_handshakes.begin(); it != m_handshakes.end();) {
        if (it.value().elapsed() > m_config.handshakeTimeoutMs) {
            QTcpSocket *socket = it.key();
            it = m_handshakes.erase(it);
            m_metrics->countError(Metrics::HandshakeTimeout);
            logError({}, QStringLiteral("handshake_timeout"),
                     QStringLiteral("handshake from %1 not completed in %2 ms; dropped")
                         .arg(socket->peerAddress().toString())
                         .arg(m_config.handshakeTimeoutMs));
            socket->disconnect(this);
            socket->abort();
            socket->deleteLater();
        } else {
            ++it;
        }
    }
    const qint64 intervalMs = qint64(m_config.pingIntervalSec) * 1000;
    const qint64 pingCheckMs = std::clamp(intervalMs / 4, MinPingCheckMs, MaxPingCheckMs);
    if (m_config.pingIntervalSec > 0 && !m_clients.isEmpty() &&
        (!m_pingCheck.isValid() || m_pingCheck.elapsed() >= pingCheckMs - SweepIntervalMs / 2)) {
        m_pingCheck.start();
        // No copy of the list: abort() and ping() never remove a session synchronously
        // (disconnected is handled queued).
        for (ClientSession *s : std::as_const(m_clients)) {
            const qint64 idle = s->lastActivity.elapsed();
            if (s->pingOutstanding && idle > 2 * intervalMs) {
                m_metrics->countError(Metrics::IdleTimeout);
                logError(s->id, QStringLiteral("idle_timeout"),
                         QStringLiteral("client %1 did not answer a ping; closing")
                             .arg(QString::fromLatin1(s->id)));
                s->closing = true;
                s->socket->abort();
            } else if (!s->pingOutstanding && idle > intervalMs) {
                s->pingOutstanding = true;
                s->socket->ping();
            }
        }
    }
    if (m_stopping)
        maybeFinishStop();
}

void Gateway::publishSnapshot() {
    auto snap = std::make_shared<GatewaySnapshot>();
    snap->timeMs = nowMs();
    snap->listening = isListening();
    if (snap->listening) {
        Configuration c = m_config;
        c.listenPort = serverPort();
        snap->listenUrl = c.listenUrl();
    }
    snap->pushUrl = m_config.pushUrl();
    snap->clients.reserve(m_clients.size());
    for (const ClientSession *s : std::as_const(m_clients)) {
        ClientSnapshot c;
        c.id = s->id;
        c.peer = s->peer;
        c.path = s->path;
        c.query = QString::fromUtf8(s->query);
        c.origin = s->origin;
        c.user = s->user;
        c.groups = QStringList(s->groups.begin(), s->groups.end());
        c.connectedMs = s->connectedMs;
        c.lastActivityMs = s->lastActivityMs;
        c.messagesIn = s->messagesIn;
        c.messagesOut = s->messagesOut;
        c.bytesIn = s->bytesIn;
        c.bytesOut = s->bytesOut;
        c.queueDepth = int(s->queue.size());
        c.phpInFlight = s->phpInFlight;
        c.sendBufferBytes = s->socket->bytesToWrite();
        snap->clients.append(std::move(c));
    }
    snap->groups = m_groups.keys();
    snap->users = m_users.keys();
    snap->pool = m_backend->stats();
    snap->lastPhpError = m_lastPhpError;
    snap->lastPhpErrorMs = m_lastPhpErrorMs;
    snap->lastPhpOkMs = m_lastPhpOkMs;
    QMutexLocker lock(&m_snapshotMutex);
    m_snapshot = std::move(snap);
}

void Gateway::stop() {
    if (m_stopping)
        return;
    m_stopping = true;
    m_stopTimer.start();
    if (m_tcpServer)
        m_tcpServer->close(); // kept: deleting it would delete the sockets it accepted
    for (auto it = m_handshakes.begin(); it != m_handshakes.end(); ++it) {
        it.key()->disconnect(this);
        it.key()->abort();
        it.key()->deleteLater();
    }
    m_handshakes.clear();
    m_pendingUpgrades.clear();
    // Queued messages will not reach PHP: say so in the log rather than drop them unseen.
    for (ClientSession *s : std::as_const(m_clients)) {
        if (!s->queue.isEmpty()) {
            logError(s->id, QStringLiteral("shutdown"),
                     QStringLiteral("client %1: %2 queued messages not sent to PHP (shutting "
                                    "down)")
                         .arg(QString::fromLatin1(s->id))
                         .arg(s->queue.size()));
            m_metrics->queuedMessages.fetch_sub(s->queue.size(), std::memory_order_relaxed);
            s->queue.clear();
        }
    }
    if (!m_sweepTimer.isActive())
        m_sweepTimer.start();
    maybeFinishStop();
}

void Gateway::maybeFinishStop() {
    if (!m_stopping)
        return;
    bool inFlight = false;
    for (const ClientSession *s : std::as_const(m_clients))
        inFlight = inFlight || s->phpInFlight;
    const bool drained = !inFlight || m_stopTimer.elapsed() > StopDrainTimeoutMs;
    if (drained) {
        const QList<ClientSession *> sessions = m_clients.values();
        for (ClientSession *s : sessions)
            closeSession(s, QWebSocketProtocol::CloseCodeGoingAway,
                         QStringLiteral("server shutdown"));
    }
    if (drained &&
        (m_clients.isEmpty() || m_stopTimer.elapsed() > StopDrainTimeoutMs + StopCloseTimeoutMs)) {
        if (m_stopTimer.isValid()) {
            m_stopTimer.invalidate();
            m_sweepTimer.stop();
            const QList<ClientSession *> sessions = m_clients.values();
            for (ClientSession *s : sessions)
                s->socket->abort();
            publishSnapshot();
            QTimer::singleShot(0, this, &Gateway::stopped);
        }
    }
}

bool Gateway::replay(quint64 entryId, QString *error) {
    TrafficEntry entry;
    if (!m_log->entry(entryId, &entry) || !entry.php) {
        *error = QStringLiteral("entry %1 is not a PHP exchange in the log").arg(entryId);
        return false;
    }
    if (entry.php->requestBodyTruncated) {
        *error = QStringLiteral("the logged body was truncated; it cannot be replayed exactly");
        return false;
    }
    PhpRequest request;
    request.params = entry.php->params();
    request.body = entry.php->requestBody;
    bool binary = false;
    for (const auto &p : request.params) {
        if (p.first == "WS_MESSAGE_TYPE")
            binary = p.second == "binary";
    }
    const QByteArray id = entry.clientId;
    m_backend->submit(request, [this, id, request, binary](const PhpResponse &r) {
        onPhpReply(id, request, binary, true, r);
    });
    return true;
}

void Gateway::logError(const QByteArray &clientId, const QString &code, const QString &message) {
    TrafficEntry e;
    e.kind = TrafficEntry::Kind::Error;
    e.clientId = clientId;
    e.isError = true;
    e.text = code + QStringLiteral(": ") + message;
    const QString line = e.text;
    m_log->append(std::move(e));
    Q_EMIT errorLogged(line);
}
