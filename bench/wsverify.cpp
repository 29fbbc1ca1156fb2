// wsverify: "nothing lost silently" under faults. N connections send unique text messages
// (each names its connection and sequence number) to an echo handler, up to W unanswered at a
// time each, for a duration; then stop sending and wait until every message has its answer:
//   - a reply: the echo of that very message (answers come in order: one FIFO per connection),
//   - an error: a JSON object {"error": CODE, ...} from the gateway (php_unavailable …),
//   - or, when the server closed the connection, its close code; what that connection still
//     had unanswered is counted as closed_unanswered (the gateway's
//     wsgate_messages_dropped_total must account for it).
// Whatever has none of these when the drain time is over is lost; an answer that is neither the
// expected echo nor an error object is a mismatch (also lost).
//
//   wsverify --url ws://127.0.0.1:8080/ws [--connections 16] [--duration 60] [--window 4]
//            [--rate 500] [--size 64] [--drain 30] [--reconnect 1]
//
// --rate: messages per second per connection at most (0: as fast as answers come back); it
//   keeps the load from spinning on instant errors while PHP is down. Closed connections are
//   opened again (--reconnect 0: not). Prints a timeline to stderr (one line a second) and one
//   "RESULT ..." line; the exit status is 0 when nothing was lost.

#include "benchcommon.h"
#include "wsrawclient.h"

#include <deque>

namespace {

constexpr int64_t SliceNs = 2000000;       // the loop wakes to top connections up this often
constexpr int64_t TimelineNs = 1000000000; // one timeline line a second
constexpr int64_t ReconnectPauseNs = 200000000;

struct Options {
    bench::WsEndpoint at;
    int connections = 16;
    double duration = 60;
    int window = 4;
    double rate = 500;
    int size = 64;
    double drain = 30;
    bool reconnect = true;
};

struct Peer {
    bench::Conn conn;
    std::deque<std::string> expected; // sent, unanswered, oldest first
    long long seq = 0;
    long long sent = 0;
    int64_t closedAt = 0;
};

struct Totals {
    long long sent = 0, replied = 0, errored = 0, mismatched = 0, closedUnanswered = 0;
    long long closes = 0, reconnects = 0, connectFailures = 0;
    std::map<std::string, long long> errors; // by code
    std::map<int, long long> closeCodes;     // by code (-1: no close frame)
    std::string firstMismatch;
    long long answered() const { return replied + errored; }
};

/// The "error" member of a flat JSON object, or empty when `s` is not one.
std::string errorCodeOf(std::string_view s) {
    if (s.empty() || s.front() != '{' || s.back() != '}')
        return {};
    const std::string key = "\"error\":\"";
    const auto at = s.find(key);
    if (at == std::string_view::npos)
        return {};
    const auto begin = at + key.size();
    const auto end = s.find('"', begin);
    return end == std::string_view::npos ? std::string()
                                         : std::string(s.substr(begin, end - begin));
}

std::string messageFor(const Options &o, size_t conn, long long seq) {
    std::string m = "v" + std::to_string(conn) + "." + std::to_string(seq) + ".";
    if (m.size() < size_t(o.size))
        m += bench::payloadOf(o.size - int(m.size()));
    return m;
}

class Verifier {
public:
    explicit Verifier(const Options &o)
        : m_o(o)
        , m_peers(size_t(o.connections)) {
        m_client.onClosed = [this](bench::Conn &c) { onClosed(m_peers[c.index]); };
    }

    int run() {
        for (size_t i = 0; i < m_peers.size(); ++i) {
            m_peers[i].conn.index = i;
            std::string error;
            if (!m_client.open(m_peers[i].conn, m_o.at, &error)) {
                std::fprintf(stderr, "wsverify: connection %zu: %s\n", i, error.c_str());
                return 2;
            }
        }
        const int64_t t0 = bench::nowNs();
        const int64_t stopSending = t0 + int64_t(m_o.duration * 1e9);
        int64_t nextLine = t0 + TimelineNs;
        bool sending = true;
        int64_t drainEnd = INT64_MAX;
        for (;;) {
            const int64_t now = bench::nowNs();
            if (sending && now >= stopSending) {
                sending = false;
                drainEnd = now + int64_t(m_o.drain * 1e9);
            }
            if (!sending && (outstanding() == 0 || now >= drainEnd))
                break;
            if (sending)
                topUp(now - t0);
            if (now >= nextLine) {
                timeline(now - t0);
                nextLine += TimelineNs;
            }
            m_client.run(now + SliceNs, [this](bench::Conn &c, int, std::string_view m) {
                onAnswer(m_peers[c.index], m);
                return true;
            });
        }
        const double drainSecs = double(bench::nowNs() - stopSending) / 1e9;
        const long long lost = outstanding() + m_t.mismatched;
        report(drainSecs, lost);
        if (!m_t.firstMismatch.empty())
            std::fprintf(stderr, "wsverify: first mismatch: %s\n", m_t.firstMismatch.c_str());
        for (auto &p : m_peers)
            m_client.close(p.conn);
        return lost == 0 ? 0 : 1;
    }

private:
    long long outstanding() const {
        long long n = 0;
        for (const auto &p : m_peers)
            n += (long long)p.expected.size();
        return n;
    }

    void topUp(int64_t elapsedNs) {
        const double secs = double(elapsedNs) / 1e9;
        for (auto &p : m_peers) {
            if (!p.conn.open) {
                reopen(p);
                continue;
            }
            while (int(p.expected.size()) < m_o.window &&
                   (m_o.rate <= 0 || double(p.sent) < m_o.rate * secs + 1)) {
                std::string m = messageFor(m_o, p.conn.index, p.seq++);
                m_client.send(p.conn, bench::clientFrame(m));
                p.expected.push_back(std::move(m));
                ++p.sent;
                ++m_t.sent;
            }
        }
    }

    void reopen(Peer &p) {
        if (!m_o.reconnect || bench::nowNs() - p.closedAt < ReconnectPauseNs)
            return;
        std::string error;
        if (m_client.open(p.conn, m_o.at, &error)) { // keeps p.conn.index
            ++m_t.reconnects;
            return;
        }
        p.closedAt = bench::nowNs();
        if (m_t.connectFailures++ == 0)
            std::fprintf(stderr, "wsverify: reconnect failed: %s\n", error.c_str());
    }

    void onAnswer(Peer &p, std::string_view m) {
        if (p.expected.empty()) {
            ++m_t.mismatched;
            if (m_t.firstMismatch.empty())
                m_t.firstMismatch = "unexpected message: " + std::string(m.substr(0, 200));
            return;
        }
        const std::string want = std::move(p.expected.front());
        p.expected.pop_front();
        if (m == want) {
            ++m_t.replied;
            return;
        }
        const std::string code = errorCodeOf(m);
        if (!code.empty()) {
            ++m_t.errored;
            ++m_t.errors[code];
            return;
        }
        ++m_t.mismatched;
        if (m_t.firstMismatch.empty())
            m_t.firstMismatch = "expected " + want + ", got " + std::string(m.substr(0, 200));
    }

    void onClosed(Peer &p) {
        ++m_t.closes;
        ++m_t.closeCodes[p.conn.closeCode];
        m_t.closedUnanswered += (long long)p.expected.size();
        p.expected.clear();
        p.closedAt = bench::nowNs();
    }

    void timeline(int64_t elapsedNs) {
        std::fprintf(stderr, "t=%3.0fs sent=%lld replied=%lld errors=%lld closes=%lld open=%d\n",
                     double(elapsedNs) / 1e9, m_t.sent, m_t.replied, m_t.errored, m_t.closes,
                     int(std::count_if(m_peers.begin(), m_peers.end(),
                                       [](const Peer &p) { return p.conn.open; })));
    }

    void report(double drainSecs, long long lost) {
        bench::Result r;
        r.add("tool", "wsverify")
            .add("conns", m_o.connections)
            .add("sent", m_t.sent)
            .add("answered", m_t.answered())
            .add("replied", m_t.replied)
            .add("errored", m_t.errored)
            .add("mismatched", m_t.mismatched)
            .add("closes", m_t.closes)
            .add("closed_unanswered", m_t.closedUnanswered)
            .add("reconnects", m_t.reconnects)
            .add("connect_failures", m_t.connectFailures)
            .add("lost", lost)
            .add("drain_secs", drainSecs);
        std::string codes, closeCodes;
        for (const auto &[code, n] : m_t.errors)
            codes += (codes.empty() ? "" : ",") + code + ":" + std::to_string(n);
        for (const auto &[code, n] : m_t.closeCodes)
            closeCodes +=
                (closeCodes.empty() ? "" : ",") + std::to_string(code) + ":" + std::to_string(n);
        r.add("error_codes", codes.empty() ? "-" : codes)
            .add("close_codes", closeCodes.empty() ? "-" : closeCodes)
            .print();
    }

    const Options &m_o;
    bench::RawClient m_client;
    std::vector<Peer> m_peers;
    Totals m_t;
};

} // namespace

int main(int argc, char **argv) {
    const bench::Args args(argc, argv);
    Options o;
    if (args.has("help") || !bench::parseWsUrl(args.str("url"), &o.at)) {
        std::printf("usage: wsverify --url ws://HOST:PORT/PATH [--connections N] [--duration SEC]\n"
                    "                [--window W] [--rate MSGS_PER_SEC] [--size BYTES]\n"
                    "                [--drain SEC] [--reconnect 0|1]\n");
        return args.has("help") ? 0 : 2;
    }
    o.connections = int(std::max(1LL, args.num("connections", 16)));
    o.duration = args.real("duration", 60);
    o.window = int(std::max(1LL, args.num("window", 4)));
    o.rate = args.real("rate", 500);
    o.size = int(std::max(16LL, args.num("size", 64)));
    o.drain = args.real("drain", 30);
    o.reconnect = args.num("reconnect", 1) != 0;
    return Verifier(o).run();
}
