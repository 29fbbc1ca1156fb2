#pragma once

#include "clientinfo.h"
#include "php/phpbackend.h"

#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVector>

/// One connection as the console sees it: the registry's one projection.
using ClientSnapshot = ClientInfo;

/// The gateway's state at one instant, published a few times a second for the UI.
struct GatewaySnapshot {
    qint64 timeMs = 0;
    bool listening = false;
    QVector<ClientSnapshot> clients;
    QStringList groups;
    QStringList users;
    PhpBackendStats pool;
    QString lastPhpError; // most recent PHP failure, human-readable
    qint64 lastPhpErrorMs = 0;
    qint64 lastPhpOkMs = 0;
    int handshakes = 0;      // connections not upgraded yet
    qint64 inboundBytes = 0; // held against the inbound budget, and that budget
    qint64 inboundBudget = 0;
    qint64 outboundBytes = 0; // held against the outbound budget, and that budget
    qint64 outboundBudget = 0;
};

Q_DECLARE_METATYPE(GatewaySnapshot)
