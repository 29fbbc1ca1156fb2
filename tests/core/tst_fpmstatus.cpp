#include "fpm/fpmstatus.h"
#include "testmain.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <limits>

// Captured from php-fpm 8.2 (see tests/data/fpm/README.md): one worker was serving a request
// whose query string held quotes, backslashes, a tab, a newline, U+00E9 and BEL.
static const QString OddUri =
    QStringLiteral("/slow.php?name=\"quoted\"&path=C:\\dir\\x&tab=\t&nl=\n"
                   "&u=\u00e9&bel=\a");
static const QString OddUser = QStringLiteral("bob\"\\x");

class TestFpmStatus final : public QObject {
    Q_OBJECT

private:
    static QByteArray data(const QString &name) {
        QFile f(QStringLiteral(WSGATE_SOURCE_DIR "/tests/data/fpm/") + name);
        if (!f.open(QIODevice::ReadOnly))
            qFatal("missing test data %s", qPrintable(f.fileName()));
        return f.readAll();
    }

private slots:
    void capturedPages_data();
    void capturedPages();
    void oddUriSurvives_data();
    void oddUriSurvives();
    void everyPrefixIsSafe_data();
    void everyPrefixIsSafe();
    void malformed_data();
    void malformed();
    void repairs_data();
    void repairs();
    void textMatchesJson();
    void textContinuesRawNewlineInUri();
    void textDates_data();
    void textDates();
    void toJsonRoundTrips();
    void oddValuesRoundTrip_data();
    void oddValuesRoundTrip();
    void numbersOutOfRangeSaturate_data();
    void numbersOutOfRangeSaturate();
    void countsComeFromTheProcessList();
};

void TestFpmStatus::capturedPages_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("quality");
    QTest::addColumn<QString>("processManager");
    QTest::addColumn<qint64>("accepted");
    QTest::addColumn<qint64>("active");
    QTest::addColumn<qint64>("idle");
    QTest::addColumn<qint64>("total");
    QTest::addColumn<qint64>("maxChildrenReached");
    QTest::addColumn<qint64>("slowRequests");
    QTest::addColumn<bool>("hasProcesses");
    QTest::addColumn<int>("processCount");

    const int exact = int(FpmStatus::Quality::Exact);
    QTest::newRow("static json&full, escaped odd uri")
        << "php82-static-json-full.json" << exact << "static" << 7ll << 2ll << 2ll << 4ll << 0ll
        << 0ll << true << 4;
    QTest::newRow("static json, no processes")
        << "php82-static-json.json" << exact << "static" << 11ll << 1ll << 3ll << 4ll << 0ll << 0ll
        << false << 0;
    QTest::newRow("dynamic json&full, saturated")
        << "php82-dynamic-json-full-busy.json" << exact << "dynamic" << 6ll << 3ll << 0ll << 3ll
        << 1ll << 4ll << true << 3;
    QTest::newRow("static plain text full") << "php82-static-full.txt" << exact << "static" << 9ll
                                            << 1ll << 3ll << 4ll << 0ll << 0ll << true << 4;
    QTest::newRow("unescaped uri (older fpm), repaired")
        << "unescaped-uri-json-full.json" << int(FpmStatus::Quality::Repaired) << "static" << 7ll
        << 2ll << 2ll << 4ll << 0ll << 0ll << true << 4;
}

void TestFpmStatus::capturedPages() {
    QFETCH(QString, file);
    QFETCH(int, quality);
    QFETCH(QString, processManager);
    QFETCH(qint64, accepted);
    QFETCH(qint64, active);
    QFETCH(qint64, idle);
    QFETCH(qint64, total);
    QFETCH(qint64, maxChildrenReached);
    QFETCH(qint64, slowRequests);
    QFETCH(bool, hasProcesses);
    QFETCH(int, processCount);

    FpmStatus::Quality q = FpmStatus::Quality::Truncated;
    QString error;
    const auto s = FpmStatus::parse(data(file), &q, &error);
    QVERIFY2(s, qPrintable(error));
    QCOMPARE(int(q), quality);
    QCOMPARE(s->pool, QStringLiteral("cap"));
    QCOMPARE(s->processManager, processManager);
    QVERIFY(s->startTime > 1700000000);
    QCOMPARE(s->acceptedConn, accepted);
    QCOMPARE(s->activeProcesses, active);
    QCOMPARE(s->idleProcesses, idle);
    QCOMPARE(s->totalProcesses, total);
    QCOMPARE(s->maxChildrenReached, maxChildrenReached);
    QCOMPARE(s->slowRequests, slowRequests);
    QCOMPARE(s->listenQueue, 0);
    QVERIFY(!s->memoryPeakBytes); // PHP 8.2 does not report it
    QCOMPARE(s->hasProcesses, hasProcesses);
    QCOMPARE(s->processes.size(), processCount);
    for (const FpmStatus::Process &p : s->processes) {
        QVERIFY(p.pid > 0);
        QVERIFY(!p.state.isEmpty());
        QVERIFY(!p.requestMethod.isEmpty());
        QVERIFY(p.startTime >= s->startTime);
    }
}

void TestFpmStatus::oddUriSurvives_data() {
    QTest::addColumn<QString>("file");
    QTest::newRow("escaped by php 8.2") << "php82-static-json-full.json";
    QTest::newRow("raw, repaired") << "unescaped-uri-json-full.json";
}

void TestFpmStatus::oddUriSurvives() {
    QFETCH(QString, file);
    const auto s = FpmStatus::fromJson(data(file));
    QVERIFY(s);
    QCOMPARE(s->processes.size(), 4);
    const FpmStatus::Process &p = s->processes.at(1);
    QCOMPARE(p.pid, 12513);
    QCOMPARE(p.state, QStringLiteral("Running"));
    QCOMPARE(p.requestMethod, QStringLiteral("POST"));
    QCOMPARE(p.requestUri, OddUri);
    QCOMPARE(p.user, OddUser);
    QCOMPARE(p.contentLength, 5);
    QCOMPARE(p.script, QStringLiteral("/tmp/fpmcap/slow.php"));
    QCOMPARE(p.requestDurationUs, 498887);
    // The fields after the odd ones are still in place.
    QCOMPARE(s->processes.at(2).requestUri, QStringLiteral("/slow.php"));
    QCOMPARE(s->processes.at(2).lastRequestMemoryBytes, 2097152);
    QCOMPARE(s->processes.at(3).requestUri, QStringLiteral("/fpm-status?json&full"));
}

void TestFpmStatus::everyPrefixIsSafe_data() {
    QTest::addColumn<QString>("file");
    QTest::newRow("valid json") << "php82-static-json-full.json";
    QTest::newRow("unescaped json") << "unescaped-uri-json-full.json";
    QTest::newRow("plain text") << "php82-static-full.txt";
}

// A body cut at any byte either fails with a message or yields only complete workers, each
// equal to the one in the whole page: never a half-filled worker, never a crash.
void TestFpmStatus::everyPrefixIsSafe() {
    QFETCH(QString, file);
    const QByteArray whole = data(file);
    const auto full = FpmStatus::parse(whole);
    QVERIFY(full);
    int recovered = 0;
    for (qsizetype n = 0; n < whole.size(); ++n) {
        const QByteArray prefix = whole.left(n);
        FpmStatus::Quality q = FpmStatus::Quality::Exact;
        QString error;
        const auto s = FpmStatus::parse(prefix, &q, &error);
        if (!s) {
            QVERIFY2(!error.isEmpty(), qPrintable(QString::number(n)));
            continue;
        }
        ++recovered;
        QVERIFY2(s->processes.size() <= full->processes.size(), qPrintable(QString::number(n)));
        for (int i = 0; i < s->processes.size(); ++i) {
            QVERIFY2(s->processes.at(i).toJson() == full->processes.at(i).toJson(),
                     qPrintable(QStringLiteral("prefix %1 worker %2").arg(n).arg(i)));
        }
        QCOMPARE(s->pool, full->pool);
        QCOMPARE(s->totalProcesses, full->totalProcesses);
    }
    QVERIFY(recovered > 0);
}

void TestFpmStatus::malformed_data() {
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("errorContains");
    QTest::newRow("empty") << QByteArray() << "not a php-fpm status page";
    QTest::newRow("html") << QByteArray("<html><body>File not found.</body></html>")
                          << "not a php-fpm status page";
    QTest::newRow("fpm 404 text") << QByteArray("File not found.\n") << "not a php-fpm status page";
    QTest::newRow("json array") << QByteArray("[1,2,3]") << "not a php-fpm status page";
    QTest::newRow("other json object")
        << QByteArray("{\"status\":\"ok\"}") << "not a php-fpm status page: no \"pool\"";
    QTest::newRow("cut in header") << QByteArray("{\"pool\":\"www\",\"process manager\":\"sta")
                                   << "cut off before \"process manager\"";
    QTest::newRow("binary garbage after brace")
        << QByteArray("{\x01\x02\x03\xff", 5) << "not a php-fpm status page";
    QTest::newRow("unquoted key") << QByteArray("{pool:\"www\"}") << "not a php-fpm status page";
    QTest::newRow("nested too deep")
        << QByteArray("{\"a\":[[[[[[[[[[[[x]]]]]]]]]]]]}") << "nested too deep";
    QTest::newRow("text cut in header")
        << QByteArray("pool: www\nprocess manager: static\n") << "cut off before \"accepted conn\"";
}

void TestFpmStatus::malformed() {
    QFETCH(QByteArray, body);
    QFETCH(QString, errorContains);
    QString error;
    const auto s = FpmStatus::parse(body, nullptr, &error);
    QVERIFY(!s);
    QVERIFY2(error.contains(errorContains), qPrintable(error));
}

void TestFpmStatus::repairs_data() {
    const QByteArray head = "{\"pool\":\"www\",\"process manager\":\"dynamic\",\"start time\":1,"
                            "\"start since\":2,\"accepted conn\":3,\"listen queue\":0,"
                            "\"max listen queue\":0,\"listen queue len\":0,\"idle processes\":1,"
                            "\"active processes\":1,\"total processes\":2,"
                            "\"max active processes\":1,\"max children reached\":0,"
                            "\"slow requests\":0";
    const QByteArray proc = "{\"pid\":7,\"state\":\"Idle\",\"start time\":1,\"start since\":2,"
                            "\"requests\":3,\"request duration\":4,\"request method\":\"GET\","
                            "\"request uri\":\"URI\",\"content length\":0,\"user\":\"-\","
                            "\"script\":\"-\",\"last request cpu\":CPU,"
                            "\"last request memory\":5}";
    const auto page = [&](const QByteArray &uri, const QByteArray &cpu = "0.00") {
        QByteArray p = proc;
        p.replace("URI", uri).replace("CPU", cpu);
        return head + ", \"processes\":[" + p + "," + p + "]}";
    };
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("quality");
    QTest::addColumn<QString>("uri");
    QTest::addColumn<double>("cpu");
    QTest::addColumn<int>("processes");

    const int repaired = int(FpmStatus::Quality::Repaired);
    QTest::newRow("quote then comma-key lookalike without colon")
        << page("/a?q=\", \"x") << repaired << "/a?q=\", \"x" << 0.0 << 2;
    QTest::newRow("quote before closing brace text")
        << page("/a?\"}") << repaired << "/a?\"}" << 0.0 << 2;
    QTest::newRow("trailing raw backslash")
        << page("C:\\dir\\") << repaired << "C:\\dir\\" << 0.0 << 2;
    QTest::newRow("raw backslash before letter")
        << page("/a\\q") << repaired << "/a\\q" << 0.0 << 2;
    QTest::newRow("raw carriage return") << page("/a\r\nb") << repaired << "/a\r\nb" << 0.0 << 2;
    QTest::newRow("invalid utf-8 byte") << page("/a\xff") << repaired << "/a\uFFFD" << 0.0 << 2;
    QTest::newRow("valid escapes kept")
        << page("\\/a\\u0041\\\"") << int(FpmStatus::Quality::Exact) << "/aA\"" << 0.0 << 2;
    // Found by fuzz_fpmstatus: valid JSON whose string held an escaped quote before '}' or ']'
    // was read as a raw backslash ending the string, so PHP 8.2's correct page came out
    // Repaired (and in another key order not at all).
    QTest::newRow("valid escaped quote before brace")
        << page("/q?f={\\\"a\\\":\\\"b\\\"}") << int(FpmStatus::Quality::Exact)
        << "/q?f={\"a\":\"b\"}" << 0.0 << 2;
    QTest::newRow("valid escaped quote before bracket")
        << page("/q?a[]=\\\"]") << int(FpmStatus::Quality::Exact) << "/q?a[]=\"]" << 0.0 << 2;
    QTest::newRow("nan cpu") << page("/x", "-nan") << repaired << "/x" << 0.0 << 2;
    QTest::newRow("notice after document")
        << page("/x") + "\nPHP Notice: something" << repaired << "/x" << 0.0 << 2;
    QTest::newRow("memory peak (php 8.4)")
        << QByteArray(page("/x"))
               .replace("\"slow requests\":0", "\"slow requests\":0,"
                                               "\"memory peak\":2097152")
        << int(FpmStatus::Quality::Exact) << "/x" << 0.0 << 2;
    QTest::newRow("cut inside second worker")
        << page("/x").left(page("/x").size() - 30) << int(FpmStatus::Quality::Truncated) << "/x"
        << 0.0 << 1;
    QTest::newRow("cut inside first worker's odd uri")
        << page("/x\"y").left(head.size() + 120) << int(FpmStatus::Quality::Truncated) << QString()
        << 0.0 << 0;
}

void TestFpmStatus::repairs() {
    QFETCH(QByteArray, body);
    QFETCH(int, quality);
    QFETCH(QString, uri);
    QFETCH(double, cpu);
    QFETCH(int, processes);
    FpmStatus::Quality q = FpmStatus::Quality::Exact;
    QString error;
    const auto s = FpmStatus::fromJson(body, &q, &error);
    QVERIFY2(s, qPrintable(error));
    QCOMPARE(int(q), quality);
    QCOMPARE(s->pool, QStringLiteral("www"));
    QCOMPARE(s->totalProcesses, 2);
    QCOMPARE(s->processes.size(), processes);
    for (const FpmStatus::Process &p : s->processes) {
        QCOMPARE(p.requestUri, uri);
        QCOMPARE(p.lastRequestCpuPercent, cpu);
        QCOMPARE(p.lastRequestMemoryBytes, 5);
    }
    if (QByteArray(QTest::currentDataTag()).startsWith("memory peak"))
        QCOMPARE(s->memoryPeakBytes.value_or(-1), 2097152);
    else
        QVERIFY(!s->memoryPeakBytes);
}

// Both captures come from the same php-fpm instance: the text page's date must give the JSON's
// unix start time, and worker pids must agree.
void TestFpmStatus::textMatchesJson() {
    const auto json = FpmStatus::fromJson(data(QStringLiteral("php82-static-json-full.json")));
    FpmStatus::Quality q = FpmStatus::Quality::Truncated;
    const auto text = FpmStatus::fromText(data(QStringLiteral("php82-static-full.txt")), &q);
    QVERIFY(json && text);
    QCOMPARE(q, FpmStatus::Quality::Exact);
    QCOMPARE(text->startTime, json->startTime);
    QCOMPARE(text->processes.size(), json->processes.size());
    for (int i = 0; i < text->processes.size(); ++i) {
        QCOMPARE(text->processes.at(i).pid, json->processes.at(i).pid);
        QCOMPARE(text->processes.at(i).startTime, json->startTime);
    }
    QCOMPARE(text->processes.at(0).requestUri, QStringLiteral("/fpm-status?full"));
}

void TestFpmStatus::textContinuesRawNewlineInUri() {
    const QByteArray body = "pool: www\nprocess manager: static\nstart time: 01/Jan/2024:00:00:00 "
                            "+0100\nstart since: 5\naccepted conn: 1\nlisten queue: 0\n"
                            "idle processes: 0\nactive processes: 1\ntotal processes: 1\n\n"
                            "************************\npid: 9\nstate: Running\n"
                            "request URI: /a?x=1\nsecond line\ncontent length: 0\n"
                            "last request cpu: 1.50\nlast request memory: 0\n";
    const auto s = FpmStatus::fromText(body);
    QVERIFY(s);
    QCOMPARE(s->startTime, 1704063600ll);
    QCOMPARE(s->processes.size(), 1);
    QCOMPARE(s->processes.at(0).requestUri, QStringLiteral("/a?x=1\nsecond line"));
    QCOMPARE(s->processes.at(0).lastRequestCpuPercent, 1.5);
}

// FPM's own date spelling is read by hand (Qt's parser, through local time, made reading the
// text page of a 1,000-worker pool about 4 times slower); other spellings still go to Qt.
void TestFpmStatus::textDates_data() {
    QTest::addColumn<QByteArray>("date");
    QTest::addColumn<qint64>("expected");
    QTest::newRow("utc") << QByteArray("21/Nov/2026:22:26:36 +0000") << qint64(1795299996);
    QTest::newRow("east") << QByteArray("01/Jan/2024:00:00:00 +0100") << qint64(1704063600);
    QTest::newRow("west, minutes")
        << QByteArray("31/Dec/2023:22:30:00 -0130") << qint64(1704067200);
    QTest::newRow("leap day") << QByteArray("29/Feb/2024:12:00:00 +0000") << qint64(1709208000);
    QTest::newRow("no such day") << QByteArray("30/Feb/2024:12:00:00 +0000") << qint64(0);
    QTest::newRow("no such hour") << QByteArray("01/Jan/2024:24:00:00 +0000") << qint64(0);
    QTest::newRow("unknown month") << QByteArray("01/Foo/2024:00:00:00 +0000") << qint64(0);
    QTest::newRow("unix seconds") << QByteArray("1704063600") << qint64(1704063600);
    QTest::newRow("no date") << QByteArray("-") << qint64(0);
    // Found by fuzz_fpmstatus: an offset of other characters overflowed an int (UBSan).
    QTest::newRow("offset not digits")
        << QByteArray("01/Jan/2024:00:00:00 +\xe4\x80\x80\xe4\x80\x80"
                      "00")
        << qint64(1704067200);
}

void TestFpmStatus::textDates() {
    QFETCH(QByteArray, date);
    QFETCH(qint64, expected);
    const QByteArray body = "pool: www\nprocess manager: static\nstart time: " + date +
                            "\nstart since: 5\naccepted conn: 1\nlisten queue: 0\n"
                            "idle processes: 1\nactive processes: 0\ntotal processes: 1\n";
    const auto s = FpmStatus::fromText(body);
    QVERIFY(s);
    QCOMPARE(s->startTime, expected);
}

void TestFpmStatus::toJsonRoundTrips() {
    const auto s = FpmStatus::fromJson(data(QStringLiteral("php82-static-json-full.json")));
    QVERIFY(s);
    const QByteArray json = QJsonDocument(s->toJson()).toJson(QJsonDocument::Compact);
    FpmStatus::Quality q = FpmStatus::Quality::Truncated;
    const auto again = FpmStatus::fromJson(json, &q);
    QVERIFY(again);
    QCOMPARE(q, FpmStatus::Quality::Exact);
    QCOMPARE(again->toJson(), s->toJson());
    QCOMPARE(s->toJson().value(QLatin1String("processes")).toArray().size(), 4);
    QVERIFY(!s->toJson().contains(QLatin1String("memory peak")));
}

void TestFpmStatus::oddValuesRoundTrip_data() {
    QTest::addColumn<QString>("uri");
    QTest::addColumn<QString>("user");
    QTest::addColumn<qint64>("acceptedConn");
    QTest::newRow("quote and brace in the uri") << "/q?f={\"a\":\"b\"}"
                                                << "-" << qint64(1);
    QTest::newRow("quote and bracket in the user") << "/"
                                                   << "bob\\\"]" << qint64(1);
    QTest::newRow("counter above 2^53") << "/"
                                        << "-" << qint64(9007199254740993);
    QTest::newRow("counter at qint64 max") << "/"
                                           << "-" << std::numeric_limits<qint64>::max();
    QTest::newRow("counter at qint64 min") << "/"
                                           << "-" << std::numeric_limits<qint64>::min();
}

// toJson() is what the push API serves as the FPM status: it must read back as it was, though
// Qt sorts the keys (so FPM's field order cannot help) and the values are arbitrary. Found by
// fuzz_fpmstatus.
void TestFpmStatus::oddValuesRoundTrip() {
    QFETCH(QString, uri);
    QFETCH(QString, user);
    QFETCH(qint64, acceptedConn);
    auto s = FpmStatus::fromJson(data(QStringLiteral("php82-static-json-full.json")));
    QVERIFY(s);
    s->processes[1].requestUri = uri;
    s->processes[1].user = user;
    s->acceptedConn = acceptedConn;
    const QByteArray json = QJsonDocument(s->toJson()).toJson(QJsonDocument::Compact);
    FpmStatus::Quality q = FpmStatus::Quality::Truncated;
    QString error;
    const auto again = FpmStatus::fromJson(json, &q, &error);
    QVERIFY2(again, qPrintable(error));
    QCOMPARE(q, FpmStatus::Quality::Exact);
    QCOMPARE(again->processes.at(1).requestUri, uri);
    QCOMPARE(again->processes.at(1).user, user);
    QCOMPARE(again->acceptedConn, acceptedConn);
    QCOMPARE(again->toJson(), s->toJson());
}

void TestFpmStatus::numbersOutOfRangeSaturate_data() {
    QTest::addColumn<QByteArray>("number");
    QTest::addColumn<qint64>("expected");
    const qint64 max = std::numeric_limits<qint64>::max();
    const qint64 min = std::numeric_limits<qint64>::min();
    QTest::newRow("1e300") << QByteArray("1e300") << max;
    QTest::newRow("-1e300") << QByteArray("-1e300") << min;
    QTest::newRow("2^63") << QByteArray("9223372036854775808") << max;
    QTest::newRow("qint64 max") << QByteArray("9223372036854775807") << max;
    QTest::newRow("qint64 min") << QByteArray("-9223372036854775808") << min;
    QTest::newRow("2^53 + 1 exactly") << QByteArray("9007199254740993") << qint64(9007199254740993);
    QTest::newRow("fraction truncated") << QByteArray("1.9") << qint64(1);
}

// Found by fuzz_fpmstatus: a number outside qint64 was cast from double (undefined behaviour,
// reported by UBSan; in practice qint64 min for any large value).
void TestFpmStatus::numbersOutOfRangeSaturate() {
    QFETCH(QByteArray, number);
    QFETCH(qint64, expected);
    QByteArray body = data(QStringLiteral("php82-static-json.json"));
    const QByteArray acceptedKey = "\"accepted conn\":";
    const qsizetype at = body.indexOf(acceptedKey) + acceptedKey.size();
    QVERIFY(at > acceptedKey.size());
    const qsizetype end = body.indexOf(',', at);
    body.replace(at, end - at, number);
    const QByteArray startKey = "\"start time\":";
    const qsizetype startAt = body.indexOf(startKey) + startKey.size();
    body.replace(startAt, body.indexOf(',', startAt) - startAt, number);
    QString error;
    const auto s = FpmStatus::fromJson(body, nullptr, &error);
    QVERIFY2(s, qPrintable(error));
    QCOMPARE(s->acceptedConn, expected);
    QCOMPARE(s->startTime, expected);
}

void TestFpmStatus::countsComeFromTheProcessList() {
    // A captured busy page agrees with its own list: nothing to correct.
    auto busy = FpmStatus::fromJson(data(QStringLiteral("php82-dynamic-json-full-busy.json")));
    QVERIFY(busy);
    const qint64 active = busy->activeProcesses;
    QVERIFY(!busy->countFromProcesses());
    QCOMPARE(busy->activeProcesses, active);
    QVERIFY(!busy->reportedActiveProcesses);

    // FPM's racy counters (php-src #14212): 53 active of a static pool of 4 workers, of which
    // the list says one runs and three are idle.
    QByteArray page = data(QStringLiteral("php82-static-json-full.json"));
    const auto s = FpmStatus::fromJson(page);
    QVERIFY(s);
    QCOMPARE(s->processes.size(), 4);
    qint64 idleListed = 0;
    for (const FpmStatus::Process &p : s->processes)
        idleListed += p.state == QLatin1String("Idle") ? 1 : 0;
    QJsonObject doc = QJsonDocument::fromJson(page).object();
    doc.insert(QStringLiteral("active processes"), 53);
    doc.insert(QStringLiteral("idle processes"), 0);
    doc.insert(QStringLiteral("total processes"), 53);
    auto racy = FpmStatus::fromJson(QJsonDocument(doc).toJson());
    QVERIFY(racy);
    QCOMPARE(racy->activeProcesses, 53); // the parser reports what FPM printed
    QVERIFY(racy->countFromProcesses());
    QCOMPARE(racy->activeProcesses, 4 - idleListed);
    QCOMPARE(racy->idleProcesses, idleListed);
    QCOMPARE(racy->totalProcesses, 4);
    QCOMPARE(racy->reportedActiveProcesses.value_or(-1), 53);
    QCOMPARE(racy->reportedTotalProcesses.value_or(-1), 53);
    const QJsonObject json = racy->toJson();
    QCOMPARE(json.value(QLatin1String("active processes")).toInteger(), 4 - idleListed);
    QCOMPARE(json.value(QLatin1String("reported active processes")).toInteger(), 53);

    // Without `full` there is no list to count from.
    auto plain = FpmStatus::fromJson(data(QStringLiteral("php82-static-json.json")));
    QVERIFY(plain);
    QVERIFY(!plain->countFromProcesses());
}

WSGATE_TEST_MAIN(TestFpmStatus)
#include "tst_fpmstatus.moc"
