// RemoteIdBook: console ids for entries of attached daemons, over restarts and nodes.

#include "remoteidbook.h"

#include <QTest>

class TestRemoteIdBook : public QObject {
    Q_OBJECT
private slots:
    void idsGoOnAndNameTheirOrigin();
    void boundedOldestFirst();
};

void TestRemoteIdBook::idsGoOnAndNameTheirOrigin() {
    RemoteIdBook book(41); // the console shows up to #41 already
    const quint64 a1 = book.add({"http://a", "run1", 1});
    const quint64 b1 = book.add({"http://b", "run1", 1});      // another node's #1
    const quint64 a1again = book.add({"http://a", "run2", 1}); // node a restarted
    QCOMPARE(a1, quint64(42));
    QCOMPARE(b1, quint64(43));
    QCOMPARE(a1again, quint64(44));
    QCOMPARE(book.lastId(), quint64(44));
    QCOMPARE(book.find({"http://a", "run1", 1}), a1);
    QCOMPARE(book.find({"http://b", "run1", 1}), b1);
    QCOMPARE(book.find({"http://a", "run2", 1}), a1again);
    QCOMPARE(book.find({"http://a", "run1", 2}), quint64(0));
    const std::optional<RemoteIdBook::Origin> o = book.origin(b1);
    QVERIFY(o);
    QCOMPARE(o->node, QByteArray("http://b"));
    QCOMPARE(o->instance, QByteArray("run1"));
    QCOMPARE(o->remoteId, quint64(1));
    QVERIFY(!book.origin(41));
    QVERIFY(!book.origin(45));
}

void TestRemoteIdBook::boundedOldestFirst() {
    RemoteIdBook book;
    for (int i = 1; i <= RemoteIdBook::MaxEntries + 10; ++i)
        book.add({"n", "r", quint64(i)});
    QVERIFY(!book.origin(10));
    QCOMPARE(book.find({"n", "r", 10}), quint64(0));
    QVERIFY(book.origin(11));
    QCOMPARE(book.find({"n", "r", quint64(RemoteIdBook::MaxEntries + 10)}),
             quint64(RemoteIdBook::MaxEntries + 10));
}

QTEST_MAIN(TestRemoteIdBook)
#include "tst_remoteidbook.moc"
