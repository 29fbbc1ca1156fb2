#pragma once
// Test helpers for WebSocketConnection: masked client frames, and the raw client end of a
// socketpair that writes them and splits the server's frames.

#include <QByteArray>
#include <QCoreApplication>
#include <QList>

#include <cerrno>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace wstest {

constexpr quint8 kFin = 0x80;
constexpr quint8 kText = 1, kBinary = 2, kCont = 0, kClose = 8, kPing = 9, kPong = 10;

// A masked client frame.
inline QByteArray frame(quint8 b0, const QByteArray &payload, bool masked = true) {
    static const quint8 key[4] = {0x11, 0x22, 0x33, 0x44};
    QByteArray out(1, char(b0));
    const quint64 n = quint64(payload.size());
    const quint8 maskBit = masked ? 0x80 : 0;
    if (n <= 125) {
        out.append(char(maskBit | n));
    } else if (n <= 0xFFFF) {
        out.append(char(maskBit | 126));
        out.append(char(n >> 8));
        out.append(char(n));
    } else {
        out.append(char(maskBit | 127));
        for (int i = 7; i >= 0; --i)
            out.append(char(n >> (8 * i)));
    }
    QByteArray body = payload;
    if (masked) {
        out.append(reinterpret_cast<const char *>(key), 4);
        for (qsizetype i = 0; i < body.size(); ++i)
            body[i] = char(body[i] ^ key[i % 4]);
    }
    return out + body;
}

inline QByteArray closeBody(int code, const QByteArray &reason = {}) {
    QByteArray p;
    p.append(char(code >> 8));
    p.append(char(code & 0xFF));
    return p + reason;
}

struct ServerFrame {
    quint8 opcode = 0;
    bool fin = false;
    bool masked = false;
    QByteArray payload;
};

/// The raw client end of the socketpair: writes masked frames, reads and splits server frames.
class RawWebSocketPeer final {
public:
    explicit RawWebSocketPeer(int fd)
        : m_fd(fd) {
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    ~RawWebSocketPeer() { closeFd(); }

    void send(const QByteArray &bytes) {
        qsizetype off = 0;
        while (off < bytes.size()) {
            const ssize_t n =
                ::send(m_fd, bytes.constData() + off, size_t(bytes.size() - off), MSG_NOSIGNAL);
            if (n > 0) {
                off += n;
                continue;
            }
            if (n < 0 && errno != EAGAIN)
                return;
            QCoreApplication::processEvents(); // let the server read
        }
    }
    /// Non-blocking: false when the kernel took nothing.
    bool trySend(const QByteArray &bytes) {
        return ::send(m_fd, bytes.constData(), size_t(bytes.size()), MSG_NOSIGNAL | MSG_DONTWAIT) ==
               bytes.size();
    }
    // Reads what is there and splits complete frames. Returns *this for QTRY_ conditions.
    RawWebSocketPeer &pump() {
        char buf[65536];
        for (;;) {
            const ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
            if (n > 0) {
                m_in.append(buf, qsizetype(n));
                continue;
            }
            if (n == 0)
                eof = true;
            break;
        }
        split();
        return *this;
    }
    void shutdownWrite() { ::shutdown(m_fd, SHUT_WR); }
    void closeFd() {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
    }
    int fd() const { return m_fd; }

    QList<ServerFrame> frames;
    bool eof = false;

private:
    void split() {
        for (;;) {
            if (m_in.size() < 2)
                return;
            const quint8 b0 = quint8(m_in[0]), b1 = quint8(m_in[1]);
            qsizetype at = 2;
            quint64 len = b1 & 0x7F;
            if (len == 126) {
                if (m_in.size() < 4)
                    return;
                len = (quint64(quint8(m_in[2])) << 8) | quint8(m_in[3]);
                at = 4;
            } else if (len == 127) {
                if (m_in.size() < 10)
                    return;
                len = 0;
                for (int i = 0; i < 8; ++i)
                    len = (len << 8) | quint8(m_in[2 + i]);
                at = 10;
            }
            if (b1 & 0x80)
                at += 4;
            if (quint64(m_in.size() - at) < len)
                return;
            frames.append({quint8(b0 & 0x0F), bool(b0 & 0x80), bool(b1 & 0x80),
                           m_in.mid(at, qsizetype(len))});
            m_in.remove(0, at + qsizetype(len));
        }
    }

    int m_fd;
    QByteArray m_in;
};

} // namespace wstest
