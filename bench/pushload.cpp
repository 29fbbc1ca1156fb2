// pushload: load on the push API. C keep-alive HTTP/1.1 connections, each POSTs /send (form
// body) and waits for the answer before the next; counts answers by status.
//
//   pushload --url http://127.0.0.1:8081 [--connections C] [--duration SEC] [--warmup SEC]
//            [--size BYTES] [--token TOKEN]
//            (--ids FILE [--ids-of K] | --target 'user=u%d' --targets N)
//
// Targets, used round-robin: --ids FILE takes client ids from wsreceive --ids (lines "K ID";
// --ids-of K keeps those of URL number K, e.g. the clients of one node), sent as client_id=ID;
// --target FIELD=VALUE with "%d" replaced by 0 … N-1 (--targets N).
//
// Broadcasts: K POST /broadcast, one every --interval seconds, each message "bcast K NS" (NS:
// CLOCK_MONOTONIC at the send; wsreceive times the arrivals against it).
//   pushload --url http://127.0.0.1:8081 --broadcast K [--interval SEC] [--token TOKEN]
//
// Prints "RESULT ..." lines: pushes per second with status 200, p50/p99 of the HTTP answer, the
// other statuses; per broadcast its status and "delivered" count.

#include "benchcommon.h"
#include "wsrawclient.h"

#include <fstream>

#include <strings.h>

namespace {

constexpr int64_t ConnectTimeoutNs = 5000000000;

struct Options {
    std::string host = "127.0.0.1";
    int port = 8081;
    int connections = 4;
    double duration = 5;
    double warmup = 1;
    int size = 64;
    std::string token;
    std::vector<std::string> targets; // "client_id=…", "user=…"
    long long broadcasts = 0;
    double interval = 1;
};

struct HttpConn {
    int fd = -1;
    std::string in;
    std::string out;
    int64_t sentAt = 0;
    size_t next = 0; // round-robin position in the targets
};

/// One complete answer at the front of `in`: its status, and the bytes it takes (0 when not
/// complete yet); the body is copied to `body`.
size_t takeAnswer(const std::string &in, int *status, std::string *body) {
    const auto headEnd = in.find("\r\n\r\n");
    if (headEnd == std::string::npos)
        return 0;
    *status = in.size() > 12 ? std::atoi(in.c_str() + 9) : -1;
    size_t length = 0;
    for (size_t at = in.find("\r\n"); at < headEnd; at = in.find("\r\n", at + 2)) {
        if (strncasecmp(in.c_str() + at + 2, "Content-Length:", 15) == 0)
            length = size_t(std::strtoull(in.c_str() + at + 17, nullptr, 10));
    }
    if (in.size() < headEnd + 4 + length)
        return 0;
    *body = in.substr(headEnd + 4, length);
    return headEnd + 4 + length;
}

int connectTo(const Options &o) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(uint16_t(o.port));
    ::inet_pton(AF_INET, o.host.c_str(), &sa.sin_addr);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (::connect(fd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) != 0) {
        std::fprintf(stderr, "pushload: connect: %s\n", std::strerror(errno));
        ::close(fd);
        return -1;
    }
    return fd;
}

std::string request(const Options &o, const std::string &path, const std::string &body) {
    std::string r = "POST " + path + " HTTP/1.1\r\nHost: " + o.host + ":" + std::to_string(o.port) +
                    "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n";
    if (!o.token.empty())
        r += "Authorization: Bearer " + o.token + "\r\n";
    return r + "\r\n" + body;
}

/// A blocking request and its answer on `fd`; the status, or -1.
int exchange(int fd, const std::string &bytes, std::string *body) {
    if (::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) != ssize_t(bytes.size()))
        return -1;
    std::string in;
    char buf[16384];
    const int64_t deadline = bench::nowNs() + ConnectTimeoutNs * 6;
    int status = -1;
    while (takeAnswer(in, &status, body) == 0) {
        const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
        if (n <= 0 || bench::nowNs() > deadline)
            return -1;
        in.append(buf, size_t(n));
    }
    return status;
}

int broadcasts(const Options &o) {
    const int fd = connectTo(o);
    if (fd < 0)
        return 1;
    const int64_t t0 = bench::nowNs();
    long long ok = 0;
    for (long long k = 1; k <= o.broadcasts; ++k) {
        const int64_t at = t0 + int64_t(double(k - 1) * o.interval * 1e9);
        while (bench::nowNs() < at)
            ::usleep(1000);
        const int64_t sent = bench::nowNs();
        const std::string body = "message=bcast+" + std::to_string(k) + "+" + std::to_string(sent);
        std::string answer;
        const int status = exchange(fd, request(o, "/broadcast", body), &answer);
        const int64_t answered = bench::nowNs();
        ok += status == 200;
        const auto d = answer.find("\"delivered\":");
        bench::Result()
            .add("tool", "pushload")
            .add("mode", "broadcast")
            .add("id", k)
            .add("status", status)
            .add("delivered", d == std::string::npos ? -1 : std::atol(answer.c_str() + d + 12))
            .add("answer_us", double(answered - sent) / 1000)
            .print();
    }
    ::close(fd);
    return ok == o.broadcasts ? 0 : 1;
}

int pushes(const Options &o) {
    const int ep = ::epoll_create1(0);
    std::vector<HttpConn> conns(size_t(o.connections));
    const std::string payload = bench::payloadOf(o.size);
    auto sendNext = [&](HttpConn &c) {
        const std::string &target = o.targets[c.next++ % o.targets.size()];
        c.out += request(o, "/send", target + "&message=" + payload);
        c.sentAt = bench::nowNs();
        // A request is far smaller than the socket's buffer, with one in flight: it goes out
        // whole (anything left would be sent with the next one).
        const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
        c.out.erase(0, n > 0 ? size_t(n) : 0);
    };
    for (size_t i = 0; i < conns.size(); ++i) {
        HttpConn &c = conns[i];
        c.fd = connectTo(o);
        if (c.fd < 0)
            return 1;
        c.next = i * (o.targets.size() / conns.size() + 1); // spread the starting points
        ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = &c;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    }
    const int64_t start = bench::nowNs() + int64_t(o.warmup * 1e9);
    const int64_t end = start + int64_t(o.duration * 1e9);
    bench::Latencies lat;
    lat.reserve(1 << 20);
    std::map<int, long long> statuses;
    long long ok = 0, closed = 0;
    double cpuStart = -1;
    for (auto &c : conns)
        sendNext(c);
    epoll_event events[256];
    char buf[65536];
    while (bench::nowNs() < end) {
        const int n = ::epoll_wait(ep, events, 256, 100);
        for (int i = 0; i < n; ++i) {
            HttpConn &c = *static_cast<HttpConn *>(events[i].data.ptr);
            if (c.fd < 0)
                continue;
            for (;;) {
                const ssize_t got = ::recv(c.fd, buf, sizeof(buf), 0);
                if (got > 0) {
                    c.in.append(buf, size_t(got));
                    continue;
                }
                if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                    ++closed;
                    ::close(c.fd);
                    c.fd = -1;
                }
                break;
            }
            int status = 0;
            std::string body;
            while (c.fd >= 0) {
                const size_t used = takeAnswer(c.in, &status, &body);
                if (used == 0)
                    break;
                c.in.erase(0, used);
                const int64_t t = bench::nowNs();
                if (t >= start) {
                    if (cpuStart < 0)
                        cpuStart = bench::selfCpuSeconds();
                    ++statuses[status];
                    if (status == 200) {
                        ++ok;
                        lat.add(t - c.sentAt);
                    }
                }
                sendNext(c);
            }
        }
    }
    const double secs = double(bench::nowNs() - start) / 1e9;
    std::string others;
    for (const auto &[status, count] : statuses)
        if (status != 200)
            others +=
                (others.empty() ? "" : ",") + std::to_string(status) + ":" + std::to_string(count);
    bench::Result()
        .add("tool", "pushload")
        .add("mode", "send")
        .add("conns", o.connections)
        .add("targets", o.targets.size())
        .add("size", o.size)
        .add("ok", ok)
        .add("rate", double(ok) / secs)
        .add("p50_us", lat.percentile(0.5))
        .add("p99_us", lat.percentile(0.99))
        .add("other_statuses", others.empty() ? "-" : others)
        .add("closed", closed)
        .add("cpu_pct", cpuStart < 0 ? 0.0 : 100.0 * (bench::selfCpuSeconds() - cpuStart) / secs)
        .print();
    for (auto &c : conns)
        if (c.fd >= 0)
            ::close(c.fd);
    ::close(ep);
    return 0;
}

} // namespace

int main(int argc, char **argv) {
    const bench::Args args(argc, argv);
    Options o;
    const std::string url = args.str("url");
    const std::string scheme = "http://";
    if (args.has("help") || url.compare(0, scheme.size(), scheme) != 0) {
        std::printf("usage: pushload --url http://HOST:PORT [--connections C] [--duration SEC]\n"
                    "                [--warmup SEC] [--size BYTES] [--token TOKEN]\n"
                    "                (--ids FILE [--ids-of K] | --target F=V%%d --targets N)\n"
                    "       pushload --url http://HOST:PORT --broadcast K [--interval SEC]\n");
        return args.has("help") ? 0 : 2;
    }
    const std::string hostPort = url.substr(scheme.size(), url.find('/', scheme.size()));
    o.host = hostPort.substr(0, hostPort.rfind(':'));
    o.port = std::atoi(hostPort.c_str() + hostPort.rfind(':') + 1);
    o.connections = int(std::max(1LL, args.num("connections", 4)));
    o.duration = args.real("duration", 5);
    o.warmup = args.real("warmup", 1);
    o.size = int(std::max(1LL, args.num("size", 64)));
    o.token = args.str("token");
    o.broadcasts = args.num("broadcast", 0);
    o.interval = args.real("interval", 1);
    if (o.broadcasts > 0)
        return broadcasts(o);
    if (args.has("ids")) {
        std::ifstream f(args.str("ids"));
        const std::string only = args.str("ids-of");
        std::string k, id;
        while (f >> k >> id)
            if (only.empty() || k == only)
                o.targets.push_back("client_id=" + id);
    } else if (args.has("target")) {
        const std::string t = args.str("target");
        const auto at = t.find("%d");
        for (long long i = 0; i < std::max(1LL, args.num("targets", 1)); ++i)
            o.targets.push_back(at == std::string::npos
                                    ? t
                                    : t.substr(0, at) + std::to_string(i) + t.substr(at + 2));
    }
    if (o.targets.empty()) {
        std::fprintf(stderr, "pushload: no targets (--ids FILE or --target F=V)\n");
        return 2;
    }
    return pushes(o);
}
