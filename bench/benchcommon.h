#pragma once
// Shared helpers of the load tools in bench/: clocks, argument parsing, latency percentiles,
// CPU and RSS readings from /proc. Header-only: every bench/*.cpp is its own executable.

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

namespace bench {

inline int64_t nowNs() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

/// CPU seconds (user + system) this process has used so far.
inline double selfCpuSeconds() {
    rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/// VmRSS of a process in KiB, -1 when unreadable.
inline long rssKiB(long pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("VmRSS:", 0) == 0)
            return std::strtol(line.c_str() + 6, nullptr, 10);
    }
    return -1;
}

/// `read` of each /proc/PID/task/TID directory summed; -1 when none could be read.
template <typename Read> long long sumOverThreads(long pid, Read read) {
    const std::string dir = "/proc/" + std::to_string(pid) + "/task";
    DIR *d = opendir(dir.c_str());
    if (!d)
        return -1;
    long long sum = -1;
    while (const dirent *e = readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        const long long v = read(dir + "/" + e->d_name);
        if (v >= 0)
            sum = std::max(0LL, sum) + v;
    }
    closedir(d);
    return sum;
}

/// utime + stime of a process in clock ticks, -1 when unreadable.
inline long long cpuTicks(long pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const auto close = all.rfind(')');
    if (close == std::string::npos)
        return -1;
    std::istringstream rest(all.substr(close + 2));
    std::string field;
    long long utime = 0, stime = 0;
    // Fields after the command: state(3) ... utime(14) stime(15).
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14)
            utime = std::atoll(field.c_str());
        else if (i == 15)
            stime = std::atoll(field.c_str());
    }
    return utime + stime;
}

/// Time a process's threads spent on a CPU, in ns (the scheduler's own sum, per thread in
/// /proc/PID/task/TID/schedstat: exact, where utime + stime are sampled at each clock tick and
/// charge a whole tick to whoever runs then); -1 when unreadable.
inline long long cpuNs(long pid) {
    return sumOverThreads(pid, [](const std::string &task) {
        std::ifstream f(task + "/schedstat");
        long long ns = -1;
        return f >> ns ? ns : -1LL;
    });
}

/// Times a process's threads were switched out (voluntary + involuntary): its wake-ups, near
/// enough, for a process that mostly sleeps; -1 when unreadable.
inline long long contextSwitches(long pid) {
    return sumOverThreads(pid, [](const std::string &task) {
        std::ifstream f(task + "/status");
        std::string line;
        long long n = -1;
        while (std::getline(f, line)) {
            if (line.rfind("voluntary_ctxt_switches:", 0) == 0 ||
                line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
                n = std::max(0LL, n) + std::atoll(line.substr(line.find(':') + 1).c_str());
        }
        return n;
    });
}

/// "12,34,56" -> {12, 34, 56}.
inline std::vector<long> parsePids(const std::string &list) {
    std::vector<long> pids;
    std::istringstream s(list);
    std::string item;
    while (std::getline(s, item, ','))
        if (!item.empty())
            pids.push_back(std::strtol(item.c_str(), nullptr, 10));
    return pids;
}

/// Sum of cpuTicks() over processes (those already gone count 0).
inline long long cpuTicks(const std::vector<long> &pids) {
    long long sum = 0;
    for (long pid : pids)
        sum += std::max(0LL, cpuTicks(pid));
    return sum;
}

/// CPU microseconds per message of a set of processes over a window, from tick deltas.
inline double cpuUsPerMsg(long long ticks, long long msgs) {
    if (msgs <= 0)
        return 0;
    return double(ticks) * 1e6 / double(sysconf(_SC_CLK_TCK)) / double(msgs);
}

/// Raises the soft open-files limit to the hard one; returns the new soft limit.
inline long raiseFdLimit() {
    rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    return long(rl.rlim_cur);
}

/// "--key value" and "--flag" arguments.
class Args {
public:
    Args(int argc, char **argv) {
        for (int i = 1; i < argc; ++i) {
            std::string a = argv[i];
            if (a.rfind("--", 0) != 0) {
                std::fprintf(stderr, "unexpected argument: %s\n", argv[i]);
                std::exit(2);
            }
            a = a.substr(2);
            const auto eq = a.find('=');
            if (eq != std::string::npos)
                m_values[a.substr(0, eq)] = a.substr(eq + 1);
            else if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0)
                m_values[a] = argv[++i];
            else
                m_values[a] = "";
        }
    }
    bool has(const std::string &key) const { return m_values.count(key) != 0; }
    std::string str(const std::string &key, const std::string &fallback = {}) const {
        const auto it = m_values.find(key);
        return it == m_values.end() ? fallback : it->second;
    }
    long long num(const std::string &key, long long fallback) const {
        const auto it = m_values.find(key);
        if (it == m_values.end())
            return fallback;
        // Accepts 16K / 1M suffixes.
        char *end = nullptr;
        long long v = std::strtoll(it->second.c_str(), &end, 10);
        if (end && (*end == 'K' || *end == 'k'))
            v *= 1024;
        else if (end && (*end == 'M' || *end == 'm'))
            v *= 1024 * 1024;
        return v;
    }
    double real(const std::string &key, double fallback) const {
        const auto it = m_values.find(key);
        return it == m_values.end() ? fallback : std::atof(it->second.c_str());
    }

private:
    std::map<std::string, std::string> m_values;
};

/// Latencies of one measured window, in microseconds.
class Latencies {
public:
    void reserve(size_t n) { m_us.reserve(n); }
    void add(int64_t ns) { m_us.push_back(uint32_t(std::min<int64_t>(ns / 1000, UINT32_MAX))); }
    size_t count() const { return m_us.size(); }
    /// q in [0, 1]; 0 when empty.
    double percentile(double q) {
        if (m_us.empty())
            return 0;
        const size_t k = std::min(m_us.size() - 1, size_t(q * double(m_us.size())));
        std::nth_element(m_us.begin(), m_us.begin() + long(k), m_us.end());
        return m_us[k];
    }

private:
    std::vector<uint32_t> m_us;
};

/// One machine-readable result line: "RESULT key=value ...", parsed by scripts/bench.sh.
struct Result {
    std::string text = "RESULT";
    template <typename T> Result &add(const char *key, T value) {
        std::ostringstream s;
        s.precision(6);
        s << ' ' << key << '=' << value;
        text += s.str();
        return *this;
    }
    void print() const {
        std::printf("%s\n", text.c_str());
        std::fflush(stdout);
    }
};

} // namespace bench
