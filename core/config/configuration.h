#pragma once

#include "fastcgi/fastcgiaddress.h"

#include <QHash>
#include <QJsonObject>
#include <QString>
#include <QStringList>

/// Every setting of wsgate and wsgated, with its default. Built from a JSON file and the
/// command line by ConfigurationParser, validated in one place.
struct Configuration {
    enum class BodyMode { Raw, Form };
    enum class ErrorPolicy { Message, Close, Silent };
    enum class BackpressurePolicy { Reject, Close };

    // WebSocket listener
    QString listenHost = QStringLiteral("127.0.0.1");
    quint16 listenPort = 8080;
    QString path = QStringLiteral("/ws");
    QString tlsCert;
    QString tlsKey;
    QStringList allowedOrigins; // empty or "*": any origin
    int maxConnections = 10000;
    int handshakeTimeoutMs = 10000;
    int pingIntervalSec = 30; // 0: no pings, no idle detection

    // PHP
    FastCgiAddress fastcgi;
    QString script;
    QString docroot;
    int fastcgiPool = 4;
    BodyMode mode = BodyMode::Raw;
    bool eventOpen = false;
    bool eventMessage = true;
    bool eventClose = false;
    int fastcgiConnectTimeoutMs = 3000;
    int fastcgiTimeoutMs = 30000;
    int fastcgiIdleMs = 2000;
    QString fpmStatusPath = QStringLiteral("/fpm-status");
    QString fpmPingPath = QStringLiteral("/fpm-ping");
    ErrorPolicy onPhpError = ErrorPolicy::Message;

    // Limits
    qint64 maxMessageBytes = 16 * 1024 * 1024; // inclusive
    int queueLimit = 64;                       // per-connection inbound queue, messages
    qint64 sendBufferBytes = 8 * 1024 * 1024;  // per-client outbound high-water mark
    BackpressurePolicy backpressure = BackpressurePolicy::Reject;

    // Push API
    QString pushHost = QStringLiteral("127.0.0.1");
    quint16 pushPort = 8081;
    bool pushEnabled = true;
    QString pushToken;
    QString pushPrefix; // the push API also under this path on the WebSocket port; empty: off

    // Observability
    QString logLevel = QStringLiteral("info"); // debug | info | warning
    int trafficLogEntries = 10000;
    qint64 trafficBodyCapBytes = 64 * 1024;

    bool demo = false;

    Configuration();

    QString listenUrl() const;
    /// The push API's base URL for PHP: its own listener, else the WebSocket port below
    /// --push-prefix; empty when neither serves it.
    QString pushUrl() const;
    QString eventsText() const;
    /// All settings as a JSON object with the option names as keys (the config file format).
    QJsonObject toJson() const;
};

/// Result of reading a configuration: what to do, and the message to print.
struct ConfigurationResult {
    enum class Action { Run, Help, Version, Error };
    Action action = Action::Run;
    Configuration config;
    QString message; // the error (naming the option) for Error
};

/// Turns a JSON config file and command-line flags into one validated Configuration.
class ConfigurationParser final {
public:
    /// `args` without the program name. Flags win over --config FILE, which wins over defaults.
    /// Applies --config's file, then the flags, on top of `base` (a program's own defaults).
    static ConfigurationResult parse(const QStringList &args,
                                     const Configuration &base = Configuration());
    /// Applies a JSON object (config file format) on top of `config`.
    static bool applyJson(const QJsonObject &object, Configuration &config, QString *error);
    /// Applies one option by name ("listen", "fastcgi-pool" …) and text value.
    static bool applyOption(const QString &name, const QString &value, Configuration &config,
                            QString *error);
    /// Cross-field checks; empty when valid.
    static QString validate(const Configuration &config);
    /// `defaults`: option name → default text where the program's own default differs.
    static QString helpText(const QString &programName,
                            const QHash<QString, QString> &defaults = {});
    static QString versionText(const QString &programName);
    /// Option names accepted on the command line and in the config file.
    static QStringList optionNames();
};
