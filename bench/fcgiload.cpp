// fcgiload: the "raw PHP-FPM" baseline. N keep-alive FastCGI connections straight to php-fpm,
// one request in flight per connection, the same script and body the gateway would send.
//
//   fcgiload --fastcgi unix:/run/fpm.sock --script /abs/echo.php --connections 16 --size 64
//            [--duration 5] [--warmup 1] [--client raw|pool]
//
// --client raw (default): a minimal non-blocking epoll client; the request bytes are encoded
//   once and re-sent, the reply is parsed just enough to find END_REQUEST. It costs a few
//   microseconds of CPU per request, so php-fpm, not the client, sets the pace.
// --client pool: the project's own FastCgiPool (what wsgated uses), for comparison.
//
// Prints one "RESULT ..." line (msgs/s, p50/p99 latency, errors, the tool's own CPU %).

#include "benchcommon.h"

#include "fastcgi/fastcgiaddress.h"
#include "fastcgi/fastcgicodec.h"
#include "fastcgi/fastcgipool.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QTimer>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <memory>

namespace {

struct Options {
    FastCgiAddress address;
    QString script;
    int connections = 1;
    int size = 64;
    double duration = 5;
    double warmup = 1;
    std::string client = "raw";
    std::vector<long> fpmPids; // php-fpm master and workers: CPU per request
};

/// The params the gateway sends for a text message (same names, similar sizes), so PHP does
/// the same work in both measurements.
PhpRequest makeRequest(const Options &o) {
    PhpRequest r;
    const QFileInfo script(o.script);
    const QByteArray docroot = script.absolutePath().toUtf8();
    auto &p = r.params;
    p.emplaceBack("GATEWAY_INTERFACE", "CGI/1.1");
    p.emplaceBack("SERVER_SOFTWARE", "fcgiload");
    p.emplaceBack("REQUEST_METHOD", "POST");
    p.emplaceBack("SCRIPT_FILENAME", o.script.toUtf8());
    p.emplaceBack("SCRIPT_NAME", "/" + script.fileName().toUtf8());
    p.emplaceBack("DOCUMENT_ROOT", docroot);
    p.emplaceBack("REQUEST_URI", "/ws");
    p.emplaceBack("DOCUMENT_URI", "/ws");
    p.emplaceBack("QUERY_STRING", "");
    p.emplaceBack("REMOTE_ADDR", "127.0.0.1");
    p.emplaceBack("REMOTE_PORT", "40000");
    p.emplaceBack("SERVER_ADDR", "127.0.0.1");
    p.emplaceBack("SERVER_PORT", "8080");
    p.emplaceBack("SERVER_NAME", "127.0.0.1");
    p.emplaceBack("SERVER_PROTOCOL", "HTTP/1.1");
    p.emplaceBack("REDIRECT_STATUS", "200");
    p.emplaceBack("HTTP_HOST", "127.0.0.1:8080");
    p.emplaceBack("HTTP_SEC_WEBSOCKET_KEY", "dGhlIHNhbXBsZSBub25jZQ==");
    p.emplaceBack("HTTP_SEC_WEBSOCKET_VERSION", "13");
    p.emplaceBack("WS_EVENT", "message");
    p.emplaceBack("WS_CLIENT_ID", QByteArray(32, 'a'));
    p.emplaceBack("WS_USER", "");
    p.emplaceBack("WS_GROUPS", "");
    p.emplaceBack("CONTENT_TYPE", "text/plain; charset=utf-8");
    p.emplaceBack("CONTENT_LENGTH", QByteArray::number(o.size));
    p.emplaceBack("WS_MESSAGE_TYPE", "text");
    r.body = QByteArray(o.size, 'x');
    return r;
}

struct Window {
    int64_t start = 0, end = 0;
    double cpuStart = 0;
    long long fpmTicks = 0; // at the start, then the delta
    bench::Latencies lat;
    long long ok = 0, errors = 0;

    bool measuring(int64_t t) const { return t >= start && t < end; }
    void begin(const Options &o) {
        cpuStart = bench::selfCpuSeconds();
        fpmTicks = bench::cpuTicks(o.fpmPids);
    }
};

void report(const Options &o, Window &w, double cpuEnd, int64_t wallNs) {
    const double secs = double(wallNs) / 1e9;
    w.fpmTicks = bench::cpuTicks(o.fpmPids) - w.fpmTicks;
    bench::Result()
        .add("tool", "fcgiload")
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
        .add("fpm_us_per_msg", bench::cpuUsPerMsg(w.fpmTicks, w.ok))
        .print();
}

// ---------------------------------------------------------------------------------------------
// raw: epoll, non-blocking, pre-encoded request

struct RawConn {
    int fd = -1;
    std::string in;
    size_t outOff = 0;
    int64_t sentAt = 0;
    size_t stdoutBytes = 0;
};

int connectFpm(const FastCgiAddress &a) {
    int fd = -1;
    if (a.kind == FastCgiAddress::Kind::Unix) {
        fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        const QByteArray path = a.path.toLocal8Bit();
        std::strncpy(sa.sun_path, path.constData(), sizeof(sa.sun_path) - 1);
        if (::connect(fd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) != 0) {
            ::close(fd);
            return -1;
        }
    } else {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(a.port);
        ::inet_pton(AF_INET, a.host.toLatin1().constData(), &sa.sin_addr);
        if (::connect(fd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) != 0) {
            ::close(fd);
            return -1;
        }
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

int runRaw(const Options &o) {
    const PhpRequest request = makeRequest(o);
    QByteArray encoded;
    FastCgiCodec::appendBeginRequest(encoded, 1, FastCgi::Responder, true);
    FastCgiCodec::appendParams(encoded, 1, request.params);
    FastCgiCodec::appendStream(encoded, FastCgi::Stdin, 1, request.body);
    const std::string wire(encoded.constData(), size_t(encoded.size()));

    const int ep = ::epoll_create1(0);
    std::vector<RawConn> conns(size_t(o.connections));
    Window w;
    const int64_t t0 = bench::nowNs();
    w.start = t0 + int64_t(o.warmup * 1e9);
    w.end = w.start + int64_t(o.duration * 1e9);
    w.lat.reserve(1 << 20);

    auto send = [&](RawConn &c) -> bool {
        while (c.outOff < wire.size()) {
            const ssize_t n = ::send(c.fd, wire.data() + c.outOff, wire.size() - c.outOff, 0);
            if (n < 0) {
                if (errno == EAGAIN)
                    break;
                return false;
            }
            c.outOff += size_t(n);
        }
        epoll_event ev{};
        ev.events = uint32_t(EPOLLIN) | (c.outOff < wire.size() ? uint32_t(EPOLLOUT) : 0u);
        ev.data.ptr = &c;
        ::epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
        return true;
    };
    auto start = [&](RawConn &c) {
        c.outOff = 0;
        c.stdoutBytes = 0;
        c.sentAt = bench::nowNs();
        return send(c);
    };
    auto reconnect = [&](RawConn &c) {
        if (c.fd >= 0) {
            ::epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
            ::close(c.fd);
        }
        c.in.clear();
        c.fd = connectFpm(o.address);
        if (c.fd < 0) {
            std::fprintf(stderr, "fcgiload: cannot connect to %s: %s\n",
                         qPrintable(o.address.toString()), std::strerror(errno));
            std::exit(1);
        }
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = &c;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
        start(c);
    };
    for (auto &c : conns)
        reconnect(c);

    std::vector<epoll_event> events(conns.size());
    char buf[256 * 1024];
    for (;;) {
        const int64_t t = bench::nowNs();
        if (t >= w.end)
            break;
        if (w.cpuStart == 0 && t >= w.start)
            w.begin(o);
        const int n = ::epoll_wait(ep, events.data(), int(events.size()), 100);
        for (int i = 0; i < n; ++i) {
            RawConn &c = *static_cast<RawConn *>(events[size_t(i)].data.ptr);
            if (events[size_t(i)].events & EPOLLOUT) {
                if (!send(c)) {
                    ++w.errors;
                    reconnect(c);
                    continue;
                }
            }
            if (!(events[size_t(i)].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                continue;
            bool failed = false, done = false;
            for (;;) {
                const ssize_t got = ::recv(c.fd, buf, sizeof(buf), 0);
                if (got < 0 && errno == EAGAIN)
                    break;
                if (got <= 0) {
                    failed = true;
                    break;
                }
                c.in.append(buf, size_t(got));
            }
            // Records: 8-byte header (version, type, id, length, padding).
            size_t off = 0;
            while (!failed && !done && c.in.size() - off >= 8) {
                const auto *h = reinterpret_cast<const unsigned char *>(c.in.data() + off);
                const size_t len = (size_t(h[4]) << 8) | h[5];
                const size_t total = 8 + len + h[6];
                if (c.in.size() - off < total)
                    break;
                if (h[1] == FastCgi::Stdout)
                    c.stdoutBytes += len;
                else if (h[1] == FastCgi::EndRequest)
                    done = true;
                off += total;
            }
            c.in.erase(0, off);
            if (done) {
                const int64_t end = bench::nowNs();
                const bool ok = c.stdoutBytes >= size_t(o.size) && c.in.empty();
                if (w.measuring(end)) {
                    if (ok) {
                        ++w.ok;
                        w.lat.add(end - c.sentAt);
                    } else {
                        ++w.errors;
                    }
                }
                if (!failed)
                    start(c);
            }
            if (failed) {
                if (w.measuring(bench::nowNs()))
                    ++w.errors;
                reconnect(c);
            }
        }
    }
    report(o, w, bench::selfCpuSeconds(), w.end - w.start);
    return 0;
}

// ---------------------------------------------------------------------------------------------
// pool: the project's FastCgiPool

int runPool(const Options &o) {
    FastCgiPoolOptions po;
    po.address = o.address;
    po.maxConnections = o.connections;
    po.keepAlive = true;
    FastCgiPool pool(po);
    const PhpRequest request = makeRequest(o);
    Window w;
    const int64_t t0 = bench::nowNs();
    w.start = t0 + int64_t(o.warmup * 1e9);
    w.end = w.start + int64_t(o.duration * 1e9);
    w.lat.reserve(1 << 20);
    int outstanding = 0;

    std::function<void()> submitOne = [&] {
        const int64_t sentAt = bench::nowNs();
        ++outstanding;
        pool.submit(request, [&, sentAt](const PhpResponse &r) {
            --outstanding;
            const int64_t end = bench::nowNs();
            if (w.cpuStart == 0 && end >= w.start)
                w.begin(o);
            if (w.measuring(end)) {
                if (r.outcome == PhpOutcome::Ok && r.body.size() == o.size) {
                    ++w.ok;
                    w.lat.add(end - sentAt);
                } else {
                    ++w.errors;
                }
            }
            if (end < w.end)
                submitOne();
            else if (outstanding == 0)
                QCoreApplication::quit();
        });
    };
    for (int i = 0; i < o.connections; ++i)
        submitOne();
    QCoreApplication::exec();
    report(o, w, bench::selfCpuSeconds(), w.end - w.start);
    return 0;
}

} // namespace

int main(int argc, char **argv) {
    const bench::Args args(argc, argv);
    if (args.has("help") || !args.has("fastcgi") || !args.has("script")) {
        std::printf("usage: fcgiload --fastcgi ADDR --script /abs/handler.php [--connections N]\n"
                    "                [--size BYTES] [--duration SEC] [--warmup SEC]\n"
                    "                [--client raw|pool] [--fpm-pids P,P,...]\n");
        return args.has("help") ? 0 : 2;
    }
    QCoreApplication app(argc, argv);
    Options o;
    QString error;
    const auto address = FastCgiAddress::parse(QString::fromStdString(args.str("fastcgi")), &error);
    if (!address) {
        std::fprintf(stderr, "fcgiload: --fastcgi: %s\n", qPrintable(error));
        return 2;
    }
    o.address = *address;
    o.script = QString::fromStdString(args.str("script"));
    o.connections = int(std::max(1LL, args.num("connections", 1)));
    o.size = int(std::max(0LL, args.num("size", 64)));
    o.duration = args.real("duration", 5);
    o.warmup = args.real("warmup", 1);
    o.client = args.str("client", "raw");
    o.fpmPids = bench::parsePids(args.str("fpm-pids"));
    if (o.client == "raw")
        return runRaw(o);
    if (o.client == "pool")
        return runPool(o);
    std::fprintf(stderr, "fcgiload: --client: expected raw or pool\n");
    return 2;
}
