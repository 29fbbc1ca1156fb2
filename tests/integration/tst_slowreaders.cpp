// Slow readers under the budget: 300 clients stop reading while pushes to each of them go on.
// The gateway queues at most --outbound-budget (64 MiB here): with --send-buffer 1M the budget
// binds first and pushes past it are refused (buffer_full, 503 from the push API); with
// --backpressure close and a send buffer small enough that 300 of them fit the budget, clients
// past theirs are closed. Either way the process's RSS grows by less than the budget plus a
// stated margin. A memory bound, not a timing one. The traffic log is off, as in wsgated: the
// console's ring keeps up to --traffic-log bodies of up to --traffic-body-cap (10000 x 64 KiB
// by default), memory that is the log's, not the outbound budget's.
#include "gatewayharness.h"
#include "rawwebsocketclient.h"

#include "gateway/gateway.h"
#include "gateway/memorybudget.h"
#include "observe/metrics.h"
#include "testmain.h"

#include <QFile>
#include <QTest>

#include <memory>
#include <vector>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace {

constexpr int Clients = 300;
constexpr qint64 MiB = 1024 * 1024;
constexpr qint64 BudgetBytes = 64 * MiB;
constexpr qint64 PushBytes = 64 * 1024;
// What the process may grow by besides the queued bytes: allocator slack and fragmentation,
// frame headers, the sessions' bookkeeping, the push API's buffers.
constexpr qint64 RssMarginBytes = 32 * MiB;
constexpr int MaxRounds = 400;     // a push to every client per round
constexpr int SaturatedRounds = 3; // rounds in a row with every push refused: the budget holds

// The baseline without the free heap pages earlier tests left (glibc keeps them mapped): RSS
// growth then shows what this test makes the gateway hold.
void returnFreeHeap() {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

qint64 rssBytes() {
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong() * 1024;
    return -1;
}

} // namespace

class TestSlowReaders final : public QObject {
    Q_OBJECT
private slots:
    void rssStaysUnderTheBudget_data() {
        QTest::addColumn<QString>("policy");
        QTest::addColumn<QString>("sendBuffer");
        QTest::newRow("reject, 300 x 1 MiB send buffers > budget: pushes past the budget refused")
            << QStringLiteral("reject") << QStringLiteral("1M");
        QTest::newRow("close, 300 x 128 KiB send buffers < budget: clients past theirs closed")
            << QStringLiteral("close") << QStringLiteral("128K");
    }

    void rssStaysUnderTheBudget() {
        QFETCH(QString, policy);
        QFETCH(QString, sendBuffer);
        const bool close = policy == QLatin1String("close");
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"),
                             {"--outbound-budget", "64M", "--send-buffer", sendBuffer,
                              "--backpressure", policy, "--ping-interval", "0", "--max-connections",
                              "1000", "--traffic-log", "0"});
        Gateway *gw = h.engine()->gateway();
        const MemoryBudget *budget = h.engine()->budget();
        const Metrics *metrics = h.engine()->metrics();
        QCOMPARE(budget->outboundLimit(), BudgetBytes);

        std::vector<std::unique_ptr<RawWebSocketClient>> clients;
        for (int i = 0; i < Clients; ++i) {
            auto c = std::make_unique<RawWebSocketClient>();
            QVERIFY2(c->open(h.wsPort()), qPrintable(QString::number(i)));
            c->stopReading();
            clients.push_back(std::move(c));
        }
        QTRY_COMPARE(gw->clientCount(), Clients);
        QList<QByteArray> ids;
        gw->clients([&](const QList<ClientInfo> &list) {
            for (const ClientInfo &c : list)
                ids << c.id;
        });
        QCOMPARE(ids.size(), Clients);

        returnFreeHeap();
        const qint64 rssBefore = rssBytes();
        qint64 peakGrowth = 0, peakQueued = 0, delivered = 0, refused = 0;
        int saturated = 0, rounds = 0;
        for (; rounds < MaxRounds && saturated < SaturatedRounds; ++rounds) {
            qint64 refusedNow = 0, matchedNow = 0;
            for (int i = 0; i < ids.size(); ++i) {
                // Distinct bytes for each client: what is queued is real memory.
                const DeliveryResult r =
                    gw->deliverHere({PushTarget::Kind::Client, ids[i]},
                                    {QByteArray(PushBytes, char('a' + (rounds + i) % 26)), false});
                matchedNow += r.matched;
                refusedNow += r.bufferFull;
                delivered += r.delivered;
            }
            refused += refusedNow;
            saturated = matchedNow == 0 || refusedNow == matchedNow ? saturated + 1 : 0;
            QTest::qWait(1); // the sockets take what the kernel still accepts
            QVERIFY(budget->outboundBytes() <= BudgetBytes);
            peakQueued = std::max(peakQueued, budget->outboundBytes());
            peakGrowth = std::max(peakGrowth, rssBytes() - rssBefore);
        }
        qInfo("%s: %d rounds, %lld pushes queued, %lld refused; queued at most %lld KiB of %lld; "
              "RSS grew by at most %lld KiB (bound %lld KiB); %d clients left",
              qPrintable(policy), rounds, delivered, refused, peakQueued / 1024, BudgetBytes / 1024,
              peakGrowth / 1024, (BudgetBytes + RssMarginBytes) / 1024, gw->clientCount());
        QVERIFY2(saturated == SaturatedRounds, "pushes were still accepted after every round");
        QVERIFY(refused > 0);
        QVERIFY2(peakGrowth < BudgetBytes + RssMarginBytes,
                 qPrintable(QStringLiteral("RSS grew by %1 KiB").arg(peakGrowth / 1024)));

        QByteArray body;
        const QList<QPair<QByteArray, QByteArray>> form{
            {"Content-Type", "application/x-www-form-urlencoded"}};
        if (close) {
            // Clients past their send buffer were closed (no grace: nothing would be read).
            QVERIFY(metrics->clientErrors[Metrics::SlowConsumerClosed].load() > 0);
            QCOMPARE(metrics->clientErrors[Metrics::MemoryBudget].load(), 0);
            QTRY_VERIFY_WITH_TIMEOUT(gw->clientCount() < Clients, 5000);
        } else {
            // Nobody closed; the budget ran out before any send buffer was full; the push API
            // says 503 to one more.
            QCOMPARE(gw->clientCount(), Clients);
            QCOMPARE(metrics->clientErrors[Metrics::SlowConsumerClosed].load(), 0);
            QCOMPARE(metrics->clientErrors[Metrics::BufferFull].load(), 0);
            QVERIFY(metrics->clientErrors[Metrics::MemoryBudget].load() > 0);
            QCOMPARE(h.http("POST", "/send",
                            "client_id=" + ids.last() + "&message=" + QByteArray(PushBytes, 'p'),
                            form, &body),
                     503);
            QVERIFY2(body.contains("client_buffer_full"), body.constData());
            // With the budget this full, new connections wait too (503 at the handshake).
            QVERIFY(budget->outboundBytes() * 10 >= BudgetBytes * 9);
            const QByteArray refused = h.rawWs(RawWebSocketClient::handshake());
            QVERIFY2(refused.startsWith("HTTP/1.1 503"), refused.left(200).constData());
        }
        // The slow readers leave: what they held goes back to the budget, and the gateway
        // serves a new client.
        clients.clear();
        QTRY_COMPARE_WITH_TIMEOUT(gw->clientCount(), 0, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(budget->outboundBytes(), 0, 5000);
        TestClient fresh;
        QVERIFY(fresh.open(h.wsUrl()));
        fresh.socket.sendTextMessage(QStringLiteral("still here"));
        QVERIFY(fresh.waitForMessages(1));
        QCOMPARE(fresh.messages.at(0), QByteArray("still here"));
    }
};

WSGATE_TEST_MAIN(TestSlowReaders)
#include "tst_slowreaders.moc"
