// wsreceive: the WebSocket clients that receive pushes. Opens N connections spread round-robin
// over one or more URLs ("%d" in a URL becomes the connection's number, e.g. ?user=u%d), then
//   - counts every message it gets;
//   - records the first message of each connection that starts with "id=" as its client id
//     (a welcome from an open event: bench/events.php?welcome=1) and writes them to --ids FILE,
//     one line per connection: "URL-INDEX CLIENT-ID";
//   - for broadcasts sent by pushload --broadcast ("bcast K NS": NS the sender's
//     CLOCK_MONOTONIC when it sent it; same machine, same clock) times each arrival, and per
//     broadcast reports how many clients had it and when the last one did;
//   - with --no-read, never reads at all (slow readers: the server's queue fills).
// It prints "READY" on stdout once every connection is open (and every id is known), then runs
// for --duration seconds, or until every connection has --broadcasts broadcasts.
//
//   wsreceive --urls ws://127.0.0.1:8080/ws[,ws://…] --connections N [--ids FILE]
//             [--duration SEC] [--broadcasts K] [--no-read]
//
// Prints "RESULT ..." lines: one per broadcast (mode=broadcast) and a summary (mode=receive).

#include "benchcommon.h"
#include "wsrawclient.h"

#include <fstream>

namespace {

constexpr int64_t WelcomeWaitNs = 30000000000; // for every id to arrive

struct Options {
    std::vector<bench::WsEndpoint> urls;
    std::vector<std::string> urlTexts;
    long long connections = 1;
    std::string idsFile;
    double duration = 10;
    long long broadcasts = 0;
    bool noRead = false;
};

struct Broadcast {
    long long clients = 0;
    bench::Latencies latency; // per arrival
    int64_t lastNs = 0;       // the last arrival, after the send
};

std::string replaced(std::string text, long long n) {
    const auto at = text.find("%d");
    if (at != std::string::npos)
        text.replace(at, 2, std::to_string(n));
    return text;
}

} // namespace

int main(int argc, char **argv) {
    const bench::Args args(argc, argv);
    Options o;
    for (const std::string &u : bench::splitList(args.str("urls", args.str("url")))) {
        bench::WsEndpoint at;
        if (!bench::parseWsUrl(u, &at)) {
            std::fprintf(stderr, "wsreceive: not a ws:// URL: %s\n", u.c_str());
            return 2;
        }
        o.urls.push_back(at);
        o.urlTexts.push_back(u);
    }
    if (args.has("help") || o.urls.empty()) {
        std::printf(
            "usage: wsreceive --urls ws://HOST:PORT/PATH[,...] --connections N\n"
            "                 [--ids FILE] [--duration SEC] [--broadcasts K] [--no-read]\n");
        return args.has("help") ? 0 : 2;
    }
    o.connections = std::max(1LL, args.num("connections", 1));
    o.idsFile = args.str("ids");
    o.duration = args.real("duration", 10);
    o.broadcasts = args.num("broadcasts", 0);
    o.noRead = args.has("no-read");
    if (bench::raiseFdLimit() < o.connections + 64)
        std::fprintf(stderr, "wsreceive: the open-files limit is below %lld\n", o.connections);

    bench::RawClient client;
    std::vector<bench::Conn> conns(size_t(o.connections));
    std::vector<std::string> ids(conns.size());
    std::vector<long long> got(conns.size());
    std::map<long long, Broadcast> casts;
    long long messages = 0, welcomes = 0, opened = 0, failed = 0;
    std::string error, firstError;
    const int64_t t0 = bench::nowNs();
    for (size_t i = 0; i < conns.size(); ++i) {
        bench::WsEndpoint at = o.urls[i % o.urls.size()];
        at.path = replaced(at.path, (long long)i);
        conns[i].index = i;
        if (client.open(conns[i], at, &error, !o.noRead)) {
            ++opened;
        } else {
            if (firstError.empty())
                firstError = error;
            ++failed;
        }
    }
    const double openSecs = double(bench::nowNs() - t0) / 1e9;
    if (failed)
        std::fprintf(stderr, "wsreceive: %lld connections failed, first: %s\n", failed,
                     firstError.c_str());
    long long done = 0; // connections that have every broadcast asked for
    auto onMessage = [&](bench::Conn &c, int, std::string_view m) {
        const int64_t now = bench::nowNs();
        if (m.compare(0, 3, "id=") == 0 && ids[c.index].empty()) {
            ids[c.index] = std::string(m.substr(3));
            ++welcomes;
            return true;
        }
        ++messages;
        ++got[c.index];
        if (m.compare(0, 6, "bcast ") == 0) {
            const std::string text(m.substr(6, 48)); // NUL-terminated for strtoll
            char *end = nullptr;
            const long long k = std::strtoll(text.c_str(), &end, 10);
            const int64_t sentNs = std::strtoll(end, nullptr, 10);
            Broadcast &b = casts[k];
            ++b.clients;
            b.latency.add(now - sentNs);
            b.lastNs = std::max(b.lastNs, now - sentNs);
            if (o.broadcasts > 0 && got[c.index] == o.broadcasts && ++done == opened)
                return false;
        }
        return true;
    };
    const bool wantIds = !o.idsFile.empty() && !o.noRead;
    if (wantIds) {
        client.run(bench::nowNs() + WelcomeWaitNs, [&](bench::Conn &c, int op, std::string_view m) {
            onMessage(c, op, m);
            return welcomes < opened;
        });
        std::ofstream f(o.idsFile);
        for (size_t i = 0; i < ids.size(); ++i)
            if (!ids[i].empty())
                f << i % o.urls.size() << ' ' << ids[i] << '\n';
    }
    std::printf("READY conns=%lld ids=%lld\n", opened, welcomes);
    std::fflush(stdout);
    const int64_t r0 = bench::nowNs();
    if (o.noRead) {
        while (bench::nowNs() - r0 < int64_t(o.duration * 1e9))
            ::usleep(100000);
    } else if (!(o.broadcasts > 0 && opened == 0)) {
        client.run(r0 + int64_t(o.duration * 1e9), onMessage);
    }
    bench::Latencies lastOfEach;
    for (auto &[k, b] : casts) {
        lastOfEach.add(b.lastNs);
        bench::Result()
            .add("tool", "wsreceive")
            .add("mode", "broadcast")
            .add("id", k)
            .add("clients", b.clients)
            .add("p50_us", b.latency.percentile(0.5))
            .add("p99_us", b.latency.percentile(0.99))
            .add("last_us", double(b.lastNs) / 1000)
            .print();
    }
    bench::Result()
        .add("tool", "wsreceive")
        .add("mode", "receive")
        .add("conns", opened)
        .add("failed", failed)
        .add("open_secs", openSecs)
        .add("ids", welcomes)
        .add("msgs", messages)
        .add("closed_by_server", client.closedByPeer)
        .add("broadcasts", (long long)casts.size())
        .add("complete", done)
        .add("last_p50_us", lastOfEach.percentile(0.5))
        .add("last_p99_us", lastOfEach.percentile(0.99))
        .print();
    for (auto &c : conns)
        client.close(c);
    return failed ? 1 : 0;
}
