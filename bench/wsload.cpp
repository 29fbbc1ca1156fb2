// wsload: WebSocket load against wsgated (or any echo-style WebSocket server).
//
// Round trip (default): N connections, each sends a text message of S bytes and waits for the
// reply before sending the next; after a warm-up, counts replies for a duration (or a count).
//   wsload --url ws://127.0.0.1:8080/ws --connections 16 --size 64 [--duration 5] [--warmup 1]
//          [--count M] [--client raw|qt]
// Series: one connection, M messages in a row, throughput per slice and the server's RSS.
//   wsload --url ... --series 100000 [--slice 10000] [--size 64] --pid PID
// Idle: opens N connections and holds them; the server's RSS before/after and its CPU while
// they sit idle.
//   wsload --url ... --idle 10000 --pid PID [--idle-seconds 5] [--settle 2]
//
// --client raw (default): blocking handshakes, then a non-blocking epoll loop that sends one
//   pre-masked frame and parses reply frames in place: a few microseconds of CPU per message,
//   so on a small machine the tool takes as little CPU as possible from the gateway and PHP.
// --client qt: one QWebSocket per connection on a Qt event loop (a cross-check of the raw one).
//
// With --pid (wsgated) and --fpm-pids (php-fpm master and workers), round trip also reports
// CPU microseconds per message of each, from /proc tick deltas over the measured window: a
// figure that holds even when other work shares the machine.
//
// Every mode prints "RESULT ..." lines (parsed by scripts/bench.sh) including the tool's own
// CPU %, to show whether the tool itself is the bottleneck.

#include "benchcommon.h"

#include <QCoreApplication>
#include <QUrl>
#include <QWebSocket>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <functional>
#include <memory>

namespace {

struct Options {
    std::string host = "127.0.0.1";
    int port = 8080;
    std::string path = "/ws";
    int connections = 1;
    int size = 64;
    double duration = 5;
    double warmup = 1;
    long long count = 0; // round trip: stop after this many measured replies (0: duration)
    long long series = 0;
    long long slice = 10000;
    long long idle = 0;
    double idleSeconds = 5;
    double settle = 2;
    long pid = 0;              // wsgated: RSS (series, idle), CPU per message (round trip)
    std::vector<long> fpmPids; // php-fpm master and workers: CPU per message (round trip)
    std::string client = "raw";
};

std::string payloadOf(int size) {
    std::string p(size_t(size), 'x');
    for (size_t i = 0; i < p.size(); ++i)
        p[i] = char('a' + i % 26);
    return p;
}

/// A masked client text frame carrying `payload`.
std::string clientFrame(const std::string &payload, uint8_t opcode = 0x1) {
    std::string f;
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

// ---------------------------------------------------------------------------------------------
// raw client

struct Conn {
    int fd = -1;
    std::string in;
    size_t inOff = 0;
    std::string out; // unsent bytes
    size_t msgBytes = 0;
    int64_t sentAt = 0;
    bool open = false;
};

class RawClient {
public:
    explicit RawClient(const Options &o)
        : m_o(o)
        , m_ep(::epoll_create1(0)) {}

    /// Connects and completes the handshake (blocking); the socket then joins the epoll set.
    bool open(Conn &c, std::string *error) {
        c.fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (c.fd < 0) {
            *error = std::string("socket: ") + std::strerror(errno);
            return false;
        }
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(uint16_t(m_o.port));
        ::inet_pton(AF_INET, m_o.host.c_str(), &sa.sin_addr);
        timeval tv{5, 0};
        ::setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        int one = 1;
        ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (::connect(c.fd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) != 0) {
            *error = std::string("connect: ") + std::strerror(errno);
            ::close(c.fd);
            c.fd = -1;
            return false;
        }
        const std::string req = "GET " + m_o.path + " HTTP/1.1\r\nHost: " + m_o.host + ":" +
                                std::to_string(m_o.port) +
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
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = &c;
        ::epoll_ctl(m_ep, EPOLL_CTL_ADD, c.fd, &ev);
        c.open = true;
        return true;
    }

    /// Queues bytes and writes what the socket takes now.
    void send(Conn &c, const std::string &bytes) {
        c.out += bytes;
        flush(c);
    }

    /// Runs the loop until `until` (monotonic ns); onMessage(conn, opcode, payloadBytes) for
    /// every complete server message. False from onMessage stops the loop.
    void run(int64_t until, const std::function<bool(Conn &, int, size_t)> &onMessage) {
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

    bool readFrames(Conn &c, const std::function<bool(Conn &, int, size_t)> &onMessage) {
        char buf[256 * 1024];
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
        bool go = true;
        for (;;) {
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
            c.inOff += head + len;
            if (opcode == 0x9) { // ping: answer with a pong carrying the same payload
                send(c, clientFrame(std::string(c.in.data() + c.inOff - len, len), 0xA));
                continue;
            }
            if (opcode == 0x8) { // close
                eof = true;
                break;
            }
            if (opcode >= 0x8)
                continue;
            c.msgBytes += len;
            if (fin) {
                const size_t bytes = c.msgBytes;
                c.msgBytes = 0;
                if (!onMessage(c, opcode, bytes))
                    go = false;
            }
        }
        if (c.inOff == c.in.size()) {
            c.in.clear();
            c.inOff = 0;
        } else if (c.inOff > 65536) {
            c.in.erase(0, c.inOff);
            c.inOff = 0;
        }
        if (eof) {
            ++closedByPeer;
            close(c);
        }
        return go;
    }

    const Options &m_o;
    int m_ep;
};

struct Window {
    int64_t start = 0, end = 0;
    double cpuStart = -1;
    long long gwTicks = 0, fpmTicks = 0; // at the start, then deltas
    bench::Latencies lat;
    long long ok = 0, errors = 0;

    void begin(const Options &o) {
        cpuStart = bench::selfCpuSeconds();
        gwTicks = o.pid ? bench::cpuTicks(o.pid) : 0;
        fpmTicks = bench::cpuTicks(o.fpmPids);
    }
    void finish(const Options &o) {
        gwTicks = o.pid ? bench::cpuTicks(o.pid) - gwTicks : 0;
        fpmTicks = bench::cpuTicks(o.fpmPids) - fpmTicks;
    }
};

void reportRoundTrip(const Options &o, Window &w, int64_t endNs, double cpuEnd) {
    const double secs = double(endNs - w.start) / 1e9;
    bench::Result()
        .add("tool", "wsload")
        .add("mode", "roundtrip")
        .add("client", o.client)
        .add("conns", o.connections)
        .add("size", o.size)
        .add("msgs", w.ok)
        .add("rate", double(w.ok) / secs)
        .add("p50_us", w.lat.percentile(0.5))
        .add("p99_us", w.lat.percentile(0.99))
        .add("errors", w.errors)
        .add("cpu_pct", 100.0 * (cpuEnd - w.cpuStart) / secs)
        .add("self_us_per_msg", w.ok ? (cpuEnd - w.cpuStart) * 1e6 / double(w.ok) : 0.0)
        .add("gw_us_per_msg", bench::cpuUsPerMsg(w.gwTicks, w.ok))
        .add("fpm_us_per_msg", bench::cpuUsPerMsg(w.fpmTicks, w.ok))
        .print();
}

int roundTripRaw(const Options &o) {
    RawClient client(o);
    std::vector<Conn> conns(size_t(o.connections));
    std::string error;
    for (auto &c : conns) {
        if (!client.open(c, &error)) {
            std::fprintf(stderr, "wsload: %s\n", error.c_str());
            return 1;
        }
    }
    const std::string frame = clientFrame(payloadOf(o.size));
    Window w;
    w.lat.reserve(1 << 20);
    w.start = bench::nowNs() + int64_t(o.warmup * 1e9);
    w.end = o.count > 0 ? INT64_MAX : w.start + int64_t(o.duration * 1e9);
    for (auto &c : conns) {
        c.sentAt = bench::nowNs();
        client.send(c, frame);
    }
    int64_t stoppedAt = 0;
    client.run(w.end, [&](Conn &c, int, size_t bytes) {
        const int64_t t = bench::nowNs();
        if (t >= w.start) {
            if (w.cpuStart < 0)
                w.begin(o);
            if (bytes == size_t(o.size)) {
                ++w.ok;
                w.lat.add(t - c.sentAt);
            } else {
                ++w.errors; // an error object from the gateway, or a wrong echo
            }
            if (o.count > 0 && w.ok >= o.count) {
                stoppedAt = t;
                return false;
            }
        }
        c.sentAt = t;
        client.send(c, frame);
        return true;
    });
    const int64_t end = stoppedAt ? stoppedAt : w.end;
    w.errors += client.closedByPeer;
    w.finish(o);
    reportRoundTrip(o, w, end, bench::selfCpuSeconds());
    for (auto &c : conns)
        client.close(c);
    return 0;
}

int series(const Options &o) {
    RawClient client(o);
    Conn c;
    std::string error;
    if (!client.open(c, &error)) {
        std::fprintf(stderr, "wsload: %s\n", error.c_str());
        return 1;
    }
    const std::string frame = clientFrame(payloadOf(o.size));
    const long rssStart = o.pid ? bench::rssKiB(o.pid) : -1;
    long long done = 0, errors = 0, sliceDone = 0;
    int sliceNo = 0;
    bench::Latencies lat;
    lat.reserve(size_t(o.slice));
    int64_t sliceStart = bench::nowNs();
    const int64_t t0 = sliceStart;
    double slowest = 1e18, fastest = 0;
    c.sentAt = bench::nowNs();
    client.send(c, frame);
    client.run(INT64_MAX, [&](Conn &conn, int, size_t bytes) {
        const int64_t t = bench::nowNs();
        if (bytes == size_t(o.size))
            lat.add(t - conn.sentAt);
        else
            ++errors;
        ++done;
        if (++sliceDone == o.slice || done == o.series) {
            const double rate = double(sliceDone) / (double(t - sliceStart) / 1e9);
            slowest = std::min(slowest, rate);
            fastest = std::max(fastest, rate);
            bench::Result()
                .add("tool", "wsload")
                .add("mode", "slice")
                .add("slice", ++sliceNo)
                .add("msgs", sliceDone)
                .add("rate", rate)
                .add("p50_us", lat.percentile(0.5))
                .add("p99_us", lat.percentile(0.99))
                .add("rss_kib", o.pid ? bench::rssKiB(o.pid) : -1)
                .print();
            lat = bench::Latencies();
            lat.reserve(size_t(o.slice));
            sliceDone = 0;
            sliceStart = bench::nowNs();
        }
        if (done >= o.series)
            return false;
        conn.sentAt = bench::nowNs();
        client.send(conn, frame);
        return true;
    });
    const int64_t t1 = bench::nowNs();
    bench::Result()
        .add("tool", "wsload")
        .add("mode", "series")
        .add("size", o.size)
        .add("msgs", done)
        .add("rate", double(done) / (double(t1 - t0) / 1e9))
        .add("slowest_slice", slowest)
        .add("fastest_slice", fastest)
        .add("errors", errors + client.closedByPeer)
        .add("rss_start_kib", rssStart)
        .add("rss_end_kib", o.pid ? bench::rssKiB(o.pid) : -1)
        .print();
    client.close(c);
    return 0;
}

int idle(const Options &o) {
    const long limit = bench::raiseFdLimit();
    if (limit < o.idle + 64)
        std::fprintf(stderr, "wsload: open-files limit %ld is below %lld connections\n", limit,
                     o.idle);
    RawClient client(o);
    std::vector<Conn> conns(size_t(o.idle));
    const long rssBefore = o.pid ? bench::rssKiB(o.pid) : -1;
    const int64_t t0 = bench::nowNs();
    long long opened = 0, failed = 0;
    std::string error, firstError;
    for (auto &c : conns) {
        if (client.open(c, &error)) {
            ++opened;
        } else {
            if (firstError.empty())
                firstError = error;
            ++failed;
        }
    }
    const double openSecs = double(bench::nowNs() - t0) / 1e9;
    if (!firstError.empty())
        std::fprintf(stderr, "wsload: %lld connections failed, first: %s\n", failed,
                     firstError.c_str());
    auto ignore = [](Conn &, int, size_t) { return true; };
    client.run(bench::nowNs() + int64_t(o.settle * 1e9), ignore);
    const long rssAfter = o.pid ? bench::rssKiB(o.pid) : -1;
    const long long ticks0 = o.pid ? bench::cpuTicks(o.pid) : -1;
    const int64_t i0 = bench::nowNs();
    client.run(i0 + int64_t(o.idleSeconds * 1e9), ignore);
    const double idleSecs = double(bench::nowNs() - i0) / 1e9;
    const long long ticks1 = o.pid ? bench::cpuTicks(o.pid) : -1;
    const double hz = double(sysconf(_SC_CLK_TCK));
    const long long stillOpen = opened - client.closedByPeer;
    bench::Result()
        .add("tool", "wsload")
        .add("mode", "idle")
        .add("conns", opened)
        .add("failed", failed)
        .add("closed_by_server", client.closedByPeer)
        .add("still_open", stillOpen)
        .add("open_secs", openSecs)
        .add("rss_before_kib", rssBefore)
        .add("rss_after_kib", rssAfter)
        .add("kib_per_conn", opened ? double(rssAfter - rssBefore) / double(opened) : 0.0)
        .add("idle_secs", idleSecs)
        .add("idle_cpu_ticks", ticks1 - ticks0)
        .add("idle_cpu_pct", 100.0 * double(ticks1 - ticks0) / hz / idleSecs)
        .print();
    for (auto &c : conns)
        client.close(c);
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Qt client: one QWebSocket per connection on this thread's event loop

int roundTripQt(const Options &o) {
    const QString url = QStringLiteral("ws://%1:%2%3")
                            .arg(QString::fromStdString(o.host))
                            .arg(o.port)
                            .arg(QString::fromStdString(o.path));
    const QString payload = QString::fromStdString(payloadOf(o.size));
    std::vector<std::unique_ptr<QWebSocket>> sockets;
    std::vector<int64_t> sentAt(size_t(o.connections));
    Window w;
    w.lat.reserve(1 << 20);
    int connected = 0;
    bool running = false;
    int64_t stoppedAt = 0;
    auto stop = [&] {
        if (!stoppedAt)
            stoppedAt = bench::nowNs();
        QCoreApplication::quit();
    };
    for (int i = 0; i < o.connections; ++i) {
        auto ws = std::make_unique<QWebSocket>();
        QWebSocket *s = ws.get();
        QObject::connect(s, &QWebSocket::connected, s, [&] {
            if (++connected == o.connections) {
                running = true;
                w.start = bench::nowNs() + int64_t(o.warmup * 1e9);
                w.end = o.count > 0 ? INT64_MAX : w.start + int64_t(o.duration * 1e9);
                for (size_t k = 0; k < sockets.size(); ++k) {
                    sentAt[k] = bench::nowNs();
                    sockets[k]->sendTextMessage(payload);
                }
            }
        });
        QObject::connect(s, &QWebSocket::textMessageReceived, s, [&, s, i](const QString &m) {
            const int64_t t = bench::nowNs();
            if (t >= w.end) {
                stop();
                return;
            }
            if (t >= w.start) {
                if (w.cpuStart < 0)
                    w.begin(o);
                if (m.size() == o.size) {
                    ++w.ok;
                    w.lat.add(t - sentAt[size_t(i)]);
                } else {
                    ++w.errors;
                }
                if (o.count > 0 && w.ok >= o.count) {
                    stop();
                    return;
                }
            }
            sentAt[size_t(i)] = t;
            s->sendTextMessage(payload);
        });
        QObject::connect(s, &QWebSocket::disconnected, s, [&] {
            ++w.errors;
            if (!running)
                stop();
        });
        s->open(QUrl(url));
        sockets.push_back(std::move(ws));
    }
    QCoreApplication::exec();
    if (!running) {
        std::fprintf(stderr, "wsload: could not connect %d of %d clients to %s\n",
                     o.connections - connected, o.connections, qPrintable(url));
        return 1;
    }
    w.finish(o);
    reportRoundTrip(o, w, stoppedAt ? stoppedAt : w.end, bench::selfCpuSeconds());
    for (auto &s : sockets)
        s->abort();
    return 0;
}

} // namespace

int main(int argc, char **argv) {
    const bench::Args args(argc, argv);
    if (args.has("help") || !args.has("url")) {
        std::printf(
            "usage: wsload --url ws://HOST:PORT/PATH\n"
            "  round trip: [--connections N] [--size BYTES] [--duration SEC] [--warmup SEC]\n"
            "              [--count M] [--client raw|qt] [--pid PID] [--fpm-pids P,P,...]\n"
            "  series:     --series M [--slice K] [--size BYTES] [--pid PID]\n"
            "  idle:       --idle N [--pid PID] [--idle-seconds SEC] [--settle SEC]\n");
        return args.has("help") ? 0 : 2;
    }
    Options o;
    const QUrl url(QString::fromStdString(args.str("url")));
    if (url.scheme() != QLatin1String("ws") || url.host().isEmpty()) {
        std::fprintf(stderr, "wsload: --url: expected ws://HOST:PORT/PATH (IPv4 host)\n");
        return 2;
    }
    o.host = url.host().toStdString();
    o.port = url.port(80);
    o.path = url.path().isEmpty() ? "/" : url.path().toStdString();
    o.connections = int(std::max(1LL, args.num("connections", 1)));
    o.size = int(std::max(0LL, args.num("size", 64)));
    o.duration = args.real("duration", 5);
    o.warmup = args.real("warmup", 1);
    o.count = args.num("count", 0);
    o.series = args.num("series", 0);
    o.slice = std::max(1LL, args.num("slice", 10000));
    o.idle = args.num("idle", 0);
    o.idleSeconds = args.real("idle-seconds", 5);
    o.settle = args.real("settle", 2);
    o.pid = long(args.num("pid", 0));
    o.fpmPids = bench::parsePids(args.str("fpm-pids"));
    o.client = args.str("client", "raw");

    if (o.idle > 0)
        return idle(o);
    if (o.series > 0)
        return series(o);
    if (o.client == "qt") {
        QCoreApplication app(argc, argv);
        return roundTripQt(o);
    }
    if (o.client != "raw") {
        std::fprintf(stderr, "wsload: --client: expected raw or qt\n");
        return 2;
    }
    return roundTripRaw(o);
}
