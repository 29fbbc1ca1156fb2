#pragma once

#include "cgiresponseparser.h"
#include "fastcgiaddress.h"
#include "fastcgirecordparser.h"
#include "php/phpresponse.h"
#include "websocket/bytestream.h"

#include <QAbstractSocket>
#include <QByteArray>
#include <QElapsedTimer>
#include <QLocalSocket>
#include <QObject>

#include <memory>
#include <optional>
#include <vector>

class FdStream;
class QIODevice;

/// One FastCGI connection to PHP-FPM: runs one request at a time over a QIODevice or over a
/// connected socket descriptor (FdStream).
///
/// The device may still be connecting (QTcpSocket, QLocalSocket): the request is written
/// once it is connected. Any other open QIODevice is taken as connected, so tests can hand
/// it canned bytes. The stream is connected already: requests go from the caller's buffers
/// straight to the kernel, replies are parsed from the thread's read block, with no socket
/// buffers of Qt's in between. After any failure the connection is Closed for good; with
/// keep-conn it returns to Idle after END_REQUEST.
class FastCgiConnection final : public QObject, private ByteStream::Listener {
    Q_OBJECT
public:
    enum class State {
        Connecting, // transport not up yet; a request may already be waiting
        Idle,       // connected, no request
        Busy,       // a request is in flight
        Closed,     // failed or closed; never used again
    };

    /// Takes ownership of `device` (reparents it to this object).
    explicit FastCgiConnection(QIODevice *device, QObject *parent = nullptr);
    /// Over a connected stream (Idle at once); takes it.
    explicit FastCgiConnection(std::unique_ptr<FdStream> stream, QObject *parent = nullptr);
    ~FastCgiConnection() override;

    State state() const { return m_state; }
    /// The QIODevice it runs over; null over a stream.
    QIODevice *device() const { return m_device; }
    bool overStream() const { return m_stream != nullptr; }

    /// STDOUT bytes (CGI headers and body) accepted per reply: a reply that passes it fails at
    /// once with BadResponse and the connection is closed, so no reply is ever cut short
    /// silently.
    void setMaxResponseBytes(qint64 bytes);
    /// The address the device connects to. A failed connect then names it and says why and
    /// what to do (FastCgiErrorText); without it the socket's own name is used.
    void setAddress(const FastCgiAddress &address);

    /// Starts a request (allowed while Connecting or Idle; returns false otherwise).
    /// The request's bytes are handed to the device once it is connected; the body is
    /// shared, not copied, until then.
    bool start(const PhpRequest &request, bool keepConn);
    /// Ends the request in flight (or the connect attempt) with `outcome`, and closes.
    void abort(PhpOutcome outcome, const QString &error);
    /// Closes without reporting anything (an idle connection the pool retires).
    void close();

    /// False when the peer has closed an idle connection or sent bytes on it unasked. On a
    /// Qt socket it checks the socket itself (a peek), so it also sees a close the event loop
    /// has not delivered; on a unix stream it costs no system call: a close not yet delivered
    /// shows as wasGoneBeforeRequest() instead.
    bool isIdleAndAlive() const;
    /// The kept connection had been closed by the peer before the current request: its first
    /// write was refused (EPIPE on a unix socket) and nothing of the request was sent.
    bool wasGoneBeforeRequest() const { return m_goneBeforeRequest; }
    /// Whether any byte of the current (or last) request reached the transport. A request
    /// that failed with nothing sent can safely be retried elsewhere.
    bool sentAnyBytes() const { return m_bytesSent > 0; }
    /// Requests started on this connection, the current one included.
    int requestCount() const { return m_requestCount; }
    /// Time since the last byte moved in either direction (Busy) or since the state began.
    qint64 msSinceProgress() const { return m_progress.elapsed(); }
    /// Time since the current (or last) request was handed to the transport; 0 before that.
    qint64 msSinceSent() const { return m_phpTimer.isValid() ? m_phpTimer.elapsed() : 0; }

    /// The result of the request that just finished; valid after finished().
    PhpResponse takeResponse();

signals:
    /// The current request ended, successfully or not. state() is then Idle (reusable) or
    /// Closed. Emitted directly at the end of handling the device's readyRead (the usual
    /// case: the reply came in), queued otherwise; never inside start(). Receivers must use
    /// deleteLater() to delete this object.
    void finished();
    /// The connection closed or failed while no request was in flight; delivered queued.
    void closed(const QString &reason);

private:
    void onConnected();
    void onDeviceReadyRead();
    void onReadyRead();
    void consume(QByteArrayView data);
    void unexpectedBytesWhileIdle();
    void onStreamData(QByteArrayView data) override;
    void onStreamDrained() override;
    void onStreamWriteProgress() override;
    void onStreamClosed(ByteStream::CloseReason reason, const QString &detail) override;
    bool writeToStream();
    bool writeToDevice();
    void releaseParts();         // after a gather write: keeps small buffers for the next request
    void endFinishingDirectly(); // finished() held back by m_finishDirectly, emitted now
    void flushDevice();
    void onBytesWritten(qint64 bytes);
    void onTransportClosed(const QString &reason);
    void writeRequest();
    bool handleRecord(quint8 type, quint16 requestId, QByteArrayView content);
    void complete(quint32 appStatus);
    void failRequest(PhpOutcome outcome, const QString &error);
    QString receivedSoFar() const;
    QString connectFailedText(const QString &reason) const;
    void closeDevice();
    void emitFinishedLater();
    bool deviceConnected() const;

    QIODevice *m_device = nullptr;
    std::unique_ptr<FdStream> m_stream;
    State m_state = State::Connecting;
    bool m_keepConn = false;
    bool m_requestPending = false; // start() called, bytes not yet handed to the device
    bool m_stdoutEnded = false;
    bool m_finishDirectly = false;  // inside onDeviceReadyRead()
    bool m_finishedPending = false; // finished() due at the end of onDeviceReadyRead()
    bool m_goneBeforeRequest = false;
    int m_requestCount = 0;
    qint64 m_bytesSent = 0;
    qint64 m_requestBytes = 0; // of the current request, over a stream
    qint64 m_stdoutBytes = 0;  // of the current request
    qint64 m_maxResponseBytes;
    std::optional<FastCgiAddress> m_address;
    // The socket's last error, for the connect-failure text; unset: none reported.
    std::optional<QLocalSocket::LocalSocketError> m_localError;
    std::optional<QAbstractSocket::SocketError> m_tcpError;
    QByteArray m_head;          // BEGIN_REQUEST + PARAMS (+ small STDIN), reused between requests
    QByteArray m_body;          // shared with the caller's PhpRequest until written
    QByteArray m_recordHeaders; // a body of several records: their headers
    std::vector<QByteArrayView> m_parts; // ... and the gather write's parts (reused)
    QByteArray m_readBuf;                // reused between reads
    FastCgiRecordParser m_records;
    CgiResponseParser m_cgi;
    PhpResponse m_response;
    QElapsedTimer m_progress;
    QElapsedTimer m_phpTimer;
};
