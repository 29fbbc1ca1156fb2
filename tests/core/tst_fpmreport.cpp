// FpmReport's JSON (GET /admin/fpm's "fpm"): every field there and back, and what is refused.

#include "fpm/fpmreport.h"
#include "testmain.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <limits>

namespace {

FpmStatus pool(bool full) {
    FpmStatus s;
    s.pool = QStringLiteral("www");
    s.processManager = QStringLiteral("dynamic");
    s.startTime = 1764633600;
    s.startSinceSec = 3600;
    s.acceptedConn = std::numeric_limits<qint64>::max() - 1; // beyond a double's 2^53
    s.listenQueue = 1;
    s.maxListenQueue = 5;
    s.listenQueueLen = 511;
    s.idleProcesses = 2;
    s.activeProcesses = 1;
    s.totalProcesses = 3;
    s.maxActiveProcesses = 3;
    s.maxChildrenReached = 4;
    s.slowRequests = 6;
    if (!full)
        return s;
    s.memoryPeakBytes = 2097152;
    s.hasProcesses = true;
    FpmStatus::Process p;
    p.pid = 4242;
    p.state = QStringLiteral("Running");
    p.startTime = 1764633601;
    p.startSinceSec = 3599;
    p.requests = 17;
    p.requestDurationUs = 1234;
    p.requestMethod = QStringLiteral("POST");
    p.requestUri = QStringLiteral("/chat.php?q=\"quoted\"\\raw\u00e9");
    p.contentLength = 12;
    p.user = QStringLiteral("-");
    p.script = QStringLiteral("/srv/www/chat.php");
    p.lastRequestCpuPercent = 12.34;
    p.lastRequestMemoryBytes = 524288;
    s.processes = {p, p};
    s.processes[1].pid = 4243;
    s.processes[1].state = QStringLiteral("Idle");
    s.reportedActiveProcesses = 0;
    s.reportedIdleProcesses = 3;
    s.reportedTotalProcesses = 3;
    return s;
}

FpmReport full() {
    FpmReport r;
    r.polling = true;
    r.state = FpmPoller::State::Ok;
    r.lastError = QStringLiteral("was down once");
    r.status = pool(true);
    r.quality = FpmStatus::Quality::Repaired;
    r.lastPollMs = 1764637200123;
    FpmPoller::Sample a{1764637199000, 1, 2, 3, 0, 4, 6, 100};
    FpmPoller::Sample b{1764637200000, 2, 1, 3, 1, 5, 7, 101};
    r.history = {a, b};
    r.warnings = {{QStringLiteral("max_children_reached"), QStringLiteral("raise pm.max_children")},
                  {QStringLiteral("listen_queue"), QStringLiteral("requests wait")}};
    r.pingOk = false;
    r.pingUs = 321;
    r.enableConfigLines = FpmPoller::enableConfigLines();
    r.managedPhpState = QStringLiteral("Running");
    r.managedPhpError = QStringLiteral("restarted once");
    r.managedPhpConfigPath = QStringLiteral("/run/wsgate/php-fpm.conf");
    r.fastcgiAddress = QStringLiteral("unix:/run/php/php8.2-fpm.sock");
    r.fpmStatusPath = QStringLiteral("/fpm-status");
    r.gatewayPoolSize = 8;
    return r;
}

/// Through the text a client receives, not only the QJsonObject.
QJsonObject overTheWire(const QJsonObject &o) {
    return QJsonDocument::fromJson(QJsonDocument(o).toJson(QJsonDocument::Compact)).object();
}

} // namespace

class TestFpmReport final : public QObject {
    Q_OBJECT
private slots:
    void roundTrip_data();
    void roundTrip();
    void keys();
    void refused_data();
    void refused();
};

void TestFpmReport::roundTrip_data() {
    QTest::addColumn<FpmReport>("report");
    QTest::newRow("no engine") << FpmReport();
    FpmReport unpolled;
    unpolled.polling = true;
    unpolled.enableConfigLines = FpmPoller::enableConfigLines();
    QTest::newRow("polling, no answer yet") << unpolled;
    QTest::newRow("every field") << full();
    FpmReport counters = full();
    counters.status = pool(false);
    counters.quality = FpmStatus::Quality::Truncated;
    counters.pingOk = true;
    counters.managedPhpState.clear();
    counters.managedPhpError.clear();
    counters.managedPhpConfigPath.clear();
    QTest::newRow("counters only, unmanaged, ping ok") << counters;
    for (auto state :
         {FpmPoller::State::Unknown, FpmPoller::State::NotEnabled, FpmPoller::State::Unreachable}) {
        FpmReport r = full();
        r.state = state;
        r.status.reset();
        r.quality = FpmStatus::Quality::Exact;
        QTest::newRow(qPrintable(FpmReport::stateName(state))) << r;
    }
}

void TestFpmReport::roundTrip() {
    QFETCH(FpmReport, report);
    const QJsonObject json = report.toJson();
    const std::optional<FpmReport> back = FpmReport::fromJson(overTheWire(json));
    QVERIFY(back);
    QCOMPARE(back->toJson(), json);
    QCOMPARE(back->polling, report.polling);
    QCOMPARE(back->state, report.state);
    QCOMPARE(back->quality, report.quality);
    QCOMPARE(back->pingOk, report.pingOk);
    QCOMPARE(back->history.size(), report.history.size());
    QCOMPARE(back->status.has_value(), report.status.has_value());
    if (report.status) {
        QCOMPARE(back->status->acceptedConn, report.status->acceptedConn);
        QCOMPARE(back->status->reportedActiveProcesses, report.status->reportedActiveProcesses);
        QCOMPARE(back->status->memoryPeakBytes, report.status->memoryPeakBytes);
        QCOMPARE(back->status->processes.size(), report.status->processes.size());
        for (int i = 0; i < report.status->processes.size(); ++i)
            QCOMPARE(back->status->processes[i].toJson(), report.status->processes[i].toJson());
    }
    QCOMPARE(back->managedPhpConfigPath, report.managedPhpConfigPath);
    QCOMPARE(back->gatewayPoolSize, report.gatewayPoolSize);
}

void TestFpmReport::keys() {
    // The names the console reads: a rename here breaks every attached console.
    const QJsonObject j = full().toJson();
    QCOMPARE(j.keys(),
             (QStringList{"enable_config_lines", "fastcgi", "gateway_pool", "history", "last_error",
                          "last_poll_ms", "managed_php", "ping_ok", "ping_us", "polling", "quality",
                          "state", "status", "status_path", "warnings"}));
    QCOMPARE(j.value("state").toString(), QStringLiteral("Ok"));
    QCOMPARE(j.value("quality").toString(), QStringLiteral("repaired"));
    QCOMPARE(j.value("history").toArray().at(0).toObject().keys(),
             (QStringList{"accepted_conn", "active", "idle", "listen_queue", "max_children_reached",
                          "slow_requests", "time_ms", "total"}));
    QCOMPARE(j.value("warnings").toArray().at(0).toObject().keys(),
             (QStringList{"code", "message"}));
    QCOMPARE(j.value("managed_php").toObject().keys(),
             (QStringList{"config_path", "error", "state"}));
    QCOMPARE(j.value("status").toObject().value("pool").toString(), QStringLiteral("www"));
    const QJsonObject none = FpmReport().toJson();
    QVERIFY(none.value("status").isNull());
    QVERIFY(none.value("ping_ok").isNull());
    QVERIFY(none.value("managed_php").isNull());
    QCOMPARE(none.value("state").toString(), QStringLiteral("Unknown"));
    QCOMPARE(none.value("quality").toString(), QStringLiteral("exact"));
}

void TestFpmReport::refused_data() {
    QTest::addColumn<QJsonObject>("json");
    const QJsonObject good = full().toJson();
    QTest::newRow("empty object") << QJsonObject();
    QJsonObject j = good;
    j.remove("polling");
    QTest::newRow("no polling") << j;
    j = good;
    j.insert("polling", 1);
    QTest::newRow("polling not a bool") << j;
    j = good;
    j.insert("state", "ok");
    QTest::newRow("state in the wrong case") << j;
    j = good;
    j.remove("state");
    QTest::newRow("no state") << j;
    j = good;
    j.insert("quality", "Exact");
    QTest::newRow("unknown quality") << j;
    j = good;
    j.insert("status", QJsonObject{{"pool", "www"}});
    QTest::newRow("status not a status page") << j;
}

void TestFpmReport::refused() {
    QFETCH(QJsonObject, json);
    QVERIFY(!FpmReport::fromJson(json));
}

WSGATE_TEST_MAIN(TestFpmReport)
#include "tst_fpmreport.moc"
