#pragma once

#include <QByteArray>
#include <QList>
#include <QTcpSocket>

/// A WebSocket client on a bare QTcpSocket, for what QWebSocket cannot do: frames of any
/// shape (fragments split anywhere, pings, unsolicited pongs, protocol errors), the head and
/// the first frame in one packet, and a client that stops reading.
class RawWebSocketClient final : public QObject {
    Q_OBJECT
public:
    struct Frame {
        bool fin = true;
        int opcode = 0;
        QByteArray payload;
    };

    explicit RawWebSocketClient(QObject *parent = nullptr);

    /// A valid upgrade request head for `pathAndQuery` (extra header lines included as is).
    static QByteArray handshake(const QByteArray &pathAndQuery = "/ws",
                                const QByteArray &extraHeaders = {});
    /// One masked client frame.
    static QByteArray frame(int opcode, const QByteArray &payload, bool fin = true);
    static QByteArray closeFrame(int code, const QByteArray &reason = {});

    /// Connects, sends the handshake (and `afterHead` in the same write), waits for the
    /// response head; true on 101.
    bool open(quint16 port, const QByteArray &pathAndQuery = "/ws",
              const QByteArray &afterHead = {}, const QByteArray &extraHeaders = {},
              int timeoutMs = 5000);
    /// Sends bytes as they are.
    void send(const QByteArray &bytes);
    void sendText(const QByteArray &utf8) { send(frame(1, utf8)); }
    /// Waits until `count` data messages (text or binary, assembled) arrived in total.
    bool waitForMessages(int count, int timeoutMs = 10000);
    /// Waits for the server's close frame or the end of the connection.
    bool waitForClose(int timeoutMs = 10000);
    /// Stops reading from the socket (the kernel buffers fill, then the server's queue).
    void stopReading();

    QTcpSocket socket;
    QByteArray responseHead;
    QList<QByteArray> messages;
    QList<Frame> controlFrames; // pings, pongs and close frames from the server
    int closeCode = -1;         // the server's close frame code; -1 none; 1005 without code
    QByteArray closeReason;
    bool disconnected = false;

private:
    void onReadyRead();
    void parse();

    QByteArray m_buffer;
    QByteArray m_fragments;
    bool m_headDone = false;
    bool m_reading = true;
};
