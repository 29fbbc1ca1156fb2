#include "configurationoptions.h"

#include "configurationvalues.h"

#include <QFile>

#include <utility>

using namespace ConfigurationValues;

namespace {

constexpr qint64 KiB = 1024;
constexpr qint64 MiB = 1024 * KiB;
constexpr qint64 GiB = 1024 * MiB;
constexpr qint64 TiB = 1024 * GiB;
constexpr qint64 MaxMessageLimitBytes = GiB; // beyond that, use files
constexpr qint64 MaxQueueBytes = 4 * GiB;
constexpr qint64 MinBudgetBytes = MiB;
constexpr qint64 MaxBudgetBytes = TiB;
constexpr int MaxPoolConnections = 1024;
constexpr int MaxTimeoutMs = 24 * 3600 * 1000;
constexpr int MinCloseGraceMs = 100;
constexpr int MaxHandshakes = 1000000;
constexpr int MaxOpenRatePerSec = 1000000;
constexpr int MaxThreads = 64;
constexpr qint64 MaxTrafficBodyCapBytes = 64 * MiB;
const QString Masked = QStringLiteral("********");

using Setter = ConfigurationOption::Setter;
using Getter = ConfigurationOption::Getter;
using C = Configuration;

/// How one option reaches its field: both directions, so the table is the only list.
struct Access {
    Setter set;
    Getter get;
};

ConfigurationOption make(const char *name, const char *valueName, const char *defaultText,
                         const char *help, Access access) {
    return {name, valueName, defaultText, help, std::move(access.set), std::move(access.get)};
}

template <typename T> Access intAccess(T C::*member, qint64 min, qint64 max) {
    return {[member, min, max](C &c, const QString &v, QString *e) {
                qint64 out = 0;
                if (!parseInt(v, min, max, out, e))
                    return false;
                c.*member = static_cast<T>(out);
                return true;
            },
            [member](const C &c, bool) { return QJsonValue(qint64(c.*member)); }};
}

Access bytesAccess(qint64 C::*member, qint64 min, qint64 max) {
    return {[member, min, max](C &c, const QString &v, QString *e) {
                return parseBytes(v, min, max, c.*member, e);
            },
            [member](const C &c, bool) { return QJsonValue(qint64(c.*member)); }};
}

Access switchAccess(bool C::*member) {
    return {[member](C &c, const QString &v, QString *e) { return parseSwitch(v, c.*member, e); },
            [member](const C &c, bool) { return QJsonValue(c.*member); }};
}

Getter stringGetter(QString C::*member) {
    return [member](const C &c, bool) { return QJsonValue(c.*member); };
}

Access stringAccess(QString C::*member) {
    return {[member](C &c, const QString &v, QString *) {
                c.*member = v;
                return true;
            },
            stringGetter(member)};
}

/// A string that must be empty (when `emptyOk`) or pass `valid`, else `what` is reported.
Access checkedStringAccess(QString C::*member, bool (*valid)(const QString &), bool emptyOk,
                           const char *what) {
    return {[member, valid, emptyOk, what](C &c, const QString &v, QString *e) {
                const QString t = v.trimmed();
                if ((!emptyOk || !t.isEmpty()) && !valid(t)) {
                    *e = QStringLiteral("\"%1\" is not %2").arg(v, QLatin1String(what));
                    return false;
                }
                c.*member = t;
                return true;
            },
            stringGetter(member)};
}

bool setUrlPath(QString &out, const QString &v, QString *e) {
    if (!v.startsWith(QLatin1Char('/')) || v.contains(QLatin1Char('?')) ||
        v.contains(QLatin1Char(' '))) {
        *e = QStringLiteral("expected an absolute URL path like /ws, got \"%1\"").arg(v);
        return false;
    }
    out = v;
    return true;
}

Access urlPathAccess(QString C::*member) {
    return {[member](C &c, const QString &v, QString *e) { return setUrlPath(c.*member, v, e); },
            stringGetter(member)};
}

Access listAccess(QStringList C::*member,
                  bool (*parse)(const QString &, QStringList &, QString *)) {
    return {[member, parse](C &c, const QString &v, QString *e) { return parse(v, c.*member, e); },
            [member](const C &c, bool) { return QJsonValue((c.*member).join(QLatin1Char(','))); }};
}

template <typename E>
Access choiceAccess(E C::*member, std::initializer_list<std::pair<const char *, E>> map) {
    std::vector<std::pair<QString, E>> choices;
    for (const auto &[name, value] : map)
        choices.emplace_back(QString::fromLatin1(name), value);
    return {[member, choices](C &c, const QString &v, QString *e) {
                QStringList names;
                for (const auto &[name, value] : choices) {
                    if (v.trimmed().compare(name, Qt::CaseInsensitive) == 0) {
                        c.*member = value;
                        return true;
                    }
                    names << name;
                }
                *e = QStringLiteral("expected one of %1, got \"%2\"")
                         .arg(names.join(QLatin1String(", ")), v);
                return false;
            },
            [member, choices](const C &c, bool) {
                for (const auto &[name, value] : choices) {
                    if (c.*member == value)
                        return QJsonValue(name);
                }
                return QJsonValue(QString());
            }};
}

Access listenAccess() {
    return {[](C &c, const QString &v, QString *e) {
                return parseHostPort(v, c.listenHost, c.listenPort, e);
            },
            [](const C &c, bool) { return QJsonValue(hostPortText(c.listenHost, c.listenPort)); }};
}

Access fastCgiAccess() {
    return {[](C &c, const QString &v, QString *e) {
                const auto address = FastCgiAddress::parse(v, e);
                if (!address)
                    return false;
                c.fastcgi = *address;
                return true;
            },
            [](const C &c, bool) { return QJsonValue(c.fastcgi.toString()); }};
}

Access eventsAccess() {
    return {[](C &c, const QString &v, QString *e) {
                bool open = false, message = false, close = false;
                for (const QString &part : v.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
                    const QString p = part.trimmed().toLower();
                    if (p == QLatin1String("open"))
                        open = true;
                    else if (p == QLatin1String("message"))
                        message = true;
                    else if (p == QLatin1String("close"))
                        close = true;
                    else {
                        *e = QStringLiteral("unknown event \"%1\" (open, message, close)").arg(p);
                        return false;
                    }
                }
                c.eventOpen = open;
                c.eventMessage = message;
                c.eventClose = close;
                return true;
            },
            [](const C &c, bool) { return QJsonValue(c.eventsText()); }};
}

Access pushListenAccess() {
    return {[](C &c, const QString &v, QString *e) {
                if (v.compare(QLatin1String("off"), Qt::CaseInsensitive) == 0) {
                    c.pushEnabled = false;
                    return true;
                }
                c.pushEnabled = true;
                return parseHostPort(v, c.pushHost, c.pushPort, e);
            },
            [](const C &c, bool) {
                return QJsonValue(c.pushEnabled ? hostPortText(c.pushHost, c.pushPort)
                                                : QStringLiteral("off"));
            }};
}

const char *const BothTokens = "give either --push-token or --push-token-file, not both";

/// "auto" asks the engine for a generated token. A token read from --push-token-file is that
/// option's: an empty --push-token leaves it, and the file is what round-trips.
Access pushTokenAccess() {
    return {[](C &c, const QString &v, QString *e) {
                if (!c.pushTokenFile.isEmpty()) {
                    if (v.isEmpty())
                        return true;
                    *e = QLatin1String(BothTokens);
                    return false;
                }
                c.pushTokenAuto = v == QLatin1String("auto");
                c.pushToken = c.pushTokenAuto ? QString() : v;
                return true;
            },
            [](const C &c, bool mask) {
                if (c.pushTokenAuto)
                    return QJsonValue(QStringLiteral("auto"));
                if (!c.pushTokenFile.isEmpty() || c.pushToken.isEmpty())
                    return QJsonValue(QString());
                return QJsonValue(mask ? Masked : c.pushToken);
            }};
}

Access pushTokenFileAccess() {
    return {[](C &c, const QString &v, QString *e) {
                if (v.isEmpty()) {
                    if (!c.pushTokenFile.isEmpty())
                        c.pushToken.clear();
                    c.pushTokenFile.clear();
                    return true;
                }
                if (c.pushTokenAuto || (c.pushTokenFile.isEmpty() && !c.pushToken.isEmpty())) {
                    *e = QLatin1String(BothTokens);
                    return false;
                }
                QFile f(v);
                if (!f.open(QIODevice::ReadOnly)) {
                    *e = QStringLiteral("cannot read \"%1\": %2").arg(v, f.errorString());
                    return false;
                }
                const QString token = QString::fromUtf8(f.readAll()).trimmed();
                if (token.isEmpty()) {
                    *e = QStringLiteral("\"%1\" holds no token").arg(v);
                    return false;
                }
                c.pushTokenFile = v;
                c.pushToken = token;
                return true;
            },
            stringGetter(&C::pushTokenFile)};
}

/// A secret given as text: shown masked with `maskSecrets`.
Access secretAccess(QString C::*member) {
    return {[member](C &c, const QString &v, QString *) {
                c.*member = v.trimmed();
                return true;
            },
            [member](const C &c, bool mask) {
                const QString &v = c.*member;
                return QJsonValue(mask && !v.isEmpty() ? Masked : v);
            }};
}

Access pushPrefixAccess() {
    return {[](C &c, const QString &v, QString *e) {
                if (v.isEmpty() || v.compare(QLatin1String("off"), Qt::CaseInsensitive) == 0) {
                    c.pushPrefix.clear();
                    return true;
                }
                QString path = v;
                while (path.size() > 1 && path.endsWith(QLatin1Char('/')))
                    path.chop(1);
                return setUrlPath(c.pushPrefix, path, e);
            },
            [](const C &c, bool) {
                return QJsonValue(c.pushPrefix.isEmpty() ? QStringLiteral("off") : c.pushPrefix);
            }};
}

Access logLevelAccess() {
    return {[](C &c, const QString &v, QString *e) {
                const QString l = v.trimmed().toLower();
                if (l != QLatin1String("debug") && l != QLatin1String("info") &&
                    l != QLatin1String("warning")) {
                    *e = QStringLiteral("expected debug, info or warning, got \"%1\"").arg(v);
                    return false;
                }
                c.logLevel = l;
                return true;
            },
            stringGetter(&C::logLevel)};
}

Access clusterAccess() {
    return {[](C &c, const QString &v, QString *e) {
                const QString url = v.trimmed();
                if (!url.isEmpty() && !RedisAddress::parse(url, e))
                    return false;
                c.clusterUrl = url;
                return true;
            },
            [](const C &c, bool mask) {
                const auto address = c.redisAddress();
                if (mask && address && !address->password.isEmpty())
                    return QJsonValue(address->toString(true));
                return QJsonValue(c.clusterUrl);
            }};
}

} // namespace

bool ConfigurationOption::isSwitch() const {
    return *valueName == '\0';
}

const std::vector<ConfigurationOption> &ConfigurationOption::all() {
    using BM = C::BodyMode;
    using BP = C::BackpressurePolicy;
    using EP = C::ErrorPolicy;
    static const std::vector<ConfigurationOption> options = {
        {"config", "FILE", "", "JSON config file (flags win over it)",
         [](C &, const QString &, QString *) { return true; }, nullptr},
        make("listen", "HOST:PORT", "127.0.0.1:8080", "WebSocket listener", listenAccess()),
        make("path", "PATH", "/ws", "WebSocket path", urlPathAccess(&C::path)),
        make("server-name", "NAME", "the listen host", "SERVER_NAME for PHP",
             checkedStringAccess(&C::serverName, isServerName, true, "a host name or address")),
        make("reuse-port", "", "", "share the WebSocket port with other processes (SO_REUSEPORT)",
             switchAccess(&C::reusePort)),
        make("threads", "N", "1", "engine threads sharing the WebSocket port",
             intAccess(&C::threads, 1, MaxThreads)),
        make("fastcgi", "ADDR", "unix:/run/php/php8.2-fpm.sock",
             "PHP-FPM address: unix:/path.sock | tcp:HOST:PORT | HOST:PORT", fastCgiAccess()),
        make("script", "FILE", "", "handler script (SCRIPT_FILENAME), as PHP-FPM sees it",
             stringAccess(&C::script)),
        make("docroot", "DIR", "the script's directory", "DOCUMENT_ROOT",
             stringAccess(&C::docroot)),
        make("php-user", "USER", "chosen automatically",
             "user of the managed PHP pool when running as root",
             checkedStringAccess(&C::phpUser, isUserName, true, "a user name")),
        make("fastcgi-pool", "N", "4", "max FastCGI connections; keep it below pm.max_children",
             intAccess(&C::fastcgiPool, 1, MaxPoolConnections)),
        make("mode", "raw|form", "raw",
             "body encoding: raw message bytes, or type=server&message=…&client_id=…",
             choiceAccess<BM>(&C::mode, {{"raw", BM::Raw}, {"form", BM::Form}})),
        make("events", "LIST", "message", "events sent to PHP: any of open,message,close",
             eventsAccess()),
        make("max-message", "BYTES", "16M",
             "inbound message limit, inclusive; above it the client is closed with 1009",
             bytesAccess(&C::maxMessageBytes, 1, MaxMessageLimitBytes)),
        make("queue-limit", "N", "64",
             "messages queued per connection while PHP works; beyond: close 1008",
             intAccess(&C::queueLimit, 1, 100000)),
        make("queue-bytes", "BYTES", "32M", "bytes queued per connection for PHP",
             bytesAccess(&C::queueBytes, KiB, MaxQueueBytes)),
        make("inbound-budget", "BYTES", "512M",
             "gateway-wide bytes of client messages queued for or with PHP",
             bytesAccess(&C::inboundBudgetBytes, MinBudgetBytes, MaxBudgetBytes)),
        make("send-buffer", "BYTES", "8M", "per-client outbound high-water mark",
             bytesAccess(&C::sendBufferBytes, 1024, qint64(1) << 32)),
        make("outbound-budget", "BYTES", "1G", "gateway-wide bytes queued towards clients",
             bytesAccess(&C::outboundBudgetBytes, MinBudgetBytes, MaxBudgetBytes)),
        make("backpressure", "reject|close", "reject",
             "past the high-water mark: refuse the push (503), or close the client (1008)",
             choiceAccess<BP>(&C::backpressure, {{"reject", BP::Reject}, {"close", BP::Close}})),
        make("on-php-error", "message|close|silent", "message",
             "when PHP fails: JSON error to the sender, close 1011/1013, or nothing",
             choiceAccess<EP>(
                 &C::onPhpError,
                 {{"message", EP::Message}, {"close", EP::Close}, {"silent", EP::Silent}})),
        make("invalid-utf8", "error|binary", "error",
             "a text reply from PHP that is not UTF-8: an error to the client, or sent as binary",
             choiceAccess<bool>(&C::invalidUtf8AsBinary, {{"error", false}, {"binary", true}})),
        make("fastcgi-connect-timeout", "MS", "3000", "FastCGI connect timeout",
             intAccess(&C::fastcgiConnectTimeoutMs, 1, MaxTimeoutMs)),
        make("fastcgi-timeout", "MS", "30000", "FastCGI read timeout (no progress for this long)",
             intAccess(&C::fastcgiTimeoutMs, 1, MaxTimeoutMs)),
        make("fastcgi-deadline", "MS", "60000", "absolute deadline of a FastCGI request (0: none)",
             intAccess(&C::fastcgiDeadlineMs, 0, MaxTimeoutMs)),
        make("fastcgi-idle", "MS", "2000",
             "close kept-alive FastCGI connections idle this long (0: no keep-alive)",
             intAccess(&C::fastcgiIdleMs, 0, MaxTimeoutMs)),
        make("fpm-status-path", "PATH", "/fpm-status", "PHP-FPM pm.status_path",
             urlPathAccess(&C::fpmStatusPath)),
        make("fpm-ping-path", "PATH", "/fpm-ping", "PHP-FPM ping.path",
             urlPathAccess(&C::fpmPingPath)),
        make("push-listen", "HOST:PORT|off", "127.0.0.1:8081", "push API listener",
             pushListenAccess()),
        make("push-token", "TOKEN|auto", "",
             "bearer token for the push API (required beyond loopback); auto: generate one at "
             "start",
             pushTokenAccess()),
        make("push-token-file", "FILE", "",
             "read the push API's token from FILE (e.g. a systemd credential)",
             pushTokenFileAccess()),
        make("push-prefix", "PATH|off", "off",
             "also serve the push API under PATH on the WebSocket port (needs --push-token)",
             pushPrefixAccess()),
        make("push-allowed-origins", "LIST", "none",
             "comma list of Origins (or *) whose browser requests the push API accepts",
             listAccess(&C::pushAllowedOrigins, parseStrictOrigins)),
        make("push-allowed-hosts", "LIST", "none",
             "comma list of Host values (name or name:port) the push API accepts besides its "
             "own address",
             listAccess(&C::pushAllowedHosts, parseHosts)),
        make("push-tls-cert", "FILE", "", "PEM certificate: the push listener serves https://",
             stringAccess(&C::pushTlsCert)),
        make("push-tls-key", "FILE", "", "PEM private key of the push listener",
             stringAccess(&C::pushTlsKey)),
        make("admin-read-token", "TOKEN", "",
             "a second bearer token that may only read the admin API (GET /admin/...); the push "
             "token may do everything",
             secretAccess(&C::adminReadToken)),
        make("allowed-origins", "LIST", "same-origin with open events, else any",
             "comma list of allowed Origin values, * for any; others get 403",
             listAccess(&C::allowedOrigins, parseOrigins)),
        make("max-connections", "N", "10000",
             "open WebSocket connections; beyond: 503 at the handshake",
             intAccess(&C::maxConnections, 1, 10000000)),
        make("max-handshakes", "N", "1024", "WebSocket handshakes in progress, all addresses",
             intAccess(&C::maxHandshakes, 1, MaxHandshakes)),
        make("max-handshakes-per-address", "N", "64",
             "WebSocket handshakes in progress from one client address",
             intAccess(&C::maxHandshakesPerAddress, 1, MaxHandshakes)),
        make("handshake-timeout", "MS", "10000", "time allowed for the WebSocket handshake",
             intAccess(&C::handshakeTimeoutMs, 100, MaxTimeoutMs)),
        make("fragment-timeout", "MS", "30000",
             "a message begun must be complete within this (0: none)",
             intAccess(&C::fragmentTimeoutMs, 0, MaxTimeoutMs)),
        make("close-grace", "MS", "5000",
             "abort a closing connection that has not finished the close after this",
             intAccess(&C::closeGraceMs, MinCloseGraceMs, MaxTimeoutMs)),
        make("ping-interval", "SEC", "30",
             "ping idle clients; close those silent for two intervals (0: off)",
             intAccess(&C::pingIntervalSec, 0, 86400)),
        make("open-rate", "N", "200", "open events per second, all clients (0: unlimited)",
             intAccess(&C::openRate, 0, MaxOpenRatePerSec)),
        make("open-rate-per-address", "N", "20",
             "open events per second from one client address (0: unlimited)",
             intAccess(&C::openRatePerAddress, 0, MaxOpenRatePerSec)),
        make("tls-cert", "FILE", "", "PEM certificate: serve wss://", stringAccess(&C::tlsCert)),
        make("tls-key", "FILE", "", "PEM private key", stringAccess(&C::tlsKey)),
        make("log-level", "debug|info|warning", "info",
             "stderr log level (debug logs every message)", logLevelAccess()),
        make("traffic-log", "N", "10000",
             "traffic log ring size, entries, for the console's traffic view; 0 keeps none "
             "(wsgated's default: nothing reads it there)",
             intAccess(&C::trafficLogEntries, 0, 10000000)),
        make("traffic-body-cap", "BYTES", "64K",
             "bodies above this are stored truncated in the traffic log",
             bytesAccess(&C::trafficBodyCapBytes, 0, MaxTrafficBodyCapBytes)),
        make("cluster", "URL", "none",
             "Redis of a gateway cluster: redis://[:password@]host[:port][/db] or "
             "unix:/path.sock[?db=N]",
             clusterAccess()),
        make("cluster-name", "NAME", "wsgate", "the cluster's name, prefix of its Redis keys",
             checkedStringAccess(&C::clusterName, isName, false, "a name of 1-64 A-Za-z0-9_.-")),
        make("node-id", "ID", "random at start", "this gateway's id in the cluster",
             checkedStringAccess(&C::nodeId, isName, true, "an id of 1-64 A-Za-z0-9_.-")),
        make("demo", "", "",
             "managed PHP + example chat handler + test page on /; all events (open,message,close)",
             switchAccess(&C::demo)),
    };
    return options;
}

const ConfigurationOption *ConfigurationOption::find(const QString &name) {
    for (const ConfigurationOption &o : all()) {
        if (name == QLatin1String(o.name))
            return &o;
    }
    return nullptr;
}
