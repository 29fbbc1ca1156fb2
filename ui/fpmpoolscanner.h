#pragma once

#include "fastcgi/fastcgiaddress.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

/// The PHP-FPM pools of this machine as their config files describe them
/// (`/etc/php/*/fpm/pool.d/*.conf`), the sockets in `/run/php`, and whether this user may
/// connect to a socket — with the fix when not. Reads files only: no widgets, no network.
class FpmPoolScanner final {
public:
    struct Pool {
        QString name;       // the [section]
        QString configFile; // where it was read
        QString phpVersion; // "8.2", from the path; empty when unknown
        QString listen;     // as written
        QString address;    // for --fastcgi: "unix:/run/php/php8.2-fpm.sock", "tcp:127.0.0.1:9000"
        QString statusPath; // pm.status_path; empty: the status page is off
        QString pingPath;   // ping.path
        QString slowlog;    // slowlog, $pool expanded; empty: none
        QString slowlogTimeout; // request_slowlog_timeout; empty or "0": slowlog off
        int maxChildren = 0;
        bool fromConfig = true; // false: only a socket in the run directory, no config seen
    };

    struct SocketCheck {
        QString path;
        bool exists = false;
        bool isSocket = false;
        bool connectable = false; // a connect() succeeded just now
        QString owner;
        QString group;
        QString mode;    // "0660"
        QString problem; // empty when connectable
        QString fix;     // commands to run, one per line; empty when none helps
    };

    /// `etcRoot` holds <version>/fpm/pool.d/*.conf; `runDir` the sockets.
    explicit FpmPoolScanner(const QString &etcRoot = QStringLiteral("/etc/php"),
                            const QString &runDir = QStringLiteral("/run/php"));

    /// Every pool found: those with a config first, then sockets no config names.
    QList<Pool> pools() const;
    /// The pools of one config file (a pool.d file, or a managed pool's generated config).
    static QList<Pool> parseConfig(const QString &fileName);
    /// The pool in `pools` that listens on `address`.
    static std::optional<Pool> poolFor(const QList<Pool> &pools, const FastCgiAddress &address);
    /// Can this process connect to the unix socket at `path`? Who owns it, and what to do.
    static SocketCheck checkSocket(const QString &path);
    /// Whether php-fpm is installed at all under `etcRoot`.
    bool fpmInstalled() const;

private:
    QString m_etcRoot;
    QString m_runDir;
};
