#include "fakefastcgiserver.h"
#include "fastcgi/fastcgipool.h"
#include "testmain.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using Behaviour = FakeFastCgiServer::Behaviour;
Q_DECLARE_METATYPE(PhpOutcome)

namespace {

// Collects callbacks in the order they arrive.
struct Results {
    QList<PhpResponse> responses;
    QList<int> order;
    bool calledInsideSubmit = false;
};

PhpRequest request(const QByteArray &body) {
    PhpRequest r;
    r.params = {{"REQUEST_METHOD", "POST"},
                {"SCRIPT_FILENAME", "/srv/handler.php"},
                {"CONTENT_LENGTH", QByteArray::number(body.size())},
                {"WS_EVENT", "message"}};
    r.body = body;
    return r;
}

void submit(FastCgiPool &pool, Results &results, const QByteArray &body, int tag = 0) {
    bool inside = true;
    pool.submit(request(body), [&results, &inside, tag](const PhpResponse &response) {
        if (inside)
            results.calledInsideSubmit = true;
        results.responses.append(response);
        results.order.append(tag);
    });
    inside = false;
}

FastCgiPoolOptions optionsFor(const QString &address) {
    FastCgiPoolOptions o;
    QString error;
    const auto parsed = FastCgiAddress::parse(address, &error);
    Q_ASSERT(parsed);
    o.address = *parsed;
    o.readTimeoutMs = 5000;
    return o;
}

} // namespace

class TestFastCgiPool : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void replyIsParsedIntoTheResponse();
    void faults_data();
    void faults();
    void unavailable_data();
    void unavailable();
    void queueFullIsOverloaded();
    void maxConnectionsUnderConcurrentSubmits();
    void fifoOrder();
    void keptConnectionIsReused();
    void keepAliveOff();
    void idleConnectionClosedAfterTimeout();
    void retryWhenKeptConnectionClosedWhileIdle_data();
    void retryWhenKeptConnectionClosedWhileIdle();
    void noRetryOnceBytesWereSent();
    void replyOverCap_data();
    void replyOverCap();
    void failureMidReplyReportsWhatCame_data();
    void failureMidReplyReportsWhatCame();
    void deadlineAndNoProgress_data();
    void deadlineAndNoProgress();
    void bigBodiesBothWays();
};

void TestFastCgiPool::initTestCase() {
    qRegisterMetaType<PhpOutcome>();
}

void TestFastCgiPool::replyIsParsedIntoTheResponse() {
    FakeFastCgiServer server;
    QVERIFY(server.listen());
    FastCgiPool pool(optionsFor(server.address()));
    QSignalSpy errors(&pool, &FastCgiPool::connectionError);
    Results results;
    submit(pool, results, "hello");
    QCOMPARE(results.responses.size(), 0);
    QTRY_COMPARE(results.responses.size(), 1);
    QVERIFY(!results.calledInsideSubmit);
    const PhpResponse &r = results.responses[0];
    QCOMPARE(r.outcome, PhpOutcome::Ok);
    QVERIFY(r.error.isEmpty());
    QCOMPARE(r.status, 200);
    QCOMPARE(r.reason, QByteArray("OK"));
    QCOMPARE(r.contentType, QByteArray("text/plain"));
    QCOMPARE(r.header("x-request-number"), QByteArray("1"));
    QCOMPARE(r.headers.size(), 2);
    QCOMPARE(r.body, QByteArray("hello"));
    QVERIFY(r.stderrData.isEmpty());
    QCOMPARE(r.appStatus, quint32(0));
    QVERIFY(!r.bodyTruncated);
    QVERIFY(r.queueWaitUs >= 0);
    QVERIFY(r.phpUs > 0);
    QCOMPARE(errors.count(), 0);
    QCOMPARE(server.params().size(), 1);
    QCOMPARE(server.params()[0], request("hello").params);
    QCOMPARE(server.keepConnFlags(), QList<bool>{true});
    const PhpBackendStats s = pool.stats();
    QCOMPARE(s.connections, 1);
    QCOMPARE(s.idle, 1);
    QCOMPARE(s.busy, 0);
    QCOMPARE(s.queued, 0);
    QCOMPARE(s.maxConnections, 8);
}

void TestFastCgiPool::faults_data() {
    QTest::addColumn<Behaviour>("behaviour");
    QTest::addColumn<PhpOutcome>("outcome");
    // The one fault whose outcome depends on a race the client cannot see: whether its
    // request left before the server's close arrived (Unavailable) or not (BadResponse).
    QTest::addColumn<PhpOutcome>("alsoAccepted");
    QTest::addColumn<QString>("errorContains");

    QTest::newRow("garbage bytes") << Behaviour::Garbage << PhpOutcome::BadResponse
                                   << PhpOutcome::BadResponse << "malformed FastCGI record";
    QTest::newRow("truncated record then close")
        << Behaviour::TruncatedThenClose << PhpOutcome::BadResponse << PhpOutcome::BadResponse
        << "before END_REQUEST";
    QTest::newRow("stall forever: read timeout")
        << Behaviour::Stall << PhpOutcome::Timeout << PhpOutcome::Timeout << "read timeout";
    QTest::newRow("close right after accept") << Behaviour::CloseOnAccept << PhpOutcome::Unavailable
                                              << PhpOutcome::BadResponse << "connection lost";
    QTest::newRow("close after reading the request")
        << Behaviour::CloseAfterRequest << PhpOutcome::BadResponse << PhpOutcome::BadResponse
        << "before END_REQUEST";
    QTest::newRow("END_REQUEST OVERLOADED") << Behaviour::Overloaded << PhpOutcome::Overloaded
                                            << PhpOutcome::Overloaded << "OVERLOADED";
    QTest::newRow("unknown record type")
        << Behaviour::UnknownRecordType << PhpOutcome::BadResponse << PhpOutcome::BadResponse
        << "unexpected FastCGI record type 11";
    QTest::newRow("STDOUT not a CGI response")
        << Behaviour::MalformedCgi << PhpOutcome::BadResponse << PhpOutcome::BadResponse
        << "malformed CGI response";
    QTest::newRow("reply for another request id")
        << Behaviour::WrongRequestId << PhpOutcome::BadResponse << PhpOutcome::BadResponse
        << "request id 2";
    QTest::newRow("huge padding (255) on every record")
        << Behaviour::HugePadding << PhpOutcome::Ok << PhpOutcome::Ok << QString();
    QTest::newRow("1000 STDERR records interleaved")
        << Behaviour::ManyStderr << PhpOutcome::Ok << PhpOutcome::Ok << QString();
    QTest::newRow("reply in 1-byte writes")
        << Behaviour::OneByteWrites << PhpOutcome::Ok << PhpOutcome::Ok << QString();
}

void TestFastCgiPool::faults() {
    QFETCH(Behaviour, behaviour);
    QFETCH(PhpOutcome, outcome);
    QFETCH(PhpOutcome, alsoAccepted);
    QFETCH(QString, errorContains);

    FakeFastCgiServer server;
    QVERIFY(server.listen());
    server.script({behaviour});
    FastCgiPoolOptions options = optionsFor(server.address());
    options.readTimeoutMs = 300;
    FastCgiPool pool(options);
    QSignalSpy errors(&pool, &FastCgiPool::connectionError);
    Results results;
    const QByteArray body = QByteArray("payload ").repeated(1000);
    submit(pool, results, body);
    QTRY_COMPARE(results.responses.size(), 1);
    QVERIFY(!results.calledInsideSubmit);
    const PhpResponse first = results.responses[0];
    QVERIFY2(first.outcome == outcome || first.outcome == alsoAccepted,
             phpOutcomeName(first.outcome));
    QVERIFY2(first.error.contains(errorContains), qPrintable(first.error));
    QCOMPARE(errors.count(), outcome == PhpOutcome::Ok ? 0 : 1);
    if (outcome != PhpOutcome::Ok)
        QVERIFY2(errors[0][0].toString().contains(errorContains),
                 qPrintable(errors[0][0].toString()));
    if (outcome == PhpOutcome::Ok) {
        QCOMPARE(first.status, 200);
        QCOMPARE(first.body, body);
    }
    if (behaviour == Behaviour::HugePadding) {
        QCOMPARE(first.stderrData, QByteArray("padded stderr"));
        QCOMPARE(first.appStatus, quint32(5));
    }
    if (behaviour == Behaviour::ManyStderr) {
        QCOMPARE(first.stderrData.count('\n'), 1000);
        QVERIFY(first.stderrData.startsWith("stderr line 0\nstderr line 1\n"));
        QVERIFY(!first.body.contains("stderr"));
    }
    // No retry happened: the server saw the request at most once.
    QVERIFY(server.requestsReceived() <= 1);

    // The pool keeps working.
    submit(pool, results, "after");
    QTRY_COMPARE(results.responses.size(), 2);
    QCOMPARE(results.responses[1].outcome, PhpOutcome::Ok);
    QCOMPARE(results.responses[1].body, QByteArray("after"));
    QCOMPARE(errors.count(), outcome == PhpOutcome::Ok ? 0 : 1);
    // A failed connection is never reused; a good one is.
    const int expectedConnections = outcome == PhpOutcome::Ok ? 1 : 2;
    QCOMPARE(server.connectionsAccepted(), expectedConnections);
    QCOMPARE(pool.stats().connections, 1);
}

void TestFastCgiPool::unavailable_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("says"); // after "cannot connect to <address>: "
    QTest::newRow("tcp port with no listener")
        << "tcp"
        << "connection refused (nothing listens on 127.0.0.1:";
    QTest::newRow("unix socket path missing")
        << "unix-missing"
        << "no such file (is php-fpm running, and is this its pool's listen path?)";
    QTest::newRow("unix path is not a socket") << "unix-file"
                                               << "not a socket (a regular file, -rw-";
}

void TestFastCgiPool::unavailable() {
    QFETCH(QString, kind);
    QFETCH(QString, says);
    QTemporaryDir dir;
    QString address;
    if (kind == QLatin1String("tcp")) {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        address = QStringLiteral("127.0.0.1:%1").arg(probe.serverPort());
        probe.close();
    } else if (kind == QLatin1String("unix-missing")) {
        address = QStringLiteral("unix:") + dir.filePath(QStringLiteral("none.sock"));
    } else {
        QFile f(dir.filePath(QStringLiteral("file.sock")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        address = QStringLiteral("unix:") + f.fileName();
    }
    FastCgiPool pool(optionsFor(address));
    QSignalSpy errors(&pool, &FastCgiPool::connectionError);
    Results results;
    for (int i = 0; i < 3; ++i)
        submit(pool, results, "x", i);
    QVERIFY(!results.calledInsideSubmit);
    QCOMPARE(results.responses.size(), 0);
    QTRY_COMPARE(results.responses.size(), 3);
    const QString canonical = pool.options().address.toString();
    for (const PhpResponse &r : results.responses) {
        QCOMPARE(r.outcome, PhpOutcome::Unavailable);
        // What happened and what to do, not Qt's "QLocalSocket::connectToServer: Invalid name".
        const QString expected = QStringLiteral("cannot connect to %1: %2").arg(canonical, says);
        QVERIFY2(r.error.startsWith(expected), qPrintable(r.error));
    }
    QCOMPARE(results.order, (QList<int>{0, 1, 2}));
    QCOMPARE(errors.count(), 3);
    // The log line is the same text; the address is not repeated in front of it.
    QCOMPARE(errors.at(0).at(0).toString(), results.responses.at(0).error);
    QTRY_COMPARE(pool.stats().connections, 0);
}

void TestFastCgiPool::queueFullIsOverloaded() {
    FakeFastCgiServer server;
    QVERIFY(server.listen());
    server.setDefaultBehaviour(Behaviour::Stall);
    FastCgiPoolOptions options = optionsFor(server.address());
    options.maxConnections = 1;
    options.maxQueued = 2;
    options.readTimeoutMs = 60000;
    FastCgiPool pool(options);
    Results results;
    for (int i = 0; i < 5; ++i)
        submit(pool, results, "x", i);
    QVERIFY(!results.calledInsideSubmit);
    QCOMPARE(results.responses.size(), 0);
    QTRY_COMPARE(results.responses.size(), 2);
    QCOMPARE(results.order, (QList<int>{3, 4}));
    for (const PhpResponse &r : results.responses) {
        QCOMPARE(r.outcome, PhpOutcome::Overloaded);
        QVERIFY(r.error.contains(QLatin1String("queue full")));
    }
    const PhpBackendStats s = pool.stats();
    QCOMPARE(s.connections, 1);
    QCOMPARE(s.busy, 1);
    QCOMPARE(s.queued, 2);
    QTRY_COMPARE(server.requestsReceived(), 1);
}

void TestFastCgiPool::maxConnectionsUnderConcurrentSubmits() {
    FakeFastCgiServer server;
    QVERIFY(server.listen());
    server.setReplyDelayMs(20);
    FastCgiPool pool(optionsFor(server.address()));
    Results results;
    int peakPoolConnections = 0;
    for (int i = 0; i < 100; ++i) {
        pool.submit(request(QByteArray::number(i)), [&](const PhpResponse &r) {
            results.responses.append(r);
            peakPoolConnections = std::max(peakPoolConnections, pool.stats().connections);
        });
    }
    QCOMPARE(pool.stats().connections, 8);
    QCOMPARE(pool.stats().queued, 92);
    QTRY_COMPARE_WITH_TIMEOUT(results.responses.size(), 100, 20000);
    for (const PhpResponse &r : results.responses)
        QCOMPARE(r.outcome, PhpOutcome::Ok);
    QCOMPARE(server.peakOpenConnections(), 8);
    QCOMPARE(server.connectionsAccepted(), 8);
    QCOMPARE(server.requestsReceived(), 100);
    QCOMPARE(peakPoolConnections, 8);
    QCOMPARE(pool.stats().queued, 0);
}

void TestFastCgiPool::fifoOrder() {
    FakeFastCgiServer server;
    QVERIFY(server.listen());
    FastCgiPoolOptions options = optionsFor(server.address());
    options.maxConnections = 1;
    FastCgiPool pool(options);
    Results results;
    QList<QByteArray> bodies;
    QList<int> tags;
    for (int i = 0; i < 20; ++i) {
        bodies.append(QByteArray::number(i));
        tags.append(i);
        submit(pool, results, bodies.back(), i);
    }
    QTRY_COMPARE(results.responses.size(), 20);
    QCOMPARE(server.bodies(), bodies);
    QCOMPARE(results.order, tags);
    for (int i = 0; i < 20; ++i)
        QCOMPARE(results.responses[i].body, bodies[i]);
    QCOMPARE(server.connectionsAccepted(), 1);
}

void TestFastCgiPool::keptConnectionIsReused() {
    FakeFastCgiServer server;
    QVERIFY(server.listen());
    FastCgiPool pool(optionsFor(server.address()));
    Results results;
    for (int i = 0; i < 5; ++i) {
        submit(pool, results, "r");
        QTRY_COMPARE(results.responses.size(), i + 1);
        QCOMPARE(results.responses.back().outcome, PhpOutcome::Ok);
        QCOMPARE(results.responses.back().header("X-Request-Number"), QByteArray::number(i + 1));
    }
    QCOMPARE(server.connectionsAccepted(), 1);
    QCOMPARE(server.keepConnFlags(), QList<bool>(5, true));
}

void TestFastCgiPool::keepAliveOff() {
    FakeFastCgiServer server;
    QVERIFY(server.listen());
    FastCgiPoolOptions options = optionsFor(server.address());
    options.keepAlive = false;
    FastCgiPool pool(options);
    Results results;
    for (int i = 0; i < 3; ++i) {
        submit(pool, results, "r");
        QTRY_COMPARE(results.responses.size(), i + 1);
        QCOMPARE(results.responses.back().outcome, PhpOutcome::Ok);
        QCOMPARE(pool.stats().connections, 0);
    }
    QCOMPARE(server.connectionsAccepted(), 3);
    QCOMPARE(server.keepConnFlags(), QList<bool>(3, false));
}

void TestFastCgiPool::idleConnectionClosedAfterTimeout() {
    FakeFastCgiServer server;
    QVERIFY(server.listen());
    FastCgiPoolOptions options = optionsFor(server.address());
    options.idleTimeoutMs = 200;
    FastCgiPool pool(options);
    QSignalSpy serverClosed(&server, &FakeFastCgiServer::connectionClosed);
    Results results;
    submit(pool, results, "r");
    QTRY_COMPARE(results.responses.size(), 1);
    QCOMPARE(pool.stats().idle, 1);
    QCOMPARE(serverClosed.count(), 0);
    QTRY_COMPARE(pool.stats().connections, 0);
    QTRY_COMPARE(serverClosed.count(), 1);
    QCOMPARE(server.openConnections(), 0);

    // And a new request opens a new connection.
    submit(pool, results, "again");
    QTRY_COMPARE(results.responses.size(), 2);
    QCOMPARE(results.responses[1].outcome, PhpOutcome::Ok);
    QCOMPARE(server.connectionsAccepted(), 2);
}

void TestFastCgiPool::retryWhenKeptConnectionClosedWhileIdle_data() {
    QTest::addColumn<bool>("letPoolNotice");
    // FPM closed the kept connection and the event loop already told the pool.
    QTest::newRow("close already noticed") << true;
    // The close is in the socket but not yet delivered: the pool must look before writing.
    QTest::newRow("close not yet delivered") << false;
}

void TestFastCgiPool::retryWhenKeptConnectionClosedWhileIdle() {
    QFETCH(bool, letPoolNotice);
    FakeFastCgiServer server;
    QVERIFY(server.listen());
    FastCgiPool pool(optionsFor(server.address()));
    QSignalSpy errors(&pool, &FastCgiPool::connectionError);
    Results results;
    submit(pool, results, "first");
    QTRY_COMPARE(results.responses.size(), 1);
    QCOMPARE(pool.stats().idle, 1);

    server.closeAllConnections();
    if (letPoolNotice)
        QTRY_COMPARE(pool.stats().connections, 0);
    submit(pool, results, "second");
    QTRY_COMPARE(results.responses.size(), 2);
    QCOMPARE(results.responses[1].outcome, PhpOutcome::Ok);
    QCOMPARE(results.responses[1].body, QByteArray("second"));
    QCOMPARE(server.requestsReceived(), 2);
    QCOMPARE(server.connectionsAccepted(), 2);
    QCOMPARE(errors.count(), 0);
}

void TestFastCgiPool::noRetryOnceBytesWereSent() {
    FakeFastCgiServer server;
    QVERIFY(server.listen());
    FastCgiPool pool(optionsFor(server.address()));
    QSignalSpy errors(&pool, &FastCgiPool::connectionError);
    Results results;
    submit(pool, results, "first");
    QTRY_COMPARE(results.responses.size(), 1);

    // On the kept connection, the server reads the whole request and then dies.
    server.script({Behaviour::CloseAfterRequest});
    submit(pool, results, "second");
    QTRY_COMPARE(results.responses.size(), 2);
    QCOMPARE(results.responses[1].outcome, PhpOutcome::BadResponse);
    QCOMPARE(server.requestsReceived(), 2); // not retried: PHP may have run it
    QCOMPARE(errors.count(), 1);

    submit(pool, results, "third");
    QTRY_COMPARE(results.responses.size(), 3);
    QCOMPARE(results.responses[2].outcome, PhpOutcome::Ok);
    QCOMPARE(server.requestsReceived(), 3);
    QCOMPARE(server.connectionsAccepted(), 2);
}

void TestFastCgiPool::replyOverCap_data() {
    QTest::addColumn<int>("overCap"); // STDOUT bytes minus the cap
    QTest::newRow("one byte under the cap") << -1;
    QTest::newRow("exactly the cap") << 0;
    QTest::newRow("one byte over the cap") << 1;
    QTest::newRow("4000 bytes over the cap") << 4000;
}

void TestFastCgiPool::replyOverCap() {
    QFETCH(int, overCap);
    constexpr int cap = 1000;
    // The fake's echo: these headers, then the body.
    const QByteArray headers =
        "Status: 200 OK\r\nContent-Type: text/plain\r\nX-Request-Number: 1\r\n\r\n";
    const QByteArray body(cap - headers.size() + overCap, 'z');
    const qint64 stdoutBytes = headers.size() + body.size();
    FakeFastCgiServer server;
    QVERIFY(server.listen());
    FastCgiPoolOptions options = optionsFor(server.address());
    options.maxResponseBytes = cap;
    FastCgiPool pool(options);
    QSignalSpy errors(&pool, &FastCgiPool::connectionError);
    Results results;
    submit(pool, results, body);
    QTRY_COMPARE(results.responses.size(), 1);
    const PhpResponse &r = results.responses[0];
    QCOMPARE(r.stdoutBytes, stdoutBytes);
    QVERIFY(!r.bodyTruncated);
    if (overCap <= 0) {
        QCOMPARE(r.outcome, PhpOutcome::Ok);
        QCOMPARE(r.body, body);
        QVERIFY(r.partialHeaders.isEmpty());
        QCOMPARE(errors.count(), 0);
    } else {
        // Never a reply cut to the cap as if it were whole.
        QCOMPARE(r.outcome, PhpOutcome::BadResponse);
        QCOMPARE(r.error, QStringLiteral("reply exceeds the 1000-byte response cap after %1 bytes "
                                         "of STDOUT; discarded headers: Content-Type, "
                                         "X-Request-Number")
                              .arg(stdoutBytes));
        QVERIFY(r.body.isEmpty());
        QCOMPARE(r.partialHeaders,
                 (PhpParams{{"Content-Type", "text/plain"}, {"X-Request-Number", "1"}}));
        QCOMPARE(errors.count(), 1);
    }
    // Over the cap the connection is discarded; under it, kept.
    submit(pool, results, "small");
    QTRY_COMPARE(results.responses.size(), 2);
    QCOMPARE(results.responses[1].outcome, PhpOutcome::Ok);
    QCOMPARE(results.responses[1].body, QByteArray("small"));
    QCOMPARE(server.connectionsAccepted(), overCap <= 0 ? 1 : 2);
}

void TestFastCgiPool::failureMidReplyReportsWhatCame_data() {
    QTest::addColumn<Behaviour>("behaviour");
    QTest::addColumn<PhpOutcome>("outcome");
    QTest::addColumn<QString>("errorStart");
    QTest::newRow("no progress mid-STDOUT")
        << Behaviour::PartialThenStall << PhpOutcome::Timeout
        << QStringLiteral("read timeout: no progress for 300 ms");
    QTest::newRow("connection reset mid-STDOUT")
        << Behaviour::PartialThenClose << PhpOutcome::BadResponse
        << QStringLiteral("connection lost before END_REQUEST: ");
}

void TestFastCgiPool::failureMidReplyReportsWhatCame() {
    QFETCH(Behaviour, behaviour);
    QFETCH(PhpOutcome, outcome);
    QFETCH(QString, errorStart);
    FakeFastCgiServer server;
    QVERIFY(server.listen());
    server.script({behaviour});
    FastCgiPoolOptions options = optionsFor(server.address());
    options.readTimeoutMs = 300;
    FastCgiPool pool(options);
    QSignalSpy errors(&pool, &FastCgiPool::connectionError);
    Results results;
    submit(pool, results, "x");
    QTRY_COMPARE(results.responses.size(), 1);
    const PhpResponse &r = results.responses[0];
    QCOMPARE(r.outcome, outcome);
    const qint64 sent = FakeFastCgiServer::partialStdout().size();
    QCOMPARE(r.stdoutBytes, sent);
    // The control headers PHP set but that never took effect, by name in the error.
    QCOMPARE(r.partialHeaders, (PhpParams{{"X-WS-User", "alice"}, {"X-WS-Join", "room1"}}));
    QVERIFY2(r.error.startsWith(errorStart), qPrintable(r.error));
    QVERIFY2(r.error.endsWith(QStringLiteral(" after %1 bytes of STDOUT; discarded headers: "
                                             "X-WS-User, X-WS-Join")
                                  .arg(sent)),
             qPrintable(r.error));
    QCOMPARE(r.stderrData, FakeFastCgiServer::partialStderr());
    QVERIFY(r.body.isEmpty());
    QCOMPARE(errors.count(), 1);
    QVERIFY(errors[0][0].toString().contains(r.error));
}

void TestFastCgiPool::deadlineAndNoProgress_data() {
    QTest::addColumn<Behaviour>("behaviour");
    QTest::addColumn<int>("readTimeoutMs");
    QTest::addColumn<int>("deadlineMs");
    QTest::addColumn<QString>("errorStart");
    QTest::addColumn<int>("minElapsedMs");
    // A byte every 50 ms is progress: only the deadline ends it.
    QTest::newRow("trickle: the deadline fires, not the no-progress timeout")
        << Behaviour::Trickle << 300 << 700
        << QStringLiteral("deadline: no complete reply within 700 ms after ") << 700;
    QTest::newRow("stall: the no-progress timeout fires before the deadline")
        << Behaviour::Stall << 300 << 5000 << QStringLiteral("read timeout: no progress for 300 ms")
        << 300;
}

void TestFastCgiPool::deadlineAndNoProgress() {
    QFETCH(Behaviour, behaviour);
    QFETCH(int, readTimeoutMs);
    QFETCH(int, deadlineMs);
    QFETCH(QString, errorStart);
    QFETCH(int, minElapsedMs);
    FakeFastCgiServer server;
    QVERIFY(server.listen());
    server.script({behaviour});
    server.setTrickleIntervalMs(50);
    FastCgiPoolOptions options = optionsFor(server.address());
    options.readTimeoutMs = readTimeoutMs;
    options.deadlineMs = deadlineMs;
    FastCgiPool pool(options);
    Results results;
    QElapsedTimer elapsed;
    elapsed.start();
    submit(pool, results, "x");
    QTRY_COMPARE_WITH_TIMEOUT(results.responses.size(), 1, 4000);
    const PhpResponse &r = results.responses[0];
    QCOMPARE(r.outcome, PhpOutcome::Timeout);
    QVERIFY2(r.error.startsWith(errorStart), qPrintable(r.error));
    QVERIFY(elapsed.elapsed() >= minElapsedMs);
    if (behaviour == Behaviour::Trickle)
        QVERIFY2(r.stdoutBytes > 5, qPrintable(r.error)); // headers and some dots came
    else
        QCOMPARE(r.stdoutBytes, 0);
}

void TestFastCgiPool::bigBodiesBothWays() {
    FakeFastCgiServer server;
    QVERIFY(server.listen());
    FastCgiPool pool(optionsFor(server.address()));
    Results results;
    QByteArray big(3 * 1024 * 1024 + 17, Qt::Uninitialized);
    for (qsizetype i = 0; i < big.size(); ++i)
        big[i] = char(i * 7);
    submit(pool, results, big);
    QTRY_COMPARE_WITH_TIMEOUT(results.responses.size(), 1, 20000);
    QCOMPARE(results.responses[0].outcome, PhpOutcome::Ok);
    QCOMPARE(server.bodies().value(0).size(), big.size());
    QVERIFY(server.bodies().value(0) == big);
    QVERIFY(results.responses[0].body == big);
}

WSGATE_TEST_MAIN(TestFastCgiPool)
#include "tst_fastcgipool.moc"
