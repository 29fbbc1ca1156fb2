#include "fakefastcgiserver.h"

#include "fastcgi/fastcgirecordparser.h"

#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

namespace {

constexpr int kStderrRecords = 1000;
constexpr quint8 kHugePadding = 255;

QByteArray echoStdout(const QByteArray &body, int number) {
    return "Status: 200 OK\r\nContent-Type: text/plain\r\nX-Request-Number: " +
           QByteArray::number(number) + "\r\n\r\n" + body;
}

} // namespace

struct FakeFastCgiServer::Connection {
    FastCgiRecordParser parser;
    QByteArray params;
    QByteArray stdinData;
    bool keepConn = false;
};

FakeFastCgiServer::FakeFastCgiServer(QObject *parent)
    : QObject(parent) {
    connect(&m_server, &QTcpServer::newConnection, this, &FakeFastCgiServer::onNewConnection);
}

FakeFastCgiServer::~FakeFastCgiServer() {
    for (auto &entry : m_connections)
        entry.first->disconnect(this);
}

bool FakeFastCgiServer::listen() {
    return m_server.listen(QHostAddress::LocalHost, 0);
}

quint16 FakeFastCgiServer::port() const {
    return m_server.serverPort();
}

QString FakeFastCgiServer::address() const {
    return QStringLiteral("tcp:127.0.0.1:%1").arg(port());
}

QByteArray FakeFastCgiServer::partialStdout() {
    return "Status: 200 OK\r\nX-WS-User: alice\r\nX-WS-Join: room1\r\n\r\nabc";
}

QByteArray FakeFastCgiServer::partialStderr() {
    return "PHP Warning: partial stderr\n";
}

FakeFastCgiServer::Behaviour FakeFastCgiServer::nextBehaviour() {
    return m_script.isEmpty() ? m_defaultBehaviour : m_script.takeFirst();
}

void FakeFastCgiServer::closeAllConnections() {
    const auto connections = std::move(m_connections);
    m_connections.clear();
    for (auto &entry : connections) {
        entry.first->disconnect(this);
        entry.first->close();
        entry.first->deleteLater();
        emit connectionClosed();
    }
}

void FakeFastCgiServer::onNewConnection() {
    while (QTcpSocket *socket = m_server.nextPendingConnection()) {
        ++m_accepted;
        if (!m_script.isEmpty() && m_script.front() == Behaviour::CloseOnAccept) {
            m_script.removeFirst();
            socket->close();
            socket->deleteLater();
            emit connectionClosed();
            continue;
        }
        m_connections[socket] = std::make_unique<Connection>();
        m_peakOpen = std::max(m_peakOpen, int(m_connections.size()));
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            if (m_connections.erase(socket) > 0)
                emit connectionClosed();
            socket->deleteLater();
        });
    }
}

void FakeFastCgiServer::onReadyRead(QTcpSocket *socket) {
    const auto it = m_connections.find(socket);
    if (it == m_connections.end())
        return;
    Connection &c = *it->second;
    const QByteArray data = socket->readAll();
    QByteArrayView rest(data);
    while (!rest.isEmpty()) {
        const auto r = c.parser.parse(rest);
        rest = rest.sliced(r.consumed);
        if (r.status == FastCgiRecordParser::Status::Error) {
            socket->abort();
            return;
        }
        if (r.status == FastCgiRecordParser::Status::Incomplete)
            break;
        const QByteArrayView content = c.parser.content();
        switch (c.parser.type()) {
        case FastCgi::BeginRequest:
            c.params.clear();
            c.stdinData.clear();
            c.keepConn = content.size() >= 3 && (content[2] & FastCgi::KeepConn);
            break;
        case FastCgi::Params:
            c.params.append(content.data(), content.size());
            break;
        case FastCgi::Stdin:
            if (content.isEmpty()) {
                onRequest(socket, c);
                if (m_connections.find(socket) == m_connections.end())
                    return; // closed by the behaviour
            } else {
                c.stdinData.append(content.data(), content.size());
            }
            break;
        default:
            break;
        }
    }
}

void FakeFastCgiServer::onRequest(QTcpSocket *socket, Connection &c) {
    FastCgi::NameValuePairs params;
    FastCgiCodec::decodeNameValuePairs(c.params, &params, nullptr);
    m_params.append(params);
    m_bodies.append(c.stdinData);
    m_keepConn.append(c.keepConn);
    const Behaviour behaviour = nextBehaviour();
    const QByteArray body = c.stdinData;
    const bool keepConn = c.keepConn;
    emit requestReceived();
    if (m_replyDelayMs > 0) {
        QPointer<QTcpSocket> guard(socket);
        QTimer::singleShot(m_replyDelayMs, this, [=] {
            if (guard && m_connections.count(guard.data()))
                answer(guard, behaviour, body, keepConn);
        });
    } else {
        answer(socket, behaviour, body, keepConn);
    }
}

void FakeFastCgiServer::answer(QTcpSocket *socket, Behaviour behaviour, const QByteArray &body,
                               bool keepConn) {
    const int number = requestsReceived();
    QByteArray out;
    bool close = !keepConn;
    switch (behaviour) {
    case Behaviour::Reply:
    case Behaviour::OneByteWrites:
    case Behaviour::WrongRequestId: {
        const quint16 id = behaviour == Behaviour::WrongRequestId ? 2 : 1;
        FastCgiCodec::appendStream(out, FastCgi::Stdout, id, echoStdout(body, number));
        FastCgiCodec::appendEndRequest(out, id, 0, FastCgi::RequestComplete);
        break;
    }
    case Behaviour::HugePadding: {
        const QByteArray stdoutData = echoStdout(body, number);
        for (qsizetype i = 0; i < stdoutData.size(); i += FastCgi::MaxContentBytes)
            FastCgiCodec::appendRecord(
                out, FastCgi::Stdout, 1,
                QByteArrayView(stdoutData)
                    .sliced(i)
                    .first(std::min<qsizetype>(FastCgi::MaxContentBytes, stdoutData.size() - i)),
                kHugePadding);
        FastCgiCodec::appendRecord(out, FastCgi::Stderr, 1, "padded stderr", kHugePadding);
        FastCgiCodec::appendRecord(out, FastCgi::Stdout, 1, {}, kHugePadding);
        const char end[8] = {0, 0, 0, 5, 0, 0, 0, 0};
        FastCgiCodec::appendRecord(out, FastCgi::EndRequest, 1, QByteArrayView(end, 8),
                                   kHugePadding);
        break;
    }
    case Behaviour::ManyStderr: {
        const QByteArray stdoutData = echoStdout(body, number);
        const qsizetype step = std::max<qsizetype>(1, stdoutData.size() / kStderrRecords);
        qsizetype pos = 0;
        for (int i = 0; i < kStderrRecords; ++i) {
            FastCgiCodec::appendRecord(out, FastCgi::Stderr, 1,
                                       "stderr line " + QByteArray::number(i) + "\n");
            if (pos < stdoutData.size()) {
                const qsizetype n = std::min(step, stdoutData.size() - pos);
                FastCgiCodec::appendRecord(out, FastCgi::Stdout, 1,
                                           QByteArrayView(stdoutData).sliced(pos, n));
                pos += n;
            }
        }
        FastCgiCodec::appendStream(out, FastCgi::Stdout, 1, QByteArrayView(stdoutData).sliced(pos));
        FastCgiCodec::appendEndRequest(out, 1, 0, FastCgi::RequestComplete);
        break;
    }
    case Behaviour::Garbage:
        out = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
        break;
    case Behaviour::TruncatedThenClose:
        FastCgiCodec::appendRecordHeader(out, FastCgi::Stdout, 1, 100);
        out += "Status: 20";
        close = true;
        break;
    case Behaviour::Stall:
        return;
    case Behaviour::CloseOnAccept:
    case Behaviour::CloseAfterRequest:
        socket->abort();
        return; // the disconnected handler forgets the connection
    case Behaviour::Overloaded:
        FastCgiCodec::appendEndRequest(out, 1, 0, FastCgi::Overloaded);
        break;
    case Behaviour::UnknownRecordType: {
        const char body8[8] = {char(FastCgi::Stdout), 0, 0, 0, 0, 0, 0, 0};
        FastCgiCodec::appendRecord(out, FastCgi::UnknownType, 1, QByteArrayView(body8, 8));
        break;
    }
    case Behaviour::PartialThenStall:
    case Behaviour::PartialThenClose:
        FastCgiCodec::appendRecord(out, FastCgi::Stdout, 1, partialStdout());
        FastCgiCodec::appendRecord(out, FastCgi::Stderr, 1, partialStderr());
        close = behaviour == Behaviour::PartialThenClose;
        break;
    case Behaviour::Trickle:
        FastCgiCodec::appendRecord(out, FastCgi::Stdout, 1, "Content-Type: text/plain\r\n\r\n");
        socket->write(out);
        trickle(socket);
        return;
    case Behaviour::MalformedCgi:
        FastCgiCodec::appendStream(out, FastCgi::Stdout, 1, "<html>not a CGI reply</html>\n\n");
        FastCgiCodec::appendEndRequest(out, 1, 0, FastCgi::RequestComplete);
        break;
    }

    if (behaviour == Behaviour::OneByteWrites) {
        writeSlowly(socket, out, 0, close);
        return;
    }
    socket->write(out);
    if (close)
        socket->disconnectFromHost();
}

void FakeFastCgiServer::writeSlowly(QTcpSocket *socket, const QByteArray &data, qsizetype pos,
                                    bool close) {
    // One byte per event-loop turn, so the client sees as many split points as it can.
    if (!m_connections.count(socket))
        return;
    socket->write(data.constData() + pos, 1);
    socket->flush();
    if (pos + 1 < data.size()) {
        QPointer<QTcpSocket> guard(socket);
        QTimer::singleShot(0, this, [=] {
            if (guard)
                writeSlowly(guard, data, pos + 1, close);
        });
    } else if (close) {
        socket->disconnectFromHost();
    }
}

void FakeFastCgiServer::trickle(QTcpSocket *socket) {
    // One STDOUT byte per interval: progress forever, a reply never.
    QPointer<QTcpSocket> guard(socket);
    QTimer::singleShot(m_trickleIntervalMs, this, [this, guard] {
        if (!guard || !m_connections.count(guard.data()))
            return;
        QByteArray out;
        FastCgiCodec::appendRecord(out, FastCgi::Stdout, 1, ".");
        guard->write(out);
        trickle(guard);
    });
}
