#pragma once

#include "fakephpbackend.h"
#include "gateway/gateway.h"
#include "gateway/memorybudget.h"
#include "observe/metrics.h"
#include "observe/trafficlog.h"

#include <memory>

/// A Gateway on loopback over the in-process FakePhpBackend: the gateway's logic in
/// milliseconds, without php-fpm.
class GatewayTestbed final {
public:
    /// Settings with test defaults: 127.0.0.1:0, path /ws, script /srv/app/ws.php, server
    /// name gw.test, pings off.
    static Gateway::Settings defaults();

    explicit GatewayTestbed(const Gateway::Settings &settings = defaults(),
                            qint64 inboundBudget = qint64(1) << 30,
                            qint64 outboundBudget = qint64(1) << 30);
    ~GatewayTestbed();

    /// Starts listening; false (with the reason as a test warning) on failure.
    bool start();
    quint16 port() const { return gateway->serverPort(); }
    QString url(const QString &pathAndQuery = QStringLiteral("/ws")) const;

    /// The one session, when exactly one is connected.
    QByteArray onlyClientId() const;
    qint64 dropped(Metrics::DropReason reason) const { return metrics.dropped[reason].load(); }
    qint64 errors(Metrics::ClientError kind) const { return metrics.clientErrors[kind].load(); }
    /// Traffic-log rows whose text contains `needle`.
    int logRowsContaining(const QString &needle) const;

    FakePhpBackend backend;
    TrafficLog log{10000};
    Metrics metrics;
    MemoryBudget budget;
    std::unique_ptr<Gateway> gateway;
};
