#include "rawwebsocketclient.h"

#include <QRandomGenerator>
#include <QTest>
#include <QtEndian>

RawWebSocketClient::RawWebSocketClient(QObject *parent)
    : QObject(parent) {
    connect(&socket, &QTcpSocket::readyRead, this, &RawWebSocketClient::onReadyRead);
    connect(&socket, &QTcpSocket::disconnected, this, [this] { disconnected = true; });
}

QByteArray RawWebSocketClient::handshake(const QByteArray &pathAndQuery,
                                         const QByteArray &extraHeaders) {
    return "GET " + pathAndQuery +
           " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
           extraHeaders + "\r\n";
}

QByteArray RawWebSocketClient::frame(int opcode, const QByteArray &payload, bool fin) {
    QByteArray f;
    f.append(char((fin ? 0x80 : 0) | (opcode & 0x0f)));
    const qint64 n = payload.size();
    if (n < 126) {
        f.append(char(0x80 | n));
    } else if (n < 65536) {
        f.append(char(0x80 | 126));
        f.append(char(n >> 8));
        f.append(char(n & 0xff));
    } else {
        f.append(char(0x80 | 127));
        for (int i = 7; i >= 0; --i)
            f.append(char((n >> (8 * i)) & 0xff));
    }
    const quint32 mask = QRandomGenerator::global()->generate();
    char key[4];
    qToBigEndian(mask, key);
    f.append(key, 4);
    QByteArray masked = payload;
    for (qsizetype i = 0; i < masked.size(); ++i)
        masked[i] = char(masked[i] ^ key[i % 4]);
    f.append(masked);
    return f;
}

QByteArray RawWebSocketClient::closeFrame(int code, const QByteArray &reason) {
    QByteArray p(2, Qt::Uninitialized);
    qToBigEndian(quint16(code), p.data());
    return frame(8, p + reason);
}

bool RawWebSocketClient::open(quint16 port, const QByteArray &pathAndQuery,
                              const QByteArray &afterHead, const QByteArray &extraHeaders,
                              int timeoutMs) {
    // The gateway under test runs on this thread: wait with the event loop, never blocking.
    socket.connectToHost(QHostAddress::LocalHost, port);
    socket.write(handshake(pathAndQuery, extraHeaders) + afterHead);
    const auto deadline = QDeadlineTimer(timeoutMs);
    while (!m_headDone && !deadline.hasExpired() && !disconnected)
        QTest::qWait(5);
    return m_headDone && responseHead.startsWith("HTTP/1.1 101");
}

void RawWebSocketClient::send(const QByteArray &bytes) {
    socket.write(bytes);
    socket.flush();
}

bool RawWebSocketClient::waitForMessages(int count, int timeoutMs) {
    const auto deadline = QDeadlineTimer(timeoutMs);
    while (messages.size() < count && !deadline.hasExpired())
        QTest::qWait(5);
    return messages.size() >= count;
}

bool RawWebSocketClient::waitForClose(int timeoutMs) {
    const auto deadline = QDeadlineTimer(timeoutMs);
    while (closeCode < 0 && !disconnected && !deadline.hasExpired())
        QTest::qWait(5);
    return closeCode >= 0 || disconnected;
}

void RawWebSocketClient::stopReading() {
    m_reading = false;
    socket.setReadBufferSize(1); // Qt stops reading from the kernel once it holds a byte
}

void RawWebSocketClient::onReadyRead() {
    if (!m_reading)
        return;
    m_buffer.append(socket.readAll());
    if (!m_headDone) {
        const qsizetype end = m_buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        responseHead = m_buffer.left(end + 4);
        m_buffer.remove(0, end + 4);
        m_headDone = true;
    }
    parse();
}

void RawWebSocketClient::parse() {
    for (;;) {
        if (m_buffer.size() < 2)
            return;
        const uchar b0 = uchar(m_buffer[0]);
        const uchar b1 = uchar(m_buffer[1]);
        qint64 length = b1 & 0x7f;
        qsizetype offset = 2;
        if (length == 126) {
            if (m_buffer.size() < 4)
                return;
            length = qFromBigEndian<quint16>(m_buffer.constData() + 2);
            offset = 4;
        } else if (length == 127) {
            if (m_buffer.size() < 10)
                return;
            length = qint64(qFromBigEndian<quint64>(m_buffer.constData() + 2));
            offset = 10;
        }
        if (m_buffer.size() < offset + length)
            return;
        Frame f;
        f.fin = b0 & 0x80;
        f.opcode = b0 & 0x0f;
        f.payload = m_buffer.mid(offset, length);
        m_buffer.remove(0, offset + length);
        if (f.opcode >= 8) {
            if (f.opcode == 8) {
                closeCode =
                    f.payload.size() >= 2 ? qFromBigEndian<quint16>(f.payload.constData()) : 1005;
                closeReason = f.payload.mid(2);
            }
            controlFrames.append(f);
            continue;
        }
        m_fragments.append(f.payload);
        if (f.fin) {
            messages.append(m_fragments);
            m_fragments.clear();
        }
    }
}
