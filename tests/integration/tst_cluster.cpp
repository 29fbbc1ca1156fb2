// Several gateways as one, through a real redis-server started by the fixture: pushes reach
// clients on other nodes, fan-out and broadcast reach each client once, remote close/join,
// cluster-wide /clients, a node that dies leaves the registry, Redis away and back.
#include "gatewayharness.h"
#include "redisfixture.h"
#include "testmain.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalSocket>
#include <QRandomGenerator>
#include <QTest>

#include <memory>

namespace {

QJsonObject json(const QByteArray &body) {
    return QJsonDocument::fromJson(body).object();
}

const QList<QPair<QByteArray, QByteArray>> Form{
    {"Content-Type", "application/x-www-form-urlencoded"}};

/// One node: its own php-fpm and engine, in this process, on the shared Redis.
std::unique_ptr<GatewayHarness> node(const RedisFixture &redis, const QString &cluster,
                                     const QString &id, QString *error,
                                     const QStringList &extra = {}) {
    auto h = std::make_unique<GatewayHarness>();
    if (!h->fpm().start(error))
        return nullptr;
    if (!h->start(
            error, QStringLiteral("gw.php"),
            QStringList{"--cluster", redis.url(), "--cluster-name", cluster, "--node-id", id} +
                extra))
        return nullptr;
    return h;
}

QByteArray idOf(TestClient &c) {
    c.socket.sendTextMessage(QStringLiteral("whoami"));
    if (!c.waitForMessages(int(c.messages.size()) + 1))
        return {};
    return json(c.messages.last()).value("id").toString().toLatin1();
}

int nodesSeen(GatewayHarness &h) {
    QByteArray body;
    if (h.http("GET", "/nodes", {}, {}, &body) != 200)
        return -1;
    return int(json(body).value("nodes").toArray().size());
}

QString clusterState(GatewayHarness &h) {
    QByteArray body;
    h.http("GET", "/health", {}, {}, &body);
    return json(body).value("cluster").toObject().value("state").toString();
}

QString freshClusterName() {
    return QStringLiteral("t%1").arg(QRandomGenerator::global()->generate(), 8, 16,
                                     QLatin1Char('0'));
}

/// Nodes A and B on one Redis, each having seen the other; false with a message.
bool twoNodes(const RedisFixture &redis, const QString &cluster, std::unique_ptr<GatewayHarness> *a,
              std::unique_ptr<GatewayHarness> *b, QString *error) {
    *a = node(redis, cluster, QStringLiteral("nodeA"), error);
    if (*a)
        *b = node(redis, cluster, QStringLiteral("nodeB"), error);
    if (!*a || !*b)
        return false;
    if (!QTest::qWaitFor([&] { return nodesSeen(**a) == 2 && nodesSeen(**b) == 2; }, 10000)) {
        *error = QStringLiteral("the two nodes did not see each other in 10 s");
        return false;
    }
    return true;
}

} // namespace

class TestCluster final : public QObject {
    Q_OBJECT
private slots:
    void pushesCrossNodes() {
        if (PhpFpmFixture::findBinary().isEmpty()) {
            if (qEnvironmentVariableIsSet("CI"))
                QFAIL("php-fpm is missing");
            QSKIP("php-fpm is missing");
        }
        RedisFixture redis;
        WSGATE_START_REDIS(redis);
        const QString cluster = freshClusterName();
        QString error;
        std::unique_ptr<GatewayHarness> a, b;
        QVERIFY2(twoNodes(redis, cluster, &a, &b, &error), qPrintable(error));

        TestClient a1, b1, b2;
        QVERIFY(a1.open(a->wsUrl()));
        QVERIFY(b1.open(b->wsUrl()));
        QVERIFY(b2.open(b->wsUrl()));
        const QByteArray idA1 = idOf(a1), idB1 = idOf(b1), idB2 = idOf(b2);
        QVERIFY(!idA1.isEmpty() && !idB1.isEmpty() && !idB2.isEmpty());
        QVERIFY(idA1.left(6) != idB1.left(6)); // the ids name their nodes

        // One client on the other node.
        QByteArray body;
        QCOMPARE(a->http("POST", "/send", "client_id=" + idB1 + "&message=from-a", Form, &body),
                 200);
        QCOMPARE(body, QByteArray("Message sent"));
        QVERIFY(b1.waitForMessages(2));
        QCOMPARE(b1.messages.last(), QByteArray("from-a"));
        QByteArray unknown = idB1;
        unknown.replace(8, 24, QByteArray(24, '0'));
        QCOMPARE(a->http("POST", "/send", "client_id=" + unknown + "&message=x", Form, &body), 404);

        // A user connected on both nodes gets it on both; group and broadcast once each.
        a1.socket.sendTextMessage(QStringLiteral("user:alice"));
        b1.socket.sendTextMessage(QStringLiteral("user:alice"));
        a1.socket.sendTextMessage(QStringLiteral("join:room"));
        b2.socket.sendTextMessage(QStringLiteral("join:room"));
        QVERIFY(a1.waitForMessages(3) && b1.waitForMessages(3) && b2.waitForMessages(2));
        // Node B listens on those channels once it has members (SUBSCRIBE is asynchronous).
        QTRY_COMPARE(redis.subscribers(cluster.toUtf8() + ":user:alice"), 2);
        QTRY_COMPARE(redis.subscribers(cluster.toUtf8() + ":group:room"), 2);
        QCOMPARE(a->http("POST", "/send", "user=alice&message=to-alice&wait=1", Form, &body), 200);
        QCOMPARE(json(body).value("delivered").toInt(), 2);
        QCOMPARE(json(body).value("nodes").toInt(), 1);
        QCOMPARE(json(body).value("exact").toBool(), true);
        QCOMPARE(b->http("POST", "/send", "group=room&message=to-room", Form, &body), 200);
        QCOMPARE(json(body).value("delivered").toInt(), 1); // the local one; the other node:
        QCOMPARE(json(body).value("nodes").toInt(), 1);     // reached, not waited for
        QCOMPARE(a->http("POST", "/broadcast", "message=everyone&wait=1", Form, &body), 200);
        QCOMPARE(json(body).value("delivered").toInt(), 3);
        QVERIFY(a1.waitForMessages(6) && b1.waitForMessages(5) && b2.waitForMessages(4));
        QTest::qWait(200); // nothing more arrives: each got each push exactly once
        QCOMPARE(a1.messages.count("to-alice") + b1.messages.count("to-alice"), 2);
        QCOMPARE(a1.messages.count("to-room") + b2.messages.count("to-room"), 2);
        for (TestClient *c : {&a1, &b1, &b2})
            QCOMPARE(c->messages.count("everyone"), 1);

        // Order from one publisher to one remote client.
        for (int i = 0; i < 50; ++i)
            QCOMPARE(a->http("POST", "/send",
                             "client_id=" + idB2 + "&message=n" + QByteArray::number(i), Form),
                     200);
        QVERIFY(b2.waitForMessages(4 + 50));
        for (int i = 0; i < 50; ++i)
            QCOMPARE(b2.messages[4 + i], "n" + QByteArray::number(i));

        // Join, close and look up a remote client; /clients is cluster-wide.
        QCOMPARE(a->http("POST", "/join", "client_id=" + idB1 + "&group=extra", Form), 200);
        QTRY_COMPARE(redis.subscribers(cluster.toUtf8() + ":group:extra"), 1);
        QCOMPARE(a->http("POST", "/send", "group=extra&message=extra&wait=1", Form, &body), 200);
        QCOMPARE(json(body).value("delivered").toInt(), 1);
        QCOMPARE(a->http("GET", "/clients/" + idB1, {}, {}, &body), 200);
        QCOMPARE(json(body).value("node").toString(), QStringLiteral("nodeB"));
        QCOMPARE(a->http("GET", "/clients", {}, {}, &body), 200);
        QCOMPARE(json(body).value("count").toInt(), 3);
        QCOMPARE(a->http("GET", "/clients?user=alice", {}, {}, &body), 200);
        QCOMPARE(json(body).value("count").toInt(), 2);
        QCOMPARE(a->http("POST", "/close", "client_id=" + idB2 + "&code=4001&reason=kicked", Form),
                 200);
        QVERIFY(b2.waitForDisconnect());
        QCOMPARE(b2.closeCode, 4001);
        QCOMPARE(a->http("POST", "/close", "client_id=" + idB2 + "&code=4001", Form), 404);
    }

    void redisAwayAndBack() {
        RedisFixture redis;
        WSGATE_START_REDIS(redis);
        const QString cluster = freshClusterName();
        QString error;
        std::unique_ptr<GatewayHarness> a, b;
        QVERIFY2(twoNodes(redis, cluster, &a, &b, &error), qPrintable(error));
        TestClient a1, b1;
        QVERIFY(a1.open(a->wsUrl()));
        QVERIFY(b1.open(b->wsUrl()));
        const QByteArray idA1 = idOf(a1), idB1 = idOf(b1);

        redis.kill();
        QTRY_COMPARE_WITH_TIMEOUT(clusterState(*a), QStringLiteral("down"), 5000);
        QByteArray body;
        QElapsedTimer t;
        t.start();
        QCOMPARE(a->http("POST", "/send", "client_id=" + idB1 + "&message=lost", Form, &body), 503);
        QCOMPARE(json(body).value("error").toString(), QStringLiteral("cluster_unavailable"));
        QVERIFY2(t.elapsed() < 1000, "a remote push must fail at once while Redis is away");
        QCOMPARE(a->http("POST", "/close", "client_id=" + idB1, Form, &body), 503); // not 404
        QCOMPARE(json(body).value("error").toString(), QStringLiteral("cluster_unavailable"));
        QCOMPARE(a->http("POST", "/send", "client_id=" + idA1 + "&message=local", Form), 200);
        QVERIFY(a1.waitForMessages(2));
        QCOMPARE(a1.messages.last(), QByteArray("local"));

        QVERIFY(redis.start(&error));
        QTRY_COMPARE_WITH_TIMEOUT(clusterState(*a), QStringLiteral("up"), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(clusterState(*b), QStringLiteral("up"), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(nodesSeen(*a), 2, 10000);
        QCOMPARE(a->http("POST", "/send", "client_id=" + idB1 + "&message=back", Form, &body), 200);
        QVERIFY(b1.waitForMessages(2));
        QCOMPARE(b1.messages.last(), QByteArray("back"));
    }

    void redisThatHangs() {
        RedisFixture redis;
        WSGATE_START_REDIS(redis);
        const QString cluster = freshClusterName();
        QString error;
        auto a = node(redis, cluster, QStringLiteral("nodeA"), &error);
        QVERIFY2(a, qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(clusterState(*a), QStringLiteral("up"), 10000);
        TestClient a1;
        QVERIFY(a1.open(a->wsUrl()));
        const QByteArray idA1 = idOf(a1);
        redis.pause(); // connections stay open, nothing answers
        // The next heartbeat's commands go unanswered: bounded I/O timeout, then unavailable.
        QTRY_COMPARE_WITH_TIMEOUT(clusterState(*a), QStringLiteral("down"), 10000);
        QByteArray body;
        QCOMPARE(a->http("POST", "/broadcast", "message=hi", Form, &body), 503);
        QCOMPARE(json(body).value("error").toString(), QStringLiteral("cluster_unavailable"));
        QCOMPARE(json(body).value("delivered").toInt(), 1); // the local part went out
        QVERIFY(a1.waitForMessages(2));
        redis.resume();
        QTRY_COMPARE_WITH_TIMEOUT(clusterState(*a), QStringLiteral("up"), 10000);
    }

    void aDeadNodeLeavesTheRegistry() {
        RedisFixture redis;
        WSGATE_START_REDIS(redis);
        const QString cluster = freshClusterName();
        QString error;
        std::unique_ptr<GatewayHarness> a, b;
        QVERIFY2(twoNodes(redis, cluster, &a, &b, &error), qPrintable(error));
        TestClient b1;
        QVERIFY(b1.open(b->wsUrl()));
        const QByteArray idB1 = idOf(b1);
        b->abandonEngine(); // gone without leaving: its heartbeats just stop
        // Still in the registry, but nobody listens on its channel: not known to be gone, so
        // "try again", not "unknown client".
        QTRY_COMPARE(redis.subscribers(cluster.toUtf8() + ":node:nodeB"), 0);
        QByteArray body;
        QCOMPARE(a->http("POST", "/send", "client_id=" + idB1 + "&message=x", Form, &body), 503);
        QCOMPARE(json(body).value("error").toString(), QStringLiteral("node_unreachable"));
        QCOMPARE(a->http("POST", "/close", "client_id=" + idB1, Form, &body), 503);
        QCOMPARE(json(body).value("error").toString(), QStringLiteral("node_unreachable"));
        QCOMPARE(a->http("GET", "/clients/" + idB1, {}, Form, &body), 503);
        QCOMPARE(json(body).value("error").toString(), QStringLiteral("node_unreachable"));
        QTRY_COMPARE_WITH_TIMEOUT(nodesSeen(*a), 1, 15000);
        QCOMPARE(a->http("POST", "/send", "client_id=" + idB1 + "&message=x", Form), 404);
    }

    void aNodeThatHearsButDoesNotAnswer() {
        RedisFixture redis;
        WSGATE_START_REDIS(redis);
        const QString cluster = freshClusterName();
        QString error;
        std::unique_ptr<GatewayHarness> a, b;
        QVERIFY2(twoNodes(redis, cluster, &a, &b, &error), qPrintable(error));
        TestClient b1;
        QVERIFY(b1.open(b->wsUrl()));
        const QByteArray idB1 = idOf(b1);
        // A second listener on nodeB's channel that never answers (as a node hung after its
        // SUBSCRIBE would): what is sent there is heard, then nobody says what became of it.
        const QByteArray channel = cluster.toUtf8() + ":node:nodeB";
        QLocalSocket listener;
        listener.connectToServer(redis.socketPath());
        QVERIFY(listener.waitForConnected(5000));
        listener.write("*2\r\n$9\r\nSUBSCRIBE\r\n$" + QByteArray::number(channel.size()) + "\r\n" +
                       channel + "\r\n");
        QTRY_COMPARE(redis.subscribers(channel), 2);
        b->abandonEngine();
        QTRY_COMPARE(redis.subscribers(channel), 1);
        QByteArray body;
        QElapsedTimer waited;
        waited.start();
        QCOMPARE(a->http("POST", "/send", "client_id=" + idB1 + "&message=x", Form, &body), 503);
        QCOMPARE(json(body).value("error").toString(), QStringLiteral("node_unreachable"));
        QVERIFY(waited.elapsed() >= 1500); // it waited for an answer (2 s) before saying so
    }

    void aNodeThatStopsLeavesTheRegistryAtOnce() {
        RedisFixture redis;
        WSGATE_START_REDIS(redis);
        const QString cluster = freshClusterName();
        QString error;
        std::unique_ptr<GatewayHarness> a, b;
        QVERIFY2(twoNodes(redis, cluster, &a, &b, &error), qPrintable(error));
        const QByteArray nodes = cluster.toUtf8() + ":nodes";
        const QByteArray infos = cluster.toUtf8() + ":nodeinfo";
        QCOMPARE(redis.integerCommand({"ZCARD", nodes}), 2);
        QCOMPARE(redis.integerCommand({"HLEN", infos}), 2);
        b->stopEngine(); // graceful: its registry entry is gone by the time it says stopped
        QCOMPARE(redis.integerCommand({"ZCARD", nodes}), 1);
        QCOMPARE(redis.integerCommand({"HLEN", infos}), 1);
        // At once, as it said so on the channel every node hears: a registry read alone would keep
        // it until its last heartbeat is 6 s old (a Redis restart must not drop live nodes).
        QTRY_COMPARE_WITH_TIMEOUT(nodesSeen(*a), 1, 1500);
    }

    void adminSnapshotListsTheNodes() {
        RedisFixture redis;
        WSGATE_START_REDIS(redis);
        const QString cluster = freshClusterName();
        QString error;
        auto a = node(redis, cluster, QStringLiteral("nodeA"), &error, {"--push-token", "tok"});
        QVERIFY2(a, qPrintable(error));
        auto b = node(redis, cluster, QStringLiteral("nodeB"), &error); // no token: no admin API
        QVERIFY2(b, qPrintable(error));
        TestClient b1;
        QVERIFY(b1.open(b->wsUrl()));
        const QList<QPair<QByteArray, QByteArray>> bearer{{"Authorization", "Bearer tok"}};
        const auto clusterOfA = [&] {
            QByteArray body;
            a->http("GET", "/admin/snapshot", {}, bearer, &body);
            return json(body).value("cluster").toObject();
        };
        // Heartbeats carry the connection counts: wait for nodeB's to say 1.
        const auto settled = [](const QJsonObject &c) {
            const QJsonArray m = c.value("members").toArray();
            return c.value("nodes") == 2 && m.size() == 2 &&
                   m.at(1).toObject().value("connections") == 1;
        };
        QJsonObject c;
        QTRY_VERIFY_WITH_TIMEOUT(settled(c = clusterOfA()), 15000);
        QCOMPARE(c.value("enabled").toBool(), true);
        QCOMPARE(c.value("up").toBool(), true);
        QCOMPARE(c.value("node").toString(), QStringLiteral("nodeA"));
        const QJsonObject self = c.value("members").toArray().at(0).toObject();
        QCOMPARE(self.value("node").toString(), QStringLiteral("nodeA"));
        QCOMPARE(self.value("admin_url").toString(),
                 QStringLiteral("http://127.0.0.1:%1").arg(a->pushPort()));
        QCOMPARE(self.value("connections").toInt(), 0);
        const QJsonObject other = c.value("members").toArray().at(1).toObject();
        QCOMPARE(other.value("node").toString(), QStringLiteral("nodeB"));
        QVERIFY(other.value("admin_url").isNull());
    }
};

WSGATE_TEST_MAIN(TestCluster)
#include "tst_cluster.moc"
