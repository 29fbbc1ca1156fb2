// FastCgiPool's queue against the fake FastCGI server: turns between owners, cancel, limits.
#include "fakefastcgiserver.h"
#include "fastcgi/fastcgipool.h"

#include <QSignalSpy>
#include <QTest>

using Behaviour = FakeFastCgiServer::Behaviour;

namespace {

// Callbacks in the order they arrive, by the body of their request.
struct Results {
    QList<QByteArray> order;
    QList<PhpResponse> responses;
};

PhpRequest request(const QByteArray &body, const QByteArray &owner = {}) {
    PhpRequest r;
    r.params = {{"REQUEST_METHOD", "POST"},
                {"SCRIPT_FILENAME", "/srv/handler.php"},
                {"CONTENT_LENGTH", QByteArray::number(body.size())}};
    r.body = body;
    r.owner = owner;
    return r;
}

PhpBackend::Ticket submit(FastCgiPool &pool, Results &results, const QByteArray &body,
                          const QByteArray &owner = {}) {
    return pool.submit(request(body, owner), [&results, body](const PhpResponse &response) {
        results.order.append(body);
        results.responses.append(response);
    });
}

FastCgiPoolOptions optionsFor(const FakeFastCgiServer &server, int connections) {
    FastCgiPoolOptions o;
    o.address = *FastCgiAddress::parse(server.address(), nullptr);
    o.maxConnections = connections;
    o.readTimeoutMs = 60000;
    return o;
}

} // namespace

class TestFastCgiPoolQueue : public QObject {
    Q_OBJECT
private slots:
    void ownersTakeTurns_data();
    void ownersTakeTurns();
    void cancelQueued();
    void cancelRunningOrDone();
    void statsCountQueuedBytesAndOwners();
    void queuedBytesLimit_data();
    void queuedBytesLimit();
    void bodyOverTheByteLimitRunsOnAFreeConnection();
};

void TestFastCgiPoolQueue::ownersTakeTurns_data() {
    // Submitted in this order, all at once, to a pool of one connection; "-" is no owner.
    QTest::addColumn<QStringList>("owners");
    QTest::addColumn<QStringList>("expected"); // order PHP sees them in
    QTest::newRow("A queues 5, then B 1: B's is second, not sixth")
        << QStringList{"A", "A", "A", "A", "A", "B"}
        << QStringList{"A1", "B1", "A2", "A3", "A4", "A5"};
    QTest::newRow("three owners, one turn each per round")
        << QStringList{"A", "A", "A", "B", "B", "B", "C"}
        << QStringList{"A1", "B1", "C1", "A2", "B2", "A3", "B3"};
    QTest::newRow("requests without an owner each take a turn of their own")
        << QStringList{"A", "A", "A", "-", "-"} << QStringList{"A1", "-1", "-2", "A2", "A3"};
    QTest::newRow("interleaved owners")
        << QStringList{"A", "B", "A", "B"} << QStringList{"A1", "B1", "A2", "B2"};
    QTest::newRow("one owner alone keeps its order")
        << QStringList{"A", "A", "A", "A"} << QStringList{"A1", "A2", "A3", "A4"};
    QTest::newRow("no owners at all: first come, first served")
        << QStringList{"-", "-", "-"} << QStringList{"-1", "-2", "-3"};
}

void TestFastCgiPoolQueue::ownersTakeTurns() {
    QFETCH(QStringList, owners);
    QFETCH(QStringList, expected);
    FakeFastCgiServer server;
    QVERIFY(server.listen());
    FastCgiPool pool(optionsFor(server, 1));
    Results results;
    QHash<QString, int> counts;
    for (const QString &owner : owners) {
        const QByteArray body = owner.toLatin1() + QByteArray::number(++counts[owner]);
        submit(pool, results, body, owner == QLatin1String("-") ? QByteArray() : owner.toLatin1());
    }
    QTRY_COMPARE(results.order.size(), owners.size());
    QList<QByteArray> want;
    for (const QString &e : expected)
        want.append(e.toLatin1());
    QCOMPARE(server.bodies(), want);
    QCOMPARE(results.order, want);
    QCOMPARE(server.connectionsAccepted(), 1);
}

void TestFastCgiPoolQueue::cancelQueued() {
    FakeFastCgiServer server;
    QVERIFY(server.listen());
    server.setReplyDelayMs(50);
    FastCgiPool pool(optionsFor(server, 1));
    Results results;
    submit(pool, results, "running", "A");
    const auto queued = submit(pool, results, "cancelled", "B");
    submit(pool, results, "later", "C");
    QCOMPARE(pool.stats().queued, 2);
    QVERIFY(pool.cancel(queued));
    QCOMPARE(pool.stats().queued, 1);
    QCOMPARE(pool.stats().queuedBytes, qint64(5));
    QCOMPARE(pool.stats().queuedOwners, 1);
    QVERIFY(!pool.cancel(queued)); // gone already
    QTRY_COMPARE(results.order.size(), 2);
    // "later" ran after "running": had the cancelled one run, it would have come between.
    QCOMPARE(results.order, (QList<QByteArray>{"running", "later"}));
    QCOMPARE(server.bodies(), (QList<QByteArray>{"running", "later"}));
    for (const PhpResponse &r : results.responses)
        QCOMPARE(r.outcome, PhpOutcome::Ok);
    QCOMPARE(pool.stats().queued, 0);
}

void TestFastCgiPoolQueue::cancelRunningOrDone() {
    FakeFastCgiServer server;
    QVERIFY(server.listen());
    FastCgiPool pool(optionsFor(server, 1));
    Results results;
    const auto running = submit(pool, results, "running");
    QCOMPARE(pool.stats().busy, 1);
    QVERIFY(!pool.cancel(running)); // on a connection: it may already be with PHP
    QVERIFY(!pool.cancel(running + 100));
    QVERIFY(!pool.cancel(0));
    QTRY_COMPARE(results.order.size(), 1);
    QCOMPARE(results.responses[0].outcome, PhpOutcome::Ok);
    QCOMPARE(results.responses[0].body, QByteArray("running"));
    QVERIFY(!pool.cancel(running)); // done
    QCOMPARE(server.requestsReceived(), 1);
}

void TestFastCgiPoolQueue::statsCountQueuedBytesAndOwners() {
    FakeFastCgiServer server;
    QVERIFY(server.listen());
    server.setDefaultBehaviour(Behaviour::Stall);
    FastCgiPool pool(optionsFor(server, 1));
    Results results;
    submit(pool, results, "running", "A");
    submit(pool, results, "a2", "A");
    submit(pool, results, "a3", "A");
    const auto b = submit(pool, results, "bbbb", "B");
    submit(pool, results, "n1");
    submit(pool, results, "n22");
    PhpBackendStats s = pool.stats();
    QCOMPARE(s.busy, 1);
    QCOMPARE(s.queued, 5);
    QCOMPARE(s.queuedBytes, qint64(2 + 2 + 4 + 2 + 3));
    QCOMPARE(s.queuedOwners, 4); // A, B and two without an owner
    QVERIFY(pool.cancel(b));
    s = pool.stats();
    QCOMPARE(s.queued, 4);
    QCOMPARE(s.queuedBytes, qint64(2 + 2 + 2 + 3));
    QCOMPARE(s.queuedOwners, 3);
    QCOMPARE(results.order.size(), 0);
}

void TestFastCgiPoolQueue::queuedBytesLimit_data() {
    QTest::addColumn<QList<int>>("queuedBodies"); // behind one running request
    QTest::addColumn<QList<bool>>("accepted");
    QTest::newRow("exactly the limit") << QList<int>{600, 400} << QList<bool>{true, true};
    QTest::newRow("one byte over the limit") << QList<int>{600, 401} << QList<bool>{true, false};
    QTest::newRow("one body over the limit alone") << QList<int>{1001} << QList<bool>{false};
    QTest::newRow("room again after a refusal")
        << QList<int>{900, 200, 100} << QList<bool>{true, false, true};
}

void TestFastCgiPoolQueue::queuedBytesLimit() {
    QFETCH(QList<int>, queuedBodies);
    QFETCH(QList<bool>, accepted);
    FakeFastCgiServer server;
    QVERIFY(server.listen());
    server.setDefaultBehaviour(Behaviour::Stall);
    FastCgiPoolOptions options = optionsFor(server, 1);
    options.maxQueuedBytes = 1000;
    FastCgiPool pool(options);
    Results results;
    submit(pool, results, "running");
    qint64 expectedBytes = 0;
    int refused = 0;
    for (int i = 0; i < queuedBodies.size(); ++i) {
        submit(pool, results, QByteArray(queuedBodies[i], char('a' + i)));
        if (accepted[i])
            expectedBytes += queuedBodies[i];
        else
            ++refused;
    }
    QCOMPARE(results.order.size(), 0); // refusals too come later, never inside submit()
    QTRY_COMPARE(results.order.size(), refused);
    for (const PhpResponse &r : results.responses) {
        QCOMPARE(r.outcome, PhpOutcome::Overloaded);
        QVERIFY2(r.error.contains(QLatin1String("queue full")), qPrintable(r.error));
        QVERIFY2(r.error.contains(QLatin1String("over the 1000-byte limit")), qPrintable(r.error));
    }
    for (int i = 0, r = 0; i < queuedBodies.size(); ++i) {
        if (!accepted[i])
            QCOMPARE(results.order[r++].size(), queuedBodies[i]);
    }
    QCOMPARE(pool.stats().queuedBytes, expectedBytes);
    QCOMPARE(pool.stats().queued, int(queuedBodies.size()) - refused);
}

void TestFastCgiPoolQueue::bodyOverTheByteLimitRunsOnAFreeConnection() {
    // The limit bounds what waits, not what PHP may be sent.
    FakeFastCgiServer server;
    QVERIFY(server.listen());
    FastCgiPoolOptions options = optionsFor(server, 1);
    options.maxQueuedBytes = 10;
    FastCgiPool pool(options);
    Results results;
    submit(pool, results, QByteArray(100, 'x'));
    QTRY_COMPARE(results.order.size(), 1);
    QCOMPARE(results.responses[0].outcome, PhpOutcome::Ok);
    QCOMPARE(results.responses[0].body, QByteArray(100, 'x'));
}

QTEST_GUILESS_MAIN(TestFastCgiPoolQueue)
#include "tst_fastcgipoolqueue.moc"
