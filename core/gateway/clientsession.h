#pragma once

#include "php/phprequest.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QList>
#include <QPair>
#include <QPointer>
#include <QQueue>
#include <QSet>
#include <QString>
#include <QWebSocket>

/// One WebSocket connection's state: identity, bindings, the inbound queue and counters.
/// Owned by Gateway; the socket is owned by the session.
class ClientSession final {
public:
    struct Pending {
        QByteArray payload;
        bool binary = false;
        qint64 receivedMs = 0;
    };

    ClientSession(QByteArray id, QWebSocket *socket);
    ~ClientSession();
    ClientSession(const ClientSession &) = delete;
    ClientSession &operator=(const ClientSession &) = delete;

    QByteArray id;
    QWebSocket *socket; // owned
    QString peer;
    QString path;
    QByteArray query;
    QString origin;
    QString user;
    QSet<QString> groups;
    /// Params fixed for the connection (CGI, handshake HTTP_*), built once at connect; every
    /// request shares them as PhpRequest::base.
    std::shared_ptr<const PhpParamBlock> baseParams;

    QQueue<Pending> queue;
    bool phpInFlight = false;
    bool closing = false;     // close requested; nothing more goes to PHP
    bool sawClosing = false;  // a close handshake happened (else the peer vanished: 1006)
    int pendingCloseCode = 0; // X-WS-Close: close after the current reply
    QString pendingCloseReason;

    qint64 connectedMs = 0;
    QElapsedTimer lastActivity; // for idle pings
    qint64 lastActivityMs = 0;
    bool pingOutstanding = false;
    qint64 messagesIn = 0;
    qint64 messagesOut = 0;
    qint64 bytesIn = 0;
    qint64 bytesOut = 0;

    QString groupsText() const;
};
