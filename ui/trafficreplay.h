#pragma once

#include "enginesample.h"
#include "gateway/phpbridge.h"
#include "observe/trafficentry.h"

#include <QObject>
#include <QPointer>

#include <memory>

class EngineController;
class QWebSocket;
class QWidget;

/// Replays logged messages from the console's own copy of them (never by id from the engine's
/// ring, which may have dropped the entry or, after a restart, reuse nothing of it): unchanged
/// as the original client, or edited in a ReplayDialog, as that client or, once it has left,
/// as a fresh test client that connects to the gateway with the original path and query.
class TrafficReplay final : public QObject {
    Q_OBJECT
public:
    explicit TrafficReplay(QObject *parent = nullptr);
    ~TrafficReplay() override;

    /// The engine to replay through (not owned); its samples say who is connected.
    void setController(EngineController *controller);
    /// The params that make a replay start Xdebug; empty: the dialog's box is off, `missing`
    /// its tooltip.
    void setXdebugParams(const PhpParams &params, const QString &missing = {});

    /// The replay of `entry`, a PHP message exchange or a message in, from its logged body
    /// (raw, or a form's message field); false with why.
    static bool requestFor(const TrafficEntry &entry, ReplayRequest *out, QString *error);
    /// Whether the last sample lists `clientId`; false when nothing was sampled yet.
    bool isConnected(const QByteArray &clientId) const;
    /// Where a fresh test client for a client with these handshake params connects: the
    /// running gateway with the original path and query, else the URL the client used.
    QString freshUrl(const PhpParams &params) const;

    /// Sends `entry`'s message again as its client, unchanged.
    void replay(const TrafficEntry &entry);
    /// Opens the "Edit & replay" dialog for `entry` (modal on `parent`) and sends what it
    /// says. `params`: the client's handshake params when `entry` has none (a message row).
    void editAndReplay(const TrafficEntry &entry, const PhpParams &params, QWidget *parent);
    /// Queues `request` as client `clientId`.
    void send(const QByteArray &clientId, const ReplayRequest &request);
    /// Connects a test client to `url`, and once the gateway lists it, replays `request` as
    /// that client; the socket closes when PHP's answer is in the log.
    void sendAsFreshClient(const QString &url, const ReplayRequest &request);

    /// Fresh test clients still open (tests).
    int openFreshClients() const;

Q_SIGNALS:
    /// Fires when a replay was queued (`ok`) or refused; `message` is for the status bar.
    void finished(bool ok, const QString &message);

private:
    struct Fresh;
    void onSampled(const EngineSample &sample);
    void onEntries(const QVector<TrafficEntry> &entries);
    void dropFresh(Fresh *fresh);

    QPointer<EngineController> m_controller;
    std::shared_ptr<const GatewaySnapshot> m_snapshot;
    PhpParams m_xdebugParams;
    QString m_xdebugMissing;
    std::vector<std::unique_ptr<Fresh>> m_fresh;
};
