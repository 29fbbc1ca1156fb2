#pragma once

#include "fpm/fpmpoller.h"

#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <optional>

/// A copy of the PHP-FPM poller's state taken on the engine thread: the console's PHP-FPM view
/// and the admin API's GET /admin/fpm show the same one.
struct FpmReport {
    bool polling = false; // false: no engine running, the rest is empty
    FpmPoller::State state = FpmPoller::State::Unknown;
    QString lastError;
    std::optional<FpmStatus> status;
    FpmStatus::Quality quality = FpmStatus::Quality::Exact;
    qint64 lastPollMs = 0;
    QList<FpmPoller::Sample> history;
    QList<FpmPoller::Warning> warnings;
    std::optional<bool> pingOk;
    qint64 pingUs = 0;
    QStringList enableConfigLines;
    QString managedPhpState; // empty when PHP is not managed by wsgate
    QString managedPhpError;
    QString managedPhpConfigPath; // the managed pool's generated config; empty when not managed
    QString fastcgiAddress;       // the gateway's --fastcgi, canonical ("unix:/…", "tcp:…")
    QString fpmStatusPath;        // the status page's path, to tell the poll's own worker
    int gatewayPoolSize = 0;

    /// polling, state (FpmPoller::State's name: "Ok"), last_error, status (FpmStatus::toJson()
    /// or null), quality ("exact", "repaired", "truncated"), last_poll_ms, history [{time_ms,
    /// active, idle, total, listen_queue, max_children_reached, slow_requests, accepted_conn}],
    /// warnings [{code, message}], ping_ok (null: not pinged), ping_us, enable_config_lines,
    /// managed_php ({state, error, config_path}, null when not managed), fastcgi, status_path,
    /// gateway_pool.
    QJsonObject toJson() const;
    /// The inverse of toJson(); nullopt when `json` is not one (no boolean polling, an unknown
    /// state or quality, a status that is not a status page).
    static std::optional<FpmReport> fromJson(const QJsonObject &json);

    static QString stateName(FpmPoller::State state);
    static QString qualityName(FpmStatus::Quality quality);
};

Q_DECLARE_METATYPE(FpmReport)
