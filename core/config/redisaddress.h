#pragma once

#include <QString>

#include <optional>

/// Where the cluster's Redis listens (TCP host and port, or a unix socket), with its password and
/// database: the parsed form of --cluster.
struct RedisAddress {
    QString host;        // TCP: name or IP address, IPv6 without brackets; empty for unix
    quint16 port = 6379; // TCP only
    QString socketPath;  // unix: absolute socket path; empty for TCP
    QString password;    // empty: no AUTH
    int db = 0;          // SELECT, 0..15

    /// Accepts "redis://[:password@]host[:port][/db]" (password percent-decoded, port 6379 by
    /// default) and "unix:/path.sock[?db=N]". On failure returns nullopt and sets `error` to a
    /// message meant to follow the option name ("--cluster: …").
    static std::optional<RedisAddress> parse(const QString &text, QString *error);
    /// The URL form parse() accepts; the password as "********" with `maskPassword`.
    QString toString(bool maskPassword = false) const;
};
