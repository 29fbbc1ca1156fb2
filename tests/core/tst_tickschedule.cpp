#include "gateway/tickschedule.h"

#include <QRandomGenerator>
#include <QTest>

namespace {

constexpr qint64 Epoch = 1'000'000; // a monotonic clock does not start at 0
constexpr qint64 TickMs = 1000;

// What next() must return, by walking the ticks one at a time.
qint64 walk(const TickSchedule &s, qint64 now, bool everyTick, qint64 lastHandled, int maxQuiet) {
    qint64 tick = std::max(lastHandled + 1, (now - Epoch) / TickMs + 1);
    for (int quiet = 1;; ++tick, ++quiet) {
        if (everyTick || quiet >= maxQuiet || s.lowest(s.bucketOf(tick)) <= s.timeOf(tick))
            return tick;
    }
}

} // namespace

class TestTickSchedule : public QObject {
    Q_OBJECT
private slots:
    void nothingDueWakesOnlyForTheQuietBound() {
        TickSchedule s(7, TickMs, 60);
        s.restart(Epoch);
        QCOMPARE(s.next(Epoch, false), qint64(60));
        QCOMPARE(s.next(Epoch, true), qint64(1)); // something to watch: every tick
    }

    void aNewSessionIsLookedAtOnItsBucketsNextTick() {
        TickSchedule s(7, TickMs, 60);
        s.restart(Epoch);
        s.lower(3, 0);
        QCOMPARE(s.next(Epoch + 10, false), qint64(3));
        s.lower(0, 0); // bucket 0's first tick after 0 is 7
        QCOMPARE(s.next(Epoch + 10, false), qint64(3));
        s.handled(3);
        s.reset(3, TickSchedule::Never);
        QCOMPARE(s.next(Epoch + 3000, false), qint64(7));
    }

    void aDueInTheFutureWaitsForItsBucketAfterIt() {
        TickSchedule s(4, TickMs, 60);
        s.restart(Epoch);
        s.lower(1, Epoch + 30'000); // ping in 30 s: tick 30 is bucket 2, 33 is bucket 1
        QCOMPARE(s.next(Epoch, false), qint64(33));
        QCOMPARE(s.timeOf(33), Epoch + 33'000);
        s.reset(1, Epoch + 29'000); // exactly on a tick of its bucket
        QCOMPARE(s.next(Epoch, false), qint64(29));
    }

    void neverInThePast() {
        TickSchedule s(5, TickMs, 60);
        s.restart(Epoch);
        s.lower(2, 0);
        // An hour without a tick (stopped clock, suspended machine): the next is after now.
        const qint64 now = Epoch + 3'600'500;
        const qint64 tick = s.next(now, false);
        QVERIFY(s.timeOf(tick) > now);
        QCOMPARE(s.bucketOf(tick), 2);
        QVERIFY(s.timeOf(tick) - now <= 5 * TickMs);
        QCOMPARE(s.next(now, true), qint64(3601));
    }

    void aHandledTickIsNotRepeated() {
        TickSchedule s(3, TickMs, 60);
        s.restart(Epoch);
        s.lower(1, 0);
        QCOMPARE(s.next(Epoch, false), qint64(1));
        s.handled(1); // handled early, the clock not yet at tick 1
        QCOMPARE(s.next(Epoch + 999, true), qint64(2));
        QCOMPARE(s.next(Epoch + 999, false), qint64(4)); // bucket 1 again, its bound not reset
    }

    void aResetRaisesTheBoundALowerLowers() {
        TickSchedule s(2, TickMs, 60);
        s.restart(Epoch);
        s.reset(0, Epoch + 10'000);
        s.lower(0, Epoch + 20'000);
        QCOMPARE(s.lowest(0), Epoch + 10'000);
        s.lower(0, Epoch + 4'000);
        QCOMPARE(s.lowest(0), Epoch + 4'000);
        QCOMPARE(s.next(Epoch, false), qint64(4));
    }

    void matchesAWalkOverEveryTick() {
        QRandomGenerator rng(14);
        for (int round = 0; round < 20'000; ++round) {
            const int buckets = 1 + int(rng.bounded(16));
            const int maxQuiet = 1 + int(rng.bounded(70));
            TickSchedule s(buckets, TickMs, maxQuiet);
            s.restart(Epoch);
            for (int b = 0; b < buckets; ++b) {
                switch (rng.bounded(4)) {
                case 0:
                    break; // empty
                case 1:
                    s.reset(b, 0);
                    break;
                default:
                    s.reset(b, Epoch + qint64(rng.bounded(120'000)));
                }
            }
            const qint64 last = qint64(rng.bounded(90));
            s.handled(last);
            const qint64 now = Epoch + qint64(rng.bounded(100'000));
            const bool everyTick = rng.bounded(8) == 0;
            QCOMPARE(s.next(now, everyTick), walk(s, now, everyTick, last, maxQuiet));
        }
    }
};

QTEST_GUILESS_MAIN(TestTickSchedule)
#include "tst_tickschedule.moc"
