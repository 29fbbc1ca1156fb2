#pragma once

#include "php/phpbackend.h"

#include <QByteArray>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVector>

/// One connection as the UI and the JSON API see it, sampled.
struct ClientSnapshot {
    QByteArray id;
    QString peer;  // "1.2.3.4:5678"
    QString path;  // handshake path
    QString query; // handshake query string, without '?'
    QString origin;
    QString user;
    QStringList groups;
    qint64 connectedMs = 0;    // ms since the epoch
    qint64 lastActivityMs = 0; // ms since the epoch
    qint64 messagesIn = 0;
    qint64 messagesOut = 0;
    qint64 bytesIn = 0;
    qint64 bytesOut = 0;
    int queueDepth = 0; // inbound messages waiting for PHP
    bool phpInFlight = false;
    qint64 sendBufferBytes = 0; // outbound bytes not yet written to the socket
};

/// The gateway's state at one instant, published a few times a second for the UI.
struct GatewaySnapshot {
    qint64 timeMs = 0;
    bool listening = false;
    QString listenUrl;
    QString pushUrl;
    QVector<ClientSnapshot> clients;
    QStringList groups;
    QStringList users;
    PhpBackendStats pool;
    QString lastPhpError; // most recent PHP failure, human-readable
    qint64 lastPhpErrorMs = 0;
    qint64 lastPhpOkMs = 0;
};

Q_DECLARE_METATYPE(GatewaySnapshot)
