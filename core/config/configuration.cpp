#include "configuration.h"

#include "configurationoptions.h"
#include "configurationvalues.h"
#include "version.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace {

const QString DefaultFastCgi = QStringLiteral("unix:/run/php/php8.2-fpm.sock");
constexpr qint64 TrafficBodyCapFloorBytes = 64 * 1024; // the default cap passes any --max-message

/// scheme://host:port/path, with an IPv6 host in brackets.
QString urlOf(const QString &scheme, const QString &host, quint16 port, const QString &path) {
    return QStringLiteral("%1://%2%3")
        .arg(scheme, ConfigurationValues::hostPortText(host, port), path);
}

bool hasPushToken(const Configuration &c) {
    return !c.pushToken.isEmpty() || c.pushTokenAuto;
}

} // namespace

Configuration::Configuration()
    : fastcgi(*FastCgiAddress::parse(DefaultFastCgi, nullptr)) {}

QString Configuration::listenUrl() const {
    return urlOf(tlsCert.isEmpty() ? QStringLiteral("ws") : QStringLiteral("wss"), listenHost,
                 listenPort, path);
}

QString Configuration::pushUrl() const {
    if (pushEnabled)
        return urlOf(pushTlsCert.isEmpty() ? QStringLiteral("http") : QStringLiteral("https"),
                     pushHost, pushPort, {});
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

QString Configuration::effectiveServerName() const {
    return serverName.isEmpty() ? listenHost : serverName;
}

std::optional<RedisAddress> Configuration::redisAddress() const {
    if (clusterUrl.isEmpty())
        return std::nullopt;
    return RedisAddress::parse(clusterUrl, nullptr);
}

QJsonObject Configuration::toJson(bool maskSecrets) const {
    QJsonObject o;
    for (const ConfigurationOption &option : ConfigurationOption::all()) {
        if (option.get)
            o[QLatin1String(option.name)] = option.get(*this, maskSecrets);
    }
    return o;
}

QStringList ConfigurationParser::optionNames() {
    QStringList names;
    for (const ConfigurationOption &o : ConfigurationOption::all())
        names << QLatin1String(o.name);
    return names;
}

QJsonValue ConfigurationParser::optionValue(const Configuration &config, const QString &name,
                                            bool maskSecrets) {
    const ConfigurationOption *option = ConfigurationOption::find(name);
    if (!option || !option->get)
        return QJsonValue(QJsonValue::Undefined);
    return option->get(config, maskSecrets);
}

QString ConfigurationParser::optionText(const Configuration &config, const QString &name,
                                        bool maskSecrets) {
    const QJsonValue v = optionValue(config, name, maskSecrets);
    if (v.isBool())
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    if (v.isDouble())
        return QString::number(v.toInteger());
    return v.toString();
}

bool ConfigurationParser::applyOption(const QString &name, const QString &value,
                                      Configuration &config, QString *error) {
    QString detail;
    const ConfigurationOption *option = ConfigurationOption::find(name);
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
        const ConfigurationOption *option = ConfigurationOption::find(name);
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
            if (!option->isSwitch()) {
                if (error)
                    *error = QStringLiteral("--%1: expected a %2, got a boolean")
                                 .arg(name, QLatin1String(option->valueName));
                return false;
            }
            text = v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
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
    using ConfigurationValues::isLoopbackHost;
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
    if (c.pushEnabled && !isLoopbackHost(c.pushHost) && !hasPushToken(c))
        return QStringLiteral("--push-token: required when --push-listen is not a loopback "
                              "address (%1)")
            .arg(c.pushHost);
    if (c.pushTlsCert.isEmpty() != c.pushTlsKey.isEmpty())
        return QStringLiteral("--push-tls-cert and --push-tls-key go together");
    if (!c.pushTlsCert.isEmpty() && !c.pushEnabled)
        return QStringLiteral("--push-tls-cert: the push listener is off (--push-listen off); "
                              "the API under --push-prefix uses --tls-cert");
    if (!c.pushTlsCert.isEmpty() && !QFile::exists(c.pushTlsCert))
        return QStringLiteral("--push-tls-cert: no such file \"%1\"").arg(c.pushTlsCert);
    if (!c.pushTlsKey.isEmpty() && !QFile::exists(c.pushTlsKey))
        return QStringLiteral("--push-tls-key: no such file \"%1\"").arg(c.pushTlsKey);
    if (!c.adminReadToken.isEmpty() && !hasPushToken(c))
        return QStringLiteral("--admin-read-token: needs --push-token (without it the admin API "
                              "answers nobody)");
    if (!c.adminReadToken.isEmpty() && c.adminReadToken == c.pushToken)
        return QStringLiteral("--admin-read-token: the same as the push token");
    if (c.pushEnabled && c.pushHost == c.listenHost && c.pushPort == c.listenPort &&
        c.pushPort != 0)
        return QStringLiteral("--push-listen: same address as --listen");
    if (!c.pushPrefix.isEmpty()) {
        // Every WebSocket client can reach that port: the API there is never open.
        if (!hasPushToken(c))
            return QStringLiteral("--push-prefix: needs --push-token (the WebSocket port is "
                                  "reachable by every client)");
        if (c.pushPrefix == QLatin1String("/") || c.path == c.pushPrefix ||
            c.path.startsWith(c.pushPrefix + QLatin1Char('/')))
            return QStringLiteral("--push-prefix: %1 would hide the WebSocket path %2")
                .arg(c.pushPrefix, c.path);
    }
    if (c.trafficBodyCapBytes > c.maxMessageBytes &&
        c.trafficBodyCapBytes > TrafficBodyCapFloorBytes)
        return QStringLiteral("--traffic-body-cap: larger than --max-message");
    if (c.maxMessageBytes > c.queueBytes)
        return QStringLiteral("--max-message (%1 bytes) is larger than --queue-bytes (%2): no "
                              "such message could be queued")
            .arg(c.maxMessageBytes)
            .arg(c.queueBytes);
    // What one client may hold queued: it alone must not exhaust the gateway's budget.
    const qint64 perClient = std::min(qint64(c.queueLimit) * c.maxMessageBytes, c.queueBytes);
    if (perClient > c.inboundBudgetBytes)
        return QStringLiteral("--inbound-budget (%1 bytes) is smaller than what one client may "
                              "queue (the lesser of --queue-limit × --max-message and "
                              "--queue-bytes: %2): one client could take the whole budget")
            .arg(c.inboundBudgetBytes)
            .arg(perClient);
    if (c.sendBufferBytes > c.outboundBudgetBytes)
        return QStringLiteral("--send-buffer (%1 bytes) is larger than --outbound-budget (%2): "
                              "one client could take the whole budget")
            .arg(c.sendBufferBytes)
            .arg(c.outboundBudgetBytes);
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
        const ConfigurationOption *option = ConfigurationOption::find(arg);
        if (!option)
            return fail(QStringLiteral("unknown option --%1 (see --help)").arg(arg));
        if (option->isSwitch()) {
            if (hasValue)
                return fail(QStringLiteral("--%1 takes no value").arg(arg));
        } else if (!hasValue) {
            if (i + 1 >= args.size())
                return fail(QStringLiteral("--%1 needs a value (%2)")
                                .arg(arg, QLatin1String(option->valueName)));
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
    for (const ConfigurationOption &o : ConfigurationOption::all()) {
        const QString name = QLatin1String(o.name);
        QString left = QStringLiteral("  --") + name;
        if (!o.isSwitch())
            left += QLatin1Char(' ') + QLatin1String(o.valueName);
        QString line = left.leftJustified(40) + QString::fromUtf8(o.help);
        const QString defaultText = defaults.value(name, QString::fromUtf8(o.defaultText));
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
