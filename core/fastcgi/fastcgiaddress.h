#pragma once

#include <QString>

#include <optional>

/// Where PHP-FPM listens: a unix socket path or a TCP host and port.
struct FastCgiAddress {
    enum class Kind { Unix, Tcp };

    Kind kind = Kind::Tcp;
    QString path; // Unix: absolute socket path
    QString host; // Tcp: name or IP address, IPv6 without brackets
    quint16 port = 0;

    /// Accepts "unix:/abs/path.sock", "/abs/path.sock", "tcp:HOST:PORT", "HOST:PORT" and
    /// "[IPv6]:PORT". On failure returns nullopt and sets `error` to a message meant to
    /// follow the option name ("--fastcgi: ...").
    static std::optional<FastCgiAddress> parse(const QString &text, QString *error);
    /// The canonical "unix:PATH" or "tcp:HOST:PORT" form, which parse() accepts.
    QString toString() const;

    friend bool operator==(const FastCgiAddress &a, const FastCgiAddress &b) {
        return a.kind == b.kind && a.path == b.path && a.host == b.host && a.port == b.port;
    }
    friend bool operator!=(const FastCgiAddress &a, const FastCgiAddress &b) { return !(a == b); }
};
