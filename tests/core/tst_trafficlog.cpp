// TrafficLog: bounded by entries and by the bytes of the bodies it keeps, ids contiguous.

#include "observe/trafficlog.h"

#include <QTest>

#include <memory>

namespace {

TrafficEntry message(qsizetype bytes) {
    TrafficEntry e;
    e.kind = TrafficEntry::Kind::MessageIn;
    e.clientId = "c1";
    e.body = QByteArray(bytes, 'x');
    return e;
}

TrafficEntry exchange(qsizetype request, qsizetype reply, qsizetype stderrBytes) {
    auto php = std::make_shared<PhpExchange>();
    php->requestBody = QByteArray(request, 'q');
    php->responseBody = QByteArray(reply, 'r');
    php->stderrData = QByteArray(stderrBytes, 'e');
    TrafficEntry e;
    e.kind = TrafficEntry::Kind::Php;
    e.clientId = "c1";
    e.php = std::move(php);
    return e;
}

} // namespace

class TestTrafficLog : public QObject {
    Q_OBJECT
private slots:
    void boundedByEntries();
    void boundedByBytes();
    void phpExchangesCountTheirBodies();
    void oneEntryLargerThanTheBoundStays();
    void shrinkingAndClearingReleaseBytes();
    void bodiesAreCappedAndMarked();
};

void TestTrafficLog::boundedByEntries() {
    TrafficLog log(3, 1024, 1 << 20);
    for (int i = 0; i < 5; ++i)
        QCOMPARE(log.append(message(10)), quint64(i + 1));
    const QVector<TrafficEntry> all = log.entriesSince(0);
    QCOMPARE(all.size(), 3);
    QCOMPARE(all.front().id, quint64(3));
    QCOMPARE(log.heldBytes(), 30);
    TrafficEntry e;
    QVERIFY(!log.entry(2, &e));
    QVERIFY(log.entry(4, &e));
    QCOMPARE(e.id, quint64(4));
}

void TestTrafficLog::boundedByBytes() {
    TrafficLog log(1000, 1024, 2500);
    for (int i = 0; i < 10; ++i)
        log.append(message(1000));
    // 2,500 bytes hold two 1,000-byte bodies; the oldest go first.
    const QVector<TrafficEntry> all = log.entriesSince(0);
    QCOMPARE(all.size(), 2);
    QCOMPARE(all.front().id, quint64(9));
    QCOMPARE(log.heldBytes(), 2000);
}

void TestTrafficLog::phpExchangesCountTheirBodies() {
    TrafficLog log(1000, 1024, 10000);
    log.append(exchange(3000, 3000, 1000)); // 7,000
    QCOMPARE(log.heldBytes(), 7000);
    log.append(exchange(2000, 2000, 0)); // 11,000: the first goes
    QCOMPARE(log.heldBytes(), 4000);
    QCOMPARE(log.entriesSince(0).size(), 1);
}

void TestTrafficLog::oneEntryLargerThanTheBoundStays() {
    TrafficLog log(10, 1 << 20, 100);
    log.append(message(500));
    QCOMPARE(log.entriesSince(0).size(), 1);
    log.append(message(600));
    const QVector<TrafficEntry> all = log.entriesSince(0);
    QCOMPARE(all.size(), 1);
    QCOMPARE(all.front().id, quint64(2));
    QCOMPARE(log.heldBytes(), 600);
}

void TestTrafficLog::shrinkingAndClearingReleaseBytes() {
    TrafficLog log(10, 1024, 1 << 20);
    for (int i = 0; i < 4; ++i)
        log.append(message(100));
    log.setCapacity(1);
    QCOMPARE(log.heldBytes(), 100);
    log.clear();
    QCOMPARE(log.heldBytes(), 0);
    QCOMPARE(log.entriesSince(0).size(), 0);
    log.setCapacity(0);
    QVERIFY(!log.enabled());
    QCOMPARE(log.append(message(10)), quint64(0));
}

void TestTrafficLog::bodiesAreCappedAndMarked() {
    TrafficLog log(10, 64, 1 << 20);
    log.append(message(100));
    const TrafficEntry e = log.entriesSince(0).front();
    QCOMPARE(e.body.size(), 64);
    QVERIFY(e.bodyTruncated);
    QCOMPARE(e.size, 100);
    QCOMPARE(log.heldBytes(), 64);
}

QTEST_GUILESS_MAIN(TestTrafficLog)
#include "tst_trafficlog.moc"
