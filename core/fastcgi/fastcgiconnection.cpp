#include "fastcgiconnection.h"

#include "fastcgicodec.h"
#include "fastcgierrortext.h"
#include "websocket/fdstream.h"

#include <QAbstractSocket>
#include <QIODevice>
#include <QStringList>
#include <QTcpSocket>

#include <algorithm>

#ifdef Q_OS_UNIX
#include <cerrno>
#include <sys/socket.h>
#endif

namespace {

// PHP-FPM does not multiplex, so every request on a connection can use the same id.
constexpr quint16 kRequestId = 1;
// Bodies up to this size are encoded with the params into one buffer and written at once;
// bigger ones are written record by record straight from the caller's buffer (no copy).
constexpr qsizetype kInlineBodyBytes = 4 * 1024;
// Buffers bigger than this are released after a request instead of being kept for reuse.
constexpr qsizetype kRetainedBufferBytes = 256 * 1024;
// Gather-write parts kept between requests (16 KiB of views: two per 64 KiB record).
constexpr size_t kRetainedParts = 1024;
// At most this much is read from the device per read() call.
constexpr qsizetype kReadChunkBytes = 256 * 1024;
// STDERR kept per request; PHP warnings in a loop must not grow memory without bound.
constexpr qsizetype kMaxStderrBytes = 1024 * 1024;
constexpr qsizetype kEndRequestBodyBytes = 8;

// The empty STDIN record that ends a request's body (sent after a body passed by reference).
const QByteArray &endOfStdin() {
    static const QByteArray record = [] {
        QByteArray out;
        FastCgiCodec::appendRecordHeader(out, FastCgi::Stdin, kRequestId, 0);
        return out;
    }();
    return record;
}

// Looks at the socket itself (not Qt's view of it), so a FIN or RST that arrived while the
// connection sat idle is seen even before the event loop delivers it.
bool peerClosedOrTalked(qintptr descriptor) {
#ifdef Q_OS_UNIX
    if (descriptor < 0)
        return true;
    char byte;
    const ssize_t n = ::recv(int(descriptor), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0)
        return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    return true; // 0: orderly close; > 0: bytes nobody asked for
#else
    Q_UNUSED(descriptor);
    return false;
#endif
}

// A connection's fixed params are encoded by its first request and the bytes kept with them,
// so later requests cost no per-param work for them. The block is used on this thread only.
QByteArrayView encodedBaseParams(const PhpRequest &request) {
    if (!request.base)
        return {};
    const PhpParamBlock &block = *request.base;
    if (block.backendCache.isEmpty() && !block.params.isEmpty())
        block.backendCache = FastCgiCodec::encodeNameValuePairs(block.params);
    return block.backendCache;
}

} // namespace

FastCgiConnection::FastCgiConnection(QIODevice *device, QObject *parent)
    : QObject(parent)
    , m_device(device)
    , m_maxResponseBytes(std::numeric_limits<qint64>::max()) {
    m_device->setParent(this);
    connect(m_device, &QIODevice::readyRead, this, &FastCgiConnection::onDeviceReadyRead);
    connect(m_device, &QIODevice::bytesWritten, this, &FastCgiConnection::onBytesWritten);
    connect(m_device, &QIODevice::readChannelFinished, this,
            [this] { onTransportClosed(QStringLiteral("end of stream")); });
    if (auto *socket = qobject_cast<QAbstractSocket *>(m_device)) {
        connect(socket, &QAbstractSocket::connected, this, &FastCgiConnection::onConnected);
        connect(socket, &QAbstractSocket::disconnected, this,
                [this] { onTransportClosed(QStringLiteral("closed by peer")); });
        connect(socket, &QAbstractSocket::errorOccurred, this,
                [this, socket](QAbstractSocket::SocketError error) {
                    m_tcpError = error;
                    onTransportClosed(socket->errorString());
                });
    } else if (auto *socket = qobject_cast<QLocalSocket *>(m_device)) {
        connect(socket, &QLocalSocket::connected, this, &FastCgiConnection::onConnected);
        connect(socket, &QLocalSocket::disconnected, this,
                [this] { onTransportClosed(QStringLiteral("closed by peer")); });
        connect(socket, &QLocalSocket::errorOccurred, this,
                [this, socket](QLocalSocket::LocalSocketError error) {
                    m_localError = error;
                    onTransportClosed(socket->errorString());
                });
    }
    m_state = deviceConnected() ? State::Idle : State::Connecting;
    m_progress.start();
}

FastCgiConnection::FastCgiConnection(std::unique_ptr<FdStream> stream, QObject *parent)
    : QObject(parent)
    , m_stream(std::move(stream))
    , m_maxResponseBytes(std::numeric_limits<qint64>::max()) {
    m_stream->setListener(this);
    m_state = m_stream->isOpen() ? State::Idle : State::Closed;
    m_progress.start();
}

FastCgiConnection::~FastCgiConnection() {
    // The device dies with us; its last signals must not reach a half-destroyed object.
    if (m_device)
        QObject::disconnect(m_device, nullptr, this, nullptr);
    if (m_stream)
        m_stream->setListener(nullptr);
}

void FastCgiConnection::setMaxResponseBytes(qint64 bytes) {
    m_maxResponseBytes = bytes;
}

void FastCgiConnection::setAddress(const FastCgiAddress &address) {
    m_address = address;
}

bool FastCgiConnection::deviceConnected() const {
    if (m_stream)
        return m_stream->isOpen();
    if (auto *socket = qobject_cast<QAbstractSocket *>(m_device))
        return socket->state() == QAbstractSocket::ConnectedState;
    if (auto *socket = qobject_cast<QLocalSocket *>(m_device))
        return socket->state() == QLocalSocket::ConnectedState;
    return m_device->isOpen();
}

bool FastCgiConnection::isIdleAndAlive() const {
    // No peek on a unix stream (a system call per request): a peer that closed shows up as
    // the request's first write being refused, nothing sent, which the pool retries quietly.
    if (m_stream)
        return m_state == State::Idle && m_stream->isOpen();
    if (m_state != State::Idle || !deviceConnected() || m_device->bytesAvailable() > 0)
        return false;
    if (auto *socket = qobject_cast<QAbstractSocket *>(m_device))
        return !peerClosedOrTalked(socket->socketDescriptor());
    if (auto *socket = qobject_cast<QLocalSocket *>(m_device))
        return !peerClosedOrTalked(socket->socketDescriptor());
    return true;
}

bool FastCgiConnection::start(const PhpRequest &request, bool keepConn) {
    if ((m_state != State::Idle && m_state != State::Connecting) || m_requestPending)
        return false;
    ++m_requestCount;
    m_keepConn = keepConn;
    m_bytesSent = 0;
    m_goneBeforeRequest = false;
    m_stdoutBytes = 0;
    m_stdoutEnded = false;
    m_records.reset();
    m_cgi.reset();
    m_response = PhpResponse();

    m_head.resize(0);
    FastCgiCodec::appendBeginRequest(m_head, kRequestId, FastCgi::Responder, keepConn);
    FastCgiCodec::appendParams(m_head, kRequestId, encodedBaseParams(request), request.params);
    if (request.body.size() <= kInlineBodyBytes)
        FastCgiCodec::appendStream(m_head, FastCgi::Stdin, kRequestId, request.body);
    else
        m_body = request.body;

    m_requestPending = true;
    m_progress.restart();
    if (m_state == State::Idle) {
        m_state = State::Busy;
        writeRequest();
    }
    return true;
}

void FastCgiConnection::writeRequest() {
    m_requestPending = false;
    m_phpTimer.start();
    m_progress.restart();
    const bool ok = m_stream ? writeToStream() : writeToDevice();
    m_body = QByteArray();
    if (m_head.capacity() > kRetainedBufferBytes)
        m_head = QByteArray();
    if (!ok)
        failRequest(sentAnyBytes() ? PhpOutcome::BadResponse : PhpOutcome::Unavailable,
                    QStringLiteral("write failed: %1")
                        .arg(m_stream ? QStringLiteral("the connection is closed")
                                      : m_device->errorString()));
}

void FastCgiConnection::releaseParts() {
    m_parts.clear();
    if (m_parts.capacity() > kRetainedParts) { // kept only for bodies up to ~32 MiB
        m_parts = std::vector<QByteArrayView>();
        m_recordHeaders = QByteArray();
    }
}

bool FastCgiConnection::writeToDevice() {
    bool ok = m_device->write(m_head) == m_head.size();
    if (ok && !m_body.isEmpty()) {
        FastCgiCodec::streamViews(m_recordHeaders, m_parts, FastCgi::Stdin, kRequestId, m_body);
        for (const QByteArrayView part : m_parts)
            ok = ok && m_device->write(part.data(), part.size()) == part.size();
        releaseParts();
    }
    // Hand the bytes to the kernel now rather than on the next event-loop turn: saves a
    // round trip through the loop (and a notifier toggle) per request.
    if (ok)
        flushDevice();
    return ok;
}

bool FastCgiConnection::writeToStream() {
    if (!m_stream->isOpen())
        return false;
    if (m_body.isEmpty()) {
        m_requestBytes = m_head.size();
        m_stream->write(m_head);
    } else if (m_body.size() <= FastCgi::MaxContentBytes) {
        // One STDIN record: its header goes with the params and the body by reference, all in
        // one gather write.
        FastCgiCodec::appendRecordHeader(m_head, FastCgi::Stdin, kRequestId,
                                         quint16(m_body.size()));
        m_requestBytes = m_head.size() + m_body.size() + endOfStdin().size();
        m_stream->write(m_head, m_body, endOfStdin());
    } else {
        // Records of at most 64 KiB each: their headers between slices of the message, in one
        // gather write straight from its buffer (no copy unless the kernel cannot take it all).
        m_parts.emplace_back(m_head);
        FastCgiCodec::streamViews(m_recordHeaders, m_parts, FastCgi::Stdin, kRequestId, m_body);
        m_requestBytes = m_head.size() + m_recordHeaders.size() + m_body.size();
        m_stream->write(m_parts.data(), qsizetype(m_parts.size()));
        releaseParts();
    }
    // A refused first write sent nothing (safe to retry elsewhere); the failure itself reaches
    // onStreamClosed() from the event loop.
    m_bytesSent = m_stream->writeFailed() ? 0 : m_requestBytes - m_stream->bytesToWrite();
    m_goneBeforeRequest = m_stream->writeFailed() && m_requestCount > 1;
    return true;
}

void FastCgiConnection::onStreamData(QByteArrayView data) {
    // As onDeviceReadyRead(): finished() may be emitted at once from here.
    m_finishDirectly = true;
    if (m_state == State::Idle)
        unexpectedBytesWhileIdle();
    else if (m_state == State::Busy)
        consume(data);
    endFinishingDirectly();
}

void FastCgiConnection::onStreamDrained() {
    m_bytesSent = m_requestBytes;
    m_progress.restart();
}

void FastCgiConnection::onStreamWriteProgress() {
    // A large body that PHP-FPM reads slowly is progress, not a stall for the read timeout.
    m_bytesSent = m_requestBytes - m_stream->bytesToWrite();
    m_progress.restart();
}

void FastCgiConnection::onStreamClosed(ByteStream::CloseReason reason, const QString &detail) {
    onTransportClosed(
        reason == ByteStream::CloseReason::EndOfStream ? QStringLiteral("closed by peer") : detail);
}

void FastCgiConnection::onConnected() {
    if (m_state != State::Connecting)
        return;
    m_progress.restart();
    if (m_requestPending) {
        m_state = State::Busy;
        writeRequest();
    } else {
        m_state = State::Idle;
    }
}

void FastCgiConnection::onBytesWritten(qint64 bytes) {
    m_bytesSent += bytes;
    m_progress.restart();
}

void FastCgiConnection::flushDevice() {
    if (auto *socket = qobject_cast<QAbstractSocket *>(m_device))
        socket->flush();
    else if (auto *socket = qobject_cast<QLocalSocket *>(m_device))
        socket->flush();
}

void FastCgiConnection::onDeviceReadyRead() {
    // Only here may finished() be emitted at once: this runs from the device's signal, never
    // from inside start() (and so never inside the pool's submit()).
    m_finishDirectly = true;
    onReadyRead();
    endFinishingDirectly();
}

void FastCgiConnection::endFinishingDirectly() {
    m_finishDirectly = false;
    if (m_finishedPending) {
        m_finishedPending = false;
        emit finished();
    }
}

void FastCgiConnection::onReadyRead() {
    if (m_state == State::Idle && m_device->bytesAvailable() > 0) {
        unexpectedBytesWhileIdle();
        return;
    }
    while (m_state == State::Busy) {
        const qint64 available = m_device->bytesAvailable();
        if (available <= 0)
            break;
        m_readBuf.resize(qsizetype(std::min<qint64>(available, kReadChunkBytes)));
        const qint64 got = m_device->read(m_readBuf.data(), m_readBuf.size());
        if (got <= 0)
            break;
        consume(QByteArrayView(m_readBuf.constData(), qsizetype(got)));
    }
    if (m_readBuf.capacity() > kRetainedBufferBytes && m_state != State::Busy)
        m_readBuf = QByteArray();
}

void FastCgiConnection::unexpectedBytesWhileIdle() {
    // PHP-FPM never speaks unasked; whatever this is, the stream is out of step.
    m_state = State::Closed;
    closeDevice();
    QMetaObject::invokeMethod(
        this, [this] { emit closed(QStringLiteral("unexpected bytes on an idle connection")); },
        Qt::QueuedConnection);
}

void FastCgiConnection::consume(QByteArrayView data) {
    m_progress.restart();
    while (!data.isEmpty() && m_state == State::Busy) {
        const auto result = m_records.parse(data);
        data = data.sliced(result.consumed);
        if (result.status == FastCgiRecordParser::Status::Error) {
            failRequest(
                PhpOutcome::BadResponse,
                QStringLiteral("malformed FastCGI record: %1").arg(m_records.errorString()));
            return;
        }
        if (result.status == FastCgiRecordParser::Status::Incomplete)
            break;
        handleRecord(m_records.type(), m_records.requestId(), m_records.content());
    }
    if (!data.isEmpty() && m_state == State::Idle) {
        // Bytes after END_REQUEST: the reply was fine, the connection is not.
        m_state = State::Closed;
        closeDevice();
    }
}

bool FastCgiConnection::handleRecord(quint8 type, quint16 requestId, QByteArrayView content) {
    if (requestId != kRequestId) {
        failRequest(PhpOutcome::BadResponse,
                    QStringLiteral("FastCGI record type %1 for request id %2, expected %3")
                        .arg(type)
                        .arg(requestId)
                        .arg(kRequestId));
        return false;
    }
    switch (type) {
    case FastCgi::Stdout:
        if (m_stdoutEnded) {
            failRequest(PhpOutcome::BadResponse, QStringLiteral("FastCGI STDOUT after its end"));
            return false;
        }
        if (content.isEmpty()) {
            m_stdoutEnded = true;
            return true;
        }
        if (content.size() > m_maxResponseBytes - m_stdoutBytes) {
            // Parse what fits, so the error can name the headers it throws away.
            m_cgi.feed(content.first(qsizetype(m_maxResponseBytes - m_stdoutBytes)));
            m_stdoutBytes += content.size();
            failRequest(
                PhpOutcome::BadResponse,
                QStringLiteral("reply exceeds the %1-byte response cap").arg(m_maxResponseBytes));
            return false;
        }
        m_stdoutBytes += content.size();
        if (m_cgi.feed(content) == CgiResponseParser::Status::Error) {
            failRequest(PhpOutcome::BadResponse,
                        QStringLiteral("malformed CGI response: %1").arg(m_cgi.errorString()));
            return false;
        }
        return true;
    case FastCgi::Stderr: {
        const qsizetype room = kMaxStderrBytes - m_response.stderrData.size();
        const qsizetype take = std::min(room, content.size());
        if (take > 0)
            m_response.stderrData.append(content.data(), take);
        return true;
    }
    case FastCgi::EndRequest: {
        if (content.size() < kEndRequestBodyBytes) {
            failRequest(PhpOutcome::BadResponse,
                        QStringLiteral("FastCGI END_REQUEST body of %1 bytes, expected %2")
                            .arg(content.size())
                            .arg(kEndRequestBodyBytes));
            return false;
        }
        const auto *b = reinterpret_cast<const uchar *>(content.data());
        const quint32 appStatus =
            (quint32(b[0]) << 24) | (quint32(b[1]) << 16) | (quint32(b[2]) << 8) | quint32(b[3]);
        switch (b[4]) {
        case FastCgi::RequestComplete:
            complete(appStatus);
            return false;
        case FastCgi::Overloaded:
            failRequest(PhpOutcome::Overloaded, QStringLiteral("php-fpm answered OVERLOADED"));
            return false;
        case FastCgi::CantMpxConn:
            failRequest(PhpOutcome::BadResponse, QStringLiteral("php-fpm answered CANT_MPX_CONN"));
            return false;
        case FastCgi::UnknownRole:
            failRequest(PhpOutcome::BadResponse, QStringLiteral("php-fpm answered UNKNOWN_ROLE"));
            return false;
        default:
            failRequest(PhpOutcome::BadResponse,
                        QStringLiteral("FastCGI END_REQUEST with protocol status %1").arg(b[4]));
            return false;
        }
    }
    default:
        failRequest(PhpOutcome::BadResponse,
                    QStringLiteral("unexpected FastCGI record type %1").arg(type));
        return false;
    }
}

void FastCgiConnection::complete(quint32 appStatus) {
    // FPM always ends STDOUT with an empty record; END_REQUEST ends it in any case.
    if (m_cgi.finish() == CgiResponseParser::Status::Error) {
        failRequest(PhpOutcome::BadResponse,
                    QStringLiteral("malformed CGI response: %1").arg(m_cgi.errorString()));
        return;
    }
    m_response.outcome = PhpOutcome::Ok;
    m_response.status = m_cgi.status();
    m_response.reason = m_cgi.reason();
    m_response.contentType = m_cgi.contentType();
    m_response.headers = m_cgi.takeHeaders();
    m_response.body = m_cgi.takeBody();
    m_response.bodyTruncated = m_cgi.bodyTruncated();
    m_response.appStatus = appStatus;
    m_response.stdoutBytes = m_stdoutBytes;
    m_response.phpUs = m_phpTimer.nsecsElapsed() / 1000;
    m_progress.restart(); // from here on it measures idle time
    if (m_keepConn && deviceConnected()) {
        m_state = State::Idle;
    } else {
        m_state = State::Closed;
        closeDevice();
    }
    emitFinishedLater();
}

void FastCgiConnection::failRequest(PhpOutcome outcome, const QString &error) {
    PhpResponse response;
    response.outcome = outcome;
    response.error = error + receivedSoFar();
    response.stderrData = std::move(m_response.stderrData); // often says why PHP died
    response.stdoutBytes = m_stdoutBytes;
    response.partialHeaders = m_cgi.headers(); // e.g. an X-WS-User that never took effect
    response.phpUs = m_phpTimer.isValid() ? m_phpTimer.nsecsElapsed() / 1000 : 0;
    m_response = std::move(response);
    m_requestPending = false;
    m_body = QByteArray();
    m_state = State::Closed;
    closeDevice();
    emitFinishedLater();
}

QString FastCgiConnection::receivedSoFar() const {
    if (m_stdoutBytes == 0)
        return {};
    QString text = QStringLiteral(" after %1 bytes of STDOUT").arg(m_stdoutBytes);
    QStringList names;
    for (const auto &header : m_cgi.headers()) {
        const QString name = QString::fromLatin1(header.first);
        if (!names.contains(name, Qt::CaseInsensitive))
            names.append(name);
    }
    if (!names.isEmpty())
        text += QStringLiteral("; discarded headers: ") + names.join(QStringLiteral(", "));
    return text;
}

QString FastCgiConnection::connectFailedText(const QString &reason) const {
    if (auto *socket = qobject_cast<QLocalSocket *>(m_device)) {
        QString path = m_address && m_address->kind == FastCgiAddress::Kind::Unix
                           ? m_address->path
                           : socket->fullServerName();
        if (path.isEmpty())
            path = socket->serverName();
        if (!path.isEmpty() && m_localError) {
            return FastCgiErrorText::unixConnectFailed(path, *m_localError, reason,
                                                       FastCgiErrorText::probe(path));
        }
        if (!path.isEmpty())
            return QStringLiteral("cannot connect to unix:%1: %2").arg(path, reason);
    } else if (auto *socket = qobject_cast<QAbstractSocket *>(m_device)) {
        const bool known = m_address && m_address->kind == FastCgiAddress::Kind::Tcp;
        const QString host = known ? m_address->host : socket->peerName();
        const quint16 port = known ? m_address->port : socket->peerPort();
        if (!host.isEmpty() && m_tcpError)
            return FastCgiErrorText::tcpConnectFailed(host, port, *m_tcpError, reason);
    }
    if (m_address)
        return QStringLiteral("cannot connect to %1: %2").arg(m_address->toString(), reason);
    return QStringLiteral("cannot connect: %1").arg(reason);
}

void FastCgiConnection::onTransportClosed(const QString &reason) {
    if (m_state == State::Busy && m_device && m_device->bytesAvailable() > 0)
        onReadyRead(); // the reply may be complete in what is still buffered
    switch (m_state) {
    case State::Closed:
        return;
    case State::Busy:
        if (sentAnyBytes())
            failRequest(PhpOutcome::BadResponse,
                        QStringLiteral("connection lost before END_REQUEST: %1").arg(reason));
        else
            failRequest(
                PhpOutcome::Unavailable,
                QStringLiteral("connection lost before the request was sent: %1").arg(reason));
        return;
    case State::Connecting:
        if (m_requestPending) {
            failRequest(PhpOutcome::Unavailable, connectFailedText(reason));
            return;
        }
        break;
    case State::Idle:
        break;
    }
    m_state = State::Closed;
    closeDevice();
    QMetaObject::invokeMethod(
        this, [this, reason] { emit closed(reason); }, Qt::QueuedConnection);
}

void FastCgiConnection::abort(PhpOutcome outcome, const QString &error) {
    if (m_state == State::Busy || (m_state == State::Connecting && m_requestPending)) {
        failRequest(outcome, error);
        return;
    }
    close();
}

void FastCgiConnection::close() {
    if (m_state == State::Closed)
        return;
    m_state = State::Closed;
    m_requestPending = false;
    closeDevice();
}

void FastCgiConnection::closeDevice() {
    if (m_stream)
        m_stream->abort();
    else if (auto *socket = qobject_cast<QAbstractSocket *>(m_device))
        socket->abort();
    else if (auto *socket = qobject_cast<QLocalSocket *>(m_device))
        socket->abort();
    else
        m_device->close();
}

void FastCgiConnection::emitFinishedLater() {
    if (m_finishDirectly) {
        m_finishedPending = true; // emitted by onDeviceReadyRead() once the read loop is done
        return;
    }
    QMetaObject::invokeMethod(
        this, [this] { emit finished(); }, Qt::QueuedConnection);
}

PhpResponse FastCgiConnection::takeResponse() {
    return std::move(m_response);
}
