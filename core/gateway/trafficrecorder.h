#pragma once

#include "observe/metrics.h"
#include "observe/trafficentry.h"
#include "php/phprequest.h"
#include "php/phpresponse.h"

#include <QByteArray>
#include <QObject>
#include <QString>

class ClientSession;
class TrafficLog;
struct WebSocketCloseInfo;
struct DeliveryResult;

/// Every traffic-log entry, counter and log line of the gateway, in one place: the parts call
/// it with what happened and never build entries themselves.
class TrafficRecorder final : public QObject {
    Q_OBJECT
public:
    /// `log` and `metrics` are not owned and must outlive the recorder.
    TrafficRecorder(TrafficLog *log, Metrics *metrics, QObject *parent = nullptr);

    /// Per-message debugLogged() lines; off by default, and then they cost nothing.
    void setDebugLogging(bool enabled) { m_debug = enabled; }
    bool debugLogging() const { return m_debug; }
    bool logEnabled() const;
    Metrics *metrics() const { return m_metrics; }
    TrafficLog *log() const { return m_log; }

    void opened(const ClientSession &session, int openCount);
    void messageIn(const ClientSession &session, const QByteArray &payload, bool binary);
    /// One PHP exchange; `replayOf` names the entry a replay repeats. Returns the entry's id
    /// (0 when the log keeps none).
    quint64 php(const QByteArray &clientId, const char *event, const PhpRequest &request,
                const PhpResponse &response, quint64 replayOf = 0);
    void replyOut(const ClientSession &session, const QByteArray &body, bool binary);
    /// A push to `target` ("client …", "user …", "group …", "everyone").
    /// `receivers`: the clients it was queued for (user, group, everyone pushes).
    void pushed(const QString &target, const QByteArray &clientId, const QByteArray &payload,
                bool binary, const DeliveryResult &result,
                std::shared_ptr<const QList<QByteArray>> receivers = {}, bool truncated = false);
    void closed(const ClientSession &session, const WebSocketCloseInfo &info, int openCount);
    /// An error worth a log row, a counter and a warning line: "code: message".
    void error(const QByteArray &clientId, Metrics::ClientError kind, const QString &message);
    /// A PHP failure worth its own row ("php_status: …"), counted with the PHP outcomes.
    void phpError(const QByteArray &clientId, const QString &code, const QString &message);
    /// A handshake answered with an error status from the edge (no session yet).
    void refused(const QString &peer, Metrics::ClientError kind, int status, const QByteArray &code,
                 const QString &message);
    /// `count` messages from `clientId` that PHP will never answer.
    void dropped(const QByteArray &clientId, Metrics::DropReason reason, qint64 count,
                 const QString &why);
    /// A line for the application log only (no traffic row).
    void note(const QString &message) { Q_EMIT clientEvent(message); }

    QString lastPhpError() const { return m_lastPhpError; }
    qint64 lastPhpErrorMs() const { return m_lastPhpErrorMs; }
    qint64 lastPhpOkMs() const { return m_lastPhpOkMs; }

Q_SIGNALS:
    /// Fires for every error worth a warning line (client errors, PHP failures, drops).
    void errorLogged(const QString &message);
    /// Fires when a client connects or disconnects (info lines).
    void clientEvent(const QString &message);
    /// Fires per message in, PHP exchange and reply out, only with setDebugLogging(true).
    void debugLogged(const QString &message);

private:
    /// A MessageIn or ReplyOut row and its debug line.
    void payloadRow(TrafficEntry::Kind kind, const ClientSession &session,
                    const QByteArray &payload, bool binary);
    /// An Error row (when the log keeps any) and a warning line.
    void errorRow(const QByteArray &clientId, const QString &line, int status = 0, qint64 size = 0);

    TrafficLog *m_log;
    Metrics *m_metrics;
    bool m_debug = false;
    QString m_lastPhpError;
    qint64 m_lastPhpErrorMs = 0;
    qint64 m_lastPhpOkMs = 0;
};
