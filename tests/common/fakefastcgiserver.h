#pragma once

#include "fastcgi/fastcgicodec.h"

#include <QList>
#include <QObject>
#include <QTcpServer>

#include <map>
#include <memory>

class QTcpSocket;

/// A FastCGI responder on 127.0.0.1:0 that answers each request by a scripted behaviour,
/// to inject faults a real php-fpm cannot produce.
class FakeFastCgiServer final : public QObject {
    Q_OBJECT
public:
    enum class Behaviour {
        Reply,              // echo: Status 200, X-Request-Number, body = STDIN
        Garbage,            // bytes that are not FastCGI (an HTTP reply)
        TruncatedThenClose, // a STDOUT record cut short, then close
        HugePadding,        // the echo reply with 255 bytes of padding on every record
        Stall,              // read the request, never answer
        CloseOnAccept,      // close the connection as soon as it is accepted
        CloseAfterRequest,  // read the whole request, then close without a byte
        Overloaded,         // END_REQUEST with protocol status OVERLOADED
        ManyStderr,         // the echo reply with 1000 STDERR records interleaved
        OneByteWrites,      // the echo reply written one byte per event-loop turn
        UnknownRecordType,  // an UNKNOWN_TYPE record instead of a reply
        MalformedCgi,       // STDOUT that is not a CGI response
        WrongRequestId,     // the echo reply addressed to request id 2
        PartialThenStall,   // partialStdout() and a STDERR line, then nothing more
        PartialThenClose,   // partialStdout() and a STDERR line, then close
        Trickle,            // CGI headers, then one body byte per trickle interval, forever
    };
    Q_ENUM(Behaviour)

    explicit FakeFastCgiServer(QObject *parent = nullptr);
    ~FakeFastCgiServer() override;

    bool listen();
    quint16 port() const;
    /// "tcp:127.0.0.1:PORT"
    QString address() const;

    /// Used whenever the scripted list is empty.
    void setDefaultBehaviour(Behaviour behaviour) { m_defaultBehaviour = behaviour; }
    /// Behaviours for the next requests (CloseOnAccept: the next connections), in order.
    void script(const QList<Behaviour> &behaviours) { m_script += behaviours; }
    /// Delays every reply by this much (0: answer at once).
    void setReplyDelayMs(int ms) { m_replyDelayMs = ms; }
    /// Trickle: time between two body bytes.
    void setTrickleIntervalMs(int ms) { m_trickleIntervalMs = ms; }
    /// The STDOUT of PartialThenStall/PartialThenClose: control headers, the header block's
    /// end and 3 body bytes.
    static QByteArray partialStdout();
    /// Their STDERR.
    static QByteArray partialStderr();
    /// Closes every accepted connection from the server side, as FPM does to kept ones.
    void closeAllConnections();

    int connectionsAccepted() const { return m_accepted; }
    int openConnections() const { return int(m_connections.size()); }
    int peakOpenConnections() const { return m_peakOpen; }
    int requestsReceived() const { return int(m_bodies.size()); }
    /// STDIN of every complete request, in arrival order.
    QList<QByteArray> bodies() const { return m_bodies; }
    QList<FastCgi::NameValuePairs> params() const { return m_params; }
    QList<bool> keepConnFlags() const { return m_keepConn; }

signals:
    /// A complete request (through the empty STDIN record) arrived.
    void requestReceived();
    /// A connection closed, from either side.
    void connectionClosed();

private:
    struct Connection;
    void onNewConnection();
    void onReadyRead(QTcpSocket *socket);
    void onRequest(QTcpSocket *socket, Connection &c);
    void answer(QTcpSocket *socket, Behaviour behaviour, const QByteArray &body, bool keepConn);
    void writeSlowly(QTcpSocket *socket, const QByteArray &data, qsizetype pos, bool close);
    void trickle(QTcpSocket *socket);
    Behaviour nextBehaviour();

    QTcpServer m_server;
    std::map<QTcpSocket *, std::unique_ptr<Connection>> m_connections;
    QList<Behaviour> m_script;
    Behaviour m_defaultBehaviour = Behaviour::Reply;
    int m_replyDelayMs = 0;
    int m_trickleIntervalMs = 100;
    int m_accepted = 0;
    int m_peakOpen = 0;
    QList<QByteArray> m_bodies;
    QList<FastCgi::NameValuePairs> m_params;
    QList<bool> m_keepConn;
};
