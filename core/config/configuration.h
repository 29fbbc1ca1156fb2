#pragma once

#include "config/redisaddress.h"
#include "fastcgi/fastcgiaddress.h"

#include <QHash>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>

#include <optional>

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
    QString serverName;     // SERVER_NAME for PHP; empty: the listen host (effectiveServerName())
    bool reusePort = false; // SO_REUSEPORT: several processes share the WebSocket port
    int threads = 1;        // engine threads sharing the WebSocket port
    QString tlsCert;
    QString tlsKey;
    QStringList allowedOrigins; // empty: same-origin when eventOpen, any otherwise; "*": any
    int maxConnections = 10000;
    int maxHandshakes = 1024;         // handshakes in progress, all addresses
    int maxHandshakesPerAddress = 64; // handshakes in progress from one address
    int handshakeTimeoutMs = 10000;
    int fragmentTimeoutMs = 30000; // a message begun must be complete within this; 0: none
    int closeGraceMs = 5000;       // a closing connection not done after this is aborted
    int pingIntervalSec = 30;      // 0: no pings, no idle detection
    int openRate = 200;            // open events per second, all clients; 0: unlimited
    int openRatePerAddress = 20;   // open events per second from one address; 0: unlimited

    // PHP
    FastCgiAddress fastcgi;
    QString script;
    QString docroot;
    QString phpUser; // the managed pool's user when running as root; empty: chosen automatically
    int fastcgiPool = 4;
    BodyMode mode = BodyMode::Raw;
    bool eventOpen = false;
    bool eventMessage = true;
    bool eventClose = false;
    int fastcgiConnectTimeoutMs = 3000;
    int fastcgiTimeoutMs = 30000;  // no progress for this long
    int fastcgiDeadlineMs = 60000; // absolute, per request; 0: none
    int fastcgiIdleMs = 2000;
    QString fpmStatusPath = QStringLiteral("/fpm-status");
    QString fpmPingPath = QStringLiteral("/fpm-ping");
    ErrorPolicy onPhpError = ErrorPolicy::Message;
    bool invalidUtf8AsBinary = false; // a non-UTF-8 text reply: sent as binary, else an error

    // Limits
    qint64 maxMessageBytes = 16 * 1024 * 1024;             // inclusive
    int queueLimit = 64;                                   // per-connection inbound queue, messages
    qint64 queueBytes = 32 * 1024 * 1024;                  // per-connection inbound queue, bytes
    qint64 inboundBudgetBytes = qint64(512) * 1024 * 1024; // all client messages for/with PHP
    qint64 sendBufferBytes = 8 * 1024 * 1024;              // per-client outbound high-water mark
    qint64 outboundBudgetBytes = qint64(1) << 30;          // all bytes queued towards clients
    BackpressurePolicy backpressure = BackpressurePolicy::Reject;

    // Push API
    QString pushHost = QStringLiteral("127.0.0.1");
    quint16 pushPort = 8081;
    bool pushEnabled = true;
    QString pushToken;          // from --push-token or read from --push-token-file
    bool pushTokenAuto = false; // --push-token auto: the engine generates one at start
    QString pushTokenFile;
    QString pushPrefix; // the push API also under this path on the WebSocket port; empty: off
    QStringList pushAllowedOrigins; // browser Origins the push API accepts ("*": any)
    QStringList pushAllowedHosts;   // Host values ("name", "name:port", lower case) besides its own
    QString pushTlsCert;            // PEM: the push listener (and the admin API) serve https://
    QString pushTlsKey;
    QString adminReadToken; // a second token: the admin API's GET routes only; empty: none

    // Observability
    QString logLevel = QStringLiteral("info"); // debug | info | warning
    int trafficLogEntries = 10000;
    qint64 trafficBodyCapBytes = 64 * 1024;

    // Cluster
    QString clusterUrl; // Redis URL (see RedisAddress); empty: no cluster
    QString clusterName = QStringLiteral("wsgate"); // Redis key prefix
    QString nodeId;                                 // empty: random at start

    bool demo = false;

    Configuration();

    QString listenUrl() const;
    /// The push API's base URL for PHP: its own listener, else the WebSocket port below
    /// --push-prefix; empty when neither serves it.
    QString pushUrl() const;
    QString eventsText() const;
    /// SERVER_NAME: --server-name, else the listen host.
    QString effectiveServerName() const;
    /// The parsed --cluster; nullopt without a cluster.
    std::optional<RedisAddress> redisAddress() const;
    /// All settings as a JSON object with the option names as keys (the config file format).
    /// `maskSecrets`: the push token, the admin read token and the cluster's password read
    /// "********".
    QJsonObject toJson(bool maskSecrets = false) const;
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
    /// One setting as toJson() has it; undefined for an unknown name and for "config".
    static QJsonValue optionValue(const Configuration &config, const QString &name,
                                  bool maskSecrets = false);
    /// One setting as text that applyOption() accepts ("true"/"false" for a switch).
    static QString optionText(const Configuration &config, const QString &name,
                              bool maskSecrets = false);
};
