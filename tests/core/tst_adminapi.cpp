// The admin API over real sockets: a real TrafficLog and HttpServer, PushApi handing /admin/
// to AdminApi, fake snapshot, config and replay hooks.

#include "config/configuration.h"
#include "gateway/gatewaysnapshot.h"
#include "gateway/phpbridge.h"
#include "http/adminapi.h"
#include "observe/trafficentryjson.h"
#include "observe/trafficlog.h"
#include "pushtestsupport.h"
#include "testcertificate.h"
#include "testmain.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslSocket>
#include <QTemporaryDir>

using namespace pushtest;

namespace {

const QByteArray kToken = "push-secret-token-1";
const QByteArray kReadToken = "reader-token-2";
const QByteArray kInstance = "0123456789abcdef0123456789abcdef";

QByteArray bearer(const QByteArray &token) {
    return "Authorization: Bearer " + token + "\r\n";
}

QByteArray get(const QByteArray &target, const QByteArray &token = kToken) {
    return request("GET", target, {}, {}, token.isEmpty() ? QByteArray() : bearer(token));
}

QByteArray post(const QByteArray &target, const QByteArray &body, const QByteArray &token = kToken,
                const QByteArray &type = "application/x-www-form-urlencoded") {
    return request("POST", target, body, type, token.isEmpty() ? QByteArray() : bearer(token));
}

QList<QJsonObject> lines(const QByteArray &body) {
    QList<QJsonObject> out;
    for (const QByteArray &line : body.split('\n')) {
        if (!line.isEmpty())
            out.append(QJsonDocument::fromJson(line).object());
    }
    return out;
}

TrafficEntry message(const QByteArray &client, const QByteArray &body) {
    TrafficEntry e;
    e.kind = TrafficEntry::Kind::MessageIn;
    e.direction = TrafficEntry::Direction::In;
    e.clientId = client;
    e.body = body;
    return e;
}

/// A php row for a message from `client`, with the secrets the console masks.
TrafficEntry exchange(const QByteArray &client, const QByteArray &body) {
    auto base = std::make_shared<PhpParamBlock>();
    base->params = {{"REQUEST_METHOD", "POST"},
                    {"HTTP_COOKIE", "sid=abc123secret; theme=darkvalue"},
                    {"HTTP_AUTHORIZATION", "Bearer xyz789credential"},
                    {"WS_PUSH_TOKEN", kToken}};
    auto x = std::make_shared<PhpExchange>();
    x->base = base;
    x->extraParams = {{"WS_EVENT", "message"},
                      {"WS_MESSAGE_TYPE", "text"},
                      {"CONTENT_TYPE", "text/plain; charset=utf-8"},
                      {"NOT_UTF8", QByteArray("\xff\xfe", 2)}};
    x->requestBody = body;
    x->requestBodySize = body.size();
    x->outcome = "ok";
    x->status = 200;
    x->responseHeaders = {{"Content-Type", "text/plain"},
                          {"Set-Cookie", "sid=newsession456; Path=/; HttpOnly"}};
    x->responseBody = "echo " + body + " token=" + kToken;
    x->responseBodySize = x->responseBody.size();
    x->stderrData = "PHP Warning: something; token " + kToken + "\n";
    x->queueWaitUs = 12;
    x->phpUs = 3456;
    TrafficEntry e;
    e.kind = TrafficEntry::Kind::Php;
    e.direction = TrafficEntry::Direction::Out;
    e.clientId = client;
    e.body = body;
    e.status = 200;
    e.durationUs = 3456;
    e.php = x;
    return e;
}

} // namespace

class TestAdminApi final : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void refusedWithoutConfiguredToken_data();
    void refusedWithoutConfiguredToken();
    void tokens_data();
    void tokens();
    void routesMethodsAndTypes_data();
    void routesMethodsAndTypes();
    void trustChecksComeFirst();

    void trafficAtOnce();
    void trafficMaxAndMore();
    void trafficByteCap();
    void longPollWakesOnAppend();
    void longPollTimesOutEmpty();
    void longPollReaderGoneIsDropped();
    void sinceBehindTheRingSaysSkipped();
    void sinceBeyondTheLogAnswersAtOnce();
    void badQuery_data();
    void badQuery();
    void trafficLogOff();
    void jsonLinesShape();
    void secretsMasked();

    void configMasked();
    void snapshot();
    void replay_data();
    void replay();
    void replayWithoutLog();

    void underPrefix();
    void overTls();
    void metricsCount();

private:
    void start(const AdminApiOptions &options, int logCapacity = 100,
               const HttpServer::Options &server = {}, const QByteArray &prefix = {});
    quint16 port() const { return m_server->serverPort(); }
    Reply call(const QByteArray &bytes, int timeoutMs = 5000) {
        Client c(port());
        if (!c.connected())
            return {};
        c.send(bytes);
        return c.reply(false, timeoutMs).value_or(Reply{});
    }
    static AdminApiOptions fullOptions() {
        AdminApiOptions o;
        o.token = kToken;
        o.readToken = kReadToken;
        o.instanceId = kInstance;
        return o;
    }

    struct ReplayCall {
        QByteArray client;
        ReplayRequest replay;
    };
    std::unique_ptr<TrafficLog> m_log;
    std::unique_ptr<FakeDelivery> m_delivery;
    std::unique_ptr<HttpServer> m_server;
    std::unique_ptr<AdminApi> m_admin;
    std::unique_ptr<PushApi> m_push;
    std::shared_ptr<GatewaySnapshot> m_snapshot;
    QList<ReplayCall> m_replays;
    AdminApi::ReplayStatus m_replayStatus = AdminApi::ReplayStatus::Queued;
    QString m_replayError;
};

void TestAdminApi::init() {
    start(fullOptions());
}

void TestAdminApi::cleanup() {
    m_push.reset();
    m_admin.reset();
    m_server.reset();
    m_delivery.reset();
    m_log.reset();
    m_replays.clear();
    m_snapshot.reset();
    m_replayStatus = AdminApi::ReplayStatus::Queued;
}

void TestAdminApi::start(const AdminApiOptions &options, int logCapacity,
                         const HttpServer::Options &server, const QByteArray &prefix) {
    cleanup();
    m_log = std::make_unique<TrafficLog>(logCapacity, 64 * 1024);
    m_delivery = std::make_unique<FakeDelivery>();
    m_server = std::make_unique<HttpServer>(server);
    PushApiOptions push;
    push.token = options.token;
    m_push = std::make_unique<PushApi>(m_delivery.get(), push);
    m_admin = std::make_unique<AdminApi>(m_log.get(), options);
    m_admin->setSnapshotProvider([this] { return m_snapshot; });
    m_admin->setFpmProvider([] {
        FpmReport r;
        r.polling = true;
        return r;
    });
    m_admin->setConfigProvider([] {
        Configuration c;
        QString error;
        ConfigurationParser::applyOption("push-token", QString::fromLatin1(kToken), c, &error);
        ConfigurationParser::applyOption("admin-read-token", QString::fromLatin1(kReadToken), c,
                                         &error);
        return c.toJson(true);
    });
    m_admin->setReplayHook(
        [this](const QByteArray &client, const ReplayRequest &r, AdminApi::ReplayDone done) {
            m_replays.append({client, r});
            // Later, as NodeRouter answers from another thread.
            QTimer::singleShot(10, m_admin.get(),
                               [this, done] { done(m_replayStatus, m_replayError); });
        });
    m_push->setAdminApi(m_admin.get());
    m_push->attach(m_server.get(), prefix);
    QVERIFY(m_server->listen(QHostAddress::LocalHost, 0));
}

void TestAdminApi::refusedWithoutConfiguredToken_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("traffic") << get("/admin/traffic", {});
    QTest::newRow("traffic with some bearer") << get("/admin/traffic", "anything");
    QTest::newRow("snapshot") << get("/admin/snapshot", {});
    QTest::newRow("fpm") << get("/admin/fpm", {});
    QTest::newRow("config") << get("/admin/config", {});
    QTest::newRow("replay") << post("/admin/replay", "entry=1", {});
    QTest::newRow("unknown admin route") << get("/admin/nothing", {});
    QTest::newRow("admin root") << get("/admin", {});
}

void TestAdminApi::refusedWithoutConfiguredToken() {
    QFETCH(QByteArray, bytes);
    AdminApiOptions none;
    none.instanceId = kInstance;
    start(none);
    const Reply r = call(bytes);
    QCOMPARE(r.status, 403);
    QCOMPARE(r.error(), QStringLiteral("admin_needs_token"));
    const QString message = r.json().value("message").toString();
    QVERIFY2(message.contains("--push-token") && message.contains("--push-token-file"),
             qPrintable(message));
    QVERIFY(m_replays.isEmpty());
    // The push API itself still works without a token (loopback).
    QCOMPARE(call(form("client_id=c1&message=hi")).status, 200);
}

void TestAdminApi::tokens_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("error");
    QTest::addColumn<QByteArray>("wwwAuthenticate");
    QTest::newRow("no Authorization") << get("/admin/traffic", {}) << 401 << "unauthorized"
                                      << QByteArray("Bearer realm=\"wsgate\"");
    QTest::newRow("wrong token") << get("/admin/traffic", "nope") << 401 << "unauthorized"
                                 << QByteArray("Bearer realm=\"wsgate\", error=\"invalid_token\"");
    QTest::newRow("token prefix only")
        << get("/admin/traffic", kToken.left(5)) << 401 << "unauthorized"
        << QByteArray("Bearer realm=\"wsgate\", error=\"invalid_token\"");
    QTest::newRow("basic scheme") << request("GET", "/admin/config", {}, {},
                                             "Authorization: Basic " + kToken + "\r\n")
                                  << 401 << "unauthorized"
                                  << QByteArray("Bearer realm=\"wsgate\", error=\"invalid_token\"");
    QTest::newRow("push token reads") << get("/admin/config") << 200 << "" << QByteArray();
    QTest::newRow("read token reads")
        << get("/admin/config", kReadToken) << 200 << "" << QByteArray();
    QTest::newRow("read token traffic")
        << get("/admin/traffic", kReadToken) << 200 << "" << QByteArray();
    QTest::newRow("read token fpm") << get("/admin/fpm", kReadToken) << 200 << "" << QByteArray();
    QTest::newRow("wrong token fpm")
        << get("/admin/fpm", "nope") << 401 << "unauthorized"
        << QByteArray("Bearer realm=\"wsgate\", error=\"invalid_token\"");
    QTest::newRow("read token may not replay")
        << post("/admin/replay", "entry=1", kReadToken) << 403 << "read_only_token" << QByteArray();
    QTest::newRow("read token is no push token")
        << request("POST", "/send", "client_id=c1&message=x", "application/x-www-form-urlencoded",
                   bearer(kReadToken))
        << 401 << "unauthorized" << QByteArray("Bearer realm=\"wsgate\", error=\"invalid_token\"");
}

void TestAdminApi::tokens() {
    QFETCH(QByteArray, bytes);
    QFETCH(int, status);
    QFETCH(QString, error);
    QFETCH(QByteArray, wwwAuthenticate);
    const Reply r = call(bytes);
    QCOMPARE(r.status, status);
    if (!error.isEmpty())
        QCOMPARE(r.error(), error);
    QCOMPARE(r.header("WWW-Authenticate"), wwwAuthenticate);
    QCOMPARE(m_replays.size(), 0);
    QCOMPARE(m_delivery->calls, 0);
}

void TestAdminApi::routesMethodsAndTypes_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("error");
    QTest::addColumn<QByteArray>("allow");
    QTest::newRow("unknown route") << get("/admin/clients") << 404 << "not_found" << QByteArray();
    QTest::newRow("GET replay") << get("/admin/replay") << 405 << "method_not_allowed"
                                << QByteArray("POST");
    QTest::newRow("POST traffic") << post("/admin/traffic", "since=0") << 405
                                  << "method_not_allowed" << QByteArray("GET, HEAD");
    QTest::newRow("POST fpm") << post("/admin/fpm", "x=1") << 405 << "method_not_allowed"
                              << QByteArray("GET, HEAD");
    QTest::newRow("replay as text/plain") << post("/admin/replay", "entry=1", kToken, "text/plain")
                                          << 415 << "unsupported_media_type" << QByteArray();
    QTest::newRow("replay without type") << post("/admin/replay", "entry=1", kToken, {}) << 415
                                         << "unsupported_media_type" << QByteArray();
    QTest::newRow("GET with a body") << request("GET", "/admin/config", "x=1",
                                                "application/x-www-form-urlencoded", bearer(kToken))
                                     << 400 << "bad_request" << QByteArray();
}

void TestAdminApi::routesMethodsAndTypes() {
    QFETCH(QByteArray, bytes);
    QFETCH(int, status);
    QFETCH(QString, error);
    QFETCH(QByteArray, allow);
    const Reply r = call(bytes);
    QCOMPARE(r.status, status);
    QCOMPARE(r.error(), error);
    QCOMPARE(r.header("Allow"), allow);
    QCOMPARE(m_replays.size(), 0);
}

void TestAdminApi::trustChecksComeFirst() {
    // A foreign Host (DNS rebinding) or a page's Origin: refused before the token is looked at.
    const Reply host =
        call(request("GET", "/admin/config", {}, {}, bearer(kToken), "evil.example"));
    QCOMPARE(host.status, 421);
    const Reply origin = call(request("GET", "/admin/config", {}, {},
                                      bearer(kToken) + "Origin: https://evil.example\r\n"));
    QCOMPARE(origin.status, 403);
    QCOMPARE(origin.error(), QStringLiteral("origin_not_allowed"));
    // And they hold with no token configured too (421 before 403 admin_needs_token).
    AdminApiOptions none;
    start(none);
    QCOMPARE(call(request("GET", "/admin/config", {}, {}, {}, "evil.example")).status, 421);
}

void TestAdminApi::trafficAtOnce() {
    for (const char *body : {"one", "two", "three"})
        m_log->append(message("c1", body));
    QElapsedTimer clock;
    clock.start();
    const Reply r = call(get("/admin/traffic?since=0&wait=10"));
    QCOMPARE(r.status, 200);
    QVERIFY2(clock.elapsed() < 5000, "entries there: no wait");
    QCOMPARE(r.header("Content-Type"), QByteArray("application/x-ndjson"));
    QCOMPARE(r.header("Cache-Control"), QByteArray("no-store"));
    QCOMPARE(r.header("X-WsGate-Instance"), kInstance);
    QCOMPARE(r.header("X-WsGate-First-Id"), QByteArray("1"));
    QCOMPARE(r.header("X-WsGate-Last-Id"), QByteArray("3"));
    QCOMPARE(r.header("X-WsGate-Next-Since"), QByteArray("3"));
    QCOMPARE(r.header("X-WsGate-Skipped"), QByteArray("0"));
    QCOMPARE(r.header("X-WsGate-More"), QByteArray("0"));
    QCOMPARE(r.header("X-WsGate-Count"), QByteArray("3"));
    QVERIFY(r.body.endsWith('\n'));
    const QList<QJsonObject> got = lines(r.body);
    QCOMPARE(got.size(), 3);
    QCOMPARE(got.at(0).value("id").toInt(), 1);
    QCOMPARE(got.at(2).value("id").toInt(), 3);
    QCOMPARE(QByteArray::fromBase64(got.at(1).value("body").toString().toLatin1()),
             QByteArray("two"));

    // Default since is 0; since=2 gives the third alone.
    QCOMPARE(lines(call(get("/admin/traffic")).body).size(), 3);
    const Reply after = call(get("/admin/traffic?since=2"));
    QCOMPARE(lines(after.body).size(), 1);
    QCOMPARE(lines(after.body).at(0).value("id").toInt(), 3);
}

void TestAdminApi::trafficMaxAndMore() {
    for (int i = 0; i < 5; ++i)
        m_log->append(message("c1", QByteArray::number(i)));
    const Reply first = call(get("/admin/traffic?since=0&max=2"));
    QCOMPARE(lines(first.body).size(), 2);
    QCOMPARE(first.header("X-WsGate-More"), QByteArray("1"));
    QCOMPARE(first.header("X-WsGate-Next-Since"), QByteArray("2"));
    const Reply second = call(get("/admin/traffic?since=2&max=2"));
    QCOMPARE(lines(second.body).at(0).value("id").toInt(), 3);
    QCOMPARE(lines(second.body).at(1).value("id").toInt(), 4);
    const Reply last = call(get("/admin/traffic?since=4&max=2"));
    QCOMPARE(lines(last.body).size(), 1);
    QCOMPARE(last.header("X-WsGate-More"), QByteArray("0"));
    // Above the cap: clamped to 10,000, not refused.
    QCOMPARE(call(get("/admin/traffic?since=0&max=99999999")).status, 200);
}

void TestAdminApi::trafficByteCap() {
    // 64 KiB bodies, base64-encoded in the answer: ~4 MiB hold about 47 of them.
    const QByteArray big(64 * 1024, 'x');
    for (int i = 0; i < 80; ++i)
        m_log->append(message("c1", big));
    const Reply r = call(get("/admin/traffic?since=0&max=1000"));
    QCOMPARE(r.status, 200);
    const int n = lines(r.body).size();
    QVERIFY2(n > 10 && n < 80, qPrintable(QString::number(n)));
    QVERIFY(r.body.size() <= 4 * 1024 * 1024);
    QCOMPARE(r.header("X-WsGate-More"), QByteArray("1"));
    QCOMPARE(r.header("X-WsGate-Count").toInt(), n);
    QCOMPARE(r.header("X-WsGate-Next-Since").toInt(), n);
}

void TestAdminApi::longPollWakesOnAppend() {
    m_log->append(message("c1", "before"));
    Client c(port());
    QVERIFY(c.connected());
    QElapsedTimer clock;
    clock.start();
    c.send(get("/admin/traffic?since=1&wait=20"));
    QTRY_COMPARE(m_admin->waitingReaders(), 1);
    QVERIFY2(!c.reply(false, 300), "nothing new yet: it waits");
    m_log->append(message("c2", "after"));
    const std::optional<Reply> r = c.reply(false, 5000);
    QVERIFY(r);
    QVERIFY2(clock.elapsed() < 10000, "woken by the entry, not by the end of the wait");
    QCOMPARE(r->status, 200);
    const QList<QJsonObject> got = lines(r->body);
    QCOMPARE(got.size(), 1);
    QCOMPARE(got.at(0).value("client").toString(), QStringLiteral("c2"));
    QCOMPARE(r->header("X-WsGate-Next-Since"), QByteArray("2"));
    QCOMPARE(m_admin->waitingReaders(), 0);
    // Keep-alive: the same connection asks again.
    c.send(get("/admin/traffic?since=2"));
    const std::optional<Reply> again = c.reply();
    QVERIFY(again);
    QCOMPARE(again->header("X-WsGate-Count"), QByteArray("0"));
}

void TestAdminApi::longPollTimesOutEmpty() {
    m_log->append(message("c1", "x"));
    QElapsedTimer clock;
    clock.start();
    const Reply r = call(get("/admin/traffic?since=1&wait=0.4"));
    const qint64 elapsed = clock.elapsed();
    QCOMPARE(r.status, 200);
    QVERIFY2(elapsed >= 400, qPrintable(QString::number(elapsed)));
    QVERIFY2(elapsed < 4000, qPrintable(QString::number(elapsed)));
    QCOMPARE(r.body, QByteArray());
    QCOMPARE(r.header("X-WsGate-Count"), QByteArray("0"));
    QCOMPARE(r.header("X-WsGate-Next-Since"), QByteArray("1"));
    QCOMPARE(r.header("X-WsGate-Last-Id"), QByteArray("1"));
    QCOMPARE(r.header("X-WsGate-Skipped"), QByteArray("0"));
    QCOMPARE(m_admin->waitingReaders(), 0);
    // wait=0 (the default): at once.
    const Reply empty = call(get("/admin/traffic?since=1&wait=0"));
    QCOMPARE(empty.status, 200);
    QCOMPARE(empty.header("X-WsGate-Count"), QByteArray("0"));
}

void TestAdminApi::longPollReaderGoneIsDropped() {
    {
        Client c(port());
        QVERIFY(c.connected());
        c.send(get("/admin/traffic?since=0&wait=20"));
        QTRY_COMPARE(m_admin->waitingReaders(), 1);
    } // the reader hangs up
    QTRY_COMPARE(m_admin->waitingReaders(), 0);
    QCOMPARE(m_admin->requestCount("/admin/traffic", 200), quint64(0));
}

void TestAdminApi::sinceBehindTheRingSaysSkipped() {
    start(fullOptions(), 3);
    for (int i = 0; i < 6; ++i)
        m_log->append(message("c1", QByteArray::number(i)));
    const Reply r = call(get("/admin/traffic?since=1"));
    QCOMPARE(r.header("X-WsGate-First-Id"), QByteArray("4"));
    QCOMPARE(r.header("X-WsGate-Last-Id"), QByteArray("6"));
    QCOMPARE(r.header("X-WsGate-Skipped"), QByteArray("2")); // 2 and 3 are gone
    QCOMPARE(lines(r.body).at(0).value("id").toInt(), 4);
    QCOMPARE(call(get("/admin/traffic?since=3")).header("X-WsGate-Skipped"), QByteArray("0"));
    QCOMPARE(call(get("/admin/traffic?since=0")).header("X-WsGate-Skipped"), QByteArray("3"));
    // A cleared ring: everything after the cursor is gone.
    m_log->clear();
    const Reply cleared = call(get("/admin/traffic?since=4&wait=10"));
    QCOMPARE(cleared.header("X-WsGate-Count"), QByteArray("0"));
    QCOMPARE(cleared.header("X-WsGate-Skipped"), QByteArray("2"));
    QCOMPARE(cleared.header("X-WsGate-First-Id"), QByteArray("0"));
    QCOMPARE(cleared.header("X-WsGate-Next-Since"), QByteArray("6"));
}

void TestAdminApi::sinceBeyondTheLogAnswersAtOnce() {
    // Another instance's cursor: no waiting for id 1000, the reader is told where the log ends.
    for (int i = 0; i < 3; ++i)
        m_log->append(message("c1", "x"));
    QElapsedTimer clock;
    clock.start();
    const Reply r = call(get("/admin/traffic?since=1000&wait=20"));
    QVERIFY2(clock.elapsed() < 5000, "answered at once");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("X-WsGate-Count"), QByteArray("0"));
    QCOMPARE(r.header("X-WsGate-Next-Since"), QByteArray("3"));
    QCOMPARE(r.header("X-WsGate-Instance"), kInstance);
}

void TestAdminApi::badQuery_data() {
    QTest::addColumn<QByteArray>("query");
    QTest::newRow("since not a number") << QByteArray("since=abc");
    QTest::newRow("since negative") << QByteArray("since=-1");
    QTest::newRow("since too long") << QByteArray("since=123456789012345678901");
    QTest::newRow("max zero") << QByteArray("max=0");
    QTest::newRow("max not a number") << QByteArray("max=ten");
    QTest::newRow("wait negative") << QByteArray("wait=-1");
    QTest::newRow("wait not a number") << QByteArray("wait=soon");
    QTest::newRow("bad percent") << QByteArray("since=%zz");
}

void TestAdminApi::badQuery() {
    QFETCH(QByteArray, query);
    const Reply r = call(get("/admin/traffic?" + query));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.error(), QStringLiteral("bad_request"));
}

void TestAdminApi::trafficLogOff() {
    start(fullOptions(), 0);
    m_log->append(message("c1", "dropped"));
    const Reply r = call(get("/admin/traffic?since=0&wait=5"));
    QCOMPARE(r.status, 409);
    QCOMPARE(r.error(), QStringLiteral("traffic_log_off"));
    QVERIFY(r.json().value("message").toString().contains("--traffic-log"));
    QCOMPARE(r.header("X-WsGate-Instance"), kInstance);
}

void TestAdminApi::jsonLinesShape() {
    TrafficEntry push;
    push.kind = TrafficEntry::Kind::Push;
    push.direction = TrafficEntry::Direction::Out;
    push.text = "group room";
    push.body = QByteArray("\x00\x01\x02", 3);
    push.binary = true;
    push.receivers = std::make_shared<QList<QByteArray>>(QList<QByteArray>{"c1", "c2"});
    m_log->append(push);
    TrafficEntry php = exchange("c1", "hello");
    php.replayOf = 1;
    m_log->append(php);
    TrafficEntry big = message("c1", QByteArray(70 * 1024, 'b')); // over the 64 KiB cap
    m_log->append(big);

    const QList<QJsonObject> got = lines(call(get("/admin/traffic?since=0")).body);
    QCOMPARE(got.size(), 3);
    const QJsonObject p = got.at(0);
    for (const char *key : {"id", "time", "time_ms", "kind", "direction", "client", "size", "body",
                            "body_truncated", "binary", "status", "duration_us", "text", "is_error",
                            "replay_of", "receivers", "receivers_truncated"})
        QVERIFY2(p.contains(QLatin1String(key)), key);
    QVERIFY(!p.contains("php"));
    QCOMPARE(p.value("kind").toString(), QStringLiteral("push"));
    QCOMPARE(p.value("direction").toString(), QStringLiteral("out"));
    QCOMPARE(QByteArray::fromBase64(p.value("body").toString().toLatin1()),
             QByteArray("\x00\x01\x02", 3));
    QCOMPARE(p.value("binary").toBool(), true);
    QCOMPARE(p.value("receivers").toArray().size(), 2);
    QVERIFY(p.value("time").toString().endsWith('Z'));

    const QJsonObject x = got.at(1);
    QCOMPARE(x.value("kind").toString(), QStringLiteral("php"));
    QCOMPARE(x.value("replay_of").toInt(), 1);
    QCOMPARE(x.value("duration_us").toInt(), 3456);
    QVERIFY(!x.contains("receivers"));
    const QJsonObject xp = x.value("php").toObject();
    for (const char *key :
         {"params", "request_body", "request_body_size", "request_body_truncated", "outcome",
          "error", "status", "headers", "response_body", "response_body_size",
          "response_body_truncated", "stderr", "queue_wait_us", "php_us"})
        QVERIFY2(xp.contains(QLatin1String(key)), key);
    QCOMPARE(xp.value("params").toArray().at(0).toArray(), (QJsonArray{"REQUEST_METHOD", "POST"}));
    QCOMPARE(xp.value("params").toArray().size(), 8); // base's then the message's
    // A value that is not UTF-8 comes as base64.
    QCOMPARE(xp.value("params").toArray().at(7).toArray().at(1).toObject().value("base64"),
             QJsonValue(QString::fromLatin1(QByteArray("\xff\xfe", 2).toBase64())));
    QCOMPARE(QByteArray::fromBase64(xp.value("request_body").toString().toLatin1()),
             QByteArray("hello"));
    QVERIFY(QByteArray::fromBase64(xp.value("stderr").toString().toLatin1())
                .startsWith("PHP Warning: something"));
    QCOMPARE(xp.value("php_us").toInt(), 3456);
    QCOMPARE(xp.value("queue_wait_us").toInt(), 12);

    const QJsonObject t = got.at(2);
    QCOMPARE(t.value("size").toInt(), 70 * 1024);
    QCOMPARE(t.value("body_truncated").toBool(), true);
    QCOMPARE(QByteArray::fromBase64(t.value("body").toString().toLatin1()).size(), 64 * 1024);

    // Back into entries, as the console will read them.
    for (const QJsonObject &o : got) {
        const std::optional<TrafficEntry> back = TrafficEntryJson::fromJson(o);
        QVERIFY(back);
        QCOMPARE(TrafficEntryJson::toJson(*back), o);
    }
    QVERIFY(!TrafficEntryJson::fromJson(QJsonObject{{"kind", "nonsense"}}));
    QVERIFY(!TrafficEntryJson::fromJson(QJsonObject{{"kind", "php"}, {"body", "!!not base64"}}));
}

void TestAdminApi::secretsMasked() {
    m_log->append(exchange("c1", "hello " + kToken));
    TrafficEntry error;
    error.kind = TrafficEntry::Kind::Error;
    error.text = QStringLiteral("failed with %1").arg(QString::fromLatin1(kReadToken));
    m_log->append(error);
    // Whoever asks, however: the read token, a HEAD, any query.
    for (const QByteArray &token : {kToken, kReadToken}) {
        const Reply r = call(get("/admin/traffic?since=0&unmasked=1&mask=0", token));
        QCOMPARE(r.status, 200);
        QByteArray text = r.body;
        const QList<QJsonObject> got = lines(r.body);
        const QJsonObject php = got.at(0).value("php").toObject();
        for (const char *field : {"request_body", "response_body", "stderr"})
            text += QByteArray::fromBase64(php.value(QLatin1String(field)).toString().toLatin1());
        text += QByteArray::fromBase64(got.at(0).value("body").toString().toLatin1());
        for (const QByteArray &secret :
             {kToken, kReadToken, QByteArray("abc123secret"), QByteArray("darkvalue"),
              QByteArray("xyz789credential"), QByteArray("newsession456")})
            QVERIFY2(!text.contains(secret), secret.constData());
        QMap<QString, QString> params;
        for (const QJsonValue &pair : php.value("params").toArray())
            params.insert(pair.toArray().at(0).toString(), pair.toArray().at(1).toString());
        QCOMPARE(params.value("WS_PUSH_TOKEN"), QStringLiteral("********"));
        QCOMPARE(params.value("HTTP_AUTHORIZATION"), QStringLiteral("Bearer ********"));
        const QString cookie = params.value("HTTP_COOKIE");
        QVERIFY2(cookie.contains("sid=") && cookie.contains("theme="), qPrintable(cookie));
        QCOMPARE(params.value("REQUEST_METHOD"), QStringLiteral("POST"));
        QVERIFY(text.contains("********"));
    }
}

void TestAdminApi::configMasked() {
    const Reply r = call(get("/admin/config", kReadToken));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value("instance").toString(), QString::fromLatin1(kInstance));
    QVERIFY(!r.json().value("version").toString().isEmpty());
    const QJsonObject config = r.json().value("config").toObject();
    QCOMPARE(config.value("push-token").toString(), QStringLiteral("********"));
    QCOMPARE(config.value("admin-read-token").toString(), QStringLiteral("********"));
    QCOMPARE(config.value("listen").toString(), QStringLiteral("127.0.0.1:8080"));
    QVERIFY(!r.body.contains(kToken));
    QVERIFY(!r.body.contains(kReadToken));
}

void TestAdminApi::snapshot() {
    QCOMPARE(call(get("/admin/snapshot")).status, 503);
    QCOMPARE(call(get("/admin/snapshot")).error(), QStringLiteral("snapshot_unavailable"));
    m_snapshot = std::make_shared<GatewaySnapshot>();
    m_snapshot->timeMs = 1700000000000;
    m_snapshot->listening = true;
    ClientInfo c;
    c.id = "c1";
    c.user = "alice";
    c.groups = {"lobby", "room"};
    c.queueDepth = 2;
    c.queuedBytes = 10;
    c.lastActivityMs = 1700000000500;
    c.phpInFlight = true;
    m_snapshot->clients = {c};
    m_snapshot->groups = {"lobby", "room"};
    m_snapshot->users = {"alice"};
    m_snapshot->pool.maxConnections = 4;
    m_snapshot->pool.busy = 1;
    m_snapshot->handshakes = 3;
    m_snapshot->inboundBudget = 1024;
    m_snapshot->outboundBytes = 7;
    m_snapshot->lastPhpError = "php_timeout";
    const Reply r = call(get("/admin/snapshot", kReadToken));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value("instance").toString(), QString::fromLatin1(kInstance));
    const QJsonObject s = r.json().value("snapshot").toObject();
    QCOMPARE(s.value("listening").toBool(), true);
    QCOMPARE(s.value("time").toString(), QStringLiteral("2023-11-14T22:13:20.000Z"));
    const QJsonObject client = s.value("clients").toArray().at(0).toObject();
    QCOMPARE(client.value("id").toString(), QStringLiteral("c1"));
    QCOMPARE(client.value("user").toString(), QStringLiteral("alice"));
    QCOMPARE(client.value("groups").toArray(), (QJsonArray{"lobby", "room"}));
    QCOMPARE(client.value("queue_depth").toInt(), 2);
    QCOMPARE(client.value("php_in_flight").toBool(), true);
    QCOMPARE(client.value("last_activity_at").toString(),
             QStringLiteral("2023-11-14T22:13:20.500Z"));
    QCOMPARE(s.value("pool").toObject().value("max_connections").toInt(), 4);
    QCOMPARE(s.value("pool").toObject().value("busy").toInt(), 1);
    QCOMPARE(s.value("handshakes").toInt(), 3);
    QCOMPARE(s.value("budgets").toObject().value("inbound_limit").toInt(), 1024);
    QCOMPARE(s.value("budgets").toObject().value("outbound_bytes").toInt(), 7);
    QCOMPARE(s.value("php").toObject().value("last_error").toString(),
             QStringLiteral("php_timeout"));
    QVERIFY(s.value("php").toObject().value("last_ok_at").isNull());
    QCOMPARE(s.value("users").toArray(), (QJsonArray{"alice"}));
}

void TestAdminApi::replay_data() {
    QTest::addColumn<QByteArray>("fields"); // "%1" is the php row's id
    QTest::addColumn<QByteArray>("type");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("error");
    QTest::addColumn<int>("hookCalls");
    QTest::addColumn<int>("hookStatus"); // AdminApi::ReplayStatus
    const QByteArray form = "application/x-www-form-urlencoded";
    const int queued = int(AdminApi::ReplayStatus::Queued);
    QTest::newRow("as logged") << QByteArray("entry=%1") << form << 200 << "" << 1 << queued;
    QTest::newRow("overrides")
        << QByteArray("entry=%1&body=other&user=bob&groups=a,%20b,&apply_control_headers=1") << form
        << 200 << "" << 1 << queued;
    QTest::newRow("json base64 binary")
        << QByteArray(R"({"entry": %1, "body_base64": "AAEC", "binary": 1, "groups": ""})")
        << QByteArray("application/json") << 200 << "" << 1 << queued;
    QTest::newRow("client gone") << QByteArray("entry=%1") << form << 404 << "unknown_client" << 1
                                 << int(AdminApi::ReplayStatus::UnknownClient);
    QTest::newRow("refused") << QByteArray("entry=%1") << form << 409 << "replay_refused" << 1
                             << int(AdminApi::ReplayStatus::Refused);
    QTest::newRow("no entry field")
        << QByteArray("body=x") << form << 400 << "missing_field" << 0 << queued;
    QTest::newRow("entry not a number")
        << QByteArray("entry=abc") << form << 400 << "missing_field" << 0 << queued;
    QTest::newRow("entry not in the log")
        << QByteArray("entry=999") << form << 404 << "entry_not_found" << 0 << queued;
    QTest::newRow("not a php row")
        << QByteArray("entry=1") << form << 409 << "not_replayable" << 0 << queued;
    QTest::newRow("body and body_base64") << QByteArray("entry=%1&body=a&body_base64=YQ==") << form
                                          << 400 << "bad_request" << 0 << queued;
    QTest::newRow("bad base64") << QByteArray("entry=%1&body_base64=!!") << form << 400
                                << "bad_request" << 0 << queued;
    QTest::newRow("bad binary flag")
        << QByteArray("entry=%1&binary=maybe") << form << 400 << "bad_request" << 0 << queued;
    QTest::newRow("text body not UTF-8")
        << QByteArray("entry=%1&body=%FF") << form << 400 << "invalid_utf8" << 0 << queued;
    QTest::newRow("fields in the query only")
        << QByteArray("") << form << 400 << "missing_field" << 0 << queued;
}

void TestAdminApi::replay() {
    QFETCH(QByteArray, fields);
    QFETCH(QByteArray, type);
    QFETCH(int, status);
    QFETCH(QString, error);
    QFETCH(int, hookCalls);
    QFETCH(int, hookStatus);
    m_replayStatus = AdminApi::ReplayStatus(hookStatus);
    m_replayError = QStringLiteral("client c1's queue is full");
    m_log->append(message("c1", "hello")); // 1: not a php row
    const quint64 id = m_log->append(exchange("c1", "hello"));
    const QByteArray body = QByteArray(fields).replace("%1", QByteArray::number(id));
    const QByteArray target = body.isEmpty() ? "/admin/replay?entry=2" : "/admin/replay";
    const Reply r = call(post(target, body, kToken, type));
    QCOMPARE(r.status, status);
    QCOMPARE(r.error(), error);
    QCOMPARE(m_replays.size(), hookCalls);
    if (status == 200) {
        QCOMPARE(r.json().value("ok").toBool(), true);
        QCOMPARE(r.json().value("entry").toInt(), int(id));
        QCOMPARE(r.json().value("client").toString(), QStringLiteral("c1"));
    }
    if (error == QLatin1String("replay_refused"))
        QCOMPARE(r.json().value("message").toString(), m_replayError);
    if (hookCalls == 0)
        return;
    const ReplayCall &call = m_replays.first();
    QCOMPARE(call.client, QByteArray("c1"));
    QCOMPARE(call.replay.entryId, id);
    const QString row = QString::fromLatin1(QTest::currentDataTag());
    if (row == QLatin1String("overrides")) {
        QCOMPARE(call.replay.body, QByteArray("other"));
        QCOMPARE(call.replay.binary, false);
        QCOMPARE(call.replay.user, std::optional<QString>("bob"));
        QCOMPARE(call.replay.groups, std::optional<QStringList>(QStringList{"a", "b"}));
        QCOMPARE(call.replay.applyControlHeaders, true);
    } else if (row == QLatin1String("json base64 binary")) {
        QCOMPARE(call.replay.body, QByteArray("\x00\x01\x02", 3));
        QCOMPARE(call.replay.binary, true);
        QCOMPARE(call.replay.groups, std::optional<QStringList>(QStringList{}));
        QVERIFY(!call.replay.user);
    } else {
        QCOMPARE(call.replay.body, QByteArray("hello")); // the logged message
        QCOMPARE(call.replay.binary, false);
        QVERIFY(!call.replay.user);
        QVERIFY(!call.replay.groups);
        QCOMPARE(call.replay.applyControlHeaders, false);
    }
}

void TestAdminApi::replayWithoutLog() {
    start(fullOptions(), 0);
    const Reply r = call(post("/admin/replay", "entry=1"));
    QCOMPARE(r.status, 409);
    QCOMPARE(r.error(), QStringLiteral("traffic_log_off"));
    QVERIFY(m_replays.isEmpty());
}

void TestAdminApi::underPrefix() {
    start(fullOptions(), 100, PushApi::publicServerOptions({}), "/_wsgate");
    m_log->append(message("c1", "x"));
    const Reply r = call(get("/_wsgate/admin/traffic?since=0"));
    QCOMPARE(r.status, 200);
    QCOMPARE(lines(r.body).size(), 1);
    QCOMPARE(call(get("/admin/traffic?since=0")).status, 404); // only below the prefix
    const Reply anonymous = call(get("/_wsgate/admin/config", {}));
    QCOMPARE(anonymous.status, 401);
    QCOMPARE(anonymous.header("Connection"), QByteArray("close")); // the public port's rule
    // The read token is a credential there too: its connection stays open for the next call.
    Client c(port());
    QVERIFY(c.connected());
    c.send(get("/_wsgate/admin/config", kReadToken));
    const std::optional<Reply> first = c.reply();
    QVERIFY(first);
    QCOMPARE(first->status, 200);
    QCOMPARE(first->header("Connection"), QByteArray());
    c.send(get("/_wsgate/admin/traffic?since=0", kReadToken));
    const std::optional<Reply> second = c.reply();
    QVERIFY(second);
    QCOMPARE(second->status, 200);
}

void TestAdminApi::overTls() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const wsgatetest::TestCertificate cert = wsgatetest::makeTestCertificate(dir.path());
    if (!cert.isValid()) {
        if (qEnvironmentVariableIsSet("CI"))
            QFAIL(qPrintable(cert.error));
        QSKIP(qPrintable(cert.error));
    }
    QFile certFile(cert.certPath), keyFile(cert.keyPath);
    QVERIFY(certFile.open(QIODevice::ReadOnly) && keyFile.open(QIODevice::ReadOnly));
    const QList<QSslCertificate> chain = QSslCertificate::fromData(certFile.readAll());
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setLocalCertificateChain(chain);
    tls.setPrivateKey(QSslKey(keyFile.readAll(), QSsl::Ec));
    QVERIFY(!tls.privateKey().isNull());

    cleanup();
    m_log = std::make_unique<TrafficLog>(100, 64 * 1024);
    m_delivery = std::make_unique<FakeDelivery>();
    m_server = std::make_unique<HttpServer>();
    QVERIFY(m_server->setTlsConfiguration(tls));
    QVERIFY(m_server->isTls());
    PushApiOptions push;
    push.token = kToken;
    m_push = std::make_unique<PushApi>(m_delivery.get(), push);
    m_admin = std::make_unique<AdminApi>(m_log.get(), fullOptions());
    m_push->setAdminApi(m_admin.get());
    m_push->attach(m_server.get());
    QVERIFY(m_server->listen(QHostAddress::LocalHost, 0));
    QVERIFY(!m_server->setTlsConfiguration(tls)); // too late once listening
    m_log->append(message("c1", "over tls"));

    QSslSocket s;
    QSslConfiguration client = QSslConfiguration::defaultConfiguration();
    client.setCaCertificates(chain); // verified: the certificate names 127.0.0.1
    s.setSslConfiguration(client);
    QByteArray buffer;
    // Not waitForEncrypted(): it blocks this thread, which is also the server's, so the
    // server could never answer the handshake.
    QSignalSpy encrypted(&s, &QSslSocket::encrypted);
    s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port());
    QVERIFY2(encrypted.wait(10000), qPrintable(s.errorString()));
    QCOMPARE(encrypted.count(), 1);
    s.write(get("/admin/traffic?since=0"));
    std::optional<Reply> r;
    QVERIFY(QTest::qWaitFor(
        [&] {
            buffer += s.readAll();
            r = takeReply(buffer, false);
            return r.has_value();
        },
        10000));
    QCOMPARE(r->status, 200);
    QCOMPARE(lines(r->body).size(), 1);
    // The push API is there too, over the same TLS.
    s.write(request("POST", "/send", "client_id=c1&message=hi", "application/x-www-form-urlencoded",
                    bearer(kToken)));
    QVERIFY(QTest::qWaitFor(
        [&] {
            buffer += s.readAll();
            r = takeReply(buffer, false);
            return r.has_value();
        },
        10000));
    QCOMPARE(r->status, 200);

    // Plain HTTP to the TLS port gets no HTTP answer, only the end of the connection.
    Client plain(port());
    QVERIFY(plain.connected());
    plain.send(get("/admin/config"));
    QVERIFY(plain.waitClosed(15000));
    QVERIFY(!plain.buffer().startsWith("HTTP/"));
}

void TestAdminApi::metricsCount() {
    call(get("/admin/config"));
    call(get("/admin/config", "wrong"));
    call(get("/admin/traffic?since=0"));
    QCOMPARE(m_admin->requestCount("/admin/config", 200), quint64(1));
    QCOMPARE(m_admin->requestCount("/admin/config", 401), quint64(1));
    QCOMPARE(m_admin->requestCount("/admin/traffic", 200), quint64(1));
    const QByteArray text = AdminApi::metricsText({m_admin.get()});
    QVERIFY(text.contains("wsgate_admin_requests_total{route=\"/admin/config\",status=\"401\"} 1"));
}

WSGATE_TEST_MAIN(TestAdminApi)
#include "tst_adminapi.moc"
