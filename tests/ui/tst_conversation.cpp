// A client's conversation (ConversationStore, ConversationModel, ConversationView) and the
// closed rows of the connections table, fed with hand-made traffic entries.

#include "connectionsmodel.h"
#include "conversationmodel.h"
#include "conversationstore.h"
#include "conversationview.h"

#include <QApplication>
#include <QPalette>
#include <QTableView>
#include <QTest>

#include <memory>

class TestConversation final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void pushesReachTheirReceiversOnly_data();
    void pushesReachTheirReceiversOnly();
    void cutReceiverListsAreCountedAsUncertain();
    void closedConversationsStayBoundedInNumber();
    void entriesStayBoundedPerClientAndInTotal();
    void missingClientsAreClosedAfterTheGrace();
    void modelFollowsTheStoreInPlace();
    void viewShowsAClosedClientsConversation();
    void closedRowStaysGreyedThenGoes();
    void closedRowsAreBoundedInNumber();
};

namespace {

quint64 nextId = 1;

TrafficEntry entry(TrafficEntry::Kind kind, const QByteArray &client, const QByteArray &body = {},
                   qint64 timeMs = 1000) {
    TrafficEntry e;
    e.id = nextId++;
    e.timeMs = timeMs;
    e.kind = kind;
    e.clientId = client;
    e.body = body;
    e.size = body.size();
    return e;
}

TrafficEntry fanOut(const QString &target, const QList<QByteArray> &receivers,
                    const QByteArray &body, bool truncated = false) {
    TrafficEntry e = entry(TrafficEntry::Kind::Push, {}, body);
    e.text = QStringLiteral("to %1: delivered %2 of %2").arg(target).arg(receivers.size());
    e.receivers = std::make_shared<const QList<QByteArray>>(receivers);
    e.receiversTruncated = truncated;
    return e;
}

QList<QByteArray> bodies(const ConversationStore &store, const QByteArray &client) {
    QList<QByteArray> out;
    if (const ConversationStore::Conversation *c = store.find(client)) {
        for (const TrafficEntry &e : c->entries)
            out << e.body;
    }
    return out;
}

ClientSnapshot client(const QByteArray &id) {
    ClientSnapshot c;
    c.id = id;
    c.peer = QStringLiteral("127.0.0.1:5000");
    c.path = QStringLiteral("/ws");
    c.connectedMs = 1000;
    return c;
}

} // namespace

void TestConversation::pushesReachTheirReceiversOnly_data() {
    QTest::addColumn<QByteArray>("client");
    QTest::addColumn<QList<QByteArray>>("expected");
    // a is in group lobby, b in group dev; everyone reached both; the user push only b.
    QTest::newRow("member of lobby")
        << QByteArray("a")
        << QList<QByteArray>{"hi a", "{\"to\":\"lobby\"}", "{\"to\":\"all\"}", "bye"};
    QTest::newRow("member of dev")
        << QByteArray("b")
        << QList<QByteArray>{"{\"to\":\"dev\"}", "{\"to\":\"all\"}", "{\"to\":\"bob\"}", "direct"};
}

void TestConversation::pushesReachTheirReceiversOnly() {
    QFETCH(QByteArray, client);
    QFETCH(QList<QByteArray>, expected);
    ConversationStore store;
    const auto direct = [] {
        TrafficEntry e = entry(TrafficEntry::Kind::Push, "b", "direct");
        e.text = QStringLiteral("to client b: delivered 1 of 1");
        return e;
    };
    const QSet<QByteArray> changed =
        store.add({entry(TrafficEntry::Kind::Open, "a"), entry(TrafficEntry::Kind::Open, "b"),
                   entry(TrafficEntry::Kind::MessageIn, "a", "hi a"),
                   fanOut(QStringLiteral("group lobby"), {"a"}, "{\"to\":\"lobby\"}"),
                   fanOut(QStringLiteral("group dev"), {"b"}, "{\"to\":\"dev\"}"),
                   fanOut(QStringLiteral("everyone"), {"a", "b"}, "{\"to\":\"all\"}"),
                   fanOut(QStringLiteral("user bob"), {"b"}, "{\"to\":\"bob\"}"), direct(),
                   entry(TrafficEntry::Kind::PhpLog, {}, "php-fpm says hi"),
                   entry(TrafficEntry::Kind::Close, "a", "bye")});
    QCOMPARE(changed, (QSet<QByteArray>{"a", "b"}));
    QList<QByteArray> got = bodies(store, client);
    got.removeAll(QByteArray()); // the open row has no body
    QCOMPARE(got, expected);
    // In log order, ids ascending.
    const auto &entries = store.find(client)->entries;
    for (int i = 1; i < entries.size(); ++i)
        QVERIFY(entries.at(i - 1).id < entries.at(i).id);
    QCOMPARE(store.find("a")->closed, true);
    QCOMPARE(store.find("b")->closed, false);
    QCOMPARE(store.size(), 2); // the PHP-FPM log line is nobody's
}

void TestConversation::cutReceiverListsAreCountedAsUncertain() {
    ConversationStore store;
    store.add({entry(TrafficEntry::Kind::Open, "listed"), entry(TrafficEntry::Kind::Open, "other"),
               entry(TrafficEntry::Kind::Open, "gone")});
    store.add({entry(TrafficEntry::Kind::Close, "gone")});
    store.add({fanOut(QStringLiteral("everyone"), {"listed"}, "big", true)});
    QCOMPARE(store.find("listed")->uncertainPushes, 0);
    QCOMPARE(store.find("other")->uncertainPushes, 1);
    QCOMPARE(store.find("gone")->uncertainPushes, 0); // closed before: could not have got it
    QCOMPARE(bodies(store, "other").contains("big"), false);
}

void TestConversation::closedConversationsStayBoundedInNumber() {
    ConversationStore::Limits limits;
    limits.closedClients = 3;
    ConversationStore store(limits);
    for (int i = 0; i < 5; ++i) {
        const QByteArray id = QByteArray::number(i);
        store.add({entry(TrafficEntry::Kind::Open, id), entry(TrafficEntry::Kind::Close, id)});
    }
    store.add({entry(TrafficEntry::Kind::Open, "live")});
    QCOMPARE(store.closedCount(), 3);
    QCOMPARE(store.closedIds(), (QList<QByteArray>{"4", "3", "2"}));
    QVERIFY(!store.contains("0"));
    QVERIFY(!store.contains("1"));
    QVERIFY(store.contains("live"));
    QCOMPARE(store.totalEntries(), qint64(3 * 2 + 1));
}

void TestConversation::entriesStayBoundedPerClientAndInTotal() {
    ConversationStore::Limits limits;
    limits.entriesPerClient = 10;
    limits.totalEntries = 25;
    ConversationStore store(limits);
    QVector<TrafficEntry> batch;
    for (int i = 0; i < 30; ++i)
        batch << entry(TrafficEntry::Kind::MessageIn, "a", QByteArray::number(i));
    store.add(batch);
    QCOMPARE(store.find("a")->entries.size(), 10);
    QCOMPARE(store.find("a")->entries.constFirst().body, QByteArray("20"));
    QCOMPARE(store.find("a")->dropped, qint64(20));
    batch.clear();
    for (int i = 0; i < 8; ++i) {
        batch << entry(TrafficEntry::Kind::MessageIn, "b", QByteArray::number(i));
        batch << entry(TrafficEntry::Kind::MessageIn, "c", QByteArray::number(i));
    }
    store.add(batch);
    QCOMPARE(store.totalEntries(), qint64(25));
    // The oldest go first, whoever's: a's entries are older than b's and c's.
    QCOMPARE(store.find("a")->entries.size(), 9);
    QCOMPARE(store.find("a")->entries.constFirst().body, QByteArray("21"));
    QCOMPARE(store.find("b")->entries.size(), 8);
    QCOMPARE(store.find("c")->entries.constLast().body, QByteArray("7"));
}

void TestConversation::missingClientsAreClosedAfterTheGrace() {
    ConversationStore store;
    store.add({entry(TrafficEntry::Kind::Open, "quiet", {}, 1000),
               entry(TrafficEntry::Kind::Open, "here", {}, 1000)});
    store.closeMissing({"here"}, 2000, 3000); // within the grace: a snapshot may lag
    QCOMPARE(store.find("quiet")->closed, false);
    store.closeMissing({"here"}, 4000, 3000);
    QCOMPARE(store.find("quiet")->closed, true);
    QCOMPARE(store.find("here")->closed, false);
    store.closeAll(5000);
    QCOMPARE(store.find("here")->closed, true);
}

void TestConversation::modelFollowsTheStoreInPlace() {
    ConversationStore::Limits limits;
    limits.entriesPerClient = 4;
    ConversationStore store(limits);
    ConversationModel model(&store);
    store.add(
        {entry(TrafficEntry::Kind::Open, "a"), entry(TrafficEntry::Kind::MessageIn, "a", "1")});
    model.setClient("a");
    QCOMPARE(model.rowCount(), 2);
    int inserted = 0;
    int removed = 0;
    connect(
        &model, &QAbstractItemModel::rowsInserted, this,
        [&inserted](const QModelIndex &, int first, int last) { inserted += last - first + 1; });
    connect(&model, &QAbstractItemModel::rowsRemoved, this,
            [&removed](const QModelIndex &, int first, int last) { removed += last - first + 1; });
    store.add({entry(TrafficEntry::Kind::MessageIn, "a", "2"),
               fanOut(QStringLiteral("group lobby"), {"a"}, "3"),
               entry(TrafficEntry::Kind::MessageIn, "a", "4")});
    model.refresh();
    QCOMPARE(inserted, 3);
    QCOMPARE(removed, 1); // the cap of 4 let the open row go
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(model.entry(0).body, QByteArray("1"));
    QCOMPARE(model.index(2, ConversationModel::Event).data().toString(),
             QStringLiteral("▶ push via group lobby"));
    QCOMPARE(model.index(2, ConversationModel::Detail).data().toString(), QStringLiteral("3"));
}

void TestConversation::viewShowsAClosedClientsConversation() {
    ConversationView view;
    view.appendEntries({entry(TrafficEntry::Kind::Open, "x"),
                        entry(TrafficEntry::Kind::MessageIn, "x", "hello"),
                        fanOut(QStringLiteral("everyone"), {"x", "y"}, "news")});
    view.setClients({client("x"), client("y")}, 2000);
    TrafficEntry close = entry(TrafficEntry::Kind::Close, "x");
    close.status = 4001;
    close.text = QStringLiteral("bye");
    view.appendEntries({close});
    view.setClients({client("y")}, 3000);
    view.showClient("x", client("x"));
    QCOMPARE(view.clientId(), QByteArray("x"));
    QCOMPARE(view.model()->rowCount(), 4);
    QCOMPARE(view.model()->entry(2).body, QByteArray("news"));
    QVERIFY2(view.headerText().contains(QStringLiteral("4001 bye")), qPrintable(view.headerText()));
    QVERIFY(view.headerText().contains(QStringLiteral("/ws")));
    // Selecting a row shows it in the detail pane.
    view.table()->selectRow(1);
    QCOMPARE(view.model()->entry(1).body, QByteArray("hello"));
}

void TestConversation::closedRowStaysGreyedThenGoes() {
    ConnectionsModel model;
    model.setClosedRowLimits(60000, 10);
    model.setNowMs(1000);
    model.setClients({client("a"), client("b")});
    model.setNowMs(2000);
    model.setClients({client("b")});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.liveCount(), 1);
    const int row = model.rowOfId("a");
    QVERIFY(model.isClosed(row));
    QCOMPARE(model.index(row, 0).data(ConnectionsModel::ClosedRole).toBool(), true);
    QCOMPARE(model.index(row, 0).data(Qt::ForegroundRole).value<QColor>(),
             QApplication::palette().color(QPalette::Disabled, QPalette::Text));
    QVERIFY(model.index(row, ConnectionsModel::LastActivity)
                .data()
                .toString()
                .startsWith(QStringLiteral("closed")));
    QVERIFY(!model.index(model.rowOfId("b"), 0).data(Qt::ForegroundRole).isValid());
    model.setNowMs(2000 + 60000 - 1);
    model.setClients({client("b")});
    QCOMPARE(model.rowCount(), 2);
    model.setNowMs(2000 + 60000);
    model.setClients({client("b")});
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.rowOfId("a"), -1);
}

void TestConversation::closedRowsAreBoundedInNumber() {
    ConnectionsModel model;
    model.setClosedRowLimits(600000, 2);
    qint64 now = 1000;
    model.setNowMs(now);
    model.setClients({client("1"), client("2"), client("3"), client("4")});
    for (const char *gone : {"1", "2", "3"}) {
        QVector<ClientSnapshot> still;
        for (int r = 0; r < model.rowCount(); ++r) {
            if (!model.isClosed(r) && model.client(r).id != QByteArray(gone))
                still << model.client(r);
        }
        model.setNowMs(now += 1000);
        model.setClients(still);
    }
    QCOMPARE(model.closedCount(), 2);
    QCOMPARE(model.rowOfId("1"), -1); // the oldest closed went first
    QVERIFY(model.rowOfId("2") >= 0 && model.rowOfId("3") >= 0);
    QCOMPARE(model.liveCount(), 1);
}

QTEST_MAIN(TestConversation)
#include "tst_conversation.moc"
