#include "fakephpbackend.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

namespace {

// Callbacks in the order they arrive.
struct Results {
    QList<PhpResponse> responses;
    QList<QByteArray> order; // request bodies
    bool calledInsideSubmit = false;
};

PhpRequest request(const QByteArray &body, const QByteArray &owner = {}) {
    PhpRequest r;
    r.params = {{"WS_EVENT", "message"}};
    r.body = body;
    r.owner = owner;
    return r;
}

PhpBackend::Ticket submit(FakePhpBackend &backend, Results &results, PhpRequest r) {
    bool inside = true;
    const QByteArray body = r.body;
    const auto ticket =
        backend.submit(std::move(r), [&results, &inside, body](const PhpResponse &response) {
            if (inside)
                results.calledInsideSubmit = true;
            results.responses.append(response);
            results.order.append(body);
        });
    inside = false;
    return ticket;
}

} // namespace

class TestFakePhpBackend : public QObject {
    Q_OBJECT
private slots:
    void defaultEchoesTheBody();
    void scriptSeesBaseAndOwnParams();
    void failure();
    void delay();
    void heldUntilReleased();
    void maxConcurrentTakesOwnersInTurn();
    void cancel();
};

void TestFakePhpBackend::defaultEchoesTheBody() {
    FakePhpBackend backend;
    QSignalSpy submitted(&backend, &FakePhpBackend::submitted);
    Results results;
    const auto ticket = submit(backend, results, request("hello"));
    QCOMPARE(ticket, PhpBackend::Ticket(1));
    QCOMPARE(submitted.count(), 1);
    QCOMPARE(submitted[0][0].value<PhpRequest>().body, QByteArray("hello"));
    QCOMPARE(results.responses.size(), 0);
    QCOMPARE(backend.inFlightCount(), 1);
    QTRY_COMPARE(results.responses.size(), 1);
    QVERIFY(!results.calledInsideSubmit);
    const PhpResponse &r = results.responses[0];
    QCOMPARE(r.outcome, PhpOutcome::Ok);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.contentType, QByteArray("text/plain"));
    QCOMPARE(r.header("content-type"), QByteArray("text/plain"));
    QCOMPARE(r.body, QByteArray("hello"));
    QCOMPARE(backend.submittedCount(), 1);
    QCOMPARE(backend.inFlightCount(), 0);
    QCOMPARE(backend.records().size(), 1);
    QCOMPARE(backend.records()[0].ticket, ticket);
    QVERIFY(backend.records()[0].answered);
    QVERIFY(!backend.records()[0].cancelled);
}

void TestFakePhpBackend::scriptSeesBaseAndOwnParams() {
    FakePhpBackend backend;
    backend.setScript([](const PhpRequest &r) {
        return FakePhpBackend::reply(201, FakePhpBackend::param(r, "HTTP_COOKIE"),
                                     {{"X-WS-User", FakePhpBackend::param(r, "WS_EVENT")}},
                                     "application/octet-stream");
    });
    auto base = std::make_shared<PhpParamBlock>();
    base->params = {{"HTTP_COOKIE", "sid=1"}, {"WS_EVENT", "from base"}};
    PhpRequest r = request("x");
    r.base = base;
    QCOMPARE(FakePhpBackend::param(r, "WS_EVENT"), QByteArray("from base")); // base's come first
    QVERIFY(FakePhpBackend::param(r, "MISSING").isNull());
    Results results;
    submit(backend, results, r);
    QTRY_COMPARE(results.responses.size(), 1);
    const PhpResponse &reply = results.responses[0];
    QCOMPARE(reply.status, 201);
    QCOMPARE(reply.body, QByteArray("sid=1"));
    QCOMPARE(reply.contentType, QByteArray("application/octet-stream"));
    QCOMPARE(reply.headers,
             (PhpParams{{"Content-Type", "application/octet-stream"}, {"X-WS-User", "from base"}}));
    QCOMPARE(backend.records()[0].request.base, std::shared_ptr<const PhpParamBlock>(base));
}

void TestFakePhpBackend::failure() {
    FakePhpBackend backend;
    backend.setScript([](const PhpRequest &) {
        return FakePhpBackend::failure(PhpOutcome::Timeout, QStringLiteral("deadline"));
    });
    Results results;
    submit(backend, results, request("x"));
    QTRY_COMPARE(results.responses.size(), 1);
    QCOMPARE(results.responses[0].outcome, PhpOutcome::Timeout);
    QCOMPARE(results.responses[0].error, QStringLiteral("deadline"));
    QVERIFY(results.responses[0].body.isEmpty());
}

void TestFakePhpBackend::delay() {
    FakePhpBackend backend;
    backend.setDelayMs(200);
    Results results;
    QElapsedTimer elapsed;
    elapsed.start();
    submit(backend, results, request("slow"));
    QTRY_COMPARE(results.responses.size(), 1);
    QVERIFY(elapsed.elapsed() >= 200);
}

void TestFakePhpBackend::heldUntilReleased() {
    FakePhpBackend backend;
    backend.setHeld(true);
    Results results;
    for (const QByteArray &body : {QByteArray("1"), QByteArray("2"), QByteArray("3")})
        submit(backend, results, request(body));
    QTRY_COMPARE(backend.heldCount(), 3);
    QCoreApplication::processEvents();
    QCOMPARE(results.responses.size(), 0);
    QCOMPARE(backend.inFlightCount(), 3);
    QCOMPARE(backend.release(2), 2);
    QCOMPARE(results.order, (QList<QByteArray>{"1", "2"})); // at once, oldest first
    QCOMPARE(backend.inFlightCount(), 1);
    backend.setHeld(false);
    QCOMPARE(backend.heldCount(), 1); // not released by that
    submit(backend, results, request("4"));
    QTRY_COMPARE(results.responses.size(), 3);
    QCOMPARE(results.order.last(), QByteArray("4"));
    QCOMPARE(backend.release(), 1);
    QCOMPARE(results.order, (QList<QByteArray>{"1", "2", "4", "3"}));
    QCOMPARE(backend.release(), 0);
    QCOMPARE(backend.inFlightCount(), 0);
}

void TestFakePhpBackend::maxConcurrentTakesOwnersInTurn() {
    FakePhpBackend backend;
    backend.setMaxConcurrent(1);
    backend.setHeld(true);
    Results results;
    for (int i = 1; i <= 3; ++i)
        submit(backend, results, request("A" + QByteArray::number(i), "A"));
    submit(backend, results, request("B1", "B"));
    QCOMPARE(backend.inFlightCount(), 1);
    PhpBackendStats s = backend.stats();
    QCOMPARE(s.busy, 1);
    QCOMPARE(s.queued, 3);
    QCOMPARE(s.queuedBytes, qint64(6));
    QCOMPARE(s.queuedOwners, 2);
    QCOMPARE(s.maxConnections, 1);
    for (int i = 0; i < 4; ++i) {
        QTRY_COMPARE(backend.heldCount(), 1);
        QCOMPARE(backend.release(), 1);
    }
    QCOMPARE(results.order, (QList<QByteArray>{"A1", "B1", "A2", "A3"}));
    QCOMPARE(backend.stats().queued, 0);
}

void TestFakePhpBackend::cancel() {
    FakePhpBackend backend;
    backend.setMaxConcurrent(1);
    Results results;
    const auto running = submit(backend, results, request("running"));
    const auto queued = submit(backend, results, request("queued"));
    submit(backend, results, request("later"));
    QVERIFY(!backend.cancel(running)); // with "PHP" already
    QVERIFY(backend.cancel(queued));
    QVERIFY(!backend.cancel(queued));
    QVERIFY(!backend.cancel(99));
    QCOMPARE(backend.cancelledCount(), 1);
    QVERIFY(backend.records()[1].cancelled);
    QTRY_COMPARE(results.responses.size(), 2);
    QCOMPARE(results.order, (QList<QByteArray>{"running", "later"}));
    QVERIFY(!backend.records()[1].answered);
    QVERIFY(backend.records()[2].answered);
    QVERIFY(!backend.cancel(running)); // done
}

QTEST_GUILESS_MAIN(TestFakePhpBackend)
#include "tst_fakephpbackend.moc"
