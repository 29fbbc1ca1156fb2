#include "fastcgi/fastcgipool.h"
#include "fpm/fpmpoller.h"
#include "phpfpmfixture.h"
#include "testmain.h"

#include <QFile>
#include <QSignalSpy>
#include <QTimer>
#include <QtTest>

#include <memory>

using namespace std::chrono_literals;

namespace {
constexpr auto FastInterval = 50ms;
constexpr int WaitMs = 10000;

/// Answers status and ping requests with canned replies, in order, and records the params.
class FakeFpmBackend final : public PhpBackend {
public:
    using PhpBackend::PhpBackend;

    Ticket submit(PhpRequest request, Callback done) override {
        requests.append(request.params);
        QByteArray script;
        for (const auto &p : request.params) {
            if (p.first == "SCRIPT_NAME")
                script = p.second;
        }
        PhpResponse r;
        if (script == "/fpm-ping") {
            r.body = "pong";
        } else if (!statusReplies.isEmpty()) {
            r = statusReplies.size() > 1 ? statusReplies.takeFirst() : statusReplies.first();
        }
        QTimer::singleShot(0, this, [this, done, r] {
            done(r);
            ++answered;
        });
        return ++m_lastTicket;
    }
    bool cancel(Ticket) override { return false; }
    PhpBackendStats stats() const override { return {}; }

    QList<QList<QPair<QByteArray, QByteArray>>> requests;
    QList<PhpResponse> statusReplies;
    int answered = 0; // callbacks that returned

private:
    Ticket m_lastTicket = 0;
};

PhpResponse statusReply(qint64 maxChildrenReached, qint64 listenQueue, qint64 slow,
                        const QString &processManager = QStringLiteral("static")) {
    PhpResponse r;
    r.contentType = "application/json";
    r.body = QStringLiteral("{\"pool\":\"www\",\"process manager\":\"%4\",\"start time\":1,"
                            "\"start since\":2,\"accepted conn\":10,\"listen queue\":%2,"
                            "\"max listen queue\":0,\"listen queue len\":128,"
                            "\"idle processes\":1,\"active processes\":3,\"total processes\":4,"
                            "\"max active processes\":4,\"max children reached\":%1,"
                            "\"slow requests\":%3, \"processes\":[]}")
                 .arg(maxChildrenReached)
                 .arg(listenQueue)
                 .arg(slow)
                 .arg(processManager)
                 .toUtf8();
    return r;
}

QByteArray param(const QList<QPair<QByteArray, QByteArray>> &params, const QByteArray &name) {
    for (const auto &p : params) {
        if (p.first == name)
            return p.second;
    }
    return {};
}

QStringList codes(const QList<FpmPoller::Warning> &warnings) {
    QStringList out;
    for (const auto &w : warnings)
        out << w.code;
    return out;
}

std::unique_ptr<FastCgiPool> poolFor(const QString &address) {
    QString error;
    const auto parsed = FastCgiAddress::parse(address, &error);
    if (!parsed)
        qFatal("bad address %s: %s", qPrintable(address), qPrintable(error));
    FastCgiPoolOptions options;
    options.address = *parsed;
    options.maxConnections = 1;
    options.keepAlive = false; // a kept-alive poll connection would pin one FPM worker
    return std::make_unique<FastCgiPool>(options);
}

// FPM's own page through the same client, to compare the poller's numbers with.
std::optional<FpmStatus> fetchStatus(PhpBackend &backend, const QString &query) {
    std::optional<FpmStatus> result;
    bool done = false;
    PhpRequest request;
    request.params = FpmPoller::getParams(QStringLiteral("/fpm-status"), query);
    backend.submit(std::move(request), [&](const PhpResponse &r) {
        result = FpmStatus::parse(r.body);
        done = true;
    });
    if (!QTest::qWaitFor([&] { return done; }, WaitMs))
        return std::nullopt;
    return result;
}
} // namespace

class TestFpmPoller final : public QObject {
    Q_OBJECT

private slots:
    void sendsStatusAndPingRequests();
    void warnings_data();
    void warnings();
    void updatedIsCoalesced();
    void historyIsBounded();
    void live_data();
    void live();
    void notEnabled();
    void unreachable();
};

void TestFpmPoller::sendsStatusAndPingRequests() {
    FakeFpmBackend backend;
    backend.statusReplies = {statusReply(0, 0, 0)};
    FpmPoller poller(&backend);
    QSignalSpy updated(&poller, &FpmPoller::updated);
    poller.pollNow();
    QTRY_COMPARE(backend.requests.size(), 2);
    const auto status = backend.requests.at(0);
    QCOMPARE(param(status, "REQUEST_METHOD"), QByteArray("GET"));
    QCOMPARE(param(status, "SCRIPT_NAME"), QByteArray("/fpm-status"));
    QCOMPARE(param(status, "SCRIPT_FILENAME"), QByteArray("/fpm-status"));
    QCOMPARE(param(status, "QUERY_STRING"), QByteArray("json&full"));
    QCOMPARE(param(status, "REQUEST_URI"), QByteArray("/fpm-status?json&full"));
    QCOMPARE(param(status, "GATEWAY_INTERFACE"), QByteArray("CGI/1.1"));
    QCOMPARE(param(backend.requests.at(1), "SCRIPT_NAME"), QByteArray("/fpm-ping"));
    QTRY_VERIFY(poller.pingOk().has_value());
    QCOMPARE(poller.pingOk().value(), true);
    QCOMPARE(poller.state(), FpmPoller::State::Ok);
    QCOMPARE(poller.lastStatus()->pool, QStringLiteral("www"));
    QTRY_VERIFY(updated.size() >= 1);
}

void TestFpmPoller::warnings_data() {
    QTest::addColumn<QList<int>>("maxChildren"); // one status reply per poll
    QTest::addColumn<QList<int>>("listenQueue");
    QTest::addColumn<QList<int>>("slow");
    QTest::addColumn<int>("gatewayPool");
    QTest::addColumn<QStringList>("expected");
    QTest::addColumn<QString>("processManager");

    QTest::newRow("quiet pool") << QList<int>{0, 0} << QList<int>{0, 0} << QList<int>{0, 0} << 1
                                << QStringList{} << QStringLiteral("static");
    QTest::newRow("max children reached once long ago is no rise")
        << QList<int>{5, 5} << QList<int>{0, 0} << QList<int>{0, 0} << 1 << QStringList{}
        << QStringLiteral("static");
    QTest::newRow("max children rising")
        << QList<int>{5, 6} << QList<int>{0, 0} << QList<int>{0, 0} << 1
        << QStringList{"max_children_reached"} << QStringLiteral("static");
    QTest::newRow("counter reset by fpm restart")
        << QList<int>{5, 0} << QList<int>{0, 0} << QList<int>{0, 0} << 1 << QStringList{}
        << QStringLiteral("static");
    QTest::newRow("listen queue") << QList<int>{0, 0} << QList<int>{0, 2} << QList<int>{0, 0} << 1
                                  << QStringList{"listen_queue"} << QStringLiteral("static");
    QTest::newRow("slow requests rising")
        << QList<int>{0, 0} << QList<int>{0, 0} << QList<int>{1, 3} << 1
        << QStringList{"slow_requests"} << QStringLiteral("static");
    QTest::newRow("gateway pool at 75% of workers")
        << QList<int>{0, 0} << QList<int>{0, 0} << QList<int>{0, 0} << 3
        << QStringList{"gateway_pins_workers"} << QStringLiteral("static");
    QTest::newRow("gateway pool below 75%")
        << QList<int>{0, 0} << QList<int>{0, 0} << QList<int>{0, 0} << 2 << QStringList{}
        << QStringLiteral("static");
    QTest::newRow("everything") << QList<int>{0, 1} << QList<int>{0, 1} << QList<int>{0, 1} << 4
                                << QStringList{"max_children_reached", "listen_queue",
                                               "slow_requests", "gateway_pins_workers"}
                                << QStringLiteral("static");
    // A dynamic pool's total is today's workers, not its limit: no warning until it hits it.
    QTest::newRow("dynamic pool still growing")
        << QList<int>{0, 0} << QList<int>{0, 0} << QList<int>{0, 0} << 4 << QStringList{}
        << QStringLiteral("dynamic");
    QTest::newRow("dynamic pool at its limit")
        << QList<int>{0, 1} << QList<int>{0, 0} << QList<int>{0, 0} << 4
        << QStringList{"max_children_reached", "gateway_pins_workers"} << QStringLiteral("dynamic");
}

void TestFpmPoller::warnings() {
    QFETCH(QList<int>, maxChildren);
    QFETCH(QList<int>, listenQueue);
    QFETCH(QList<int>, slow);
    QFETCH(int, gatewayPool);
    QFETCH(QStringList, expected);
    QFETCH(QString, processManager);

    FakeFpmBackend backend;
    for (int i = 0; i < maxChildren.size(); ++i)
        backend.statusReplies << statusReply(maxChildren.at(i), listenQueue.at(i), slow.at(i),
                                             processManager);
    FpmPoller poller(&backend);
    poller.setGatewayPoolSize(gatewayPool);
    for (int i = 0; i < maxChildren.size(); ++i) {
        const int before = backend.answered;
        poller.pollNow();
        QTRY_COMPARE(backend.answered, before + 2); // status, then ping
    }
    QTRY_COMPARE(poller.history().size(), maxChildren.size());
    QCOMPARE(codes(poller.warnings()), expected);
    for (const auto &w : poller.warnings())
        QVERIFY(!w.message.isEmpty());

    QByteArray metrics;
    poller.appendMetrics(metrics);
    for (const QString &code :
         {QStringLiteral("max_children_reached"), QStringLiteral("listen_queue"),
          QStringLiteral("slow_requests"), QStringLiteral("gateway_pins_workers")}) {
        const QByteArray line = "wsgate_fpm_warning{code=\"" + code.toUtf8() + "\"} " +
                                (expected.contains(code) ? "1" : "0") + "\n";
        QVERIFY2(metrics.contains(line), line.constData());
    }
}

void TestFpmPoller::updatedIsCoalesced() {
    FakeFpmBackend backend;
    backend.statusReplies = {statusReply(0, 0, 0)};
    FpmPoller poller(&backend);
    QSignalSpy updated(&poller, &FpmPoller::updated);
    QSignalSpy stateChanged(&poller, &FpmPoller::stateChanged);
    // Three changes in one event-loop turn: one notice.
    poller.setGatewayPoolSize(1);
    poller.setGatewayPoolSize(2);
    poller.setGatewayPoolSize(3);
    QCOMPARE(updated.size(), 0);
    QTRY_COMPARE(updated.size(), 1);
    QCoreApplication::processEvents(); // a second notice would be queued by now
    QCOMPARE(updated.size(), 1);
    QCOMPARE(stateChanged.size(), 0);
    poller.pollNow();
    QTRY_COMPARE(stateChanged.size(), 1);
    QCOMPARE(stateChanged.at(0).at(0).value<FpmPoller::State>(), FpmPoller::State::Ok);
}

void TestFpmPoller::historyIsBounded() {
    FakeFpmBackend backend;
    backend.statusReplies = {statusReply(0, 0, 0)};
    FpmPoller poller(&backend);
    poller.setHistoryCapacity(3);
    for (int i = 0; i < 5; ++i) {
        const int before = backend.answered;
        poller.pollNow();
        QTRY_COMPARE(backend.answered, before + 2);
    }
    const auto history = poller.history();
    QCOMPARE(history.size(), 3);
    QVERIFY(history.first().timeMs <= history.last().timeMs);
    QCOMPARE(history.last().total, 4);
    QCOMPARE(history.last().active, 3);
    QCOMPARE(history.last().acceptedConn, 10);
}

void TestFpmPoller::live_data() {
    QTest::addColumn<bool>("tcp");
    QTest::addColumn<int>("children");
    QTest::newRow("unix socket, 3 static workers") << false << 3;
    QTest::newRow("tcp, 2 static workers") << true << 2;
}

void TestFpmPoller::live() {
    QFETCH(bool, tcp);
    QFETCH(int, children);
    PhpFpmFixture::Options options;
    options.tcp = tcp;
    options.maxChildren = children;
    PhpFpmFixture fpm(options);
    WSGATE_START_PHP_FPM(fpm);

    auto pool = poolFor(fpm.fastcgiAddress());
    FpmPoller poller(pool.get());
    poller.setInterval(FastInterval);
    poller.setGatewayPoolSize(1);
    QSignalSpy updated(&poller, &FpmPoller::updated);
    poller.start();
    QTRY_COMPARE_WITH_TIMEOUT(poller.state(), FpmPoller::State::Ok, WaitMs);
    QVERIFY2(poller.lastError().isEmpty(), qPrintable(poller.lastError()));

    const FpmStatus first = *poller.lastStatus();
    QCOMPARE(first.pool, QStringLiteral("wsgate-test"));
    QCOMPARE(first.processManager, QStringLiteral("static"));
    QCOMPARE(first.totalProcesses, children);
    QCOMPARE(first.idleProcesses + first.activeProcesses, first.totalProcesses);
    QVERIFY(first.activeProcesses >= 1); // the worker serving the status page itself
    QVERIFY(first.hasProcesses);
    QCOMPARE(first.processes.size(), children);
    QCOMPARE(poller.lastQuality(), FpmStatus::Quality::Exact);

    // Every poll is two FastCGI requests (status, ping): FPM's counter must move.
    QTRY_VERIFY_WITH_TIMEOUT(
        poller.lastStatus() && poller.lastStatus()->acceptedConn >= first.acceptedConn + 2, WaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(poller.pingOk().value_or(false), true, WaitMs);
    QVERIFY(poller.history().size() >= 2);
    QVERIFY(updated.size() >= 1);

    poller.stop();
    const FpmStatus mine = *poller.lastStatus();
    const auto own = fetchStatus(*pool, QStringLiteral("json"));
    QVERIFY(own);
    QCOMPARE(own->pool, mine.pool);
    QCOMPARE(own->processManager, mine.processManager);
    QCOMPARE(own->totalProcesses, mine.totalProcesses);
    QCOMPARE(own->startTime, mine.startTime);
    QVERIFY(own->acceptedConn > mine.acceptedConn);
    QVERIFY(!own->hasProcesses);
    const auto text = fetchStatus(*pool, QStringLiteral("full"));
    QVERIFY(text);
    QCOMPARE(text->totalProcesses, mine.totalProcesses);
    QCOMPARE(text->startTime, mine.startTime);
    QCOMPARE(text->processes.size(), children);

    QByteArray metrics;
    poller.appendMetrics(metrics);
    QVERIFY(metrics.contains("wsgate_fpm_up 1\n"));
    QVERIFY2(metrics.contains("wsgate_fpm_total_processes{pool=\"wsgate-test\"} " +
                              QByteArray::number(children) + "\n"),
             metrics.constData());
    QVERIFY(metrics.contains("# TYPE wsgate_fpm_accepted_connections_total counter\n"));
}

void TestFpmPoller::notEnabled() {
    PhpFpmFixture::Options options;
    options.statusPage = false;
    options.maxChildren = 2;
    PhpFpmFixture fpm(options);
    WSGATE_START_PHP_FPM(fpm);

    auto pool = poolFor(fpm.fastcgiAddress());
    FpmPoller poller(pool.get());
    poller.setInterval(FastInterval);
    QSignalSpy stateChanged(&poller, &FpmPoller::stateChanged);
    poller.start();
    QTRY_COMPARE_WITH_TIMEOUT(poller.state(), FpmPoller::State::NotEnabled, WaitMs);
    QCOMPARE(stateChanged.size(), 1);
    QVERIFY(!poller.lastStatus());
    for (const QString &line : FpmPoller::enableConfigLines())
        QVERIFY2(poller.lastError().contains(line), qPrintable(poller.lastError()));
    QCOMPARE(FpmPoller::enableConfigLines(),
             QStringList({"pm.status_path = /fpm-status", "ping.path = /fpm-ping"}));
    QTRY_COMPARE_WITH_TIMEOUT(poller.pingOk().value_or(true), false, WaitMs);
    QByteArray metrics;
    poller.appendMetrics(metrics);
    QVERIFY(metrics.contains("wsgate_fpm_up 0\n"));
    QVERIFY(!metrics.contains("wsgate_fpm_total_processes"));
}

void TestFpmPoller::unreachable() {
    QTemporaryDir dir;
    auto pool = poolFor(QStringLiteral("unix:") + dir.filePath(QStringLiteral("none.sock")));
    FpmPoller poller(pool.get());
    poller.setInterval(FastInterval);
    poller.start();
    QTRY_COMPARE_WITH_TIMEOUT(poller.state(), FpmPoller::State::Unreachable, WaitMs);
    QVERIFY(poller.lastError().startsWith(QLatin1String("php_unavailable")));
    QVERIFY(!poller.lastStatus());
    QVERIFY(poller.warnings().isEmpty());
}

WSGATE_TEST_MAIN(TestFpmPoller)
#include "tst_fpmpoller.moc"
