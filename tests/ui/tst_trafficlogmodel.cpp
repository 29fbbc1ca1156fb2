// The traffic log's models and filter: batched inserts, ring trimming, filters.

#include "connectionsmodel.h"
#include "trafficfilter.h"
#include "trafficfilterproxymodel.h"
#include "trafficlogmodel.h"
#include "trafficmarks.h"

#include <QBrush>

#include <QSignalSpy>
#include <QTest>

namespace {

quint64 g_nextId = 1;

QVector<TrafficEntry> makeBatch(int n, TrafficEntry::Kind kind = TrafficEntry::Kind::MessageIn,
                                const QByteArray &client = "c1", const QByteArray &body = "hello") {
    QVector<TrafficEntry> batch;
    for (int i = 0; i < n; ++i) {
        TrafficEntry e;
        e.id = g_nextId++;
        e.timeMs = 1700000000000 + qint64(e.id);
        e.kind = kind;
        e.clientId = client;
        e.body = body;
        e.size = body.size();
        batch.append(e);
    }
    return batch;
}

} // namespace

class TestTrafficLogModel final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void batchedInsertsEmitOneSignalPerBatch();
    void ringTrimsTheFrontBeforeInserting();
    void batchLargerThanRingKeepsNewest();
    void shrinkingCapacityTrims();
    void rowOfIdFindsOnlyHeldEntries();
    void filterAccepts_data();
    void filterAccepts();
    void problemFilters_data();
    void problemFilters();
    void statusColumnMarksWarningsAndErrors();
    void replaySummarySaysSo();
    void invalidRegexIsRefused();
    void proxyFollowsFilterAndBatches();
    void connectionsModelUpdatesInPlace();
};

void TestTrafficLogModel::batchedInsertsEmitOneSignalPerBatch() {
    TrafficLogModel model(1000);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);

    model.append(makeBatch(10));
    model.append(makeBatch(1));
    model.append(makeBatch(500));
    model.append({}); // an empty turn inserts nothing

    QCOMPARE(inserted.count(), 3);
    // first .. last are inclusive: 10 rows are 0..9, not 0..10.
    QCOMPARE(inserted.at(0).at(1).toInt(), 0);
    QCOMPARE(inserted.at(0).at(2).toInt(), 9);
    QCOMPARE(inserted.at(1).at(1).toInt(), 10);
    QCOMPARE(inserted.at(1).at(2).toInt(), 10);
    QCOMPARE(inserted.at(2).at(1).toInt(), 11);
    QCOMPARE(inserted.at(2).at(2).toInt(), 510);
    QCOMPARE(removed.count(), 0);
    QCOMPARE(reset.count(), 0);
    QCOMPARE(model.rowCount(), 511);
}

void TestTrafficLogModel::ringTrimsTheFrontBeforeInserting() {
    TrafficLogModel model(100);
    const QVector<TrafficEntry> first = makeBatch(80);
    model.append(first);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);

    const QVector<TrafficEntry> second = makeBatch(50);
    model.append(second);

    QCOMPARE(removed.count(), 1);
    QCOMPARE(removed.at(0).at(1).toInt(), 0);
    QCOMPARE(removed.at(0).at(2).toInt(), 29);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 50);
    QCOMPARE(inserted.at(0).at(2).toInt(), 99);
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(model.entry(0).id, first.at(30).id);
    QCOMPARE(model.entry(99).id, second.last().id);
}

void TestTrafficLogModel::batchLargerThanRingKeepsNewest() {
    TrafficLogModel model(100);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    const QVector<TrafficEntry> batch = makeBatch(250);
    model.append(batch);
    QCOMPARE(removed.count(), 0);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 0);
    QCOMPARE(inserted.at(0).at(2).toInt(), 99);
    QCOMPARE(model.entry(0).id, batch.at(150).id);

    // A full ring plus another oversized batch: everything old goes in one removal.
    const QVector<TrafficEntry> again = makeBatch(300);
    model.append(again);
    QCOMPARE(removed.count(), 1);
    QCOMPARE(removed.at(0).at(2).toInt(), 99);
    QCOMPARE(inserted.count(), 2);
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(model.entry(0).id, again.at(200).id);
}

void TestTrafficLogModel::shrinkingCapacityTrims() {
    TrafficLogModel model(500);
    model.append(makeBatch(300));
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    model.setCapacity(200);
    QCOMPARE(removed.count(), 1);
    QCOMPARE(model.rowCount(), 200);
    model.setCapacity(1000);
    QCOMPARE(removed.count(), 1);
}

void TestTrafficLogModel::rowOfIdFindsOnlyHeldEntries() {
    TrafficLogModel model(100);
    const QVector<TrafficEntry> batch = makeBatch(150);
    model.append(batch);
    QCOMPARE(model.rowOfId(batch.at(0).id), -1);
    QCOMPARE(model.rowOfId(batch.at(50).id), 0);
    QCOMPARE(model.rowOfId(batch.last().id), 99);
    QCOMPARE(model.rowOfId(batch.last().id + 1), -1);
}

void TestTrafficLogModel::filterAccepts_data() {
    QTest::addColumn<QString>("client");
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("hiddenKind"); // -1: none
    QTest::addColumn<bool>("errorsOnly");
    QTest::addColumn<bool>("accepted");

    // The entry under test: a PHP row of client "abc" with body "Hello World", stderr "boom".
    QTest::newRow("empty filter") << ""
                                  << "" << -1 << false << true;
    QTest::newRow("same client") << "abc"
                                 << "" << -1 << false << true;
    QTest::newRow("other client") << "xyz"
                                  << "" << -1 << false << false;
    QTest::newRow("text in body, any case") << ""
                                            << "hello world" << -1 << false << true;
    QTest::newRow("text in stderr") << ""
                                    << "BOOM" << -1 << false << true;
    QTest::newRow("text nowhere") << ""
                                  << "nothing" << -1 << false << false;
    QTest::newRow("regex matches") << ""
                                   << "re:^Hel+o\\s" << -1 << false << true;
    QTest::newRow("regex misses") << ""
                                  << "re:^World" << -1 << false << false;
    QTest::newRow("kind hidden") << ""
                                 << "" << int(TrafficEntry::Kind::Php) << false << false;
    QTest::newRow("other kind hidden") << ""
                                       << "" << int(TrafficEntry::Kind::Open) << false << true;
    QTest::newRow("errors only, not an error") << ""
                                               << "" << -1 << true << false;
}

void TestTrafficLogModel::filterAccepts() {
    QFETCH(QString, client);
    QFETCH(QString, text);
    QFETCH(int, hiddenKind);
    QFETCH(bool, errorsOnly);
    QFETCH(bool, accepted);

    TrafficEntry e;
    e.kind = TrafficEntry::Kind::Php;
    e.clientId = "abc";
    e.body = "Hello World";
    auto php = std::make_shared<PhpExchange>();
    php->outcome = QStringLiteral("ok");
    php->status = 200;
    php->stderrData = "boom";
    e.php = php;

    TrafficFilter filter;
    filter.setClientId(client.toLatin1());
    QVERIFY(filter.setText(text));
    if (hiddenKind >= 0)
        filter.setKindEnabled(TrafficEntry::Kind(hiddenKind), false);
    filter.setErrorsOnly(errorsOnly);
    QCOMPARE(filter.accepts(e), accepted);

    e.isError = true; // errors-only never hides an error that passes the rest
    if (errorsOnly)
        QCOMPARE(filter.accepts(e), hiddenKind < 0 && client.isEmpty() && text.isEmpty());
}

namespace {

/// A PHP exchange row: `status` (0 with `outcome` for a failure) and `stderrData`.
TrafficEntry phpRow(int status, const QByteArray &stderrData, const QString &outcome = "ok") {
    TrafficEntry e;
    e.id = g_nextId++;
    e.kind = TrafficEntry::Kind::Php;
    e.clientId = "c1";
    e.status = status;
    auto php = std::make_shared<PhpExchange>();
    php->outcome = outcome;
    php->status = status;
    php->stderrData = stderrData;
    e.php = php;
    e.isError = outcome != QLatin1String("ok") || status < 200 || status > 299;
    return e;
}

const QByteArray Warning = "PHP message: PHP Warning:  Undefined variable $x in /a.php on line 3";
const QByteArray Notice = "PHP message: PHP Notice:  n in /a.php on line 3";
const QByteArray Fatal = "PHP message: PHP Fatal error:  Uncaught E in /a.php:3";
const QByteArray LogLine = "PHP message: handled 13 bytes";

} // namespace

void TestTrafficLogModel::problemFilters_data() {
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("stderrData");
    QTest::addColumn<QString>("outcome");
    QTest::addColumn<bool>("errorsOnly");
    QTest::addColumn<bool>("warnings");
    QTest::addColumn<bool>("nextErrorStops");

    QTest::newRow("200 clean") << 200 << QByteArray() << "ok" << false << false << false;
    QTest::newRow("200 with an error_log line")
        << 200 << LogLine << "ok" << false << false << false;
    QTest::newRow("200 with a warning") << 200 << Warning << "ok" << true << true << true;
    QTest::newRow("200 with a notice") << 200 << Notice << "ok" << false << true << false;
    QTest::newRow("200 with a fatal error") << 200 << Fatal << "ok" << true << true << true;
    QTest::newRow("500 without STDERR") << 500 << QByteArray() << "ok" << true << false << true;
    QTest::newRow("timeout") << 0 << QByteArray() << "php_timeout" << true << false << true;
}

void TestTrafficLogModel::problemFilters() {
    QFETCH(int, status);
    QFETCH(QByteArray, stderrData);
    QFETCH(QString, outcome);
    QFETCH(bool, errorsOnly);
    QFETCH(bool, warnings);
    QFETCH(bool, nextErrorStops);
    const TrafficEntry e = phpRow(status, stderrData, outcome);
    TrafficFilter errors;
    errors.setErrorsOnly(true);
    QCOMPARE(errors.accepts(e), errorsOnly);
    TrafficFilter warned;
    warned.setWarningsOnly(true);
    QCOMPARE(warned.accepts(e), warnings);
    TrafficFilter both;
    both.setErrorsOnly(true);
    both.setWarningsOnly(true);
    QCOMPARE(both.accepts(e), errorsOnly || warnings);
    QCOMPARE(TrafficMarks::isProblem(e), nextErrorStops);
}

void TestTrafficLogModel::statusColumnMarksWarningsAndErrors() {
    TrafficLogModel model(100);
    model.append(
        {phpRow(200, {}), phpRow(200, Warning), phpRow(500, {}), phpRow(0, {}, "php_timeout")});
    const auto status = [&model](int row) {
        return model.index(row, TrafficLogModel::Status).data().toString();
    };
    QCOMPARE(status(0), QStringLiteral("200"));
    QCOMPARE(status(1), QStringLiteral("⚠ 200"));
    QCOMPARE(status(2), QStringLiteral("✖ 500"));
    QCOMPARE(status(3), QStringLiteral("✖"));
    QVERIFY(!model.index(0, 0).data(Qt::ForegroundRole).isValid());
    const QColor warning =
        qvariant_cast<QBrush>(model.index(1, 0).data(Qt::ForegroundRole)).color();
    const QColor error = qvariant_cast<QBrush>(model.index(2, 0).data(Qt::ForegroundRole)).color();
    QVERIFY(warning.isValid());
    QVERIFY(error.isValid());
    QVERIFY(warning != error);
    QVERIFY(model.index(1, TrafficLogModel::Status)
                .data(Qt::ToolTipRole)
                .toString()
                .contains(QStringLiteral("1 warning")));
    QCOMPARE(model.index(3, 0).data(TrafficLogModel::MarkRole).toInt(),
             int(TrafficMarks::Mark::Error));
}

void TestTrafficLogModel::replaySummarySaysSo() {
    TrafficEntry e = phpRow(200, {});
    e.replayOf = 42;
    QVERIFY(TrafficLogModel::summary(e).startsWith(QStringLiteral("↻ replay of #42")));
    e.replayOf = 0;
    QVERIFY(!TrafficLogModel::summary(e).contains(QStringLiteral("replay")));
}

void TestTrafficLogModel::invalidRegexIsRefused() {
    TrafficFilter filter;
    QVERIFY(filter.setText(QStringLiteral("ok")));
    QVERIFY(!TrafficFilter::textError(QStringLiteral("re:(")).isEmpty());
    QVERIFY(!filter.setText(QStringLiteral("re:(")));
    QCOMPARE(filter.text(), QStringLiteral("ok"));
    QVERIFY(TrafficFilter::textError(QStringLiteral("(")).isEmpty()); // plain text: no regex
}

void TestTrafficLogModel::proxyFollowsFilterAndBatches() {
    TrafficLogModel model(1000);
    TrafficFilterProxyModel proxy(&model);
    TrafficFilter onlyB;
    onlyB.setClientId("b");
    proxy.setFilter(onlyB);
    QSignalSpy proxyInserted(&proxy, &QAbstractItemModel::rowsInserted);

    QVector<TrafficEntry> batch = makeBatch(5, TrafficEntry::Kind::MessageIn, "a");
    batch += makeBatch(3, TrafficEntry::Kind::MessageIn, "b");
    model.append(batch);
    QCOMPARE(proxy.rowCount(), 3);
    QCOMPARE(proxyInserted.count(), 1);

    proxy.setFilter(TrafficFilter());
    QCOMPARE(proxy.rowCount(), 8);

    TrafficFilter errors;
    errors.setErrorsOnly(true);
    proxy.setFilter(errors);
    QCOMPARE(proxy.rowCount(), 0);
}

void TestTrafficLogModel::connectionsModelUpdatesInPlace() {
    ConnectionsModel model;
    model.setClosedRowLimits(0, 0); // closed rows go at once (tst_conversation tests them kept)
    auto client = [](const char *id, qint64 in) {
        ClientSnapshot c;
        c.id = id;
        c.messagesIn = in;
        return c;
    };
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);

    model.setClients({client("a", 1), client("b", 1), client("c", 1), client("d", 1)});
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(model.rowCount(), 4);

    // b and c leave together (one removal), a changes, e arrives.
    model.setClients({client("a", 7), client("d", 1), client("e", 0)});
    QCOMPARE(removed.count(), 1);
    QCOMPARE(removed.at(0).at(1).toInt(), 1);
    QCOMPARE(removed.at(0).at(2).toInt(), 2);
    QCOMPARE(inserted.count(), 2);
    QCOMPARE(reset.count(), 0);
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.rowOfId("a"), 0);
    QCOMPARE(model.index(0, ConnectionsModel::MessagesIn)
                 .data(ConnectionsModel::RawValueRole)
                 .toLongLong(),
             7);
    QCOMPARE(model.rowOfId("e"), 2);
    QCOMPARE(model.rowOfId("b"), -1);

    model.setClients({});
    QCOMPARE(model.rowCount(), 0);
}

QTEST_MAIN(TestTrafficLogModel)
#include "tst_trafficlogmodel.moc"
