#pragma once

#include "clientsession.h"
#include "messagebody.h"
#include "php/phpbackend.h"

#include <QByteArray>
#include <QHash>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>
#include <optional>

class MemoryBudget;
struct PhpExchange;
class Outbox;
class SessionRegistry;
class TrafficRecorder;

/// What PHP said to an open event, for the handshake in progress.
struct OpenDecision {
    bool accept = false;
    int status = 0;    // the refusal's HTTP status
    QByteArray reason; // its reason phrase (PHP's, or the standard one)
    QByteArray body;   // the refusal's body, or the welcome message when accepted
    QByteArray contentType;
    std::optional<QString> user; // control headers of the accepting reply
    QStringList join;
    int closeCode = 0; // X-WS-Close in the accepting reply: close right after the welcome
    QByteArray closeReason;
};

/// A logged message to send to PHP again, as its client (console replay).
struct ReplayRequest {
    quint64 entryId = 0;
    QByteArray body;
    bool binary = false;
    bool applyControlHeaders = false;  // the reply's X-WS-* act on the live session
    std::optional<QString> user;       // sent as WS_USER instead of the session's
    std::optional<QStringList> groups; // sent as WS_GROUPS instead of the session's
    PhpParams extraParams;             // after the usual ones (e.g. an Xdebug trigger)
};

/// Between a client and PHP: the per-connection FIFO (one request in flight, bounded in
/// messages and bytes, charged to the inbound budget), building each request, PHP's reply
/// with its control headers, the error policy, open and close events, and replays.
class PhpBridge final {
public:
    enum class ErrorPolicy { Message, Close, Silent };
    struct Settings {
        MessageBody::Mode mode = MessageBody::Mode::Raw;
        bool messageEvents = true;
        bool closeEvents = false;
        int queueLimit = 64;                  // messages per connection
        qint64 queueBytes = 32 * 1024 * 1024; // their bytes
        ErrorPolicy onPhpError = ErrorPolicy::Message;
        bool invalidUtf8AsBinary = false; // a text reply that is not UTF-8: binary, not an error
    };

    PhpBridge(const Settings &settings, PhpBackend *backend, SessionRegistry *registry,
              Outbox *outbox, TrafficRecorder *recorder, MemoryBudget *budget);
    ~PhpBridge();

    /// A message from a client: queued (bounded) and sent to PHP in turn.
    void onMessage(ClientSession *session, QByteArray payload, bool binary);
    /// The client's next message carries these params too, once (e.g. an Xdebug trigger).
    void addToNextMessage(ClientSession *session, const PhpParams &params);
    /// Queues a replay behind the client's own messages; false (and why) when it cannot.
    bool replay(ClientSession *session, const ReplayRequest &replay, QString *error);
    /// The connection is over: what is queued is dropped (logged, counted), its request still
    /// in the pool's queue withdrawn, and PHP told with a close event when it knew the client.
    void onClosed(ClientSession *session, int code, const QByteArray &reason, bool stopping);
    /// The gateway stops: every queued message is dropped as "shutdown".
    void dropAllQueued();

    /// The open event of a handshake; `done` gets PHP's decision later (never inside open()).
    PhpBackend::Ticket open(const QByteArray &clientId, std::shared_ptr<const PhpParamBlock> cgi,
                            std::function<void(const OpenDecision &)> done);
    /// The handshake died while PHP had its open event: withdraw it if still queued; if PHP
    /// already has it and accepts, PHP gets a close event (1006) as for any accepted open.
    void abandonOpen(PhpBackend::Ticket ticket);

    /// PHP accepted an open event, but the connection ended before the upgrade: PHP gets its
    /// close event (1006) when close events are on.
    void lostAfterOpen(const QByteArray &clientId, std::shared_ptr<const PhpParamBlock> cgi,
                       const OpenDecision &decision);
    /// The client's message in a logged exchange (raw body, or the form's message field);
    /// false when it cannot be replayed exactly.
    static bool messageOf(const PhpExchange &exchange, ReplayRequest *out, QString *error);

    /// PHP's body for a client (a reply, an open event's welcome): text must be UTF-8
    /// (else an error, or binary with `invalidUtf8AsBinary`); false when nothing was sent.
    bool sendPhpBody(ClientSession *session, const QByteArray &body, const QByteArray &contentType);

    /// Requests with PHP or in the pool's queue, all connections.
    int inFlight() const { return m_inFlight; }

private:
    struct OpenWait;
    struct CloseEvent {
        std::shared_ptr<const PhpParamBlock> cgi;
        QByteArray user;
        QByteArray groups;
        int code = 1006;
        QByteArray reason;
    };

    void dispatchNext(ClientSession *session);
    void onReply(const QByteArray &clientId, const PhpRequest &request,
                 const ClientSession::Pending &message, const PhpResponse &response);
    void applyControlHeaders(ClientSession *session, const PhpResponse &response);
    void reportFailure(ClientSession *session, const PhpResponse &response, const QString &code,
                       const QString &message);
    OpenDecision decideOpen(const QByteArray &clientId, const PhpResponse &response);
    void sendCloseEvent(const QByteArray &clientId, const CloseEvent &event);
    PhpRequest messageRequest(ClientSession *session, const ClientSession::Pending &message);
    void dropQueue(ClientSession *session, int reason, const QString &why);

    Settings m_settings;
    PhpBackend *m_backend;
    SessionRegistry *m_registry;
    Outbox *m_outbox;
    TrafficRecorder *m_recorder;
    MemoryBudget *m_budget;
    int m_inFlight = 0;
    QHash<PhpBackend::Ticket, std::shared_ptr<OpenWait>> m_opens;
    /// Close events held until the client's last request comes back from PHP, so PHP sees
    /// the close after the client's last message.
    QHash<QByteArray, CloseEvent> m_closeAfterReply;
    std::shared_ptr<bool> m_alive; // callbacks outliving the bridge check it
};
