#pragma once
// The load tools' raw WebSocket client: blocking handshakes, then a non-blocking epoll loop that
// sends pre-masked frames and parses reply frames in place (a few microseconds of CPU per
// message, so on a small machine the tool takes as little CPU as possible from the server).
// Header-only: every bench/*.cpp is its own executable.

#include "benchcommon.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <functional>
#include <string_view>
#include <utility>

namespace bench {

/// "abcd…" of `size` bytes.
inline std::string payloadOf(int size) {
    std::string p(size_t(size), 'x');
    for (size_t i = 0; i < p.size(); ++i)
        p[i] = char('a' + i % 26);
    return p;
}

/// A masked client frame carrying `payload` (text by default).
inline std::string clientFrame(std::string_view payload, uint8_t opcode = 0x1) {
    std::string f;
    f.reserve(payload.size() + 14);
    f.push_back(char(0x80 | opcode));
    const size_t n = payload.size();
    if (n < 126) {
        f.push_back(char(0x80 | n));
    } else if (n < 65536) {
        f.push_back(char(0x80 | 126));
        f.push_back(char(n >> 8));
        f.push_back(char(n & 0xff));
    } else {
        f.push_back(char(0x80 | 127));
        for (int i = 7; i >= 0; --i)
            f.push_back(char((uint64_t(n) >> (8 * i)) & 0xff));
    }
    const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    f.append(reinterpret_cast<const char *>(mask), 4);
    for (size_t i = 0; i < n; ++i)
        f.push_back(char(uint8_t(payload[i]) ^ mask[i % 4]));
    return f;
}

/// Where the client connects: an IPv4 host, a port and the path (with its query).
struct WsEndpoint {
    std::string host = "127.0.0.1";
    int port = 8080;
    std::string path = "/ws";
};

/// One connection of a RawClient.
struct Conn {
    int fd = -1;
    std::string in;
    size_t inOff = 0;
    std::string out;  // unsent bytes
    std::string frag; // a fragmented message, assembled
    size_t msgBytes = 0;
    int64_t sentAt = 0;
    bool open = false;
    int closeCode = -1; // the server's close frame: its code (1005 without one); -1 none
    size_t index = 0;   // the owner's number for it
};

class RawClient {
public:
    /// Every complete server data message; false stops run().
    using OnMessage = std::function<bool(Conn &, int opcode, std::string_view payload)>;

    RawClient()
        : m_ep(::epoll_create1(0)) {}
    ~RawClient() { ::close(m_ep); }
    RawClient(const RawClient &) = delete;
    RawClient &operator=(const RawClient &) = delete;

    /// Connects and completes the handshake (blocking); the socket then joins the epoll set
    /// unless `watch` is false (a connection nobody reads from).
    bool open(Conn &c, const WsEndpoint &at, std::string *error, bool watch = true) {
        c = Conn{-1, {}, 0, {}, {}, 0, 0, false, -1, c.index};
        c.fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (c.fd < 0) {
            *error = std::string("socket: ") + std::strerror(errno);
            return false;
        }
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(uint16_t(at.port));
        ::inet_pton(AF_INET, at.host.c_str(), &sa.sin_addr);
        timeval tv{10, 0};
        ::setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        int one = 1;
        ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (::connect(c.fd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) != 0) {
            *error = std::string("connect: ") + std::strerror(errno);
            return fail(c);
        }
        const std::string req = "GET " + at.path + " HTTP/1.1\r\nHost: " + at.host + ":" +
                                std::to_string(at.port) +
                                "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                "Sec-WebSocket-Version: 13\r\n\r\n";
        if (::send(c.fd, req.data(), req.size(), MSG_NOSIGNAL) != ssize_t(req.size())) {
            *error = std::string("send: ") + std::strerror(errno);
            return fail(c);
        }
        char buf[4096];
        for (;;) {
            const ssize_t n = ::recv(c.fd, buf, sizeof(buf), 0);
            if (n <= 0) {
                *error = n == 0 ? "closed during the handshake"
                                : std::string("handshake: ") + std::strerror(errno);
                return fail(c);
            }
            c.in.append(buf, size_t(n));
            const auto end = c.in.find("\r\n\r\n");
            if (end == std::string::npos)
                continue;
            if (c.in.compare(0, 12, "HTTP/1.1 101") != 0) {
                *error = "handshake refused: " + c.in.substr(0, c.in.find("\r\n"));
                return fail(c);
            }
            c.in.erase(0, end + 4);
            break;
        }
        ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
        c.open = true;
        if (!watch)
            return true;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = &c;
        ::epoll_ctl(m_ep, EPOLL_CTL_ADD, c.fd, &ev);
        if (!c.in.empty()) // frames that came with the 101 (a welcome): parsed by run()
            m_leftovers.push_back(&c);
        return true;
    }

    /// Queues bytes and writes what the socket takes now.
    void send(Conn &c, const std::string &bytes) {
        c.out += bytes;
        flush(c);
    }

    /// Runs the loop until `until` (monotonic ns) or until onMessage returns false.
    void run(int64_t until, const OnMessage &onMessage) {
        const std::vector<Conn *> pending = std::exchange(m_leftovers, {});
        for (Conn *c : pending) {
            if (c->open && !parseFrames(*c, false, onMessage))
                return;
        }
        epoll_event events[256];
        while (bench::nowNs() < until) {
            const int64_t leftMs = (until - bench::nowNs()) / 1000000;
            const int n = ::epoll_wait(m_ep, events, 256, int(std::clamp<int64_t>(leftMs, 0, 100)));
            for (int i = 0; i < n; ++i) {
                Conn &c = *static_cast<Conn *>(events[i].data.ptr);
                if (!c.open)
                    continue;
                if (events[i].events & EPOLLOUT)
                    flush(c);
                if (!(events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                    continue;
                if (!readFrames(c, onMessage))
                    return;
            }
        }
    }

    void close(Conn &c) {
        if (c.fd >= 0) {
            ::epoll_ctl(m_ep, EPOLL_CTL_DEL, c.fd, nullptr);
            ::close(c.fd);
        }
        c.fd = -1;
        c.open = false;
    }

    /// Fires when the server closed a connection (close frame or end of stream), before the
    /// descriptor is closed.
    std::function<void(Conn &)> onClosed;
    long long closedByPeer = 0;

private:
    bool fail(Conn &c) {
        ::close(c.fd);
        c.fd = -1;
        return false;
    }

    void flush(Conn &c) {
        size_t off = 0;
        while (off < c.out.size()) {
            const ssize_t n = ::send(c.fd, c.out.data() + off, c.out.size() - off, MSG_NOSIGNAL);
            if (n <= 0)
                break;
            off += size_t(n);
        }
        c.out.erase(0, off);
        epoll_event ev{};
        ev.events = uint32_t(EPOLLIN) | (c.out.empty() ? 0u : uint32_t(EPOLLOUT));
        ev.data.ptr = &c;
        ::epoll_ctl(m_ep, EPOLL_CTL_MOD, c.fd, &ev);
    }

    bool readFrames(Conn &c, const OnMessage &onMessage) {
        static char buf[256 * 1024];
        bool eof = false;
        for (;;) {
            const ssize_t n = ::recv(c.fd, buf, sizeof(buf), 0);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            if (n <= 0) {
                eof = true;
                break;
            }
            c.in.append(buf, size_t(n));
        }
        return parseFrames(c, eof, onMessage);
    }

    bool parseFrames(Conn &c, bool eof, const OnMessage &onMessage) {
        bool go = true;
        while (go) {
            const size_t avail = c.in.size() - c.inOff;
            const auto *h = reinterpret_cast<const unsigned char *>(c.in.data() + c.inOff);
            if (avail < 2)
                break;
            size_t len = h[1] & 0x7f, head = 2;
            if (len == 126) {
                if (avail < 4)
                    break;
                len = (size_t(h[2]) << 8) | h[3];
                head = 4;
            } else if (len == 127) {
                if (avail < 10)
                    break;
                len = 0;
                for (int i = 0; i < 8; ++i)
                    len = (len << 8) | h[2 + i];
                head = 10;
            }
            if (avail < head + len)
                break;
            const int opcode = h[0] & 0x0f;
            const bool fin = h[0] & 0x80;
            const std::string_view payload(c.in.data() + c.inOff + head, len);
            c.inOff += head + len;
            if (opcode == 0x9) { // ping: answer with a pong carrying the same payload
                send(c, clientFrame(payload, 0xA));
                continue;
            }
            if (opcode == 0x8) {
                c.closeCode = len >= 2 ? (uint8_t(payload[0]) << 8) | uint8_t(payload[1]) : 1005;
                eof = true;
                break;
            }
            if (opcode >= 0x8)
                continue;
            if (fin && c.frag.empty()) {
                go = onMessage(c, opcode, payload);
                continue;
            }
            c.frag.append(payload);
            if (fin) {
                const std::string whole = std::exchange(c.frag, {});
                go = onMessage(c, opcode, whole);
            }
        }
        if (c.inOff == c.in.size()) {
            c.in.clear();
            c.inOff = 0;
        } else if (c.inOff > 65536) {
            c.in.erase(0, c.inOff);
            c.inOff = 0;
        }
        if (eof && c.open) {
            ++closedByPeer;
            if (onClosed)
                onClosed(c);
            close(c);
        }
        return go;
    }

    int m_ep;
    std::vector<Conn *> m_leftovers;
};

/// "ws://HOST:PORT/PATH" -> endpoint; false when it is not one (IPv4 host only).
inline bool parseWsUrl(const std::string &url, WsEndpoint *out) {
    const std::string scheme = "ws://";
    if (url.compare(0, scheme.size(), scheme) != 0)
        return false;
    const std::string rest = url.substr(scheme.size());
    const auto slash = rest.find('/');
    const std::string hostPort = rest.substr(0, slash);
    out->path = slash == std::string::npos ? "/" : rest.substr(slash);
    const auto colon = hostPort.rfind(':');
    out->host = hostPort.substr(0, colon);
    out->port = colon == std::string::npos ? 80 : std::atoi(hostPort.c_str() + colon + 1);
    in_addr probe{};
    return !out->host.empty() && out->port > 0 && ::inet_pton(AF_INET, out->host.c_str(), &probe);
}

/// "a,b,c" -> {"a", "b", "c"}.
inline std::vector<std::string> splitList(const std::string &list) {
    std::vector<std::string> items;
    std::istringstream s(list);
    std::string item;
    while (std::getline(s, item, ','))
        if (!item.empty())
            items.push_back(item);
    return items;
}

} // namespace bench
