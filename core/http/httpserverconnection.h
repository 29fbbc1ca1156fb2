#pragma once

#include "http/httpanswerqueue.h"
#include "http/httprequestparser.h"
#include "http/httpserver.h"

#include <QByteArray>
#include <QHostAddress>
#include <QString>

class QTcpSocket;

/// One connection of an HttpServer: its parser, phase and deadline, answers owed, admission.
/// Private to the server's .cpp files.
struct HttpServer::Connection {
    QTcpSocket *socket = nullptr;
    HttpRequestParser parser;
    QByteArray input;       // last chunk read from the socket (or handed to adopt())
    qsizetype inputPos = 0; // bytes of `input` already fed
    Phase phase = Phase::Idle;
    qint64 deadlineMs = 0;
    HttpAnswerQueue answers;
    quint64 serial = 0;
    QHostAddress address;
    QString peer;
    bool fresh = true; // no request seen yet
    bool refused = false;
    bool anonymous = false; // counted in m_admission
    bool authorized = false;
    bool probation = false;
    ClientError probationReason = ClientError::TooManyConnections;
    bool currentAuthorized = false; // of the request being parsed
    bool closeAfterCurrent = false; // the request being parsed is the connection's last
    bool readingStopped = false;    // a closing answer is queued: parse nothing more
    bool continueOwed = false;      // "100 Continue" waits for earlier answers
    bool processing = false;        // inside process(): no re-entry
    bool writeShut = false;
    bool dead = false; // disconnected; erased on the next turn
};
