#pragma once

#include "clientinfo.h"

#include <QHash>
#include <QSet>
#include <QString>

#include <functional>
#include <memory>

class ClientSession;

/// Every session of one gateway, by id, user and group; owns them.
class SessionRegistry final {
public:
    /// A user or group got its first member here (present) or lost its last one.
    using MembershipListener = std::function<void(bool isGroup, const QString &name, bool present)>;

    SessionRegistry();
    ~SessionRegistry();
    SessionRegistry(const SessionRegistry &) = delete;
    SessionRegistry &operator=(const SessionRegistry &) = delete;

    void setMembershipListener(MembershipListener listener) { m_listener = std::move(listener); }

    void add(std::unique_ptr<ClientSession> session);
    /// Takes the session out of every index; the caller deletes it.
    std::unique_ptr<ClientSession> remove(ClientSession *session);
    ClientSession *find(const QByteArray &id) const { return m_byId.value(id); }
    int size() const { return int(m_byId.size()); }
    bool isEmpty() const { return m_byId.isEmpty(); }

    void setUser(ClientSession *session, const QString &user);
    /// False when it was already a member.
    bool join(ClientSession *session, const QString &group);
    /// False when it was not a member.
    bool leave(ClientSession *session, const QString &group);

    /// Copies: a delivery may close (not remove) members while it walks them.
    QList<ClientSession *> usersSessions(const QString &user) const;
    QList<ClientSession *> groupSessions(const QString &group) const;
    QList<ClientSession *> all() const { return m_byId.values(); }
    QStringList users() const { return m_users.keys(); }
    QStringList groups() const { return m_groups.keys(); }
    /// group → member ids (GET /groups).
    QHash<QString, QList<QByteArray>> groupMembers() const;

    template <typename F> void forEach(F f) const {
        for (ClientSession *s : m_byId)
            f(s);
    }

    /// The projection every view uses.
    static ClientInfo info(const ClientSession &session);

private:
    void addMember(QHash<QString, QSet<ClientSession *>> &index, bool isGroup, const QString &name,
                   ClientSession *session);
    void removeMember(QHash<QString, QSet<ClientSession *>> &index, bool isGroup,
                      const QString &name, ClientSession *session);

    QHash<QByteArray, ClientSession *> m_byId; // owned
    QHash<QString, QSet<ClientSession *>> m_users;
    QHash<QString, QSet<ClientSession *>> m_groups;
    MembershipListener m_listener;
};
