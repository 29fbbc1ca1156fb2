#pragma once

#include <QByteArray>
#include <QHash>

#include <deque>
#include <optional>

/// Console ids for entries read from attached daemons. Each daemon numbers its own entries
/// from 1 on every start (an instance); the console keeps one id per entry for its whole life,
/// across restarts and over several nodes at once, so it gives each entry the next id of its
/// own and remembers where it came from: to replay it there, and to turn a daemon's replay_of
/// into the console's id. Bounded: the oldest MaxEntries are forgotten first.
class RemoteIdBook final {
public:
    struct Origin {
        QByteArray node;     // which attached daemon (its admin URL)
        QByteArray instance; // X-WsGate-Instance of the run that logged it
        quint64 remoteId = 0;
    };
    static constexpr int MaxEntries = 200'000;

    /// Ids go on after `lastId` (the newest the console shows).
    explicit RemoteIdBook(quint64 lastId = 0)
        : m_lastId(lastId) {}

    /// A console id for a new entry.
    quint64 add(const Origin &origin);
    /// The console id of an entry seen before; 0 when unknown (never seen, or forgotten).
    quint64 find(const Origin &origin) const;
    std::optional<Origin> origin(quint64 consoleId) const;
    quint64 lastId() const { return m_lastId; }

private:
    static QByteArray keyOf(const Origin &origin);

    quint64 m_lastId;
    QHash<QByteArray, quint64> m_byOrigin;
    std::deque<std::pair<quint64, Origin>> m_byId; // ascending console ids
};
