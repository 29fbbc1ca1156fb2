#include "clientsession.h"

ClientSession::ClientSession(QByteArray clientId, std::shared_ptr<const PhpParamBlock> cgiParams,
                             SessionEvents *events)
    : id(std::move(clientId))
    , cgi(std::move(cgiParams))
    , m_events(events) {}

ClientSession::~ClientSession() = default;

void ClientSession::setUser(const QString &user) {
    if (user == m_user)
        return;
    m_user = user;
    m_userParam = user.toUtf8();
}

bool ClientSession::addGroup(const QString &group) {
    const auto it = std::lower_bound(m_groups.begin(), m_groups.end(), group);
    if (it != m_groups.end() && *it == group)
        return false;
    m_groups.insert(it, group);
    m_groupsParam = m_groups.join(u',').toUtf8();
    return true;
}

bool ClientSession::removeGroup(const QString &group) {
    const auto it = std::lower_bound(m_groups.begin(), m_groups.end(), group);
    if (it == m_groups.end() || *it != group)
        return false;
    m_groups.erase(it);
    m_groupsParam = m_groups.join(u',').toUtf8();
    return true;
}

QString ClientSession::peer() const {
    if (!m_connection)
        return {};
    const ByteStream *s = m_connection->stream();
    bool isV4 = false;
    const quint32 v4 = s->peerAddress().toIPv4Address(&isV4);
    const QString address = isV4 ? QHostAddress(v4).toString() : s->peerAddress().toString();
    return address + QLatin1Char(':') + QString::number(s->peerPort());
}

QByteArray ClientSession::cgiParam(QByteArrayView name) const {
    if (cgi) {
        for (const auto &[n, v] : cgi->params) {
            if (n == name)
                return v;
        }
    }
    return {};
}

void ClientSession::onWebSocketMessage(QByteArray payload, bool binary) {
    m_events->sessionMessage(this, std::move(payload), binary);
}

void ClientSession::onWebSocketPong(qint64 rttMs) {
    m_events->sessionPong(this, rttMs);
}

void ClientSession::onWebSocketClosing(int code, const QByteArray &reason) {
    m_events->sessionClosing(this, code, reason);
}

void ClientSession::onWebSocketDrained() {
    m_events->sessionDrained(this);
}

void ClientSession::onWebSocketMessageBegun() {
    m_events->sessionMessageBegun(this);
}

void ClientSession::onWebSocketClosed(const WebSocketCloseInfo &info) {
    m_events->sessionClosed(this, info);
}
