#include "clientsession.h"

#include <algorithm>

ClientSession::ClientSession(QByteArray id_, QWebSocket *socket_)
    : id(std::move(id_))
    , socket(socket_) {
    lastActivity.start();
}

ClientSession::~ClientSession() {
    if (socket) {
        socket->disconnect();
        socket->deleteLater();
    }
}

QString ClientSession::groupsText() const {
    QStringList list(groups.begin(), groups.end());
    std::sort(list.begin(), list.end());
    return list.join(QLatin1Char(','));
}
