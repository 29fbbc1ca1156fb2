#pragma once

#include <QString>
#include <QStringList>

/// The text forms of option values (addresses, numbers, sizes, lists, names): pure parsers that
/// return false and set `error` to a message meant to follow the option name ("--x: …").
namespace ConfigurationValues {

/// HOST:PORT with HOST an IP address, "localhost" or "*"; IPv6 may be bracketed.
bool parseHostPort(const QString &text, QString &host, quint16 &port, QString *error);
/// "host:port", the host bracketed when it is an IPv6 address.
QString hostPortText(const QString &host, quint16 port);
bool isLoopbackHost(const QString &host);

bool parseInt(const QString &text, qint64 min, qint64 max, qint64 &out, QString *error);
/// A plain byte count or a K/M/G (KiB/MiB/GiB) suffix.
bool parseBytes(const QString &text, qint64 min, qint64 max, qint64 &out, QString *error);
/// Empty (a switch given without a value), true/false, 1/0, on/off, yes/no.
bool parseSwitch(const QString &text, bool &out, QString *error);

/// Comma list of origins like https://example.com, or "*".
bool parseOrigins(const QString &text, QStringList &out, QString *error);
/// The same, refusing what no browser sends as an Origin: a path, query or user info.
bool parseStrictOrigins(const QString &text, QStringList &out, QString *error);
/// Comma list of Host header values "name" or "name:port" (DNS name, IPv4 or [IPv6] without a
/// zone), lower-cased; each one RequestTrust::parseHost() accepts.
bool parseHosts(const QString &text, QStringList &out, QString *error);
/// [A-Za-z0-9_.-]{1,64}: cluster and node names, safe in Redis keys and channel names.
bool isName(const QString &text);
/// A user name for the managed PHP pool: no spaces, colons or slashes, at most 32 characters.
bool isUserName(const QString &text);
/// A host name or IP address for SERVER_NAME.
bool isServerName(const QString &text);

} // namespace ConfigurationValues
