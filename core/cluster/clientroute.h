#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

/// Where a client id says its connection lives. An id is 32 hex digits: the owning node's
/// 24-bit tag and its engine thread (8 digits), then 96 random bits (24 digits) — so a push to
/// a client goes straight to its node and thread, and ids stay unguessable.
struct ClientRoute {
    static constexpr int IdHexDigits = 32;
    static constexpr int PrefixHexDigits = 8;
    static constexpr quint32 TagMask = 0xffffff;
    static constexpr int MaxShards = 256;

    quint32 nodeTag = 0; // 24 bits
    int shard = 0;       // the engine thread, 0..255

    /// The first 8 hex digits of every id a node's thread hands out.
    static QByteArray idPrefix(quint32 nodeTag, int shard);
    /// nullopt for anything but 32 lower-case hex digits.
    static std::optional<ClientRoute> of(const QByteArrayView clientId);
    /// The 24-bit tag of a node id (stable: SHA-1 of the id).
    static quint32 tagOf(const QString &nodeId);
};
