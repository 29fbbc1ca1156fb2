#include "remoteidbook.h"

#include <algorithm>

QByteArray RemoteIdBook::keyOf(const Origin &origin) {
    return origin.node + '\n' + origin.instance + '\n' + QByteArray::number(origin.remoteId);
}

quint64 RemoteIdBook::add(const Origin &origin) {
    const quint64 id = ++m_lastId;
    m_byOrigin.insert(keyOf(origin), id);
    m_byId.emplace_back(id, origin);
    while (m_byId.size() > size_t(MaxEntries)) {
        m_byOrigin.remove(keyOf(m_byId.front().second));
        m_byId.pop_front();
    }
    return id;
}

quint64 RemoteIdBook::find(const Origin &origin) const {
    return m_byOrigin.value(keyOf(origin), 0);
}

std::optional<RemoteIdBook::Origin> RemoteIdBook::origin(quint64 consoleId) const {
    const auto it = std::lower_bound(
        m_byId.begin(), m_byId.end(), consoleId,
        [](const std::pair<quint64, Origin> &e, quint64 id) { return e.first < id; });
    if (it == m_byId.end() || it->first != consoleId)
        return std::nullopt;
    return it->second;
}
