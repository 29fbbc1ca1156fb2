#include "fastcgi/fastcgipool.h"
#include "phpfpmfixture.h"
#include "testmain.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QLocalSocket>
#include <QSignalSpy>
#include <QTest>

namespace {

struct Results {
    QList<PhpResponse> responses;
};

PhpRequest phpRequest(const QString &scriptName, const QByteArray &query = {},
                      const QByteArray &body = {}) {
    const QByteArray script = PhpFpmFixture::script(scriptName).toUtf8();
    PhpRequest r;
    r.params = {{"GATEWAY_INTERFACE", "CGI/1.1"},
                {"REQUEST_METHOD", "POST"},
                {"SCRIPT_FILENAME", script},
                {"SCRIPT_NAME", "/" + scriptName.toUtf8()},
                {"DOCUMENT_ROOT", PhpFpmFixture::scriptDir().toUtf8()},
                {"REQUEST_URI", "/ws?" + query},
                {"QUERY_STRING", query},
                {"CONTENT_TYPE", "application/octet-stream"},
                {"CONTENT_LENGTH", QByteArray::number(body.size())},
                {"SERVER_PROTOCOL", "HTTP/1.1"},
                {"REMOTE_ADDR", "127.0.0.1"},
                {"WS_EVENT", "message"}};
    r.body = body;
    return r;
}

void submit(FastCgiPool &pool, Results &results, PhpRequest request) {
    pool.submit(std::move(request),
                [&results](const PhpResponse &r) { results.responses.append(r); });
}

QByteArray pattern(qsizetype size) {
    QByteArray b(size, Qt::Uninitialized);
    for (qsizetype i = 0; i < size; ++i)
        b[i] = char((i * 131) >> 3);
    return b;
}

FastCgiPoolOptions optionsFor(const PhpFpmFixture &fpm) {
    FastCgiPoolOptions o;
    o.address = *FastCgiAddress::parse(fpm.fastcgiAddress(), nullptr);
    return o;
}

} // namespace

class TestFastCgiPoolFpm : public QObject {
    Q_OBJECT
private slots:
    void echoRoundTrip_data();
    void echoRoundTrip();
    void bigResponse_data();
    void bigResponse();
    void concurrentSubmits();
    void stderrIsKeptApart();
    void statusPassesThrough_data();
    void statusPassesThrough();
    void fpmStoppedThenRestarted();
    void tcpListener();
    void ownersTakeTurns();
    void deadlineEndsAHandlerThatPrintsADotASecond();
    void replyOverTheCapIsBadResponse();
    void timeoutMidStdoutReportsWhatCame();
    void unixConnectionsBypassQLocalSocket();
};

void TestFastCgiPoolFpm::echoRoundTrip_data() {
    QTest::addColumn<int>("size");
    QTest::newRow("empty body") << 0;
    QTest::newRow("small body") << 11;
    QTest::newRow("65536 bytes: two STDIN records") << 65536;
    QTest::newRow("1 MiB") << 1024 * 1024;
    QTest::newRow("16 MiB") << 16 * 1024 * 1024;
}

void TestFastCgiPoolFpm::echoRoundTrip() {
    QFETCH(int, size);
    PhpFpmFixture fpm;
    WSGATE_START_PHP_FPM(fpm);
    FastCgiPool pool(optionsFor(fpm));
    Results results;
    const QByteArray body = pattern(size);
    submit(pool, results, phpRequest(QStringLiteral("fcgi_echo.php"), {}, body));
    QTRY_COMPARE_WITH_TIMEOUT(results.responses.size(), 1, 30000);
    const PhpResponse &r = results.responses[0];
    QVERIFY2(r.outcome == PhpOutcome::Ok, qPrintable(r.error));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.contentType, QByteArray("application/octet-stream"));
    QCOMPARE(r.header("X-Method"), QByteArray("POST"));
    QCOMPARE(r.header("X-Content-Length"), QByteArray::number(size));
    QCOMPARE(r.header("X-WS-Event"), QByteArray("message"));
    QCOMPARE(r.header("X-Body-Md5"),
             QCryptographicHash::hash(body, QCryptographicHash::Md5).toHex());
    QCOMPARE(r.body.size(), body.size());
    QVERIFY(r.body == body);
    QVERIFY2(r.stderrData.isEmpty(), r.stderrData.constData());
    QVERIFY(r.phpUs > 0);
}

void TestFastCgiPoolFpm::bigResponse_data() {
    QTest::addColumn<int>("mib");
    QTest::newRow("1 MiB") << 1;
    QTest::newRow("16 MiB") << 16;
}

void TestFastCgiPoolFpm::bigResponse() {
    QFETCH(int, mib);
    PhpFpmFixture fpm;
    WSGATE_START_PHP_FPM(fpm);
    FastCgiPool pool(optionsFor(fpm));
    Results results;
    submit(pool, results,
           phpRequest(QStringLiteral("fcgi_big.php"), "mib=" + QByteArray::number(mib)));
    QTRY_COMPARE_WITH_TIMEOUT(results.responses.size(), 1, 30000);
    const PhpResponse &r = results.responses[0];
    QVERIFY2(r.outcome == PhpOutcome::Ok, qPrintable(r.error));
    QCOMPARE(r.body.size(), qsizetype(mib) * 1024 * 1024);
    QVERIFY(r.body == QByteArray("0123456789abcdef").repeated(mib * 64 * 1024));
    QVERIFY(!r.bodyTruncated);
}

void TestFastCgiPoolFpm::concurrentSubmits() {
    PhpFpmFixture fpm;
    WSGATE_START_PHP_FPM(fpm);
    FastCgiPool pool(optionsFor(fpm)); // 8 connections, FPM has 8 children
    Results results;
    int peak = 0;
    for (int i = 0; i < 64; ++i) {
        pool.submit(phpRequest(QStringLiteral("fcgi_echo.php"), "sleep_ms=10",
                               "request " + QByteArray::number(i)),
                    [&](const PhpResponse &r) {
                        results.responses.append(r);
                        peak = std::max(peak, pool.stats().connections);
                    });
    }
    QCOMPARE(pool.stats().connections, 8);
    QCOMPARE(pool.stats().queued, 56);
    QTRY_COMPARE_WITH_TIMEOUT(results.responses.size(), 64, 30000);
    QSet<QByteArray> bodies;
    for (const PhpResponse &r : results.responses) {
        QVERIFY2(r.outcome == PhpOutcome::Ok, qPrintable(r.error));
        bodies.insert(r.body);
    }
    QCOMPARE(bodies.size(), 64);
    QCOMPARE(peak, 8);
}

void TestFastCgiPoolFpm::stderrIsKeptApart() {
    PhpFpmFixture fpm;
    WSGATE_START_PHP_FPM(fpm);
    FastCgiPool pool(optionsFor(fpm));
    Results results;
    submit(pool, results, phpRequest(QStringLiteral("fcgi_stderr.php")));
    QTRY_COMPARE(results.responses.size(), 1);
    const PhpResponse &r = results.responses[0];
    QVERIFY2(r.outcome == PhpOutcome::Ok, qPrintable(r.error));
    QCOMPARE(r.body, QByteArray("body only"));
    // error_log() goes to FastCGI STDERR when the pool sets no error_log file; a raw
    // fwrite(STDERR) goes to the worker's fd 2, never into the reply.
    QVERIFY2(r.stderrData.contains("fcgi-error-log-line"), r.stderrData.constData());
}

void TestFastCgiPoolFpm::statusPassesThrough_data() {
    QTest::addColumn<int>("code");
    QTest::newRow("404") << 404;
    QTest::newRow("500") << 500;
    QTest::newRow("503") << 503;
}

void TestFastCgiPoolFpm::statusPassesThrough() {
    QFETCH(int, code);
    PhpFpmFixture fpm;
    WSGATE_START_PHP_FPM(fpm);
    FastCgiPool pool(optionsFor(fpm));
    Results results;
    submit(pool, results,
           phpRequest(QStringLiteral("fcgi_status.php"), "code=" + QByteArray::number(code)));
    QTRY_COMPARE(results.responses.size(), 1);
    const PhpResponse &r = results.responses[0];
    QCOMPARE(r.outcome, PhpOutcome::Ok); // a 5xx is PHP's answer, not a transport failure
    QCOMPARE(r.status, code);
    QCOMPARE(r.body, "status " + QByteArray::number(code));
}

void TestFastCgiPoolFpm::fpmStoppedThenRestarted() {
    PhpFpmFixture fpm;
    WSGATE_START_PHP_FPM(fpm);
    FastCgiPoolOptions options = optionsFor(fpm);
    options.idleTimeoutMs = 60000; // keep the connections so the restart finds them stale
    FastCgiPool pool(options);
    QSignalSpy errors(&pool, &FastCgiPool::connectionError);
    Results results;
    const auto burst = [&](int n) {
        for (int i = 0; i < n; ++i)
            submit(pool, results, phpRequest(QStringLiteral("fcgi_echo.php"), "sleep_ms=20", "x"));
    };
    burst(4);
    QTRY_COMPARE(results.responses.size(), 4);
    QCOMPARE(pool.stats().idle, 4);

    // Restarted behind the pool's back, no event loop in between: all kept connections are
    // dead, and none of them may fail a request.
    fpm.stop();
    QString error;
    QVERIFY2(fpm.start(&error), qPrintable(error));
    burst(4);
    QTRY_COMPARE_WITH_TIMEOUT(results.responses.size(), 8, 10000);
    for (const PhpResponse &r : results.responses)
        QVERIFY2(r.outcome == PhpOutcome::Ok, qPrintable(r.error));
    // Stale connections cost no warning: seen before use (a peek on Qt sockets) or, over our
    // unix streams, refused on their first write with nothing sent and retried quietly.
    QCOMPARE(errors.count(), 0);
    const int errorsBeforeStop = errors.count();

    // Stopped: Unavailable, without waiting for any timeout.
    fpm.stop();
    submit(pool, results, phpRequest(QStringLiteral("fcgi_echo.php"), {}, "down"));
    QTRY_COMPARE(results.responses.size(), 9);
    QCOMPARE(results.responses[8].outcome, PhpOutcome::Unavailable);
    QCOMPARE(errors.count(), errorsBeforeStop + 1);

    // Started again: the same pool works.
    QVERIFY2(fpm.start(&error), qPrintable(error));
    submit(pool, results, phpRequest(QStringLiteral("fcgi_echo.php"), {}, "up again"));
    QTRY_COMPARE(results.responses.size(), 10);
    QVERIFY2(results.responses[9].outcome == PhpOutcome::Ok,
             qPrintable(results.responses[9].error));
    QCOMPARE(results.responses[9].body, QByteArray("up again"));
}

void TestFastCgiPoolFpm::tcpListener() {
    PhpFpmFixture::Options fpmOptions;
    fpmOptions.tcp = true;
    PhpFpmFixture fpm(fpmOptions);
    WSGATE_START_PHP_FPM(fpm);
    QVERIFY(fpm.fastcgiAddress().startsWith(QLatin1String("tcp:")));
    FastCgiPool pool(optionsFor(fpm));
    Results results;
    for (int i = 0; i < 3; ++i)
        submit(pool, results, phpRequest(QStringLiteral("fcgi_echo.php"), {}, "tcp"));
    QTRY_COMPARE(results.responses.size(), 3);
    for (const PhpResponse &r : results.responses) {
        QVERIFY2(r.outcome == PhpOutcome::Ok, qPrintable(r.error));
        QCOMPARE(r.body, QByteArray("tcp"));
    }
}

void TestFastCgiPoolFpm::ownersTakeTurns() {
    PhpFpmFixture fpm;
    WSGATE_START_PHP_FPM(fpm);
    FastCgiPoolOptions options = optionsFor(fpm);
    options.maxConnections = 1;
    FastCgiPool pool(options);
    Results results;
    const auto submitAs = [&](const QByteArray &owner, const QByteArray &body) {
        PhpRequest r = phpRequest(QStringLiteral("fcgi_echo.php"), {}, body);
        r.owner = owner;
        submit(pool, results, std::move(r));
    };
    for (int i = 1; i <= 5; ++i)
        submitAs("A", "A" + QByteArray::number(i));
    submitAs("B", "B1");
    QTRY_COMPARE_WITH_TIMEOUT(results.responses.size(), 6, 10000);
    QList<QByteArray> order;
    for (const PhpResponse &r : results.responses) {
        QVERIFY2(r.outcome == PhpOutcome::Ok, qPrintable(r.error));
        order.append(r.body);
    }
    QCOMPARE(order, (QList<QByteArray>{"A1", "B1", "A2", "A3", "A4", "A5"}));
}

void TestFastCgiPoolFpm::deadlineEndsAHandlerThatPrintsADotASecond() {
    PhpFpmFixture fpm;
    WSGATE_START_PHP_FPM(fpm);
    FastCgiPoolOptions options = optionsFor(fpm);
    options.readTimeoutMs = 2000; // a dot a second is progress: this never fires
    options.deadlineMs = 3500;
    FastCgiPool pool(options);
    Results results;
    QElapsedTimer elapsed;
    elapsed.start();
    submit(pool, results, phpRequest(QStringLiteral("fcgi_dots.php"), "seconds=30"));
    QTRY_COMPARE_WITH_TIMEOUT(results.responses.size(), 1, 10000);
    const PhpResponse &r = results.responses[0];
    QCOMPARE(r.outcome, PhpOutcome::Timeout);
    QVERIFY2(r.error.startsWith(QLatin1String("deadline: no complete reply within 3500 ms after ")),
             qPrintable(r.error));
    QVERIFY2(!r.error.contains(QLatin1String("no progress")), qPrintable(r.error));
    QVERIFY(elapsed.elapsed() >= 3500);
    QVERIFY2(r.stdoutBytes >= 3, qPrintable(r.error)); // headers and the first dots came
    QVERIFY2(r.error.contains(QLatin1String("discarded headers: ")), qPrintable(r.error));
    QVERIFY(std::any_of(r.partialHeaders.begin(), r.partialHeaders.end(), [](const PhpParam &h) {
        return h.first.compare("Content-Type", Qt::CaseInsensitive) == 0;
    }));
    QVERIFY(r.body.isEmpty());

    // The pool goes on.
    submit(pool, results, phpRequest(QStringLiteral("fcgi_echo.php"), {}, "after"));
    QTRY_COMPARE(results.responses.size(), 2);
    QVERIFY2(results.responses[1].outcome == PhpOutcome::Ok,
             qPrintable(results.responses[1].error));
}

void TestFastCgiPoolFpm::replyOverTheCapIsBadResponse() {
    PhpFpmFixture fpm;
    WSGATE_START_PHP_FPM(fpm);
    FastCgiPoolOptions options = optionsFor(fpm); // the default cap: 64 MiB
    QCOMPARE(options.maxResponseBytes, qint64(64) * 1024 * 1024);
    FastCgiPool pool(options);
    Results results;
    submit(pool, results, phpRequest(QStringLiteral("fcgi_big.php"), "mib=70"));
    QTRY_COMPARE_WITH_TIMEOUT(results.responses.size(), 1, 30000);
    const PhpResponse &r = results.responses[0];
    // Never 64 MiB delivered as if that were the whole reply.
    QCOMPARE(r.outcome, PhpOutcome::BadResponse);
    QVERIFY2(
        r.error.startsWith(QLatin1String("reply exceeds the 67108864-byte response cap after ")),
        qPrintable(r.error));
    QVERIFY(r.body.isEmpty());
    QVERIFY(r.stdoutBytes > options.maxResponseBytes);
    QVERIFY(r.stdoutBytes <= options.maxResponseBytes + 65535);
    QVERIFY(r.error.contains(QStringLiteral("after %1 bytes of STDOUT").arg(r.stdoutBytes)));

    submit(pool, results, phpRequest(QStringLiteral("fcgi_big.php"), "mib=1"));
    QTRY_COMPARE_WITH_TIMEOUT(results.responses.size(), 2, 30000);
    QVERIFY2(results.responses[1].outcome == PhpOutcome::Ok,
             qPrintable(results.responses[1].error));
    QCOMPARE(results.responses[1].body.size(), 1024 * 1024);
}

void TestFastCgiPoolFpm::timeoutMidStdoutReportsWhatCame() {
    PhpFpmFixture fpm;
    WSGATE_START_PHP_FPM(fpm);
    FastCgiPoolOptions options = optionsFor(fpm);
    options.readTimeoutMs = 1000;
    FastCgiPool pool(options);
    Results results;
    submit(pool, results, phpRequest(QStringLiteral("fcgi_partial.php"), "seconds=30"));
    QTRY_COMPARE_WITH_TIMEOUT(results.responses.size(), 1, 10000);
    const PhpResponse &r = results.responses[0];
    QCOMPARE(r.outcome, PhpOutcome::Timeout);
    QVERIFY2(r.error.startsWith(QStringLiteral("read timeout: no progress for 1000 ms after %1 "
                                               "bytes of STDOUT; discarded headers: ")
                                    .arg(r.stdoutBytes)),
             qPrintable(r.error));
    QVERIFY2(r.error.contains(QLatin1String("X-WS-User, X-WS-Join")), qPrintable(r.error));
    QVERIFY(r.stdoutBytes > 3);
    QByteArray user;
    QByteArray join;
    for (const auto &[name, value] : r.partialHeaders) {
        if (name == "X-WS-User")
            user = value;
        else if (name == "X-WS-Join")
            join = value;
    }
    QCOMPARE(user, QByteArray("alice"));
    QCOMPARE(join, QByteArray("room1"));
    QVERIFY2(r.stderrData.contains("partial-stderr-line"), r.stderrData.constData());
    QVERIFY(r.body.isEmpty());
}

// The pool's unix connections go over FdStream unless WSGATE_FASTCGI_TRANSPORT=qt asks for
// QLocalSocket (CTest runs this whole file a second time that way).
void TestFastCgiPoolFpm::unixConnectionsBypassQLocalSocket() {
    PhpFpmFixture fpm;
    WSGATE_START_PHP_FPM(fpm);
    if (!fpm.fastcgiAddress().startsWith(QStringLiteral("unix:")))
        QSKIP("the fixture listens on TCP here");
    const bool qtSockets = qgetenv("WSGATE_FASTCGI_TRANSPORT") == "qt";
    const QByteArray saved = qgetenv("WSGATE_FASTCGI_TRANSPORT");
    for (const bool asQt : {qtSockets, !qtSockets}) {
        if (asQt)
            qputenv("WSGATE_FASTCGI_TRANSPORT", "qt");
        else
            qunsetenv("WSGATE_FASTCGI_TRANSPORT");
        FastCgiPool pool(optionsFor(fpm));
        Results results;
        submit(pool, results, phpRequest(QStringLiteral("fcgi_echo.php"), {}, "which way"));
        QTRY_COMPARE(results.responses.size(), 1);
        QVERIFY2(results.responses[0].outcome == PhpOutcome::Ok,
                 qPrintable(results.responses[0].error));
        QCOMPARE(results.responses[0].body, QByteArray("which way"));
        QCOMPARE(pool.stats().idle, 1);
        QCOMPARE(pool.findChildren<QLocalSocket *>().size(), asQt ? 1 : 0);
    }
    if (saved.isNull())
        qunsetenv("WSGATE_FASTCGI_TRANSPORT");
    else
        qputenv("WSGATE_FASTCGI_TRANSPORT", saved);
}

WSGATE_TEST_MAIN(TestFastCgiPoolFpm)
#include "tst_fastcgipool_fpm.moc"
