#include "configuration.h"

#include "version.h"

#include <QFile>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>

#include <functional>
#include <limits>

namespace {

constexpr qint64 MaxMessageLimitBytes = qint64(1) << 30; // 1 GiB: beyond that, use files
constexpr int MaxPoolConnections = 1024;
constexpr int MaxTimeoutMs = 24 * 3600 * 1000;
constexpr qint64 MaxTrafficBodyCapBytes = 64 * 1024 * 1024;
const QString DefaultFastCgi = QStringLiteral("unix:/run/php/php8.2-fpm.sock");

using Setter = std::function<bool(Configuration &, const QString &, QString *)>;

/// One option: its name (flag without dashes = JSON key), value name, default, help, setter.
struct Option {
    QString name;
    QString valueName; // empty: a switch without a value
    QString defaultText;
    QString help;
    Setter set;
};

bool parseHostPort(const QString &text, QString &host, quint16 &port, QString *error) {
    const int colon = text.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0) {
        *error = QStringLiteral("expected HOST:PORT, got \"%1\"").arg(text);
        return false;
    }
    QString h = text.left(colon);
    if (h.startsWith(QLatin1Char('[')) && h.endsWith(QLatin1Char(']')))
        h = h.mid(1, h.size() - 2);
    bool ok = false;
    const uint p = text.mid(colon + 1).toUInt(&ok);
    if (!ok || p > 65535) {
        *error = QStringLiteral("bad port in \"%1\" (0-65535)").arg(text);
        return false;
    }
    if (h.isEmpty()) {
        *error = QStringLiteral("missing host in \"%1\"").arg(text);
        return false;
    }
    if (h != QLatin1String("localhost") && h != QLatin1String("*") && QHostAddress(h).isNull()) {
        *error = QStringLiteral("\"%1\" is not an IP address (use 0.0.0.0, ::, 127.0.0.1 or "
                                "localhost)")
                     .arg(h);
        return false;
    }
    host = h;
    port = static_cast<quint16>(p);
    return true;
}

bool parseInt(const QString &text, qint64 min, qint64 max, qint64 &out, QString *error) {
    bool ok = false;
    const qint64 v = text.trimmed().toLongLong(&ok);
    if (!ok || v < min || v > max) {
        *error = QStringLiteral("expected a whole number from %1 to %2, got \"%3\"")
                     .arg(min)
                     .arg(max)
                     .arg(text);
        return false;
    }
    out = v;
    return true;
}

/// Sizes accept a plain byte count or a K/M/G (KiB/MiB/GiB) suffix.
bool parseBytes(const QString &text, qint64 min, qint64 max, qint64 &out, QString *error) {
    QString t = text.trimmed().toUpper();
    qint64 factor = 1;
    for (const auto &[suffix, f] : {std::pair<QString, qint64>{QStringLiteral("KIB"), 1024},
                                    {QStringLiteral("MIB"), 1 << 20},
                                    {QStringLiteral("GIB"), 1 << 30},
                                    {QStringLiteral("K"), 1024},
                                    {QStringLiteral("M"), 1 << 20},
                                    {QStringLiteral("G"), 1 << 30}}) {
        if (t.endsWith(suffix)) {
            factor = f;
            t.chop(suffix.size());
            break;
        }
    }
    bool ok = false;
    const qint64 v = t.trimmed().toLongLong(&ok);
    if (!ok || v < 0 || v > std::numeric_limits<qint64>::max() / factor || v * factor < min ||
        v * factor > max) {
        *error = QStringLiteral("expected a size from %1 to %2 bytes (suffixes K, M, G), got "
                                "\"%3\"")
                     .arg(min)
                     .arg(max)
                     .arg(text);
        return false;
    }
    out = v * factor;
    return true;
}

template <typename T> Setter intSetter(T Configuration::*member, qint64 min, qint64 max) {
    return [member, min, max](Configuration &c, const QString &v, QString *e) {
        qint64 out = 0;
        if (!parseInt(v, min, max, out, e))
            return false;
        c.*member = static_cast<T>(out);
        return true;
    };
}

Setter bytesSetter(qint64 Configuration::*member, qint64 min, qint64 max) {
    return [member, min, max](Configuration &c, const QString &v, QString *e) {
        return parseBytes(v, min, max, c.*member, e);
    };
}

Setter stringSetter(QString Configuration::*member) {
    return [member](Configuration &c, const QString &v, QString *) {
        c.*member = v;
        return true;
    };
}

Setter urlPathSetter(QString Configuration::*member) {
    return [member](Configuration &c, const QString &v, QString *e) {
        if (!v.startsWith(QLatin1Char('/')) || v.contains(QLatin1Char('?')) ||
            v.contains(QLatin1Char(' '))) {
            *e = QStringLiteral("expected an absolute URL path like /ws, got \"%1\"").arg(v);
            return false;
        }
        c.*member = v;
        return true;
    };
}

template <typename E>
Setter choiceSetter(E Configuration::*member,
                    std::initializer_list<std::pair<const char *, E>> map) {
    std::vector<std::pair<QString, E>> choices;
    for (const auto &[name, value] : map)
        choices.emplace_back(QString::fromLatin1(name), value);
    return [member, choices](Configuration &c, const QString &v, QString *e) {
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
    };
}

const std::vector<Option> &options() {
    static const std::vector<Option> all = {
        {QStringLiteral("config"),
         QStringLiteral("FILE"),
         {},
         QStringLiteral("JSON config file (flags win over it)"),
         [](Configuration &, const QString &, QString *) { return true; }},
        {QStringLiteral("listen"), QStringLiteral("HOST:PORT"), QStringLiteral("127.0.0.1:8080"),
         QStringLiteral("WebSocket listener"),
         [](Configuration &c, const QString &v, QString *e) {
             return parseHostPort(v, c.listenHost, c.listenPort, e);
         }},
        {QStringLiteral("path"), QStringLiteral("PATH"), QStringLiteral("/ws"),
         QStringLiteral("WebSocket path"), urlPathSetter(&Configuration::path)},
        {QStringLiteral("fastcgi"), QStringLiteral("ADDR"), DefaultFastCgi,
         QStringLiteral("PHP-FPM address: unix:/path.sock | tcp:HOST:PORT | HOST:PORT"),
         [](Configuration &c, const QString &v, QString *e) {
             const auto address = FastCgiAddress::parse(v, e);
             if (!address)
                 return false;
             c.fastcgi = *address;
             return true;
         }},
        {QStringLiteral("script"),
         QStringLiteral("FILE"),
         {},
         QStringLiteral("handler script (SCRIPT_FILENAME), as PHP-FPM sees it"),
         stringSetter(&Configuration::script)},
        {QStringLiteral("docroot"), QStringLiteral("DIR"), QStringLiteral("the script's directory"),
         QStringLiteral("DOCUMENT_ROOT"), stringSetter(&Configuration::docroot)},
        {QStringLiteral("fastcgi-pool"), QStringLiteral("N"), QStringLiteral("4"),
         QStringLiteral("max FastCGI connections; keep it below pm.max_children"),
         intSetter(&Configuration::fastcgiPool, 1, MaxPoolConnections)},
        {QStringLiteral("mode"), QStringLiteral("raw|form"), QStringLiteral("raw"),
         QStringLiteral("body encoding: raw message bytes, or type=server&message=…&client_id=…"),
         choiceSetter<Configuration::BodyMode>(
             &Configuration::mode,
             {{"raw", Configuration::BodyMode::Raw}, {"form", Configuration::BodyMode::Form}})},
        {QStringLiteral("events"), QStringLiteral("LIST"), QStringLiteral("message"),
         QStringLiteral("events sent to PHP: any of open,message,close"),
         [](Configuration &c, const QString &v, QString *e) {
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
         }},
        {QStringLiteral("max-message"), QStringLiteral("BYTES"), QStringLiteral("16M"),
         QStringLiteral(
             "inbound message limit, inclusive; above it the client is closed with 1009"),
         bytesSetter(&Configuration::maxMessageBytes, 1, MaxMessageLimitBytes)},
        {QStringLiteral("queue-limit"), QStringLiteral("N"), QStringLiteral("64"),
         QStringLiteral("messages queued per connection while PHP works; beyond: close 1008"),
         intSetter(&Configuration::queueLimit, 1, 100000)},
        {QStringLiteral("send-buffer"), QStringLiteral("BYTES"), QStringLiteral("8M"),
         QStringLiteral("per-client outbound high-water mark"),
         bytesSetter(&Configuration::sendBufferBytes, 1024, qint64(1) << 32)},
        {QStringLiteral("backpressure"), QStringLiteral("reject|close"), QStringLiteral("reject"),
         QStringLiteral(
             "past the high-water mark: refuse the push (503), or close the client (1008)"),
         choiceSetter<Configuration::BackpressurePolicy>(
             &Configuration::backpressure, {{"reject", Configuration::BackpressurePolicy::Reject},
                                            {"close", Configuration::BackpressurePolicy::Close}})},
        {QStringLiteral("on-php-error"), QStringLiteral("message|close|silent"),
         QStringLiteral("message"),
         QStringLiteral("when PHP fails: JSON error to the sender, close 1011/1013, or nothing"),
         choiceSetter<Configuration::ErrorPolicy>(
             &Configuration::onPhpError, {{"message", Configuration::ErrorPolicy::Message},
                                          {"close", Configuration::ErrorPolicy::Close},
                                          {"silent", Configuration::ErrorPolicy::Silent}})},
        {QStringLiteral("fastcgi-connect-timeout"), QStringLiteral("MS"), QStringLiteral("3000"),
         QStringLiteral("FastCGI connect timeout"),
         intSetter(&Configuration::fastcgiConnectTimeoutMs, 1, MaxTimeoutMs)},
        {QStringLiteral("fastcgi-timeout"), QStringLiteral("MS"), QStringLiteral("30000"),
         QStringLiteral("FastCGI read timeout (no progress for this long)"),
         intSetter(&Configuration::fastcgiTimeoutMs, 1, MaxTimeoutMs)},
        {QStringLiteral("fastcgi-idle"), QStringLiteral("MS"), QStringLiteral("2000"),
         QStringLiteral("close kept-alive FastCGI connections idle this long (0: no keep-alive)"),
         intSetter(&Configuration::fastcgiIdleMs, 0, MaxTimeoutMs)},
        {QStringLiteral("fpm-status-path"), QStringLiteral("PATH"), QStringLiteral("/fpm-status"),
         QStringLiteral("PHP-FPM pm.status_path"), urlPathSetter(&Configuration::fpmStatusPath)},
        {QStringLiteral("fpm-ping-path"), QStringLiteral("PATH"), QStringLiteral("/fpm-ping"),
         QStringLiteral("PHP-FPM ping.path"), urlPathSetter(&Configuration::fpmPingPath)},
        {QStringLiteral("push-listen"), QStringLiteral("HOST:PORT|off"),
         QStringLiteral("127.0.0.1:8081"), QStringLiteral("push API listener"),
         [](Configuration &c, const QString &v, QString *e) {
             if (v.compare(QLatin1String("off"), Qt::CaseInsensitive) == 0) {
                 c.pushEnabled = false;
                 return true;
             }
             c.pushEnabled = true;
             return parseHostPort(v, c.pushHost, c.pushPort, e);
         }},
        {QStringLiteral("push-token"),
         QStringLiteral("TOKEN"),
         {},
         QStringLiteral("bearer token for the push API (required beyond loopback)"),
         stringSetter(&Configuration::pushToken)},
        {QStringLiteral("push-prefix"), QStringLiteral("PATH|off"), QStringLiteral("off"),
         QStringLiteral("also serve the push API under PATH on the WebSocket port (needs "
                        "--push-token)"),
         [](Configuration &c, const QString &v, QString *e) {
             if (v.isEmpty() || v.compare(QLatin1String("off"), Qt::CaseInsensitive) == 0) {
                 c.pushPrefix.clear();
                 return true;
             }
             QString path = v;
             while (path.size() > 1 && path.endsWith(QLatin1Char('/')))
                 path.chop(1);
             return urlPathSetter(&Configuration::pushPrefix)(c, path, e);
         }},
        {QStringLiteral("allowed-origins"), QStringLiteral("LIST"), QStringLiteral("any"),
         QStringLiteral("comma list of allowed Origin values, * for any; others get 403"),
         [](Configuration &c, const QString &v, QString *e) {
             QStringList list;
             for (const QString &part : v.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
                 const QString origin = part.trimmed();
                 if (origin != QLatin1String("*")) {
                     const QUrl url(origin);
                     if (!url.isValid() || url.scheme().isEmpty() || url.host().isEmpty()) {
                         *e = QStringLiteral("\"%1\" is not an origin like https://example.com")
                                  .arg(origin);
                         return false;
                     }
                 }
                 list << origin;
             }
             c.allowedOrigins = list;
             return true;
         }},
        {QStringLiteral("max-connections"), QStringLiteral("N"), QStringLiteral("10000"),
         QStringLiteral("open WebSocket connections; beyond: 503 at the handshake"),
         intSetter(&Configuration::maxConnections, 1, 10000000)},
        {QStringLiteral("handshake-timeout"), QStringLiteral("MS"), QStringLiteral("10000"),
         QStringLiteral("time allowed for the WebSocket handshake"),
         intSetter(&Configuration::handshakeTimeoutMs, 100, MaxTimeoutMs)},
        {QStringLiteral("ping-interval"), QStringLiteral("SEC"), QStringLiteral("30"),
         QStringLiteral("ping idle clients; close those silent for two intervals (0: off)"),
         intSetter(&Configuration::pingIntervalSec, 0, 86400)},
        {QStringLiteral("tls-cert"),
         QStringLiteral("FILE"),
         {},
         QStringLiteral("PEM certificate: serve wss://"),
         stringSetter(&Configuration::tlsCert)},
        {QStringLiteral("tls-key"),
         QStringLiteral("FILE"),
         {},
         QStringLiteral("PEM private key"),
         stringSetter(&Configuration::tlsKey)},
        {QStringLiteral("log-level"), QStringLiteral("debug|info|warning"), QStringLiteral("info"),
         QStringLiteral("stderr log level (debug logs every message)"),
         [](Configuration &c, const QString &v, QString *e) {
             const QString l = v.trimmed().toLower();
             if (l != QLatin1String("debug") && l != QLatin1String("info") &&
                 l != QLatin1String("warning")) {
                 *e = QStringLiteral("expected debug, info or warning, got \"%1\"").arg(v);
                 return false;
             }
             c.logLevel = l;
             return true;
         }},
        {QStringLiteral("traffic-log"), QStringLiteral("N"), QStringLiteral("10000"),
         QStringLiteral("traffic log ring size, entries, for the console's traffic view; 0 "
                        "keeps none (wsgated's default: nothing reads it there)"),
         intSetter(&Configuration::trafficLogEntries, 0, 10000000)},
        {QStringLiteral("traffic-body-cap"), QStringLiteral("BYTES"), QStringLiteral("64K"),
         QStringLiteral("bodies above this are stored truncated in the traffic log"),
         bytesSetter(&Configuration::trafficBodyCapBytes, 0, MaxTrafficBodyCapBytes)},
        {QStringLiteral("demo"),
         {},
         {},
         QStringLiteral("managed PHP + example chat handler + test page on /"),
         [](Configuration &c, const QString &, QString *) {
             c.demo = true;
             return true;
         }},
    };
    return all;
}

const Option *findOption(const QString &name) {
    for (const Option &o : options()) {
        if (o.name == name)
            return &o;
    }
    return nullptr;
}

bool isLoopbackHost(const QString &host) {
    if (host == QLatin1String("localhost"))
        return true;
    const QHostAddress a(host);
    return !a.isNull() && a.isLoopback();
}

} // namespace

Configuration::Configuration()
    : fastcgi(*FastCgiAddress::parse(DefaultFastCgi, nullptr)) {}

namespace {

/// scheme://host:port/path, with an IPv6 host in brackets.
QString urlOf(const QString &scheme, const QString &host, quint16 port, const QString &path) {
    const bool v6 = host.contains(QLatin1Char(':'));
    return QStringLiteral("%1://%2:%3%4")
        .arg(scheme, v6 ? QLatin1Char('[') + host + QLatin1Char(']') : host)
        .arg(port)
        .arg(path);
}

} // namespace

QString Configuration::listenUrl() const {
    return urlOf(tlsCert.isEmpty() ? QStringLiteral("ws") : QStringLiteral("wss"), listenHost,
                 listenPort, path);
}

QString Configuration::pushUrl() const {
    if (pushEnabled)
        return urlOf(QStringLiteral("http"), pushHost, pushPort, {});
    if (pushPrefix.isEmpty())
        return {};
    // Only the WebSocket port serves the API: PHP reaches it on loopback when it listens on all.
    QString host = listenHost;
    if (host == QLatin1String("0.0.0.0"))
        host = QStringLiteral("127.0.0.1");
    else if (host == QLatin1String("::"))
        host = QStringLiteral("::1");
    return urlOf(tlsCert.isEmpty() ? QStringLiteral("http") : QStringLiteral("https"), host,
                 listenPort, pushPrefix);
}

QString Configuration::eventsText() const {
    QStringList e;
    if (eventOpen)
        e << QStringLiteral("open");
    if (eventMessage)
        e << QStringLiteral("message");
    if (eventClose)
        e << QStringLiteral("close");
    return e.join(QLatin1Char(','));
}

QJsonObject Configuration::toJson() const {
    QJsonObject o;
    o[QStringLiteral("listen")] = QStringLiteral("%1:%2")
                                      .arg(listenHost.contains(QLatin1Char(':'))
                                               ? QLatin1Char('[') + listenHost + QLatin1Char(']')
                                               : listenHost)
                                      .arg(listenPort);
    o[QStringLiteral("path")] = path;
    o[QStringLiteral("fastcgi")] = fastcgi.toString();
    o[QStringLiteral("script")] = script;
    o[QStringLiteral("docroot")] = docroot;
    o[QStringLiteral("fastcgi-pool")] = fastcgiPool;
    o[QStringLiteral("mode")] =
        mode == BodyMode::Raw ? QStringLiteral("raw") : QStringLiteral("form");
    o[QStringLiteral("events")] = eventsText();
    o[QStringLiteral("max-message")] = double(maxMessageBytes);
    o[QStringLiteral("queue-limit")] = queueLimit;
    o[QStringLiteral("send-buffer")] = double(sendBufferBytes);
    o[QStringLiteral("backpressure")] = backpressure == BackpressurePolicy::Reject
                                            ? QStringLiteral("reject")
                                            : QStringLiteral("close");
    o[QStringLiteral("on-php-error")] =
        onPhpError == ErrorPolicy::Message ? QStringLiteral("message")
        : onPhpError == ErrorPolicy::Close ? QStringLiteral("close")
                                           : QStringLiteral("silent");
    o[QStringLiteral("fastcgi-connect-timeout")] = fastcgiConnectTimeoutMs;
    o[QStringLiteral("fastcgi-timeout")] = fastcgiTimeoutMs;
    o[QStringLiteral("fastcgi-idle")] = fastcgiIdleMs;
    o[QStringLiteral("fpm-status-path")] = fpmStatusPath;
    o[QStringLiteral("fpm-ping-path")] = fpmPingPath;
    o[QStringLiteral("push-listen")] =
        pushEnabled ? pushUrl().mid(int(qstrlen("http://"))) : QStringLiteral("off");
    o[QStringLiteral("push-token")] = pushToken;
    o[QStringLiteral("push-prefix")] = pushPrefix.isEmpty() ? QStringLiteral("off") : pushPrefix;
    o[QStringLiteral("allowed-origins")] = allowedOrigins.join(QLatin1Char(','));
    o[QStringLiteral("max-connections")] = maxConnections;
    o[QStringLiteral("handshake-timeout")] = handshakeTimeoutMs;
    o[QStringLiteral("ping-interval")] = pingIntervalSec;
    o[QStringLiteral("tls-cert")] = tlsCert;
    o[QStringLiteral("tls-key")] = tlsKey;
    o[QStringLiteral("log-level")] = logLevel;
    o[QStringLiteral("traffic-log")] = trafficLogEntries;
    o[QStringLiteral("traffic-body-cap")] = double(trafficBodyCapBytes);
    o[QStringLiteral("demo")] = demo;
    return o;
}

QStringList ConfigurationParser::optionNames() {
    QStringList names;
    for (const Option &o : options())
        names << o.name;
    return names;
}

bool ConfigurationParser::applyOption(const QString &name, const QString &value,
                                      Configuration &config, QString *error) {
    QString detail;
    const Option *option = findOption(name);
    if (!option) {
        if (error)
            *error = QStringLiteral("unknown option --%1").arg(name);
        return false;
    }
    if (!option->set(config, value, &detail)) {
        if (error)
            *error = QStringLiteral("--%1: %2").arg(name, detail);
        return false;
    }
    return true;
}

bool ConfigurationParser::applyJson(const QJsonObject &object, Configuration &config,
                                    QString *error) {
    for (auto it = object.begin(); it != object.end(); ++it) {
        const QString name = it.key();
        if (name == QLatin1String("config"))
            continue;
        const Option *option = findOption(name);
        if (!option) {
            if (error)
                *error = QStringLiteral("unknown setting \"%1\"").arg(name);
            return false;
        }
        QString text;
        const QJsonValue v = it.value();
        if (v.isString()) {
            text = v.toString();
        } else if (v.isDouble()) {
            text = QString::number(qint64(v.toDouble()));
            if (double(qint64(v.toDouble())) != v.toDouble()) {
                if (error)
                    *error = QStringLiteral("--%1: expected a whole number").arg(name);
                return false;
            }
        } else if (v.isBool()) {
            if (option->valueName.isEmpty()) {
                if (v.toBool() && !applyOption(name, {}, config, error))
                    return false;
                if (!v.toBool() && name == QLatin1String("demo"))
                    config.demo = false;
                continue;
            }
            if (error)
                *error = QStringLiteral("--%1: expected a %2, got a boolean")
                             .arg(name, option->valueName);
            return false;
        } else if (v.isArray()) {
            QStringList parts;
            for (const QJsonValue &item : v.toArray())
                parts << item.toVariant().toString();
            text = parts.join(QLatin1Char(','));
        } else if (v.isNull()) {
            continue;
        } else {
            if (error)
                *error = QStringLiteral("--%1: unsupported JSON value").arg(name);
            return false;
        }
        if (!applyOption(name, text, config, error))
            return false;
    }
    return true;
}

QString ConfigurationParser::validate(const Configuration &c) {
    if (!c.eventMessage && !c.eventOpen && !c.eventClose)
        return QStringLiteral("--events: at least one event is needed");
    if (!c.demo && c.script.isEmpty())
        return QStringLiteral("--script: a handler script is required (or use --demo)");
    if (c.tlsCert.isEmpty() != c.tlsKey.isEmpty())
        return QStringLiteral("--tls-cert and --tls-key go together");
    if (!c.tlsCert.isEmpty() && !QFile::exists(c.tlsCert))
        return QStringLiteral("--tls-cert: no such file \"%1\"").arg(c.tlsCert);
    if (!c.tlsKey.isEmpty() && !QFile::exists(c.tlsKey))
        return QStringLiteral("--tls-key: no such file \"%1\"").arg(c.tlsKey);
    if (c.pushEnabled && !isLoopbackHost(c.pushHost) && c.pushToken.isEmpty())
        return QStringLiteral("--push-token: required when --push-listen is not a loopback "
                              "address (%1)")
            .arg(c.pushHost);
    if (c.pushEnabled && c.pushHost == c.listenHost && c.pushPort == c.listenPort &&
        c.pushPort != 0)
        return QStringLiteral("--push-listen: same address as --listen");
    if (!c.pushPrefix.isEmpty()) {
        // Every WebSocket client can reach that port: the API there is never open.
        if (c.pushToken.isEmpty())
            return QStringLiteral("--push-prefix: needs --push-token (the WebSocket port is "
                                  "reachable by every client)");
        if (c.pushPrefix == QLatin1String("/") || c.path == c.pushPrefix ||
            c.path.startsWith(c.pushPrefix + QLatin1Char('/')))
            return QStringLiteral("--push-prefix: %1 would hide the WebSocket path %2")
                .arg(c.pushPrefix, c.path);
    }
    if (c.trafficBodyCapBytes > c.maxMessageBytes && c.trafficBodyCapBytes > 64 * 1024)
        return QStringLiteral("--traffic-body-cap: larger than --max-message");
    return {};
}

ConfigurationResult ConfigurationParser::parse(const QStringList &args, const Configuration &base) {
    ConfigurationResult result;
    auto fail = [&result](const QString &message) {
        result.action = ConfigurationResult::Action::Error;
        result.message = message;
        return result;
    };

    // Split into (name, value) pairs first so --config can be applied before the other flags.
    QList<QPair<QString, QString>> flags;
    QString configFile;
    for (int i = 0; i < args.size(); ++i) {
        QString arg = args.at(i);
        if (arg == QLatin1String("--help") || arg == QLatin1String("-h")) {
            result.action = ConfigurationResult::Action::Help;
            return result;
        }
        if (arg == QLatin1String("--version") || arg == QLatin1String("-v")) {
            result.action = ConfigurationResult::Action::Version;
            return result;
        }
        if (!arg.startsWith(QLatin1String("--")))
            return fail(QStringLiteral("unexpected argument \"%1\" (see --help)").arg(arg));
        arg = arg.mid(2);
        QString value;
        bool hasValue = false;
        const int eq = arg.indexOf(QLatin1Char('='));
        if (eq >= 0) {
            value = arg.mid(eq + 1);
            arg = arg.left(eq);
            hasValue = true;
        }
        const Option *option = findOption(arg);
        if (!option)
            return fail(QStringLiteral("unknown option --%1 (see --help)").arg(arg));
        if (option->valueName.isEmpty()) {
            if (hasValue)
                return fail(QStringLiteral("--%1 takes no value").arg(arg));
        } else if (!hasValue) {
            if (i + 1 >= args.size())
                return fail(QStringLiteral("--%1 needs a value (%2)").arg(arg, option->valueName));
            value = args.at(++i);
        }
        if (arg == QLatin1String("config"))
            configFile = value;
        else
            flags.append({arg, value});
    }

    Configuration config = base;
    if (!configFile.isEmpty()) {
        QFile f(configFile);
        if (!f.open(QIODevice::ReadOnly))
            return fail(QStringLiteral("--config: cannot read \"%1\": %2")
                            .arg(configFile, f.errorString()));
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &parseError);
        if (doc.isNull() || !doc.isObject())
            return fail(QStringLiteral("--config: \"%1\" is not a JSON object: %2")
                            .arg(configFile, parseError.errorString()));
        QString error;
        if (!applyJson(doc.object(), config, &error))
            return fail(QStringLiteral("--config %1: %2").arg(configFile, error));
    }
    for (const auto &[name, value] : flags) {
        QString error;
        if (!applyOption(name, value, config, &error))
            return fail(error);
    }
    const QString invalid = validate(config);
    if (!invalid.isEmpty())
        return fail(invalid);
    result.config = config;
    return result;
}

QString ConfigurationParser::helpText(const QString &programName,
                                      const QHash<QString, QString> &defaults) {
    QString text = QStringLiteral("Usage: %1 [options]\n\n"
                                  "WebSockets for PHP-FPM: every WebSocket event becomes a FastCGI "
                                  "request to PHP-FPM.\n\nOptions:\n")
                       .arg(programName);
    for (const Option &o : options()) {
        QString left = QStringLiteral("  --") + o.name;
        if (!o.valueName.isEmpty())
            left += QLatin1Char(' ') + o.valueName;
        QString line = left.leftJustified(40) + o.help;
        const QString defaultText = defaults.value(o.name, o.defaultText);
        if (!defaultText.isEmpty())
            line += QStringLiteral(" [default: %1]").arg(defaultText);
        text += line + QLatin1Char('\n');
    }
    text += QStringLiteral("  --version                             print the version and exit\n"
                           "  --help                                print this help and exit\n");
    return text;
}

QString ConfigurationParser::versionText(const QString &programName) {
    QString text = programName + QLatin1Char(' ') + QLatin1String(WSGATE_VERSION);
    if (qstrlen(WSGATE_GIT_REVISION) > 0)
        text += QStringLiteral(" (git %1)").arg(QLatin1String(WSGATE_GIT_REVISION));
    text += QStringLiteral(", Qt %1").arg(QLatin1String(qVersion()));
    return text;
}
