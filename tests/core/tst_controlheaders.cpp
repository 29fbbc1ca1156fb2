#include "gateway/controlheaders.h"
#include "testmain.h"

#include <QTest>

class TestControlHeaders final : public QObject {
    Q_OBJECT
private slots:
    void parse() {
        const ControlHeaders c = ControlHeaders::parse({{"Content-Type", "text/plain"},
                                                        {"x-ws-user", " alice "},
                                                        {"X-WS-Join", "room1, room2,,room1"},
                                                        {"X-WS-Join", "room3"},
                                                        {"X-WS-Leave", "lobby"},
                                                        {"X-WS-Close", "4001 bye now"}});
        QCOMPARE(c.user.value_or(QStringLiteral("<none>")), QStringLiteral("alice"));
        QCOMPARE(c.join, (QStringList{"room1", "room2", "room3"}));
        QCOMPARE(c.leave, QStringList{"lobby"});
        QVERIFY(c.close);
        QCOMPARE(c.close->code, 4001);
        QCOMPARE(c.close->reason, QByteArray("bye now"));
        QVERIFY(c.problems.isEmpty());
        QVERIFY(ControlHeaders::parse({{"Content-Type", "x"}}).isEmpty());
    }

    void emptyUserUnbinds() {
        const ControlHeaders c = ControlHeaders::parse({{"X-WS-User", ""}});
        QVERIFY(c.user);
        QVERIFY(c.user->isEmpty());
    }

    void closeCodes_data() {
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<int>("code");
        QTest::addColumn<QByteArray>("reason");
        QTest::addColumn<bool>("problem");
        QTest::newRow("normal") << QByteArray("1000") << 1000 << QByteArray() << false;
        QTest::newRow("app") << QByteArray("4999 x") << 4999 << QByteArray("x") << false;
        QTest::newRow("no code") << QByteArray("bye") << 1000 << QByteArray("bye") << false;
        QTest::newRow("1005") << QByteArray("1005 no status") << 1011 << QByteArray("no status")
                              << true;
        QTest::newRow("1006") << QByteArray("1006") << 1011 << QByteArray() << true;
        QTest::newRow("1015") << QByteArray("1015") << 1011 << QByteArray() << true;
        QTest::newRow("1004") << QByteArray("1004") << 1011 << QByteArray() << true;
        QTest::newRow("70000 wraps") << QByteArray("70000") << 1011 << QByteArray() << true;
        QTest::newRow("negative") << QByteArray("-1") << 1011 << QByteArray() << true;
        QTest::newRow("2999") << QByteArray("2999") << 1011 << QByteArray() << true;
        QTest::newRow("5000") << QByteArray("5000") << 1011 << QByteArray() << true;
        QTest::newRow("huge") << QByteArray("99999999999999999999") << 1000
                              << QByteArray("99999999999999999999") << false;
        QTest::newRow("bad utf8 reason") << QByteArray("4000 \xff") << 4000 << QByteArray() << true;
    }
    void closeCodes() {
        QFETCH(QByteArray, value);
        QFETCH(int, code);
        QFETCH(QByteArray, reason);
        QFETCH(bool, problem);
        const ControlHeaders c = ControlHeaders::parse({{"X-WS-Close", value}});
        QVERIFY(c.close);
        QCOMPARE(c.close->code, code);
        QCOMPARE(c.close->reason, reason);
        QCOMPARE(!c.problems.isEmpty(), problem);
    }

    void namesBounded() {
        QByteArray many;
        for (int i = 0; i < ControlHeaders::MaxGroupsPerHeader + 5; ++i)
            many += "g" + QByteArray::number(i) + ',';
        const ControlHeaders c = ControlHeaders::parse(
            {{"X-WS-Join", many},
             {"X-WS-Leave", QByteArray(ControlHeaders::MaxNameBytes + 1, 'x')},
             {"X-WS-User", QByteArray("\xc3\x28")}});
        QCOMPARE(c.join.size(), ControlHeaders::MaxGroupsPerHeader);
        QVERIFY(c.leave.isEmpty());
        QVERIFY(!c.user);
        QCOMPARE(c.problems.size(), 3);
        const ControlHeaders ok = ControlHeaders::parse(
            {{"X-WS-Join", QByteArray(ControlHeaders::MaxNameBytes, 'x') + ",é"}});
        QCOMPARE(ok.join.size(), 2);
    }
};

WSGATE_TEST_MAIN(TestControlHeaders)
#include "tst_controlheaders.moc"
