// The PHP-FPM panel from hand-made samples: cards counted from the worker list, the gateway's
// kept-alive connections told apart, the FastCGI card red only when saturated, the budgets,
// and FPM's slowlog.

#include "fpmpanel.h"
#include "slowlogview.h"
#include "statcard.h"

#include <QDir>
#include <QFile>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

class TestFpmPanel final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void workerRolesTellKeptConnectionsApart_data();
    void workerRolesTellKeptConnectionsApart();
    void cardsCountTheWorkerList();
    void gatewayCardIsRedOnlyWhenSaturated_data();
    void gatewayCardIsRedOnlyWhenSaturated();
    void budgetCardsShowTheSnapshot();
    void slowlogShownWhenThePoolHasOne();
    void slowlogOffSaysHowToEnableIt();
};

namespace {

FpmStatus::Process worker(qint64 pid, const char *state, qint64 durationUs,
                          const char *uri = "/ws") {
    FpmStatus::Process p;
    p.pid = pid;
    p.state = QLatin1String(state);
    p.requestDurationUs = durationUs;
    p.requestUri = QLatin1String(uri);
    p.requestMethod = QStringLiteral("POST");
    return p;
}

/// What the issue showed: 4 workers, two parked by the gateway's idle kept connections in
/// "Reading headers" for 1,425 ms, one answering the status poll, one idle; FPM's counters
/// racing ("max 2009").
FpmStatus pinnedPool() {
    FpmStatus s;
    s.pool = QStringLiteral("www");
    s.processManager = QStringLiteral("dynamic");
    s.hasProcesses = true;
    s.processes = {worker(101, "Reading headers", 1425000),
                   worker(102, "Running", 800, "/fpm-status?json&full"),
                   worker(103, "Reading headers", 1390000), worker(104, "Idle", 0)};
    s.activeProcesses = 2009;
    s.maxActiveProcesses = 2009;
    s.idleProcesses = 0;
    s.totalProcesses = 4;
    s.countFromProcesses();
    return s;
}

EngineSample engineSample(int busy, int idle, int max, int queued) {
    auto snap = std::make_shared<GatewaySnapshot>();
    snap->timeMs = 1000;
    snap->pool.busy = busy;
    snap->pool.idle = idle;
    snap->pool.maxConnections = max;
    snap->pool.queued = queued;
    snap->pool.connections = busy + idle;
    EngineSample e;
    e.snapshot = snap;
    return e;
}

FpmSample fpmSample(const FpmStatus &status) {
    FpmSample s;
    s.polling = true;
    s.state = FpmPoller::State::Ok;
    s.status = status;
    s.fpmStatusPath = QStringLiteral("/fpm-status");
    s.fastcgiAddress = QStringLiteral("unix:/nonexistent/php-fpm.sock");
    return s;
}

} // namespace

void TestFpmPanel::workerRolesTellKeptConnectionsApart_data() {
    QTest::addColumn<int>("gatewayIdle");
    QTest::addColumn<QList<int>>("roles"); // FpmPanel::WorkerRole per worker
    const int busy = int(FpmPanel::WorkerRole::Busy);
    const int idle = int(FpmPanel::WorkerRole::Idle);
    const int kept = int(FpmPanel::WorkerRole::KeptByGateway);
    const int poll = int(FpmPanel::WorkerRole::StatusPoll);
    QTest::newRow("two idle kept: both parked workers") << 2 << QList<int>{kept, poll, kept, idle};
    QTest::newRow("one idle kept: the longest-waiting") << 1 << QList<int>{kept, poll, busy, idle};
    QTest::newRow("none kept: they are requests") << 0 << QList<int>{busy, poll, busy, idle};
    QTest::newRow("more kept than parked") << 5 << QList<int>{kept, poll, kept, idle};
}

void TestFpmPanel::workerRolesTellKeptConnectionsApart() {
    QFETCH(int, gatewayIdle);
    QFETCH(QList<int>, roles);
    const QList<FpmPanel::WorkerRole> got =
        FpmPanel::workerRoles(pinnedPool(), gatewayIdle, QStringLiteral("/fpm-status"));
    QList<int> asInts;
    for (FpmPanel::WorkerRole r : got)
        asInts << int(r);
    QCOMPARE(asInts, roles);
    // A worker reading headers for a moment is a request arriving, never a kept one.
    FpmStatus fresh = pinnedPool();
    fresh.processes[0].requestDurationUs = FpmPanel::KeptIdleMinUs - 1;
    QCOMPARE(FpmPanel::workerRoles(fresh, 1, {}).at(0), FpmPanel::WorkerRole::Busy);
}

void TestFpmPanel::cardsCountTheWorkerList() {
    FpmPanel panel;
    panel.setEngineSample(engineSample(0, 2, 4, 0)); // the gateway: 0 busy, 2 idle kept
    panel.setFpmSample(fpmSample(pinnedPool()));
    QCOMPARE(panel.card(QStringLiteral("fpmActive"))->value(), QStringLiteral("0"));
    QVERIFY2(panel.card(QStringLiteral("fpmActive"))->detail().contains(QStringLiteral("of 4")),
             qPrintable(panel.card(QStringLiteral("fpmActive"))->detail()));
    QVERIFY(!panel.card(QStringLiteral("fpmActive"))->detail().contains(QStringLiteral("2009")));
    QCOMPARE(panel.card(QStringLiteral("fpmIdle"))->value(), QStringLiteral("3"));
    QVERIFY(panel.card(QStringLiteral("fpmIdle"))->detail().contains(QStringLiteral("2 kept")));
    QCOMPARE(panel.card(QStringLiteral("fpmTotal"))->value(), QStringLiteral("4"));
    QTableWidget *table = panel.processTable();
    QCOMPARE(table->rowCount(), 4);
    QCOMPARE(table->item(0, 1)->text(), QStringLiteral("Idle (kept by the gateway)"));
    QCOMPARE(table->item(1, 1)->text(), QStringLiteral("Running (this status poll)"));
    QCOMPARE(table->item(2, 1)->text(), QStringLiteral("Idle (kept by the gateway)"));
    QCOMPARE(table->item(3, 1)->text(), QStringLiteral("Idle"));
    QVERIFY(panel.stateText().contains(QStringLiteral("2009"))); // said, not shown as a count
}

void TestFpmPanel::gatewayCardIsRedOnlyWhenSaturated_data() {
    QTest::addColumn<int>("busy");
    QTest::addColumn<int>("idle");
    QTest::addColumn<int>("queued");
    QTest::addColumn<bool>("red");
    QTest::newRow("idle: every connection kept open") << 0 << 4 << 0 << false;
    QTest::newRow("all busy, nothing waiting") << 4 << 0 << 0 << false;
    QTest::newRow("all busy, work queued") << 4 << 0 << 3 << true;
    QTest::newRow("queued but a connection free") << 3 << 0 << 2 << false;
}

void TestFpmPanel::gatewayCardIsRedOnlyWhenSaturated() {
    QFETCH(int, busy);
    QFETCH(int, idle);
    QFETCH(int, queued);
    QFETCH(bool, red);
    FpmPanel panel;
    FpmSample s = fpmSample(pinnedPool());
    s.warnings.append({QStringLiteral("gateway_pins_workers"), QStringLiteral("pins")});
    panel.setFpmSample(s);
    panel.setEngineSample(engineSample(busy, idle, 4, queued));
    StatCard *card = panel.card(QStringLiteral("gatewayPool"));
    QCOMPARE(card->value(), QStringLiteral("%1 / 4").arg(busy));
    QCOMPARE(card->isWarning(), red);
    panel.setFpmSample(s); // a later poll does not turn it red either
    QCOMPARE(card->isWarning(), red);
}

void TestFpmPanel::budgetCardsShowTheSnapshot() {
    FpmPanel panel;
    EngineSample e = engineSample(0, 0, 4, 0);
    auto snap = std::make_shared<GatewaySnapshot>(*e.snapshot);
    snap->inboundBytes = 3 * 1024 * 1024;
    snap->inboundBudget = qint64(512) * 1024 * 1024;
    snap->outboundBytes = qint64(900) * 1024 * 1024;
    snap->outboundBudget = qint64(1024) * 1024 * 1024;
    snap->handshakes = 7;
    e.snapshot = snap;
    panel.setEngineSample(e);
    StatCard *in = panel.card(QStringLiteral("gatewayInbound"));
    StatCard *out = panel.card(QStringLiteral("gatewayOutbound"));
    QCOMPARE(in->value(), QStringLiteral("3.0 MB"));
    QVERIFY2(in->detail().contains(QStringLiteral("512.0 MB")), qPrintable(in->detail()));
    QVERIFY(in->detail().contains(QStringLiteral("(0 %)")));
    QVERIFY(!in->isWarning());
    QCOMPARE(out->value(), QStringLiteral("900.0 MB"));
    QVERIFY2(out->detail().contains(QStringLiteral("(87 %)")), qPrintable(out->detail()));
    QVERIFY(out->isWarning());
    QCOMPARE(panel.card(QStringLiteral("gatewayHandshakes"))->value(), QStringLiteral("7"));
}

void TestFpmPanel::slowlogShownWhenThePoolHasOne() {
    QTemporaryDir dir;
    const QString log = dir.filePath(QStringLiteral("www.slow.log"));
    QFile conf(dir.filePath(QStringLiteral("php-fpm.conf")));
    QVERIFY(conf.open(QIODevice::WriteOnly));
    conf.write("[global]\nerror_log = /dev/null\n[wsgate]\nlisten = " +
               dir.filePath(QStringLiteral("php.sock")).toUtf8() +
               "\nrequest_slowlog_timeout = 2s\nslowlog = " +
               dir.filePath(QStringLiteral("$pool.slow.log")).toUtf8() + "\n");
    conf.close();
    QFile slow(dir.filePath(QStringLiteral("wsgate.slow.log")));
    QVERIFY(slow.open(QIODevice::WriteOnly));
    slow.write("[01-Dec-2025 10:00:00]  [pool wsgate] pid 42\nscript_filename = /srv/ws.php\n"
               "[0x00007f] sleep() /srv/ws.php:3\n");
    slow.close();
    Q_UNUSED(log);
    SlowLogView view;
    view.setPool(conf.fileName(), QStringLiteral("unix:/x.sock"));
    QVERIFY2(view.statusText().contains(QStringLiteral("wsgate.slow.log")),
             qPrintable(view.statusText()));
    QVERIFY(view.logText().contains(QStringLiteral("sleep() /srv/ws.php:3")));
    // A new slow request shows up on the next refresh.
    QVERIFY(slow.open(QIODevice::Append));
    slow.write("[01-Dec-2025 10:00:05]  [pool wsgate] pid 43\n");
    slow.close();
    view.refresh();
    QVERIFY(view.logText().contains(QStringLiteral("pid 43")));
}

void TestFpmPanel::slowlogOffSaysHowToEnableIt() {
    // The system's pool, found by its listen address, without a slowlog.
    QTemporaryDir dir;
    QDir().mkpath(dir.filePath(QStringLiteral("etc/8.2/fpm/pool.d")));
    QFile conf(dir.filePath(QStringLiteral("etc/8.2/fpm/pool.d/www.conf")));
    QVERIFY(conf.open(QIODevice::WriteOnly));
    conf.write("[www]\nuser = www-data\nlisten = /run/php/php8.2-fpm.sock\npm.max_children = 5\n");
    conf.close();
    SlowLogView view;
    view.setScanRoots(dir.filePath(QStringLiteral("etc")), dir.filePath(QStringLiteral("run")));
    view.setPool({}, QStringLiteral("unix:/run/php/php8.2-fpm.sock"));
    const QString text = view.statusText();
    QVERIFY2(text.contains(QStringLiteral("request_slowlog_timeout = 5s")), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("slowlog = /var/log/php8.2-fpm.slow.log")));
    QVERIFY(text.contains(conf.fileName()));
    QVERIFY(text.contains(QStringLiteral("sudo systemctl reload php8.2-fpm")));
    // An address no config names: said so, with the same two lines.
    view.setPool({}, QStringLiteral("tcp:10.0.0.5:9000"));
    QVERIFY(view.statusText().contains(QStringLiteral("No pool config")));
}

QTEST_MAIN(TestFpmPanel)
#include "tst_fpmpanel.moc"
