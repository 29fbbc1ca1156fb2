// --threads 2: one process, two engine threads sharing the WebSocket port; the push API and
// the JSON views see one gateway whatever thread a client landed on.
#include "cluster/clientroute.h"
#include "gateway/gatewaysnapshot.h"
#include "gatewayharness.h"
#include "testmain.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <memory>
#include <vector>

namespace {

QJsonObject json(const QByteArray &body) {
    return QJsonDocument::fromJson(body).object();
}

constexpr int Clients = 200;

} // namespace

class TestThreads final : public QObject {
    Q_OBJECT
private slots:
    void pushesReachEveryThread() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"),
                             {"--threads", "2", "--fastcgi-pool", "4"});
        QCOMPARE(h.engine()->threadCount(), 2);
        std::vector<std::unique_ptr<TestClient>> clients;
        for (int i = 0; i < Clients; ++i) {
            auto c = std::make_unique<TestClient>();
            QVERIFY2(c->open(h.wsUrl()), qPrintable(QString::number(i)));
            clients.push_back(std::move(c));
        }
        // Who am I, and into the groups: even clients join "even", all join "all", every
        // tenth is user "ten".
        for (int i = 0; i < Clients; ++i) {
            QByteArray cmd = i % 2 ? "join:all" : "join:all, even";
            clients[size_t(i)]->socket.sendTextMessage(QString::fromUtf8(cmd));
            if (i % 10 == 0)
                clients[size_t(i)]->socket.sendTextMessage(QStringLiteral("user:ten"));
            clients[size_t(i)]->socket.sendTextMessage(QStringLiteral("whoami"));
        }
        QList<QByteArray> ids;
        QSet<int> shards;
        for (int i = 0; i < Clients; ++i) {
            TestClient &c = *clients[size_t(i)];
            QVERIFY(c.waitForMessages(i % 10 == 0 ? 3 : 2));
            const QByteArray id = json(c.messages.last()).value("id").toString().toLatin1();
            QCOMPARE(id.size(), 32);
            ids << id;
            shards << ClientRoute::of(id)->shard;
        }
        QCOMPARE(shards.size(), 2); // the kernel spread 200 connections over both threads

        QByteArray body;
        QCOMPARE(h.http("GET", "/clients", {}, {}, &body), 200);
        QCOMPARE(json(body).value("clients").toArray().size(), Clients);
        QCOMPARE(h.http("GET", "/groups", {}, {}, &body), 200);
        QCOMPARE(json(body).value("groups").toObject().value("even").toArray().size(), Clients / 2);

        const QList<QPair<QByteArray, QByteArray>> form{
            {"Content-Type", "application/x-www-form-urlencoded"}};
        for (int i = 0; i < Clients; ++i) {
            QCOMPARE(h.http("POST", "/send", "client_id=" + ids[i] + "&message=to-" + ids[i], form,
                            &body),
                     200);
            if (i % 20 == 0)
                QCOMPARE(h.http("GET", "/clients/" + ids[i], {}, {}, &body), 200);
        }
        QCOMPARE(h.http("POST", "/broadcast", "message=everyone", form, &body), 200);
        QCOMPARE(json(body).value("delivered").toInt(), Clients);
        QCOMPARE(h.http("POST", "/send", "group=even&message=to-even", form, &body), 200);
        QCOMPARE(json(body).value("delivered").toInt(), Clients / 2);
        QCOMPARE(h.http("POST", "/send", "user=ten&message=to-ten", form, &body), 200);
        QCOMPARE(json(body).value("delivered").toInt(), Clients / 10);
        QCOMPARE(
            h.http("POST", "/close", "client_id=" + ids[1] + "&code=4000&reason=bye", form, &body),
            200);

        for (int i = 0; i < Clients; ++i) {
            TestClient &c = *clients[size_t(i)];
            const int before = i % 10 == 0 ? 3 : 2;
            const int expected = before + 2 + (i % 2 == 0) + (i % 10 == 0);
            QVERIFY2(c.waitForMessages(expected), qPrintable(QString::number(i)));
            QCOMPARE(c.messages[before], "to-" + ids[i]);
            QCOMPARE(c.messages.count("everyone"), 1); // exactly once, whatever the thread
            QCOMPARE(c.messages.count("to-even"), i % 2 == 0 ? 1 : 0);
            QCOMPARE(c.messages.count("to-ten"), i % 10 == 0 ? 1 : 0);
        }
        QVERIFY(clients[1]->waitForDisconnect());
        QCOMPARE(clients[1]->closeCode, 4000);
        // The console sees one gateway.
        h.engine()->setSnapshotInterval(50);
        QTRY_VERIFY(h.engine()->snapshot() &&
                    h.engine()->snapshot()->clients.size() == Clients - 1);
    }
};

WSGATE_TEST_MAIN(TestThreads)
#include "tst_threads.moc"
