// wsload: WebSocket load against wsgated (or any echo-style WebSocket server).
//
// Round trip (default): N connections, each sends a text message of S bytes and waits for the
// reply before sending the next; after a warm-up, counts replies for a duration (or a count).
//   wsload --url ws://127.0.0.1:8080/ws --connections 16 --size 64 [--duration 5] [--warmup 1]
//          [--count M] [--client raw|qt] [--hold N]
// --hold N: first opens N more connections and keeps them idle (answering pings) through the
//   round trip: what holding connections costs the rest (the server's CPU per message, --pid).
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
#include "wsrawclient.h"

#include <QCoreApplication>
#include <QUrl>
#include <QWebSocket>

#include <memory>

namespace {

using bench::clientFrame;
using bench::Conn;
using bench::payloadOf;
using bench::RawClient;

struct Options {
    bench::WsEndpoint at;
    int connections = 1;
    long long hold = 0; // round trip: idle connections held beside the active ones
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

void reportRoundTrip(const Options &o, Window &w, int64_t endNs, double cpuEnd,
                     long long heldClosed = 0, double holdSecs = 0) {
    const double secs = double(endNs - w.start) / 1e9;
    bench::Result()
        .add("tool", "wsload")
        .add("mode", "roundtrip")
        .add("client", o.client)
        .add("conns", o.connections)
        .add("held", o.hold)
        .add("held_closed", heldClosed)
        .add("hold_open_secs", holdSecs)
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
    if (o.hold > 0 && bench::raiseFdLimit() < o.hold + o.connections + 64)
        std::fprintf(stderr, "wsload: the open-files limit is below %lld connections\n",
                     o.hold + o.connections);
    RawClient client;
    // Held connections first (index >= connections), so the active ones are the newest.
    std::vector<Conn> held(size_t(o.hold)), conns(size_t(o.connections));
    std::string error;
    const int64_t holdStart = bench::nowNs();
    for (size_t i = 0; i < held.size(); ++i) {
        held[i].index = size_t(o.connections) + i;
        if (!client.open(held[i], o.at, &error)) {
            std::fprintf(stderr, "wsload: held connection %zu: %s\n", i, error.c_str());
            return 1;
        }
    }
    const double holdSecs = double(bench::nowNs() - holdStart) / 1e9;
    for (size_t i = 0; i < conns.size(); ++i) {
        conns[i].index = i;
        if (!client.open(conns[i], o.at, &error)) {
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
    long long heldClosed = 0;
    client.onClosed = [&](Conn &c) { heldClosed += c.index >= size_t(o.connections); };
    client.run(w.end, [&](Conn &c, int, std::string_view reply) {
        if (c.index >= size_t(o.connections))
            return true; // a held connection: nothing expected on it
        const size_t bytes = reply.size();
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
    w.errors += client.closedByPeer - heldClosed;
    w.finish(o);
    reportRoundTrip(o, w, end, bench::selfCpuSeconds(), heldClosed, holdSecs);
    for (auto &c : conns)
        client.close(c);
    for (auto &c : held)
        client.close(c);
    return 0;
}

int series(const Options &o) {
    RawClient client;
    Conn c;
    std::string error;
    if (!client.open(c, o.at, &error)) {
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
    client.run(INT64_MAX, [&](Conn &conn, int, std::string_view reply) {
        const int64_t t = bench::nowNs();
        if (reply.size() == size_t(o.size))
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
    RawClient client;
    std::vector<Conn> conns(size_t(o.idle));
    const long rssBefore = o.pid ? bench::rssKiB(o.pid) : -1;
    const int64_t t0 = bench::nowNs();
    long long opened = 0, failed = 0;
    std::string error, firstError;
    for (auto &c : conns) {
        if (client.open(c, o.at, &error)) {
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
    auto ignore = [](Conn &, int, std::string_view) { return true; };
    client.run(bench::nowNs() + int64_t(o.settle * 1e9), ignore);
    const long rssAfter = o.pid ? bench::rssKiB(o.pid) : -1;
    const long long ticks0 = o.pid ? bench::cpuTicks(o.pid) : -1;
    const long long ns0 = o.pid ? bench::cpuNs(o.pid) : -1;
    const long long switches0 = o.pid ? bench::contextSwitches(o.pid) : -1;
    const int64_t i0 = bench::nowNs();
    client.run(i0 + int64_t(o.idleSeconds * 1e9), ignore);
    const double idleSecs = double(bench::nowNs() - i0) / 1e9;
    const long long ticks1 = o.pid ? bench::cpuTicks(o.pid) : -1;
    const long long ns1 = o.pid ? bench::cpuNs(o.pid) : -1;
    const long long switches1 = o.pid ? bench::contextSwitches(o.pid) : -1;
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
        .add("idle_cpu_ms", double(ns1 - ns0) / 1e6)
        .add("idle_wakeups", switches1 - switches0)
        .print();
    for (auto &c : conns)
        client.close(c);
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Qt client: one QWebSocket per connection on this thread's event loop

int roundTripQt(const Options &o) {
    const QString url = QStringLiteral("ws://%1:%2%3")
                            .arg(QString::fromStdString(o.at.host))
                            .arg(o.at.port)
                            .arg(QString::fromStdString(o.at.path));
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
            "              [--hold N]\n"
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
    o.at.host = url.host().toStdString();
    o.at.port = url.port(80);
    o.at.path = url.path().isEmpty() ? "/" : url.path().toStdString();
    if (url.hasQuery())
        o.at.path += "?" + url.query(QUrl::FullyEncoded).toStdString();
    o.connections = int(std::max(1LL, args.num("connections", 1)));
    o.hold = std::max(0LL, args.num("hold", 0));
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
