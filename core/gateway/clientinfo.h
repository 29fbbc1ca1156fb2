#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <optional>

/// One connection as the console, the push API's JSON views and the admin API see it: the one
/// projection of a session, sampled.
struct ClientInfo {
    QByteArray id;
    QString peer;  // "1.2.3.4:5678"
    QString path;  // handshake path
    QString query; // handshake query string, without '?'
    QString origin;
    QString user;
    QStringList groups;        // sorted
    qint64 connectedMs = 0;    // ms since the epoch
    qint64 lastActivityMs = 0; // ms since the epoch
    qint64 messagesIn = 0;
    qint64 messagesOut = 0;
    qint64 bytesIn = 0;
    qint64 bytesOut = 0;
    int queueDepth = 0;     // inbound messages waiting for PHP
    qint64 queuedBytes = 0; // their bytes
    bool phpInFlight = false;
    qint64 sendBufferBytes = 0; // outbound bytes not yet written to the socket
    QString node;               // the owning node (with --cluster or --threads)

    /// The push API's and admin API's JSON for one client.
    QJsonObject toJson() const;
    /// The inverse of toJson(), also reading the admin API's last_activity_at and
    /// php_in_flight; nullopt without a string id.
    static std::optional<ClientInfo> fromJson(const QJsonObject &json);
};

Q_DECLARE_METATYPE(ClientInfo)
