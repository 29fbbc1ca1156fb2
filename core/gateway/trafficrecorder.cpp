#include "trafficrecorder.h"

#include "clientsession.h"
#include "delivery.h"
#include "observe/trafficlog.h"

#include <QDateTime>

namespace {

qint64 nowMs() {
    return QDateTime::currentMSecsSinceEpoch();
}

QString idText(const QByteArray &id) {
    return QString::fromLatin1(id);
}

const char *initiatorText(WebSocketCloseInfo::Initiator who) {
    switch (who) {
    case WebSocketCloseInfo::Initiator::Peer:
        return "by the client";
    case WebSocketCloseInfo::Initiator::Local:
        return "by the gateway";
    case WebSocketCloseInfo::Initiator::ProtocolError:
        return "by the gateway: protocol error";
    case WebSocketCloseInfo::Initiator::Vanished:
        return "without a close frame";
    case WebSocketCloseInfo::Initiator::Aborted:
        return "aborted by the gateway";
    }
    return "";
}

} // namespace

TrafficRecorder::TrafficRecorder(TrafficLog *log, Metrics *metrics, QObject *parent)
    : QObject(parent)
    , m_log(log)
    , m_metrics(metrics) {}

bool TrafficRecorder::logEnabled() const {
    return m_log->enabled();
}

void TrafficRecorder::errorRow(const QByteArray &clientId, const QString &line, int status,
                               qint64 size) {
    if (m_log->enabled()) {
        TrafficEntry e;
        e.kind = TrafficEntry::Kind::Error;
        e.clientId = clientId;
        e.isError = true;
        e.status = status;
        e.size = size;
        e.text = line;
        m_log->append(std::move(e));
    }
    Q_EMIT errorLogged(line);
}

void TrafficRecorder::opened(const ClientSession &s, int openCount) {
    m_metrics->connectionsOpened.fetch_add(1, std::memory_order_relaxed);
    m_metrics->connectionsCurrent.fetch_add(1, std::memory_order_relaxed);
    const QString peer = s.peer();
    if (m_log->enabled()) {
        const QByteArray query = s.cgiParam("QUERY_STRING");
        TrafficEntry e;
        e.kind = TrafficEntry::Kind::Open;
        e.direction = TrafficEntry::Direction::In;
        e.clientId = s.id;
        e.text = peer + QLatin1Char(' ') + QString::fromUtf8(s.cgiParam("DOCUMENT_URI")) +
                 (query.isEmpty() ? QString() : QLatin1Char('?') + QString::fromUtf8(query)) +
                 QStringLiteral(" origin=") + QString::fromUtf8(s.cgiParam("HTTP_ORIGIN"));
        m_log->append(std::move(e));
    }
    Q_EMIT clientEvent(QStringLiteral("client %1 connected from %2 (%3 open)")
                           .arg(idText(s.id), peer)
                           .arg(openCount));
}

void TrafficRecorder::payloadRow(TrafficEntry::Kind kind, const ClientSession &s,
                                 const QByteArray &payload, bool binary) {
    const bool in = kind == TrafficEntry::Kind::MessageIn;
    if (m_log->enabled()) {
        TrafficEntry e;
        e.kind = kind;
        e.direction = in ? TrafficEntry::Direction::In : TrafficEntry::Direction::Out;
        e.clientId = s.id;
        e.body = payload;
        e.binary = binary;
        m_log->append(std::move(e));
    }
    if (m_debug)
        Q_EMIT debugLogged(QStringLiteral("client %1: %2 %3 %4 bytes")
                               .arg(idText(s.id), in ? QStringLiteral("in") : QStringLiteral("out"),
                                    binary ? QStringLiteral("binary") : QStringLiteral("text"))
                               .arg(payload.size()));
}

void TrafficRecorder::messageIn(const ClientSession &s, const QByteArray &payload, bool binary) {
    m_metrics->messagesIn.fetch_add(1, std::memory_order_relaxed);
    m_metrics->bytesIn.fetch_add(payload.size(), std::memory_order_relaxed);
    payloadRow(TrafficEntry::Kind::MessageIn, s, payload, binary);
}

quint64 TrafficRecorder::php(const QByteArray &clientId, const char *event,
                             const PhpRequest &request, const PhpResponse &r, quint64 replayOf) {
    const bool failed = r.outcome != PhpOutcome::Ok;
    if (failed) {
        m_metrics->countPhp(Metrics::PhpResult(int(r.outcome)));
        m_lastPhpError =
            QStringLiteral("%1: %2").arg(QLatin1String(phpOutcomeName(r.outcome)), r.error);
        m_lastPhpErrorMs = nowMs();
        Q_EMIT errorLogged(QStringLiteral("client %1: %2 event: %3: %4")
                               .arg(idText(clientId), QLatin1String(event),
                                    QLatin1String(phpOutcomeName(r.outcome)), r.error));
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
    if (m_debug)
        Q_EMIT debugLogged(QStringLiteral("client %1: php %2 event: %3, status %4, %5 bytes "
                                          "out, %6 bytes back, %7 µs (queued %8 µs)")
                               .arg(idText(clientId), QLatin1String(event),
                                    QLatin1String(phpOutcomeName(r.outcome)))
                               .arg(failed ? 0 : r.status)
                               .arg(request.body.size())
                               .arg(r.body.size())
                               .arg(r.phpUs)
                               .arg(r.queueWaitUs));
    if (!m_log->enabled())
        return 0;
    auto x = std::make_shared<PhpExchange>();
    x->base = request.base;
    x->extraParams = request.params;
    x->requestBody = request.body;
    x->requestBodySize = request.body.size();
    x->requestBodyTruncated = m_log->capBody(x->requestBody);
    x->outcome = QString::fromLatin1(phpOutcomeName(r.outcome));
    x->error = r.error;
    x->status = failed ? 0 : r.status;
    x->responseHeaders = failed ? r.partialHeaders : r.headers;
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
    // Plain concatenation: this runs for every message; QString::arg() showed in profiles.
    e.text = failed ? QLatin1String(event) + QLatin1Char(' ') + x->outcome + QLatin1String(": ") +
                          r.error
                    : QLatin1String(event) + QStringLiteral(" → ") + QString::number(r.status);
    e.replayOf = replayOf;
    if (replayOf)
        e.text += QStringLiteral(" (replay of #%1)").arg(replayOf);
    if (!r.stderrData.isEmpty())
        e.text += QStringLiteral(" (stderr: %1 bytes)").arg(r.stderrData.size());
    e.php = std::move(x);
    return m_log->append(std::move(e));
}

void TrafficRecorder::replyOut(const ClientSession &s, const QByteArray &body, bool binary) {
    payloadRow(TrafficEntry::Kind::ReplyOut, s, body, binary);
}

void TrafficRecorder::pushed(const QString &target, const QByteArray &clientId,
                             const QByteArray &payload, bool binary, const DeliveryResult &r,
                             std::shared_ptr<const QList<QByteArray>> receivers, bool truncated) {
    m_metrics->pushes.fetch_add(1, std::memory_order_relaxed);
    if (!m_log->enabled())
        return;
    TrafficEntry e;
    e.kind = TrafficEntry::Kind::Push;
    e.direction = TrafficEntry::Direction::Out;
    e.clientId = clientId;
    e.body = payload;
    e.binary = binary;
    e.isError = r.delivered < r.matched || (r.matched == 0 && r.nodes == 0);
    e.text =
        QStringLiteral("to %1: delivered %2 of %3").arg(target).arg(r.delivered).arg(r.matched);
    if (r.bufferFull)
        e.text += QStringLiteral(", %1 buffer full").arg(r.bufferFull);
    if (r.nodes)
        e.text += QStringLiteral(", sent to %1 other nodes").arg(r.nodes);
    e.receivers = std::move(receivers);
    e.receiversTruncated = truncated;
    m_log->append(std::move(e));
}

void TrafficRecorder::closed(const ClientSession &s, const WebSocketCloseInfo &info,
                             int openCount) {
    m_metrics->connectionsClosed.fetch_add(1, std::memory_order_relaxed);
    m_metrics->connectionsCurrent.fetch_sub(1, std::memory_order_relaxed);
    if (info.initiator == WebSocketCloseInfo::Initiator::ProtocolError) {
        const Metrics::ClientError kind = info.sentCode == 1009   ? Metrics::MessageTooBig
                                          : info.sentCode == 1007 ? Metrics::InvalidUtf8
                                                                  : Metrics::ProtocolError;
        error(s.id, kind,
              QStringLiteral("client %1 closed with %2: %3")
                  .arg(idText(s.id))
                  .arg(info.sentCode)
                  .arg(QString::fromUtf8(info.detail)));
    }
    if (m_log->enabled()) {
        TrafficEntry e;
        e.kind = TrafficEntry::Kind::Close;
        e.direction = TrafficEntry::Direction::In;
        e.clientId = s.id;
        e.status = info.code;
        e.text = QString::fromUtf8(info.reason);
        if (!info.clean)
            e.text += (e.text.isEmpty() ? QString() : QStringLiteral(" ")) +
                      QStringLiteral("(%1)").arg(QLatin1String(initiatorText(info.initiator)));
        m_log->append(std::move(e));
    }
    Q_EMIT clientEvent(QStringLiteral("client %1 disconnected (%2%3; %4 open)")
                           .arg(idText(s.id))
                           .arg(info.code)
                           .arg(info.reason.isEmpty()
                                    ? QString()
                                    : QLatin1Char(' ') + QString::fromUtf8(info.reason))
                           .arg(openCount));
}

void TrafficRecorder::error(const QByteArray &clientId, Metrics::ClientError kind,
                            const QString &message) {
    m_metrics->countError(kind);
    const QString line =
        QLatin1String(Metrics::clientErrorName(kind)) + QStringLiteral(": ") + message;
    errorRow(clientId, line, 0, 0);
}

void TrafficRecorder::phpError(const QByteArray &clientId, const QString &code,
                               const QString &message) {
    const QString line = code + QStringLiteral(": ") + message;
    errorRow(clientId, line, 0, 0);
}

void TrafficRecorder::refused(const QString &peer, Metrics::ClientError kind, int status,
                              const QByteArray &code, const QString &message) {
    m_metrics->countError(kind);
    const QString line = QStringLiteral("%1: handshake from %2 refused with %3: %4")
                             .arg(QString::fromLatin1(code), peer)
                             .arg(status)
                             .arg(message);
    errorRow({}, line, status, 0);
}

void TrafficRecorder::dropped(const QByteArray &clientId, Metrics::DropReason reason, qint64 count,
                              const QString &why) {
    if (count <= 0)
        return;
    m_metrics->countDropped(reason, count);
    const QString line = QStringLiteral("dropped_%1: client %2: %3 message(s) not sent to PHP: %4")
                             .arg(QLatin1String(Metrics::dropReasonName(reason)), idText(clientId))
                             .arg(count)
                             .arg(why);
    errorRow(clientId, line, 0, count);
}
