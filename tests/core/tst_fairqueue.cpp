#include "php/fairqueue.h"

#include <QTest>

namespace {

// Runs a script against a FairQueue<QByteArray> whose items are their own names ("A1"):
//   "+A1"  push A1 for owner A ("+-1": no owner), "<A1" pushFront, "take" takes the next item,
//   "done A" finished(A), "x A1" remove (must succeed).
// Returns the taken items, in order.
QStringList run(const QStringList &script, FairQueue<QByteArray> &queue) {
    QHash<QByteArray, quint64> ids;
    quint64 nextId = 0;
    QStringList taken;
    const auto ownerOf = [](const QByteArray &item) {
        return item.startsWith('-') ? QByteArray() : item.left(1);
    };
    for (const QString &step : script) {
        const QByteArray s = step.toLatin1();
        if (s == "take") {
            taken.append(QString::fromLatin1(queue.takeFront()));
        } else if (s.startsWith("done ")) {
            queue.finished(s.mid(5));
        } else if (s.startsWith("x ")) {
            if (!queue.remove(ids.value(s.mid(2))))
                taken.append(QStringLiteral("remove failed: ") + step);
        } else {
            const QByteArray item = s.mid(1);
            ids[item] = ++nextId;
            if (s.startsWith('+'))
                queue.push(nextId, ownerOf(item), item, item.size());
            else
                queue.pushFront(nextId, ownerOf(item), item, item.size());
        }
    }
    return taken;
}

} // namespace

class TestFairQueue : public QObject {
    Q_OBJECT
private slots:
    void order_data();
    void order();
    void countsAndRemove();
    void frontIsWhatTakeReturns();
};

void TestFairQueue::order_data() {
    QTest::addColumn<QStringList>("script");
    QTest::addColumn<QStringList>("taken");
    QTest::newRow("one owner: FIFO") << QStringList{"+A1", "+A2", "+A3", "take", "take", "take"}
                                     << QStringList{"A1", "A2", "A3"};
    QTest::newRow("owner running: a newcomer goes first")
        << QStringList{"+A1", "take", "+A2", "+A3", "+B1", "take", "take", "take"}
        << QStringList{"A1", "B1", "A2", "A3"};
    QTest::newRow("owner finished: it is forgotten, FIFO again")
        << QStringList{"+A1", "take", "done A", "+A2", "+B1", "take", "take"}
        << QStringList{"A1", "A2", "B1"};
    QTest::newRow("rounds: one item per owner per round")
        << QStringList{"+A1",  "+A2",  "+A3",  "+B1",  "+B2",  "+C1",
                       "take", "take", "take", "take", "take", "take"}
        << QStringList{"A1", "B1", "C1", "A2", "B2", "A3"};
    QTest::newRow("no owner: each item an owner of its own")
        << QStringList{"+A1", "take", "+A2", "+-1", "+-2", "take", "take", "take"}
        << QStringList{"A1", "-1", "-2", "A2"};
    QTest::newRow("pushFront puts a retry first")
        << QStringList{"+A1", "+B1", "take", "<A1", "take", "take"}
        << QStringList{"A1", "A1", "B1"};
    QTest::newRow("a removed item keeps no place for its owner")
        << QStringList{"+A1", "take", "+A2", "+B1", "x A2", "+A3", "take", "take"}
        << QStringList{"A1", "B1", "A3"};
    QTest::newRow("removing from the middle keeps the rest in order")
        << QStringList{"+A1", "+A2", "+A3", "x A2", "take", "take"} << QStringList{"A1", "A3"};
}

void TestFairQueue::order() {
    QFETCH(QStringList, script);
    QFETCH(QStringList, taken);
    FairQueue<QByteArray> queue;
    QCOMPARE(run(script, queue), taken);
}

void TestFairQueue::countsAndRemove() {
    FairQueue<QByteArray> queue;
    QVERIFY(queue.isEmpty());
    queue.push(1, "A", "a1", 10);
    queue.push(2, "A", "a2", 20);
    queue.push(3, "B", "b1", 30);
    queue.push(4, {}, "n1", 40);
    queue.push(5, {}, "n2", 50);
    QCOMPARE(queue.size(), 5);
    QCOMPARE(queue.bytes(), qint64(150));
    QCOMPARE(queue.owners(), 4);
    QVERIFY(queue.contains(3));
    QByteArray removed;
    QVERIFY(queue.remove(3, &removed));
    QCOMPARE(removed, QByteArray("b1"));
    QVERIFY(!queue.contains(3));
    QVERIFY(!queue.remove(3));
    QVERIFY(!queue.remove(99));
    QCOMPARE(queue.size(), 4);
    QCOMPARE(queue.bytes(), qint64(120));
    QCOMPARE(queue.owners(), 3);
    QCOMPARE(queue.takeFront(), QByteArray("a1"));
    QVERIFY(!queue.contains(1));
    QCOMPARE(queue.owners(), 3); // A still has a2
    QVERIFY(queue.remove(2));
    QCOMPARE(queue.owners(), 2);
    QCOMPARE(queue.takeFront(), QByteArray("n1"));
    QCOMPARE(queue.takeFront(), QByteArray("n2"));
    QVERIFY(queue.isEmpty());
    QCOMPARE(queue.size(), 0);
    QCOMPARE(queue.bytes(), qint64(0));
    QCOMPARE(queue.owners(), 0);
}

void TestFairQueue::frontIsWhatTakeReturns() {
    FairQueue<QByteArray> queue;
    queue.push(1, "A", "a1", 1);
    QCOMPARE(queue.takeFront(), QByteArray("a1"));
    queue.push(2, "A", "a2", 1); // next round: A had its turn
    queue.push(3, "B", "b1", 1); // this round
    QCOMPARE(queue.front(), QByteArray("b1"));
    QCOMPARE(queue.front(), QByteArray("b1")); // looking does not change the order
    queue.push(4, "C", "c1", 1);
    QCOMPARE(queue.takeFront(), QByteArray("b1"));
    QCOMPARE(queue.front(), QByteArray("c1"));
    QCOMPARE(queue.takeFront(), QByteArray("c1"));
    QCOMPARE(queue.front(), QByteArray("a2")); // this round is over
    QCOMPARE(queue.takeFront(), QByteArray("a2"));
}

QTEST_GUILESS_MAIN(TestFairQueue)
#include "tst_fairqueue.moc"
