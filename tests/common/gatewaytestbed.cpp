#include "gatewaytestbed.h"

#include <QTest>

Gateway::Settings GatewayTestbed::defaults() {
    Gateway::Settings s;
    s.front.address = QHostAddress::LocalHost;
    s.front.port = 0;
    s.front.triage.path = "/ws";
    s.front.cgi.script = QStringLiteral("/srv/app/ws.php");
    s.front.cgi.serverName = QStringLiteral("gw.test");
    s.front.handshakeTimeoutMs = 5000;
    s.front.limits.maxHandshakes = 1000;
    s.front.limits.maxHandshakesPerAddress = 1000;
    s.front.connectionLimits.maxMessageBytes = 1024 * 1024;
    s.front.clientIdPrefix = QByteArrayLiteral("0000000a");
    s.pingIntervalSec = 0;
    return s;
}

GatewayTestbed::GatewayTestbed(const Gateway::Settings &settings, qint64 inboundBudget,
                               qint64 outboundBudget)
    : budget(inboundBudget, outboundBudget)
    , gateway(std::make_unique<Gateway>(settings, &backend, &log, &metrics, &budget)) {}

GatewayTestbed::~GatewayTestbed() {
    gateway.reset();
}

bool GatewayTestbed::start() {
    QString error;
    if (!gateway->start(&error)) {
        qWarning("gateway did not start: %s", qPrintable(error));
        return false;
    }
    return true;
}

QString GatewayTestbed::url(const QString &pathAndQuery) const {
    return QStringLiteral("ws://127.0.0.1:%1%2").arg(port()).arg(pathAndQuery);
}

QByteArray GatewayTestbed::onlyClientId() const {
    QByteArray id;
    int n = 0;
    gateway->clients([&](const QList<ClientInfo> &list) {
        n = int(list.size());
        if (n == 1)
            id = list.first().id;
    });
    return n == 1 ? id : QByteArray();
}

int GatewayTestbed::logRowsContaining(const QString &needle) const {
    int n = 0;
    for (const TrafficEntry &e : log.entriesSince(0)) {
        if (e.text.contains(needle))
            ++n;
    }
    return n;
}
