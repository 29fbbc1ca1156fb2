#include "sessionregistry.h"

#include "clientsession.h"

#include <QUrl>

SessionRegistry::SessionRegistry() = default;

SessionRegistry::~SessionRegistry() {
    qDeleteAll(m_byId);
}

void SessionRegistry::add(std::unique_ptr<ClientSession> session) {
    ClientSession *s = session.release();
    m_byId.insert(s->id, s);
    if (!s->user().isEmpty())
        addMember(m_users, false, s->user(), s);
    for (const QString &g : s->groups())
        addMember(m_groups, true, g, s);
}

std::unique_ptr<ClientSession> SessionRegistry::remove(ClientSession *s) {
    if (!m_byId.remove(s->id))
        return {};
    if (!s->user().isEmpty())
        removeMember(m_users, false, s->user(), s);
    for (const QString &g : s->groups())
        removeMember(m_groups, true, g, s);
    return std::unique_ptr<ClientSession>(s);
}

void SessionRegistry::setUser(ClientSession *s, const QString &user) {
    if (s->user() == user)
        return;
    const bool registered = m_byId.contains(s->id);
    if (registered && !s->user().isEmpty())
        removeMember(m_users, false, s->user(), s);
    s->setUser(user);
    if (registered && !user.isEmpty())
        addMember(m_users, false, user, s);
}

bool SessionRegistry::join(ClientSession *s, const QString &group) {
    if (!s->addGroup(group))
        return false;
    if (m_byId.contains(s->id))
        addMember(m_groups, true, group, s);
    return true;
}

bool SessionRegistry::leave(ClientSession *s, const QString &group) {
    if (!s->removeGroup(group))
        return false;
    if (m_byId.contains(s->id))
        removeMember(m_groups, true, group, s);
    return true;
}

QList<ClientSession *> SessionRegistry::usersSessions(const QString &user) const {
    const auto it = m_users.constFind(user);
    return it == m_users.constEnd() ? QList<ClientSession *>() : it->values();
}

QList<ClientSession *> SessionRegistry::groupSessions(const QString &group) const {
    const auto it = m_groups.constFind(group);
    return it == m_groups.constEnd() ? QList<ClientSession *>() : it->values();
}

QHash<QString, QList<QByteArray>> SessionRegistry::groupMembers() const {
    QHash<QString, QList<QByteArray>> out;
    out.reserve(m_groups.size());
    for (auto it = m_groups.cbegin(); it != m_groups.cend(); ++it) {
        QList<QByteArray> &ids = out[it.key()];
        ids.reserve(it->size());
        for (const ClientSession *s : *it)
            ids.append(s->id);
    }
    return out;
}

ClientInfo SessionRegistry::info(const ClientSession &s) {
    ClientInfo c;
    c.id = s.id;
    c.peer = s.peer();
    c.path = QUrl::fromPercentEncoding(s.cgiParam("DOCUMENT_URI"));
    c.query = QString::fromUtf8(s.cgiParam("QUERY_STRING"));
    c.origin = QString::fromUtf8(s.cgiParam("HTTP_ORIGIN"));
    c.user = s.user();
    c.groups = s.groups();
    c.connectedMs = s.connectedMs;
    c.lastActivityMs = s.lastActivityMs;
    c.messagesIn = s.messagesIn;
    c.messagesOut = s.messagesOut;
    c.bytesIn = s.bytesIn;
    c.bytesOut = s.bytesOut;
    c.queueDepth = int(s.queue.size());
    c.queuedBytes = s.queuedBytes;
    c.phpInFlight = s.inFlight;
    c.sendBufferBytes = s.connection() ? s.connection()->bytesToWrite() : 0;
    return c;
}

void SessionRegistry::addMember(QHash<QString, QSet<ClientSession *>> &index, bool isGroup,
                                const QString &name, ClientSession *s) {
    QSet<ClientSession *> &members = index[name];
    members.insert(s);
    if (members.size() == 1 && m_listener)
        m_listener(isGroup, name, true);
}

void SessionRegistry::removeMember(QHash<QString, QSet<ClientSession *>> &index, bool isGroup,
                                   const QString &name, ClientSession *s) {
    auto it = index.find(name);
    if (it == index.end())
        return;
    it->remove(s);
    if (it->isEmpty()) {
        index.erase(it);
        if (m_listener)
            m_listener(isGroup, name, false);
    }
}
