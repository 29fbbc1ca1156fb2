#pragma once

#include "cgiparams.h"
#include "handshakelimits.h"
#include "handshaketriage.h"
#include "php/phpbackend.h"
#include "phpbridge.h"
#include "websocket/websocketconnection.h"

#include <QByteArray>
#include <QHostAddress>
#include <QObject>
#include <QSslConfiguration>

#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>

class MemoryBudget;
class QTcpSocket;
class SocketListener;
class TrafficRecorder;
class WebSocketUpgrader;

/// The internet-facing edge of the WebSocket port: the listener (and TLS), the table of
/// handshakes in progress, each with one deadline, caps on concurrent handshakes overall and
/// per address, open-event rates, triage of each head with the project's HTTP parser
/// (refusals with a status, a body, a log line and a counter), the open event, and the
/// upgrade — negotiated by QWebSocketServer — after which the connection is the gateway's.
/// Nothing is kept for a connection that ends here.
class WebSocketFront final : public QObject {
    Q_OBJECT
public:
    struct Settings {
        QHostAddress address = QHostAddress::LocalHost;
        quint16 port = 8080;
        bool reusePort = false;
        std::optional<QSslConfiguration> tls; // wss://
        HandshakeTriage::Settings triage;
        QStringList allowedOrigins;  // "*": any; empty: see sameOriginOnly
        bool sameOriginOnly = false; // with no list: only Origin host = Host (or no Origin)
        int maxConnections = 10000;  // sessions and handshakes together
        int handshakeTimeoutMs = 10000;
        HandshakeLimits::Settings limits;
        bool openEvents = false;
        CgiParams::Settings cgi;
        WebSocketConnection::Limits connectionLimits;
        QString serverName = QStringLiteral("wsgate");
        int reserveDescriptors = 64; // kept free for FastCGI, the push API, logs
        /// Client ids start with the node's tag (8 hex digits), then 96 random bits.
        QByteArray clientIdPrefix = "00000000";
    };

    /// A connection the upgrade made: the gateway's from here on.
    struct Upgrade {
        QByteArray clientId;
        std::shared_ptr<const PhpParamBlock> cgi;
        std::unique_ptr<ByteStream> stream;
        QByteArray leftover; // bytes after the head: the first frames may be among them
        std::optional<OpenDecision> open; // PHP's accepting answer, with open events
        QString subprotocol;
    };

    WebSocketFront(const Settings &settings, TrafficRecorder *recorder, MemoryBudget *budget,
                   QObject *parent = nullptr);
    ~WebSocketFront() override;

    bool listen(QString *error);
    /// Stops accepting and drops every handshake in progress.
    void close();
    bool isListening() const;
    quint16 port() const;

    /// GET / on the WebSocket port serves this page (the demo); empty: 404.
    void setIndexPage(const QByteArray &html) {
        m_indexPage = html;
        m_settings.triage.indexPage = !html.isEmpty();
    }
    /// How many sessions the gateway holds (for --max-connections).
    void setSessionCount(std::function<int()> count) { m_sessionCount = std::move(count); }
    /// Told when a handshake begins: from then on sweep() has a deadline to watch.
    void setHandshakeWatcher(std::function<void()> watcher) {
        m_handshakeWatcher = std::move(watcher);
    }
    /// Asks PHP (open event); returns a ticket for abandonOpen.
    using OpenHandler = std::function<PhpBackend::Ticket(
        const QByteArray &clientId, std::shared_ptr<const PhpParamBlock> cgi,
        std::function<void(const OpenDecision &)> done)>;
    void setOpenHandler(OpenHandler handler, std::function<void(PhpBackend::Ticket)> abandon);
    void setUpgradeHandler(std::function<void(Upgrade &&)> handler) {
        m_upgraded = std::move(handler);
    }
    /// Plain HTTP below the push prefix: the connection and every byte read from it so far.
    void setHttpHandoff(std::function<void(QTcpSocket *socket, const QByteArray &read)> handoff) {
        m_httpHandoff = std::move(handoff);
    }

    /// Deadlines and pruning; the gateway's sweep calls it once a second while handshakes are
    /// in progress, and at least once a minute.
    void sweep(qint64 nowMs);
    int handshakeCount() const { return int(m_handshakes.size()); }
    /// Bytes held for handshakes in progress (heads and bytes read ahead of an upgrade).
    qint64 bufferedBytes() const;
    /// Head bytes given to the parsers since start: each byte is parsed once, however slowly
    /// a head arrives.
    quint64 headBytesParsed() const { return m_headBytesParsed; }
    /// The extra params of every connection from now on (WS_PUSH_URL …).
    void setExtraParams(const PhpParams &params) { m_settings.cgi.extra = params; }
    /// Descriptors the process may still open for clients before the reserve (RLIMIT_NOFILE).
    int descriptorRoom() const;

Q_SIGNALS:
    /// PHP accepted an open event but the connection ended before the upgrade: PHP is owed
    /// its close event (1006).
    void lostAfterOpen(const QByteArray &clientId, std::shared_ptr<const PhpParamBlock> cgi,
                       const OpenDecision &decision);

private:
    class Handshake;
    friend class Handshake;

    void onAccepted(qintptr descriptor);
    void onData(Handshake *h, QByteArrayView data);
    void onClosed(Handshake *h);
    void triage(Handshake *h);
    void startUpgrade(Handshake *h);
    void onOpenDecision(Handshake *h, const OpenDecision &decision);
    void negotiate(Handshake *h);
    void refuse(Handshake *h, const HandshakeDecision &decision, int metric);
    void answer(Handshake *h, const HttpResponse &response);
    bool originAllowed(const HttpRequest &head) const;
    void remove(Handshake *h);
    QByteArray newClientId() const;

    Settings m_settings;
    TrafficRecorder *m_recorder;
    MemoryBudget *m_budget;
    SocketListener *m_listener = nullptr;
    WebSocketUpgrader *m_upgrader = nullptr;
    HandshakeLimits m_limits;
    std::unordered_map<Handshake *, std::unique_ptr<Handshake>> m_handshakes;
    QByteArray m_indexPage;
    std::function<int()> m_sessionCount;
    std::function<void()> m_handshakeWatcher;
    OpenHandler m_openHandler;
    std::function<void(PhpBackend::Ticket)> m_abandonOpen;
    std::function<void(Upgrade &&)> m_upgraded;
    std::function<void(QTcpSocket *, const QByteArray &)> m_httpHandoff;
    int m_descriptorLimit = 0;
    quint64 m_headBytesParsed = 0;
    qint64 m_lastPruneMs = 0;
};
