#include "gateway/handshakelimits.h"
#include "testmain.h"

#include <QTest>

using Verdict = HandshakeLimits::Verdict;

class TestHandshakeLimits final : public QObject {
    Q_OBJECT
private slots:
    void concurrentCaps() {
        HandshakeLimits l({3, 2, 0, 0});
        const QHostAddress a("10.0.0.1"), b("10.0.0.2"), c("::1");
        QCOMPARE(l.admit(a), Verdict::Admitted);
        QCOMPARE(l.admit(a), Verdict::Admitted);
        QCOMPARE(l.admit(a), Verdict::TooManyFromAddress);
        QCOMPARE(l.admit(b), Verdict::Admitted);
        QCOMPARE(l.admit(c), Verdict::TooMany);
        QCOMPARE(l.handshakes(), 3);
        l.release(a);
        QCOMPARE(l.admit(c), Verdict::Admitted);
        QCOMPARE(l.admit(a), Verdict::TooMany);
        l.release(a);
        l.release(a);
        l.release(b);
        l.release(c);
        QCOMPARE(l.handshakes(), 0);
        l.release(c); // unknown: ignored
        QCOMPARE(l.handshakes(), 0);
    }

    void ipv4MappedIsTheSameAddress() {
        HandshakeLimits l({10, 1, 0, 0});
        QCOMPARE(l.admit(QHostAddress("10.0.0.1")), Verdict::Admitted);
        QCOMPARE(l.admit(QHostAddress("::ffff:10.0.0.1")), Verdict::TooManyFromAddress);
    }

    void openRates() {
        HandshakeLimits l({100, 100, 10, 3});
        const QHostAddress a("10.0.0.1"), b("10.0.0.2");
        qint64 t = 1000;
        for (int i = 0; i < 3; ++i)
            QVERIFY(l.takeOpen(a, t));
        QVERIFY(!l.takeOpen(a, t)); // the address's burst is spent
        QVERIFY(l.takeOpen(b, t));  // another address still has its own
        t += 1000;                  // a second later: three more for a
        for (int i = 0; i < 3; ++i)
            QVERIFY(l.takeOpen(a, t));
        QVERIFY(!l.takeOpen(a, t));
        // Overall: 10 per second across addresses.
        HandshakeLimits overall({100, 100, 10, 0});
        int granted = 0;
        for (int i = 0; i < 50; ++i)
            granted += overall.takeOpen(QHostAddress(quint32(0x0a000000 + i)), 5000) ? 1 : 0;
        QCOMPARE(granted, 10);
        QVERIFY(overall.takeOpen(QHostAddress("10.9.9.9"), 5100)); // 0.1 s: one more token
        QVERIFY(!overall.takeOpen(QHostAddress("10.9.9.9"), 5100));
    }

    void unlimitedWhenZero() {
        HandshakeLimits l({100, 100, 0, 0});
        for (int i = 0; i < 1000; ++i)
            QVERIFY(l.takeOpen(QHostAddress("10.0.0.1"), 1));
    }
};

WSGATE_TEST_MAIN(TestHandshakeLimits)
#include "tst_handshakelimits.moc"
