// HttpServer's clock: the sweep that times out heads, bodies, idle connections, lingering
// closes and handlers (504), and the client-error report.

#include "http/httpserver.h"

#include "http/httpserverconnection.h"
#include "loop/socketreset.h"

#include <QTcpSocket>
#include <QTimer>

#include <vector>

void HttpServer::sweep() {
    const qint64 now = m_clock.elapsed();
    // Idle while answers are outstanding is not idleness: the handler timeout bounds it.
    const auto phaseDue = [now](const Connection &c) {
        return c.deadlineMs <= now && !(c.phase == Phase::Idle && !c.answers.isEmpty());
    };
    std::vector<QTcpSocket *> due;
    for (const auto &entry : m_connections) {
        const Connection &c = *entry.second;
        if (!c.dead && (phaseDue(c) || c.answers.hasExpired(now)))
            due.push_back(entry.first);
    }
    const HttpResponse timeout = HttpResponse::jsonError(
        504, "gateway_timeout",
        QStringLiteral("no answer within %1 ms").arg(m_options.handlerTimeoutMs));
    for (QTcpSocket *socket : due) {
        Connection *c = find(socket);
        if (!c)
            continue;
        if (const int expired = c->answers.expire(now, timeout)) {
            m_counters.errors[size_t(ClientError::HandlerTimeout)] += quint64(expired);
            report(ClientError::HandlerTimeout, c->peer, QStringLiteral("handler did not answer"));
            flush(*c);
        }
        if (c->dead || !phaseDue(*c))
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
            // The linger is over. A peer that never read what is still queued for it is cut
            // with a reset, so the kernel does not keep those bytes for minutes after us.
            resetOnCloseIfUnsent(socket->socketDescriptor(), pendingOutput(socket));
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
    case ClientError::TooManyFromAddress:
        return "too_many_from_address";
    case ClientError::HandlerFailed:
        return "handler_failed";
    case ClientError::HandlerTimeout:
        return "handler_timeout";
    case ClientError::TlsHandshake:
        return "tls_handshake";
    case ClientError::Count:
        break;
    }
    return "unknown";
}
