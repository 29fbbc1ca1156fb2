#include "phpbridge.h"

#include "controlheaders.h"
#include "keepalivesweep.h"
#include "memorybudget.h"
#include "outbox.h"
#include "sessionregistry.h"
#include "trafficrecorder.h"
#include "websocket/utf8validator.h"

#include "http/httprequest.h"
#include "http/httpresponse.h"
#include "observe/trafficentry.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

#include <utility>

namespace {

constexpr int CloseCodePolicyViolated = 1008; // queue over its limit
constexpr int CloseCodeInternalError = 1011;  // PHP failed
constexpr int CloseCodeTryAgainLater = 1013;  // PHP overloaded or unavailable; budget spent
constexpr int StatusBadGateway = 502;         // an open reply PHP should not have sent

qint64 nowMs() {
    return QDateTime::currentMSecsSinceEpoch();
}

QString idText(const QByteArray &id) {
    return QString::fromLatin1(id);
}

QByteArray errorJson(const QString &code, const QString &message, int status = 0) {
    QJsonObject o{{QStringLiteral("error"), code}, {QStringLiteral("message"), message}};
    if (status)
        o[QStringLiteral("status")] = status;
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

bool isBinaryType(const QByteArray &contentType) {
    return contentType.startsWith("application/octet-stream");
}

/// The params every event carries after the connection's own, in wire order.
void identityParams(PhpParams &p, const char *event, const QByteArray &id, const QByteArray &user,
                    const QByteArray &groups) {
    p.emplaceBack(QByteArrayLiteral("WS_EVENT"), QByteArray::fromRawData(event, qstrlen(event)));
    p.emplaceBack(QByteArrayLiteral("WS_CLIENT_ID"), id);
    p.emplaceBack(QByteArrayLiteral("WS_USER"), user);
    p.emplaceBack(QByteArrayLiteral("WS_GROUPS"), groups);
}

} // namespace

struct PhpBridge::OpenWait {
    QByteArray clientId;
    std::shared_ptr<const PhpParamBlock> cgi;
    std::function<void(const OpenDecision &)> done;
    PhpBackend::Ticket ticket = 0;
    bool abandoned = false;
};

PhpBridge::PhpBridge(const Settings &settings, PhpBackend *backend, SessionRegistry *registry,
                     Outbox *outbox, TrafficRecorder *recorder, MemoryBudget *budget)
    : m_settings(settings)
    , m_backend(backend)
    , m_registry(registry)
    , m_outbox(outbox)
    , m_recorder(recorder)
    , m_budget(budget)
    , m_alive(std::make_shared<bool>(true)) {}

PhpBridge::~PhpBridge() = default;

// ---------------------------------------------------------------------------------------------
// Messages

void PhpBridge::onMessage(ClientSession *s, QByteArray payload, bool binary) {
    s->lastActivityMs = nowMs();
    s->lastActivity = KeepAliveSweep::nowMs();
    s->pingSentMs = 0; // a client that talks is alive
    ++s->messagesIn;
    s->bytesIn += payload.size();
    m_recorder->messageIn(*s, payload, binary);
    if (s->closing) {
        m_recorder->dropped(s->id, Metrics::DropClosing, 1,
                            QStringLiteral("it arrived while the connection was closing"));
        return;
    }
    if (!m_settings.messageEvents) {
        m_outbox->send(*s,
                       errorJson(QStringLiteral("messages_disabled"),
                                 QStringLiteral("this endpoint does not accept messages")),
                       false, Outbox::Purpose::Reply);
        return;
    }
    const qint64 size = payload.size();
    if (s->queue.size() >= m_settings.queueLimit || s->queuedBytes + size > m_settings.queueBytes) {
        m_recorder->error(s->id, Metrics::QueueFull,
                          QStringLiteral("client %1 queued more than %2 messages or %3 bytes "
                                         "while PHP was busy; closing with 1008")
                              .arg(idText(s->id))
                              .arg(m_settings.queueLimit)
                              .arg(m_settings.queueBytes));
        m_recorder->dropped(s->id, Metrics::DropQueueFull, 1, QStringLiteral("the queue was full"));
        dropQueue(s, Metrics::DropQueueFull, QStringLiteral("the client was closed: queue full"));
        m_outbox->close(*s, CloseCodePolicyViolated, QByteArrayLiteral("queue full"));
        return;
    }
    if (!m_budget->chargeInbound(size)) {
        m_recorder->error(s->id, Metrics::MemoryBudget,
                          QStringLiteral("client %1: a %2-byte message does not fit the inbound "
                                         "budget (%3 of %4 bytes in use); closing with 1013")
                              .arg(idText(s->id))
                              .arg(size)
                              .arg(m_budget->inboundBytes())
                              .arg(m_budget->inboundLimit()));
        m_recorder->dropped(s->id, Metrics::DropMemoryBudget, 1,
                            QStringLiteral("the inbound memory budget was reached"));
        dropQueue(s, Metrics::DropMemoryBudget,
                  QStringLiteral("the client was closed: memory budget"));
        m_outbox->close(*s, CloseCodeTryAgainLater, QByteArrayLiteral("server busy"));
        return;
    }
    s->queue.append({std::move(payload), s->lastActivityMs, binary, nullptr,
                     std::exchange(s->nextMessageParams, {})});
    s->queuedBytes += size;
    m_recorder->metrics()->queuedMessages.fetch_add(1, std::memory_order_relaxed);
    dispatchNext(s);
}

bool PhpBridge::replay(ClientSession *s, const ReplayRequest &replay, QString *error) {
    if (s->closing) {
        *error = QStringLiteral("client %1 is closing").arg(idText(s->id));
        return false;
    }
    if (s->queue.size() >= m_settings.queueLimit ||
        s->queuedBytes + replay.body.size() > m_settings.queueBytes) {
        *error = QStringLiteral("client %1's queue is full").arg(idText(s->id));
        return false;
    }
    if (!m_budget->chargeInbound(replay.body.size())) {
        *error = QStringLiteral("the inbound memory budget is spent");
        return false;
    }
    s->queue.append(
        {replay.body, nowMs(), replay.binary, std::make_shared<const ReplayRequest>(replay), {}});
    s->queuedBytes += replay.body.size();
    m_recorder->metrics()->queuedMessages.fetch_add(1, std::memory_order_relaxed);
    dispatchNext(s);
    return true;
}

void PhpBridge::addToNextMessage(ClientSession *s, const PhpParams &params) {
    s->nextMessageParams.append(params);
}

PhpRequest PhpBridge::messageRequest(ClientSession *s, const ClientSession::Pending &message) {
    const MessageBody body =
        MessageBody::encode(m_settings.mode, message.payload, message.binary, s->id);
    PhpRequest r;
    r.base = s->cgi;
    r.owner = s->id;
    r.body = body.body;
    r.params.reserve(8 + message.extraParams.size());
    const ReplayRequest *replay = message.replay.get();
    identityParams(r.params, "message", s->id,
                   replay && replay->user ? replay->user->toUtf8() : s->userParam(),
                   replay && replay->groups ? replay->groups->join(u',').toUtf8()
                                            : s->groupsParam());
    r.params.emplaceBack(QByteArrayLiteral("CONTENT_TYPE"), body.contentType);
    r.params.emplaceBack(QByteArrayLiteral("CONTENT_LENGTH"), QByteArray::number(r.body.size()));
    r.params.emplaceBack(QByteArrayLiteral("WS_MESSAGE_TYPE"),
                         message.binary ? QByteArrayLiteral("binary") : QByteArrayLiteral("text"));
    if (replay) {
        r.params.emplaceBack(QByteArrayLiteral("WS_REPLAY"), QByteArrayLiteral("1"));
        r.params.append(replay->extraParams);
    }
    r.params.append(message.extraParams);
    return r;
}

void PhpBridge::dispatchNext(ClientSession *s) {
    if (s->inFlight || s->queue.isEmpty() || s->closing)
        return;
    ClientSession::Pending next = s->queue.takeFirst();
    s->queuedBytes -= next.payload.size();
    m_recorder->metrics()->queuedMessages.fetch_sub(1, std::memory_order_relaxed);
    PhpRequest request = messageRequest(s, next);
    s->inFlight = true;
    s->inFlightBytes = next.payload.size();
    ++m_inFlight;
    // The callback keeps its own reference (shared data, no deep copy) for the traffic log.
    PhpRequest logged = request;
    std::weak_ptr<bool> alive = m_alive;
    s->ticket =
        m_backend->submit(std::move(request), [this, alive, id = s->id, logged = std::move(logged),
                                               next = std::move(next)](const PhpResponse &r) {
            if (alive.lock())
                onReply(id, logged, next, r);
        });
}

void PhpBridge::onReply(const QByteArray &clientId, const PhpRequest &request,
                        const ClientSession::Pending &message, const PhpResponse &r) {
    --m_inFlight;
    m_budget->releaseInbound(message.payload.size());
    const quint64 replayOf = message.replay ? message.replay->entryId : 0;
    m_recorder->php(clientId, "message", request, r, replayOf);
    ClientSession *s = m_registry->find(clientId);
    if (!s) {
        if (replayOf) {
            m_recorder->error(clientId, Metrics::VanishedMidRequest,
                              QStringLiteral("replay of #%1: client %2 left before PHP "
                                             "answered; PHP's reply is in the log, not sent")
                                  .arg(replayOf)
                                  .arg(idText(clientId)));
        } else {
            m_recorder->metrics()->countError(Metrics::VanishedMidRequest);
            m_recorder->dropped(clientId, Metrics::DropClientClosed, 1,
                                QStringLiteral("the client left before PHP answered; the "
                                               "reply is in the log, not sent"));
        }
        const auto it = m_closeAfterReply.constFind(clientId);
        if (it != m_closeAfterReply.constEnd()) {
            const CloseEvent event = *it;
            m_closeAfterReply.erase(it);
            sendCloseEvent(clientId, event);
        }
        return;
    }
    s->inFlight = false;
    s->inFlightBytes = 0;
    s->ticket = 0;
    if (r.outcome == PhpOutcome::Ok && (!message.replay || message.replay->applyControlHeaders))
        applyControlHeaders(s, r);
    if (r.outcome != PhpOutcome::Ok) {
        reportFailure(s, r, QString::fromLatin1(phpOutcomeName(r.outcome)), r.error);
    } else if (r.status < 200 || r.status > 299) {
        const QString message =
            QStringLiteral("PHP answered %1 %2")
                .arg(r.status)
                .arg(QString::fromUtf8(r.reason.isEmpty() ? HttpResponse::reasonPhrase(r.status)
                                                          : r.reason));
        m_recorder->phpError(s->id, QStringLiteral("php_status"),
                             QStringLiteral("client %1: %2").arg(idText(s->id), message));
        reportFailure(s, r, QStringLiteral("php_status"), message);
    } else if (!r.body.isEmpty()) {
        sendPhpBody(s, r.body, r.contentType);
    }
    if (s->closeAfterReplyCode && !s->closing) {
        m_outbox->close(*s, s->closeAfterReplyCode, s->closeAfterReplyReason);
        s->closeAfterReplyCode = 0;
    }
    dispatchNext(s);
}

bool PhpBridge::sendPhpBody(ClientSession *s, const QByteArray &body,
                            const QByteArray &contentType) {
    bool binary = isBinaryType(contentType);
    if (!binary && !Utf8Validator::isValid(body)) {
        if (!m_settings.invalidUtf8AsBinary) {
            m_recorder->error(s->id, Metrics::InvalidUtf8Reply,
                              QStringLiteral("client %1: PHP's text reply (%2 bytes) is not valid "
                                             "UTF-8; not sent (send Content-Type: "
                                             "application/octet-stream for binary)")
                                  .arg(idText(s->id))
                                  .arg(body.size()));
            PhpResponse failure;
            failure.outcome = PhpOutcome::BadResponse;
            reportFailure(s, failure, QStringLiteral("invalid_utf8_reply"),
                          QStringLiteral("PHP's text reply is not valid UTF-8"));
            return false;
        }
        m_recorder->metrics()->countError(Metrics::InvalidUtf8Reply);
        binary = true;
    }
    if (m_outbox->send(*s, body, binary, Outbox::Purpose::Reply) != Outbox::Result::Sent) {
        if (!s->closing)
            return false;
        m_recorder->dropped(s->id, Metrics::DropClientClosed, 1,
                            QStringLiteral("the client is closing; PHP's reply not sent"));
        return false;
    }
    m_recorder->replyOut(*s, body, binary);
    return true;
}

void PhpBridge::applyControlHeaders(ClientSession *s, const PhpResponse &r) {
    const ControlHeaders c = ControlHeaders::parse(r.headers);
    for (const QString &problem : c.problems)
        m_recorder->error(s->id, Metrics::InvalidControlHeader,
                          QStringLiteral("client %1: %2").arg(idText(s->id), problem));
    if (c.user)
        m_registry->setUser(s, *c.user);
    for (const QString &g : c.join)
        m_registry->join(s, g);
    for (const QString &g : c.leave)
        m_registry->leave(s, g);
    if (c.close) {
        s->closeAfterReplyCode = c.close->code;
        s->closeAfterReplyReason = c.close->reason;
    }
}

void PhpBridge::reportFailure(ClientSession *s, const PhpResponse &r, const QString &code,
                              const QString &message) {
    switch (m_settings.onPhpError) {
    case ErrorPolicy::Message:
        m_outbox->send(*s, errorJson(code, message, r.outcome == PhpOutcome::Ok ? r.status : 0),
                       false, Outbox::Purpose::Reply);
        break;
    case ErrorPolicy::Close: {
        const bool tryLater = r.outcome == PhpOutcome::Unavailable ||
                              r.outcome == PhpOutcome::Overloaded ||
                              r.outcome == PhpOutcome::Timeout;
        m_outbox->close(*s, tryLater ? CloseCodeTryAgainLater : CloseCodeInternalError,
                        code.toLatin1());
        break;
    }
    case ErrorPolicy::Silent:
        break;
    }
}

void PhpBridge::dropQueue(ClientSession *s, int reason, const QString &why) {
    const qsizetype n = s->queue.size();
    if (n == 0)
        return;
    m_budget->releaseInbound(s->queuedBytes);
    m_recorder->metrics()->queuedMessages.fetch_sub(n, std::memory_order_relaxed);
    s->queue.clear();
    s->queuedBytes = 0;
    m_recorder->dropped(s->id, Metrics::DropReason(reason), n, why);
}

void PhpBridge::dropAllQueued() {
    m_registry->forEach([this](ClientSession *s) {
        dropQueue(s, Metrics::DropShutdown, QStringLiteral("the gateway is stopping"));
    });
}

void PhpBridge::onClosed(ClientSession *s, int code, const QByteArray &reason, bool stopping) {
    dropQueue(s, stopping ? Metrics::DropShutdown : Metrics::DropClientClosed,
              QStringLiteral("the client left with them queued"));
    bool stillWithPhp = s->inFlight;
    if (s->inFlight && s->ticket && m_backend->cancel(s->ticket)) {
        // It never reached PHP: nothing will come back for it.
        --m_inFlight;
        m_budget->releaseInbound(s->inFlightBytes);
        stillWithPhp = false;
        m_recorder->dropped(s->id, Metrics::DropClientClosed, 1,
                            QStringLiteral("the client left before PHP got it"));
    }
    s->inFlight = false;
    s->ticket = 0;
    if (!m_settings.closeEvents || stopping)
        return;
    CloseEvent event{s->cgi, s->userParam(), s->groupsParam(), code, reason};
    if (stillWithPhp)
        m_closeAfterReply.insert(s->id, event);
    else
        sendCloseEvent(s->id, event);
}

void PhpBridge::sendCloseEvent(const QByteArray &clientId, const CloseEvent &e) {
    PhpRequest r;
    r.base = e.cgi;
    r.owner = clientId;
    r.params.reserve(8);
    identityParams(r.params, "close", clientId, e.user, e.groups);
    r.params.emplaceBack(QByteArrayLiteral("WS_CLOSE_CODE"), QByteArray::number(e.code));
    r.params.emplaceBack(QByteArrayLiteral("WS_CLOSE_REASON"), e.reason);
    r.params.emplaceBack(QByteArrayLiteral("CONTENT_TYPE"),
                         QByteArrayLiteral("text/plain; charset=utf-8"));
    r.params.emplaceBack(QByteArrayLiteral("CONTENT_LENGTH"), QByteArrayLiteral("0"));
    ++m_inFlight;
    std::weak_ptr<bool> alive = m_alive;
    PhpRequest logged = r;
    m_backend->submit(std::move(r), [this, alive, clientId, logged](const PhpResponse &resp) {
        if (!alive.lock())
            return;
        --m_inFlight;
        m_recorder->php(clientId, "close", logged, resp);
    });
}

// ---------------------------------------------------------------------------------------------
// Open events

void PhpBridge::lostAfterOpen(const QByteArray &clientId, std::shared_ptr<const PhpParamBlock> cgi,
                              const OpenDecision &d) {
    if (!m_settings.closeEvents)
        return;
    m_recorder->note(QStringLiteral("client %1: the connection ended before the upgrade; close "
                                    "event 1006")
                         .arg(idText(clientId)));
    QStringList groups = d.join;
    groups.sort();
    sendCloseEvent(clientId, CloseEvent{std::move(cgi),
                                        d.user ? d.user->toUtf8() : QByteArray(),
                                        groups.join(u',').toUtf8(),
                                        1006,
                                        {}});
}

bool PhpBridge::messageOf(const PhpExchange &x, ReplayRequest *out, QString *error) {
    if (x.requestBodyTruncated) {
        *error = QStringLiteral("the logged body was truncated; it cannot be replayed exactly");
        return false;
    }
    const PhpParams params = x.params();
    QByteArray contentType;
    for (const auto &[name, value] : params) {
        if (name == "WS_MESSAGE_TYPE")
            out->binary = value == "binary";
        else if (name == "CONTENT_TYPE")
            contentType = value;
        else if (name == "WS_EVENT" && value != "message") {
            *error = QStringLiteral("only message events can be replayed (this is %1)")
                         .arg(QString::fromLatin1(value));
            return false;
        }
    }
    if (!contentType.startsWith("application/x-www-form-urlencoded")) {
        out->body = x.requestBody;
        return true;
    }
    const auto fields = HttpRequest::parseUrlEncoded(x.requestBody);
    if (fields) {
        for (const auto &[name, value] : *fields) {
            if (name == "message") {
                out->body = value;
                return true;
            }
        }
    }
    *error = QStringLiteral("the logged form body has no message field");
    return false;
}

PhpBackend::Ticket PhpBridge::open(const QByteArray &clientId,
                                   std::shared_ptr<const PhpParamBlock> cgi,
                                   std::function<void(const OpenDecision &)> done) {
    PhpRequest r;
    r.base = cgi;
    r.owner = clientId;
    r.params.reserve(6);
    identityParams(r.params, "open", clientId, {}, {});
    r.params.emplaceBack(QByteArrayLiteral("CONTENT_TYPE"),
                         QByteArrayLiteral("text/plain; charset=utf-8"));
    r.params.emplaceBack(QByteArrayLiteral("CONTENT_LENGTH"), QByteArrayLiteral("0"));
    auto wait = std::make_shared<OpenWait>();
    wait->clientId = clientId;
    wait->cgi = std::move(cgi);
    wait->done = std::move(done);
    ++m_inFlight;
    std::weak_ptr<bool> alive = m_alive;
    PhpRequest logged = r;
    wait->ticket =
        m_backend->submit(std::move(r), [this, alive, wait, logged](const PhpResponse &resp) {
            if (!alive.lock())
                return;
            --m_inFlight;
            m_opens.remove(wait->ticket);
            m_recorder->php(wait->clientId, "open", logged, resp);
            const OpenDecision decision = decideOpen(wait->clientId, resp);
            if (!wait->abandoned) {
                wait->done(decision);
                return;
            }
            // PHP accepted a client that is already gone: it gets the close event it expects.
            if (decision.accept)
                lostAfterOpen(wait->clientId, wait->cgi, decision);
        });
    m_opens.insert(wait->ticket, wait);
    return wait->ticket;
}

void PhpBridge::abandonOpen(PhpBackend::Ticket ticket) {
    const auto wait = m_opens.value(ticket);
    if (!wait)
        return;
    if (m_backend->cancel(ticket)) {
        --m_inFlight;
        m_opens.remove(ticket);
        return;
    }
    wait->abandoned = true;
}

OpenDecision PhpBridge::decideOpen(const QByteArray &clientId, const PhpResponse &r) {
    OpenDecision d;
    if (r.outcome != PhpOutcome::Ok) {
        d.status = r.outcome == PhpOutcome::Timeout ? 504 : 503;
        d.reason = HttpResponse::reasonPhrase(d.status);
        d.body = errorJson(QString::fromLatin1(phpOutcomeName(r.outcome)), r.error);
        d.contentType = QByteArrayLiteral("application/json");
        return d;
    }
    if (r.status < 200 || r.status == 204 || r.status == 304) {
        // A status without a body cannot be the refusal's: PHP got the protocol wrong.
        const QString message =
            QStringLiteral("PHP answered %1 to the open event (a refusal must be able to carry "
                           "a body; accept with 200)")
                .arg(r.status);
        m_recorder->phpError(clientId, QStringLiteral("php_status"),
                             QStringLiteral("client %1: %2").arg(idText(clientId), message));
        d.status = StatusBadGateway;
        d.reason = HttpResponse::reasonPhrase(d.status);
        d.body = errorJson(QStringLiteral("php_status"), message, r.status);
        d.contentType = QByteArrayLiteral("application/json");
        return d;
    }
    if (r.status > 299) {
        m_recorder->error(clientId, Metrics::OpenRefused,
                          QStringLiteral("client %1: PHP answered %2 to the open event")
                              .arg(idText(clientId))
                              .arg(r.status));
        d.status = r.status;
        d.reason = r.reason.isEmpty() ? HttpResponse::reasonPhrase(r.status) : r.reason;
        d.body = r.body;
        d.contentType = r.contentType.isEmpty() ? QByteArrayLiteral("text/plain") : r.contentType;
        return d;
    }
    d.accept = true;
    d.status = r.status;
    d.body = r.body;
    d.contentType = r.contentType;
    const ControlHeaders c = ControlHeaders::parse(r.headers);
    for (const QString &problem : c.problems)
        m_recorder->error(clientId, Metrics::InvalidControlHeader,
                          QStringLiteral("client %1: %2").arg(idText(clientId), problem));
    d.user = c.user;
    d.join = c.join;
    if (c.close) {
        d.closeCode = c.close->code;
        d.closeReason = c.close->reason;
    }
    return d;
}
