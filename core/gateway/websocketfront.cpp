#include "websocketfront.h"

#include "keepalivesweep.h"
#include "memorybudget.h"
#include "socketlistener.h"
#include "trafficrecorder.h"
#include "websocket/fdstream.h"
#include "websocket/qtsocketstream.h"
#include "websocket/websocketupgrader.h"

#include <QDateTime>
#include <QRandomGenerator>
#include <QSslSocket>
#include <QTcpSocket>
#include <QUrl>

#ifdef Q_OS_UNIX
#include <sys/resource.h>
#endif

namespace {

constexpr qsizetype MaxPreUpgradeBytes = 64 * 1024; // read ahead while PHP decides; then pause
constexpr int LingerMs = 2000;          // after a refusal, for the peer to read it and close
constexpr int PruneIntervalMs = 60000;  // forget idle per-address rate buckets
constexpr int ClientIdRandomBytes = 12; // 96 bits, after the node's 32-bit tag

QString peerText(const QHostAddress &address) {
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    return isV4 ? QHostAddress(v4).toString() : address.toString();
}

QByteArray randomHex(int bytes) {
    QByteArray raw(bytes, Qt::Uninitialized);
    QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(raw.data()),
                                         reinterpret_cast<quint32 *>(raw.data() + raw.size()));
    return raw.toHex();
}

} // namespace

/// One connection between accept and upgrade (or refusal).
class WebSocketFront::Handshake final : public ByteStream::Listener {
public:
    enum class State { ReadingHead, AskingPhp, Negotiating, Answering };

    Handshake(WebSocketFront *front, std::unique_ptr<ByteStream> s, qint64 now)
        : front(front)
        , stream(std::move(s))
        , peer(stream->peerAddress())
        , parser(HandshakeTriage::parserLimits())
        , startedMs(now) {}

    void onStreamData(QByteArrayView data) override { front->onData(this, data); }
    void onStreamClosed(ByteStream::CloseReason, const QString &) override {
        front->onClosed(this);
    }

    WebSocketFront *front;
    std::unique_ptr<ByteStream> stream;
    const QHostAddress peer;
    HttpRequestParser parser;
    QByteArray head;     // the request head's bytes, as read
    QByteArray leftover; // bytes after the head
    State state = State::ReadingHead;
    qint64 startedMs;
    qint64 answeredMs = 0;
    PhpBackend::Ticket openTicket = 0;
    quint64 upgraderTicket = 0;
    QByteArray clientId;
    std::shared_ptr<const PhpParamBlock> cgi;
    std::optional<OpenDecision> open;
};

WebSocketFront::WebSocketFront(const Settings &settings, TrafficRecorder *recorder,
                               MemoryBudget *budget, QObject *parent)
    : QObject(parent)
    , m_settings(settings)
    , m_recorder(recorder)
    , m_budget(budget)
    , m_limits(settings.limits) {
    m_upgrader = new WebSocketUpgrader(settings.serverName, this);
}

WebSocketFront::~WebSocketFront() {
    close();
}

bool WebSocketFront::listen(QString *error) {
#ifdef Q_OS_UNIX
    // Every connection is a descriptor: use what the hard limit allows, and keep a reserve.
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        if (limit.rlim_cur < limit.rlim_max) {
            limit.rlim_cur = limit.rlim_max;
            ::setrlimit(RLIMIT_NOFILE, &limit);
        }
        m_descriptorLimit = int(std::min<rlim_t>(limit.rlim_cur, 1 << 30));
    }
#endif
    if (!m_listener) {
        m_listener = new SocketListener(this);
        m_listener->setAcceptHandler([this](qintptr fd) { onAccepted(fd); });
        connect(m_listener, &SocketListener::acceptFailed, this,
                [this](const QString &message, bool outOfDescriptors) {
                    m_recorder->error(
                        {}, Metrics::AcceptError,
                        QStringLiteral("accepting a connection failed: %1%2")
                            .arg(message, outOfDescriptors
                                              ? QStringLiteral(" (the connection was shed; "
                                                               "raise the open-files limit)")
                                              : QString()));
                });
    }
    SocketListener::Options o;
    o.address = m_settings.address;
    o.port = m_settings.port;
    o.reusePort = m_settings.reusePort;
    return m_listener->listen(o, error);
}

void WebSocketFront::close() {
    if (m_listener)
        m_listener->close();
    std::vector<Handshake *> all;
    all.reserve(m_handshakes.size());
    for (const auto &[h, owned] : m_handshakes)
        all.push_back(h);
    for (Handshake *h : all) {
        if (h->openTicket && m_abandonOpen)
            m_abandonOpen(h->openTicket);
        h->openTicket = 0;
        remove(h);
    }
}

bool WebSocketFront::isListening() const {
    return m_listener && m_listener->isListening();
}

quint16 WebSocketFront::port() const {
    return m_listener ? m_listener->port() : 0;
}

void WebSocketFront::setOpenHandler(OpenHandler handler,
                                    std::function<void(PhpBackend::Ticket)> abandon) {
    m_openHandler = std::move(handler);
    m_abandonOpen = std::move(abandon);
}

qint64 WebSocketFront::bufferedBytes() const {
    qint64 n = 0;
    for (const auto &[h, owned] : m_handshakes)
        n += h->head.size() + h->leftover.size();
    return n;
}

int WebSocketFront::descriptorRoom() const {
    if (m_descriptorLimit <= 0)
        return m_settings.maxConnections;
    const int used = (m_sessionCount ? m_sessionCount() : 0) + handshakeCount();
    return m_descriptorLimit - m_settings.reserveDescriptors - used;
}

QByteArray WebSocketFront::newClientId() const {
    return m_settings.clientIdPrefix + randomHex(ClientIdRandomBytes);
}

// ---------------------------------------------------------------------------------------------
// Accept

void WebSocketFront::onAccepted(qintptr fd) {
    std::unique_ptr<ByteStream> stream;
    if (m_settings.tls) {
        auto *ssl = new QSslSocket;
        if (!ssl->setSocketDescriptor(fd)) {
            delete ssl;
            return;
        }
        ssl->setSslConfiguration(*m_settings.tls);
        ssl->startServerEncryption();
        stream = std::make_unique<QtSocketStream>(std::unique_ptr<QTcpSocket>(ssl));
    } else {
#ifdef Q_OS_UNIX
        stream = FdStream::adopt(int(fd));
#endif
    }
    if (!stream)
        return;
    const QHostAddress peer = stream->peerAddress();
    if (m_descriptorLimit > 0 && fd >= m_descriptorLimit - m_settings.reserveDescriptors) {
        stream.reset(); // closes it
        m_recorder->refused(peerText(peer), Metrics::TooManyConnections, 503,
                            "descriptors_reserved",
                            QStringLiteral("descriptor %1 of %2 reaches the %3 kept for "
                                           "FastCGI and the push API")
                                .arg(fd)
                                .arg(m_descriptorLimit)
                                .arg(m_settings.reserveDescriptors));
        return;
    }
    const HandshakeLimits::Verdict verdict = m_limits.admit(peer);
    if (verdict != HandshakeLimits::Verdict::Admitted) {
        const bool overall = verdict == HandshakeLimits::Verdict::TooMany;
        m_recorder->refused(peerText(peer), Metrics::HandshakeLimit, 503, "too_many_handshakes",
                            overall ? QStringLiteral("%1 handshakes in progress "
                                                     "(--max-handshakes)")
                                          .arg(m_limits.handshakes())
                                    : QStringLiteral("%1 handshakes in progress from this "
                                                     "address (--max-handshakes-per-address)")
                                          .arg(m_settings.limits.maxHandshakesPerAddress));
        HandshakeDecision d;
        d.status = 503;
        d.message = "too many handshakes";
        HttpResponse::Framing framing;
        framing.keepAlive = false;
        stream->write(d.response().toBytes(framing));
        stream->shutdownWrite();
        return; // the stream closes as it goes out of scope, after the kernel took the answer
    }
    auto owned = std::make_unique<Handshake>(this, std::move(stream), KeepAliveSweep::nowMs());
    Handshake *h = owned.get();
    h->stream->setListener(h);
    m_handshakes.emplace(h, std::move(owned));
    if (m_handshakeWatcher)
        m_handshakeWatcher();
}

// ---------------------------------------------------------------------------------------------
// The head

void WebSocketFront::onData(Handshake *h, QByteArrayView data) {
    switch (h->state) {
    case Handshake::State::ReadingHead: {
        // Resumable: each byte is parsed once however slowly the head arrives.
        m_headBytesParsed += quint64(data.size());
        const HttpRequestParser::Result r = h->parser.feed(data);
        const qsizetype used =
            r.status == HttpRequestParser::Status::Incomplete ? data.size() : r.consumed;
        h->head.append(data.first(std::min(used, data.size())));
        if (r.status == HttpRequestParser::Status::Error) {
            refuse(h, HandshakeTriage::parseError(h->parser.error(), h->parser.errorDetail()),
                   Metrics::BadHandshake);
        } else if (r.status != HttpRequestParser::Status::Incomplete) {
            h->leftover.append(data.sliced(std::min(used, data.size())));
            triage(h);
        }
        return;
    }
    case Handshake::State::AskingPhp:
    case Handshake::State::Negotiating:
        // Frames sent before the upgrade completes: kept (bounded), then TCP holds the rest.
        h->leftover.append(data);
        if (h->leftover.size() > MaxPreUpgradeBytes)
            h->stream->setReadingPaused(true);
        return;
    case Handshake::State::Answering:
        return; // read and dropped until the peer closes or the linger ends
    }
}

void WebSocketFront::triage(Handshake *h) {
    const HandshakeDecision d = HandshakeTriage::decide(h->parser.request(), m_settings.triage);
    switch (d.action) {
    case HandshakeDecision::Action::Refuse:
        refuse(h, d, Metrics::BadHandshake);
        return;
    case HandshakeDecision::Action::IndexPage:
        answer(h, HttpResponse::text(200, m_indexPage, "text/html; charset=utf-8"));
        return;
    case HandshakeDecision::Action::PushApi: {
        if (!m_httpHandoff) {
            refuse(h,
                   HandshakeDecision{
                       HandshakeDecision::Action::Refuse, 404, "not_found", "not found", {}},
                   Metrics::BadHandshake);
            return;
        }
        const QByteArray read = h->head + h->leftover;
        QTcpSocket *socket = h->stream->detachToQtSocket();
        remove(h);
        if (socket)
            m_httpHandoff(socket, read);
        return;
    }
    case HandshakeDecision::Action::Upgrade:
        startUpgrade(h);
        return;
    }
}

bool WebSocketFront::originAllowed(const HttpRequest &head) const {
    const QByteArray origin = head.header("Origin").trimmed();
    if (origin.isEmpty() || m_settings.allowedOrigins.contains(QStringLiteral("*")))
        return true; // non-browser clients send none; browsers always do
    const QString o = QString::fromUtf8(origin);
    if (!m_settings.allowedOrigins.isEmpty()) {
        for (const QString &allowed : m_settings.allowedOrigins) {
            if (o.compare(allowed, Qt::CaseInsensitive) == 0)
                return true;
        }
        return false;
    }
    if (!m_settings.sameOriginOnly)
        return true;
    // Same origin: the page that opens the socket was served by the host it connects to.
    const QUrl url(o);
    const int originPort = url.port(url.scheme() == QLatin1String("https") ? 443 : 80);
    const QUrl host(QStringLiteral("//") + QString::fromUtf8(head.header("Host")));
    const int hostPort = host.port(m_settings.tls ? 443 : 80);
    return url.isValid() && !url.host().isEmpty() &&
           url.host().compare(host.host(), Qt::CaseInsensitive) == 0 && originPort == hostPort;
}

void WebSocketFront::startUpgrade(Handshake *h) {
    const HttpRequest &head = h->parser.request();
    if (!originAllowed(head)) {
        refuse(h,
               HandshakeDecision{HandshakeDecision::Action::Refuse,
                                 403,
                                 "origin_not_allowed",
                                 "origin \"" + head.header("Origin") + "\" not allowed" +
                                     (m_settings.allowedOrigins.isEmpty()
                                          ? QByteArray(" (same-origin only: set "
                                                       "--allowed-origins)")
                                          : QByteArray()),
                                 {}},
               Metrics::OriginRefused);
        return;
    }
    const int sessions = m_sessionCount ? m_sessionCount() : 0;
    if (sessions + handshakeCount() > m_settings.maxConnections) {
        refuse(h,
               HandshakeDecision{HandshakeDecision::Action::Refuse,
                                 503,
                                 "too_many_connections",
                                 QByteArray::number(sessions) +
                                     " connections open (--max-connections)",
                                 {}},
               Metrics::TooManyConnections);
        return;
    }
    if (!m_budget->admitsHandshakes()) {
        refuse(h,
               HandshakeDecision{HandshakeDecision::Action::Refuse,
                                 503,
                                 "memory_budget",
                                 "the gateway's memory budget is nearly spent",
                                 {}},
               Metrics::MemoryBudget);
        return;
    }
    h->clientId = newClientId();
    CgiParams::Endpoints e{h->stream->peerAddress(), h->stream->peerPort(),
                           h->stream->localAddress(), h->stream->localPort()};
    auto block = std::make_shared<PhpParamBlock>();
    block->params = CgiParams::build(m_settings.cgi, e, head);
    h->cgi = std::move(block);
    if (!m_settings.openEvents || !m_openHandler) {
        negotiate(h);
        return;
    }
    if (!m_limits.takeOpen(h->peer, KeepAliveSweep::nowMs())) {
        refuse(h,
               HandshakeDecision{HandshakeDecision::Action::Refuse,
                                 503,
                                 "open_rate_limited",
                                 "too many connections opened at once; retry",
                                 {{"Retry-After", "1"}}},
               Metrics::OpenRateLimited);
        return;
    }
    h->state = Handshake::State::AskingPhp;
    h->openTicket = m_openHandler(h->clientId, h->cgi,
                                  [this, h](const OpenDecision &d) { onOpenDecision(h, d); });
}

void WebSocketFront::onOpenDecision(Handshake *h, const OpenDecision &d) {
    h->openTicket = 0;
    if (!d.accept) {
        HttpResponse r(d.status);
        r.setReason(d.reason);
        r.setBody(d.body, d.contentType);
        r.setCloseConnection(true);
        answer(h, r);
        return;
    }
    h->open = d;
    negotiate(h);
}

void WebSocketFront::negotiate(Handshake *h) {
    h->state = Handshake::State::Negotiating;
    h->upgraderTicket = m_upgrader->negotiate(
        h->head, h->peer, h->stream->peerPort(), m_settings.tls.has_value(),
        [this, h](const WebSocketUpgrader::Result &result) {
            h->upgraderTicket = 0;
            if (!result.accepted) {
                // Triage lets through only what Qt accepts; if Qt disagrees, its answer goes.
                m_recorder->refused(
                    peerText(h->peer), Metrics::BadHandshake, 400, "bad_handshake",
                    QStringLiteral("QWebSocketServer refused the upgrade: %1").arg(result.error));
                if (h->open)
                    Q_EMIT lostAfterOpen(h->clientId, h->cgi, *h->open);
                h->open.reset();
                h->state = Handshake::State::Answering;
                h->answeredMs = KeepAliveSweep::nowMs();
                h->stream->write(result.response);
                h->stream->shutdownWrite();
                return;
            }
            Upgrade up;
            up.clientId = h->clientId;
            up.cgi = h->cgi;
            up.leftover = h->leftover;
            up.open = h->open;
            up.subprotocol = result.subprotocol;
            up.stream = std::move(h->stream);
            up.stream->setListener(nullptr);
            up.stream->setReadingPaused(false);
            remove(h);
            up.stream->write(result.response);
            if (m_upgraded)
                m_upgraded(std::move(up));
        });
}

// ---------------------------------------------------------------------------------------------
// Answers and endings

void WebSocketFront::refuse(Handshake *h, const HandshakeDecision &d, int metric) {
    m_recorder->refused(peerText(h->peer), Metrics::ClientError(metric), d.status, d.code,
                        QString::fromUtf8(d.message));
    answer(h, d.response());
}

void WebSocketFront::answer(Handshake *h, const HttpResponse &response) {
    if (h->openTicket && m_abandonOpen)
        m_abandonOpen(h->openTicket);
    h->openTicket = 0;
    h->state = Handshake::State::Answering;
    h->answeredMs = KeepAliveSweep::nowMs();
    h->head.clear();
    h->leftover.clear();
    h->parser.reset();
    HttpResponse::Framing f;
    f.keepAlive = false;
    f.date = QDateTime::currentDateTimeUtc();
    HttpResponse r = response;
    r.setCloseConnection(true);
    h->stream->write(r.toBytes(f));
    h->stream->shutdownWrite();
}

void WebSocketFront::onClosed(Handshake *h) {
    if (h->openTicket && m_abandonOpen)
        m_abandonOpen(h->openTicket);
    h->openTicket = 0;
    if (h->open)
        Q_EMIT lostAfterOpen(h->clientId, h->cgi, *h->open);
    remove(h);
}

void WebSocketFront::remove(Handshake *h) {
    const auto it = m_handshakes.find(h);
    if (it == m_handshakes.end())
        return;
    if (h->upgraderTicket)
        m_upgrader->cancel(h->upgraderTicket);
    m_limits.release(h->peer);
    std::unique_ptr<Handshake> owned = std::move(it->second);
    m_handshakes.erase(it);
    if (owned->stream)
        owned->stream->setListener(nullptr);
}

void WebSocketFront::sweep(qint64 now) {
    std::vector<Handshake *> expired;
    for (const auto &[h, owned] : m_handshakes) {
        const bool lingered =
            h->state == Handshake::State::Answering && now - h->answeredMs > LingerMs;
        if (lingered || now - h->startedMs > m_settings.handshakeTimeoutMs)
            expired.push_back(h);
    }
    for (Handshake *h : expired) {
        if (h->state == Handshake::State::Answering) {
            remove(h);
        } else if (h->state == Handshake::State::AskingPhp) {
            refuse(h,
                   HandshakeDecision{HandshakeDecision::Action::Refuse,
                                     504,
                                     "handshake_timeout",
                                     "PHP did not answer the open event in " +
                                         QByteArray::number(m_settings.handshakeTimeoutMs) + " ms",
                                     {}},
                   Metrics::HandshakeTimeout);
        } else {
            m_recorder->refused(peerText(h->peer), Metrics::HandshakeTimeout, 0,
                                "handshake_timeout",
                                QStringLiteral("not completed in %1 ms; dropped")
                                    .arg(m_settings.handshakeTimeoutMs));
            if (h->open)
                Q_EMIT lostAfterOpen(h->clientId, h->cgi, *h->open);
            remove(h);
        }
    }
    if (now - m_lastPruneMs > PruneIntervalMs) {
        m_lastPruneMs = now;
        m_limits.prune(now);
    }
}
