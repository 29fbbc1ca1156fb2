// The admin API's state routes over real sockets: GET /admin/fpm, /admin/snapshot's counters
// and cluster, and the codec a console reads a snapshot back with (AdminApi::snapshotFromJson).

#include "gateway/gatewaysnapshot.h"
#include "http/adminapi.h"
#include "observe/metrics.h"
#include "observe/trafficlog.h"
#include "pushtestsupport.h"
#include "testmain.h"

using namespace pushtest;

namespace {

const QByteArray kToken = "push-secret-token-1";
const QByteArray kReadToken = "reader-token-2";
const QByteArray kInstance = "0123456789abcdef0123456789abcdef";

QByteArray get(const QByteArray &target, const QByteArray &token = kReadToken) {
    return request("GET", target, {}, {}, "Authorization: Bearer " + token + "\r\n");
}

ClientInfo client(const QByteArray &id) {
    ClientInfo c;
    c.id = id;
    c.peer = QStringLiteral("127.0.0.1:50000");
    c.path = QStringLiteral("/ws");
    c.query = QStringLiteral("room=1&x=%C3%A9");
    c.origin = QStringLiteral("https://app.example");
    c.user = QStringLiteral("alice");
    c.groups = {QStringLiteral("lobby"), QStringLiteral("r\u00e9union")};
    c.connectedMs = 1764633600123;
    c.lastActivityMs = 1764633601456;
    c.messagesIn = 5;
    c.messagesOut = 6;
    c.bytesIn = 70;
    c.bytesOut = 80;
    c.queueDepth = 2;
    c.queuedBytes = 20;
    c.phpInFlight = true;
    c.sendBufferBytes = 4096;
    c.node = QStringLiteral("node-a");
    return c;
}

GatewaySnapshot busy() {
    GatewaySnapshot s;
    s.timeMs = 1764633602789;
    s.listening = true;
    ClientInfo anonymous;
    anonymous.id = "c2";
    anonymous.connectedMs = 1764633600000; // never active since, no node, no user
    s.clients = {client("c1"), anonymous};
    s.groups = {QStringLiteral("lobby"), QStringLiteral("r\u00e9union")};
    s.users = {QStringLiteral("alice")};
    s.pool = {4, 1, 2, 3, 8, 300, 2};
    s.lastPhpError = QStringLiteral("php_timeout: no answer in 30 s");
    s.lastPhpErrorMs = 1764633500000;
    s.lastPhpOkMs = 1764633602000;
    s.handshakes = 3;
    s.inboundBytes = 100;
    s.inboundBudget = 1 << 20;
    s.outboundBytes = 200;
    s.outboundBudget = qint64(4) << 30; // beyond int
    return s;
}

} // namespace

class TestAdminApiState final : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void fpm();
    void fpmRefusals_data();
    void fpmRefusals();
    void snapshotCounters();
    void snapshotCluster();

    void snapshotRoundTrip_data();
    void snapshotRoundTrip();
    void snapshotOverHttpReadsBack();
    void snapshotRefused_data();
    void snapshotRefused();

private:
    Reply call(const QByteArray &bytes) {
        Client c(m_server->serverPort());
        if (!c.connected())
            return {};
        c.send(bytes);
        return c.reply(false, 5000).value_or(Reply{});
    }

    std::unique_ptr<TrafficLog> m_log;
    std::unique_ptr<FakeDelivery> m_delivery;
    std::unique_ptr<HttpServer> m_server;
    std::unique_ptr<AdminApi> m_admin;
    std::unique_ptr<PushApi> m_push;
    std::unique_ptr<Metrics> m_metrics;
    std::shared_ptr<GatewaySnapshot> m_snapshot;
    std::optional<FpmReport> m_fpm; // nullopt: no provider
    int m_fpmCalls = 0;
};

void TestAdminApiState::init() {
    m_log = std::make_unique<TrafficLog>(100, 64 * 1024);
    m_delivery = std::make_unique<FakeDelivery>();
    m_server = std::make_unique<HttpServer>();
    PushApiOptions push;
    push.token = kToken;
    m_push = std::make_unique<PushApi>(m_delivery.get(), push);
    AdminApiOptions options;
    options.token = kToken;
    options.readToken = kReadToken;
    options.instanceId = kInstance;
    m_admin = std::make_unique<AdminApi>(m_log.get(), options);
    m_metrics = std::make_unique<Metrics>();
    m_snapshot = std::make_shared<GatewaySnapshot>(busy());
    m_admin->setSnapshotProvider([this] { return m_snapshot; });
    m_fpm.reset();
    m_fpmCalls = 0;
    m_push->setAdminApi(m_admin.get());
    m_push->attach(m_server.get());
    QVERIFY(m_server->listen(QHostAddress::LocalHost, 0));
}

void TestAdminApiState::cleanup() {
    m_push.reset();
    m_admin.reset();
    m_server.reset();
    m_delivery.reset();
    m_metrics.reset();
    m_log.reset();
}

void TestAdminApiState::fpm() {
    FpmReport report;
    report.polling = true;
    report.state = FpmPoller::State::Ok;
    FpmStatus status;
    status.pool = QStringLiteral("www");
    status.processManager = QStringLiteral("static");
    status.activeProcesses = 1;
    status.totalProcesses = 1;
    report.status = status;
    report.history = {FpmPoller::Sample{1764633600000, 1, 0, 1, 0, 0, 0, 9}};
    report.fastcgiAddress = QStringLiteral("tcp:127.0.0.1:9000");
    report.gatewayPoolSize = 4;
    m_admin->setFpmProvider([this, report] {
        ++m_fpmCalls;
        return report;
    });
    const Reply r = call(get("/admin/fpm")); // the read token may
    QCOMPARE(r.status, 200);
    QCOMPARE(m_fpmCalls, 1);
    QCOMPARE(r.header("Content-Type"), QByteArray("application/json"));
    QCOMPARE(r.json().value("instance").toString(), QString::fromLatin1(kInstance));
    const QJsonObject fpm = r.json().value("fpm").toObject();
    QCOMPARE(fpm, report.toJson());
    const std::optional<FpmReport> back = FpmReport::fromJson(fpm);
    QVERIFY(back);
    QCOMPARE(back->state, FpmPoller::State::Ok);
    QCOMPARE(back->status->pool, QStringLiteral("www"));
    QCOMPARE(back->history.size(), 1);
    QCOMPARE(m_admin->requestCount("/admin/fpm", 200), 1u);
    QCOMPARE(call(get("/admin/fpm", kToken)).status, 200); // and the push token
}

void TestAdminApiState::fpmRefusals_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("polling"); // what the provider reports
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("error");
    QTest::addColumn<int>("providerCalls");
    QTest::newRow("nothing polls") << get("/admin/fpm") << false << 503 << "fpm_unavailable" << 1;
    QTest::newRow("no token") << request("GET", "/admin/fpm", {}, {}, {}) << true << 401
                              << "unauthorized" << 0;
    QTest::newRow("wrong token") << get("/admin/fpm", "nope") << true << 401 << "unauthorized" << 0;
    QTest::newRow("POST") << request("POST", "/admin/fpm", "x=1",
                                     "application/x-www-form-urlencoded",
                                     "Authorization: Bearer " + kToken + "\r\n")
                          << true << 405 << "method_not_allowed" << 0;
    QTest::newRow("a body") << request("GET", "/admin/fpm", "x=1",
                                       "application/x-www-form-urlencoded",
                                       "Authorization: Bearer " + kToken + "\r\n")
                            << true << 400 << "bad_request" << 0;
    QTest::newRow("a path below") << get("/admin/fpm/status") << true << 404 << "not_found" << 0;
}

void TestAdminApiState::fpmRefusals() {
    QFETCH(QByteArray, bytes);
    QFETCH(bool, polling);
    QFETCH(int, status);
    QFETCH(QString, error);
    QFETCH(int, providerCalls);
    m_admin->setFpmProvider([this, polling] {
        ++m_fpmCalls;
        FpmReport r;
        r.polling = polling;
        return r;
    });
    const Reply r = call(bytes);
    QCOMPARE(r.status, status);
    QCOMPARE(r.error(), error);
    QCOMPARE(m_fpmCalls, providerCalls);
}

void TestAdminApiState::snapshotCounters() {
    QJsonObject counters = call(get("/admin/snapshot")).json().value("counters").toObject();
    QCOMPARE(counters, (QJsonObject{{"connections", 0},
                                    {"messages_in", 0},
                                    {"messages_out", 0},
                                    {"queued_messages", 0},
                                    {"php_failures", 0}}));
    m_admin->setMetrics(m_metrics.get());
    m_metrics->connectionsCurrent = 3;
    m_metrics->messagesIn = 10;
    m_metrics->messagesOut = 12;
    m_metrics->queuedMessages = 2;
    m_metrics->countPhp(Metrics::PhpOk); // not a failure
    m_metrics->countPhp(Metrics::PhpOk);
    m_metrics->countPhp(Metrics::PhpTimeout);
    m_metrics->countPhp(Metrics::PhpStatusError);
    m_metrics->countPhp(Metrics::PhpUnavailable);
    counters = call(get("/admin/snapshot")).json().value("counters").toObject();
    QCOMPARE(counters, (QJsonObject{{"connections", 3},
                                    {"messages_in", 10},
                                    {"messages_out", 12},
                                    {"queued_messages", 2},
                                    {"php_failures", 3}}));
}

void TestAdminApiState::snapshotCluster() {
    // Unset: a gateway alone.
    QJsonObject cluster = call(get("/admin/snapshot")).json().value("cluster").toObject();
    QCOMPARE(cluster.value("enabled").toBool(true), false);
    QCOMPARE(cluster.value("up").toBool(true), false);
    QCOMPARE(cluster.value("nodes").toInt(), 1);
    QCOMPARE(cluster.value("members").toArray(), QJsonArray());
    const QJsonObject given{
        {"enabled", true},
        {"up", true},
        {"nodes", 2},
        {"node", "a"},
        {"members",
         QJsonArray{QJsonObject{{"node", "a"}, {"admin_url", "https://a:8081"}, {"connections", 1}},
                    QJsonObject{{"node", "b"}, {"admin_url", QJsonValue()}, {"connections", 0}}}}};
    m_admin->setClusterProvider([given] { return given; });
    const Reply r = call(get("/admin/snapshot"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value("cluster").toObject(), given);
    QCOMPARE(r.json().keys(), (QStringList{"cluster", "counters", "instance", "snapshot"}));
}

void TestAdminApiState::snapshotRoundTrip_data() {
    QTest::addColumn<GatewaySnapshot>("snapshot");
    QTest::newRow("empty") << GatewaySnapshot();
    QTest::newRow("clients, pool, budgets, php times") << busy();
    GatewaySnapshot never = busy();
    never.lastPhpError.clear();
    never.lastPhpErrorMs = 0;
    never.lastPhpOkMs = 0;
    never.listening = false;
    QTest::newRow("PHP never answered, not listening") << never;
}

void TestAdminApiState::snapshotRoundTrip() {
    QFETCH(GatewaySnapshot, snapshot);
    const QJsonObject json = AdminApi::snapshotJson(snapshot);
    const std::optional<GatewaySnapshot> back =
        AdminApi::snapshotFromJson(QJsonDocument::fromJson(QJsonDocument(json).toJson()).object());
    QVERIFY(back);
    // snapshotJson writes every field: equal JSON is an equal snapshot.
    QCOMPARE(AdminApi::snapshotJson(*back), json);
    QCOMPARE(back->timeMs, snapshot.timeMs);
    QCOMPARE(back->lastPhpErrorMs, snapshot.lastPhpErrorMs);
    QCOMPARE(back->lastPhpOkMs, snapshot.lastPhpOkMs);
    QCOMPARE(back->outboundBudget, snapshot.outboundBudget);
    QCOMPARE(back->pool.queuedOwners, snapshot.pool.queuedOwners);
    QCOMPARE(back->clients.size(), snapshot.clients.size());
    for (int i = 0; i < snapshot.clients.size(); ++i) {
        const ClientInfo &a = snapshot.clients[i];
        const ClientInfo &b = back->clients[i];
        QCOMPARE(b.id, a.id);
        QCOMPARE(b.groups, a.groups);
        QCOMPARE(b.node, a.node);
        QCOMPARE(b.user, a.user);
        QCOMPARE(b.connectedMs, a.connectedMs);
        QCOMPARE(b.lastActivityMs, a.lastActivityMs);
        QCOMPARE(b.queueDepth, a.queueDepth);
        QCOMPARE(b.queuedBytes, a.queuedBytes);
        QCOMPARE(b.phpInFlight, a.phpInFlight);
        QCOMPARE(b.sendBufferBytes, a.sendBufferBytes);
        QCOMPARE(b.messagesOut, a.messagesOut);
    }
}

void TestAdminApiState::snapshotOverHttpReadsBack() {
    const Reply r = call(get("/admin/snapshot"));
    QCOMPARE(r.status, 200);
    const std::optional<GatewaySnapshot> back =
        AdminApi::snapshotFromJson(r.json().value("snapshot").toObject());
    QVERIFY(back);
    QCOMPARE(AdminApi::snapshotJson(*back), AdminApi::snapshotJson(*m_snapshot));
}

void TestAdminApiState::snapshotRefused_data() {
    QTest::addColumn<QJsonObject>("json");
    const QJsonObject good = AdminApi::snapshotJson(busy());
    QTest::newRow("empty object") << QJsonObject();
    QJsonObject j = good;
    j.remove("time_ms");
    QTest::newRow("no time_ms") << j;
    j = good;
    j.insert("time_ms", "1764633602789");
    QTest::newRow("time_ms a string") << j;
    j = good;
    j.insert("clients", QJsonObject());
    QTest::newRow("clients not an array") << j;
    j = good;
    QJsonArray clients = j.value("clients").toArray();
    QJsonObject nameless = clients.at(0).toObject();
    nameless.remove("id");
    clients.append(nameless);
    j.insert("clients", clients);
    QTest::newRow("a client without an id") << j;
}

void TestAdminApiState::snapshotRefused() {
    QFETCH(QJsonObject, json);
    QVERIFY(!AdminApi::snapshotFromJson(json));
}

WSGATE_TEST_MAIN(TestAdminApiState)
#include "tst_adminapistate.moc"
