#pragma once

#include "fpm/fpmpoller.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

/// A copy of the PHP-FPM poller's state taken on the engine thread, for the GUI.
struct FpmSample {
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
};
