#include "pushtestsupport.h"
#include "testmain.h"

#include <QSignalSpy>

using namespace pushtest;

/// Push API over a real HttpServer on loopback and a fake Delivery: every route and answer,
/// answered at once, later and never.
class TestPushApi final : public QObject, private PushApiFixture {
    Q_OBJECT
private slots:
    void init() { startApi(); }
    void cleanup() { stopApi(); }

    void sendToClientForm();
    void sendToClientJson();
    void sendBinary();
    void queryFieldsAreIgnoredOnPost();
    void sendErrors_data();
    void sendErrors();
    void sendToUserAndGroup();
    void sendBufferFull();
    void broadcast();
    void waitFlag();
    void countsCarryNodesAndExact();
    void deliveryErrors_data();
    void deliveryErrors();
    void clientOnAnotherNode();
    void closeClient();
    void closeCodes_data();
    void closeCodes();
    void joinLeave();
    void stateRoutes();
    void healthMetricsFpm();
    void unknownRouteAndMethod();
    void unsupportedMediaType();
    void payloadTooLarge();
    void token();
    void withoutDelivery();
    void everyRouteAnswersLater_data();
    void everyRouteAnswersLater();
    void deliveryThatNeverAnswers();
    void errorsAreSignalledAndCounted();
};

void TestPushApi::sendToClientForm() {
    const Reply r = call(form("type=server&client_id=c1&message=hi+there%21"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, QByteArray("Message sent"));
    QCOMPARE(m_delivery->sends.size(), 1);
    QCOMPARE(m_delivery->sends[0].target, QByteArray("client:c1"));
    QCOMPARE(m_delivery->sends[0].message.payload, QByteArray("hi there!"));
    QVERIFY(!m_delivery->sends[0].message.binary);
}

void TestPushApi::sendToClientJson() {
    Reply r = call(request("POST", "/send", R"({"client_id":"c1","message":"héllo"})",
                           "application/json; charset=utf-8"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, QByteArray("Message sent"));
    QCOMPARE(m_delivery->sends.last().message.payload, QByteArray("héllo"));
    // A JSON object or array as the message is sent as its JSON text.
    r = call(request("POST", "/send", R"({"client_id":"c1","message":{"a":[1,2]}})",
                     "application/json"));
    QCOMPARE(r.status, 200);
    QCOMPARE(m_delivery->sends.last().message.payload, QByteArray(R"({"a":[1,2]})"));
}

void TestPushApi::sendBinary() {
    Reply r = call(form("client_id=c1&binary=1&message=%00%FF%80"));
    QCOMPARE(r.status, 200);
    QCOMPARE(m_delivery->sends.last().message.payload, QByteArray("\x00\xff\x80", 3));
    QVERIFY(m_delivery->sends.last().message.binary);
    r = call(request("POST", "/send", R"({"client_id":"c1","message":"x","binary":true})",
                     "application/json"));
    QCOMPARE(r.status, 200);
    QVERIFY(m_delivery->sends.last().message.binary);
}

void TestPushApi::queryFieldsAreIgnoredOnPost() {
    // Only in the query string: as if there were no fields at all.
    Reply r = call(request("POST", "/send?client_id=c1&message=from+query"));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.error(), QString("missing_field"));
    // Body fields count, the query's never fill in or override.
    r = call(request("POST", "/send?client_id=c1&message=q", "message=from+body"));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.error(), QString("missing_field"));
    r = call(request("POST", "/send?client_id=nope&message=q", "client_id=c1&message=body"));
    QCOMPARE(r.status, 200);
    QCOMPARE(m_delivery->sends.size(), 1);
    QCOMPARE(m_delivery->sends[0].target, QByteArray("client:c1"));
    QCOMPARE(m_delivery->sends[0].message.payload, QByteArray("body"));
}

void TestPushApi::sendErrors_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("code");
    QTest::newRow("unknown client") << form("client_id=nope&message=x") << 404 << "unknown_client";
    QTest::newRow("no message") << form("client_id=c1") << 400 << "missing_field";
    QTest::newRow("no target") << form("message=x") << 400 << "missing_field";
    QTest::newRow("empty client_id") << form("client_id=&message=x") << 400 << "missing_field";
    QTest::newRow("two targets") << form("client_id=c1&user=u&message=x") << 400 << "bad_request";
    QTest::newRow("bad binary flag")
        << form("client_id=c1&binary=maybe&message=x") << 400 << "bad_request";
    QTest::newRow("bad percent-encoding")
        << form("client_id=c1&message=%zz") << 400 << "bad_request";
    QTest::newRow("text not UTF-8") << form("client_id=c1&message=%FF") << 400 << "invalid_utf8";
    QTest::newRow("malformed JSON")
        << request("POST", "/send", "{\"client_id\":", "application/json") << 400 << "bad_request";
    QTest::newRow("JSON array body")
        << request("POST", "/send", "[1]", "application/json") << 400 << "bad_request";
    QTest::newRow("over-long client id")
        << form("client_id=" + QByteArray(257, 'a') + "&message=x") << 400 << "bad_request";
}

void TestPushApi::sendErrors() {
    QFETCH(QByteArray, bytes);
    QFETCH(int, status);
    QFETCH(QString, code);
    const Reply r = call(bytes);
    QCOMPARE(r.status, status);
    QCOMPARE(r.error(), code);
    QVERIFY(!r.json().value("message").toString().isEmpty());
    QCOMPARE(r.header("Content-Type"), QByteArray("application/json"));
}

void TestPushApi::sendToUserAndGroup() {
    Reply r = call(form("user=alice&message=x"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value("ok").toBool(), true);
    QCOMPARE(r.json().value("delivered").toInt(), 2);
    QCOMPARE(m_delivery->sends.last().target, QByteArray("user:alice"));
    r = call(request("POST", "/send", R"({"group":"room","message":"x","type":"ignored"})",
                     "application/json"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value("delivered").toInt(), 1);
    QCOMPARE(r.json().value("matched").toInt(), 3);
    QCOMPARE(r.json().value("buffer_full").toInt(), 2);
    QCOMPARE(m_delivery->sends.last().target, QByteArray("group:room"));
    // Nobody connected is not an error: 200 with zero.
    m_delivery->userResult = {};
    r = call(form("user=bob&message=x"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value("delivered").toInt(), 0);
}

void TestPushApi::sendBufferFull() {
    m_delivery->fullClients.insert("slow");
    Reply r = call(form("client_id=slow&message=x"));
    QCOMPARE(r.status, 503);
    QCOMPARE(r.error(), QString("client_buffer_full"));
    // Every matched connection refused: 503 too, with the counts.
    m_delivery->groupResult = result(2, 0, 2);
    r = call(form("group=room&message=x"));
    QCOMPARE(r.status, 503);
    QCOMPARE(r.error(), QString("client_buffer_full"));
    QCOMPARE(r.json().value("buffer_full").toInt(), 2);
}

void TestPushApi::broadcast() {
    Reply r = call(request("POST", "/broadcast", "message=all"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value("delivered").toInt(), 5);
    QCOMPARE(m_delivery->sends.last().target, QByteArray("all"));
    r = call(request("POST", "/broadcast", "binary=1"));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.error(), QString("missing_field"));
}

void TestPushApi::waitFlag() {
    QCOMPARE(call(form("group=room&message=x")).status, 200);
    QVERIFY(!m_delivery->sends.last().waitForAll);
    QCOMPARE(call(form("group=room&message=x&wait=1")).status, 200);
    QVERIFY(m_delivery->sends.last().waitForAll);
    QCOMPARE(
        call(request("POST", "/broadcast", R"({"message":"x","wait":true})", "application/json"))
            .status,
        200);
    QVERIFY(m_delivery->sends.last().waitForAll);
    QCOMPARE(call(form("client_id=c1&message=x&wait=1")).status, 200);
    QVERIFY(m_delivery->sends.last().waitForAll);
    const Reply r = call(request("POST", "/broadcast", "message=x&wait=maybe"));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.error(), QString("bad_request"));
    QCOMPARE(m_delivery->sends.size(), 4);
}

void TestPushApi::countsCarryNodesAndExact() {
    m_delivery->groupResult = result(4, 3, 1, 2, false);
    Reply r = call(form("group=room&message=x"));
    QCOMPARE(r.status, 200);
    const QJsonObject o = r.json();
    QCOMPARE(o.value("ok").toBool(), true);
    QCOMPARE(o.value("matched").toInt(), 4);
    QCOMPARE(o.value("delivered").toInt(), 3);
    QCOMPARE(o.value("buffer_full").toInt(), 1);
    QCOMPARE(o.value("nodes").toInt(), 2);
    QCOMPARE(o.value("exact").toBool(true), false);
    r = call(request("POST", "/broadcast", "message=x"));
    QCOMPARE(r.json().value("nodes").toInt(-1), 0);
    QCOMPARE(r.json().value("exact").toBool(false), true);
}

void TestPushApi::deliveryErrors_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("to a client") << form("client_id=c1&message=x");
    QTest::newRow("to a user") << form("user=alice&message=x");
    QTest::newRow("to a group") << form("group=room&message=x");
    QTest::newRow("to everyone") << request("POST", "/broadcast", "message=x");
}

void TestPushApi::deliveryErrors() {
    QFETCH(QByteArray, bytes);
    DeliveryResult failed;
    failed.error = "cluster_unavailable";
    m_delivery->forced = failed;
    const Reply r = call(bytes);
    QCOMPARE(r.status, 503);
    QCOMPARE(r.error(), QString("cluster_unavailable"));
    QVERIFY(!r.json().value("message").toString().isEmpty());
}

void TestPushApi::clientOnAnotherNode() {
    // Handed to the client's node, not waited for: sent as far as this node knows.
    m_delivery->forced = result(0, 0, 0, 1, false);
    Reply r = call(form("client_id=remote&message=x"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, QByteArray("Message sent"));
    // Waited for (exact) and nobody had it: unknown.
    m_delivery->forced = result(0, 0, 0, 1, true);
    r = call(form("client_id=remote&message=x&wait=1"));
    QCOMPARE(r.status, 404);
    QCOMPARE(r.error(), QString("unknown_client"));
    m_delivery->forced = result(1, 1, 0, 1, true);
    QCOMPARE(call(form("client_id=remote&message=x&wait=1")).status, 200);
}

void TestPushApi::closeClient() {
    Reply r = call(request("POST", "/close", "client_id=c1&code=4001&reason=bye+%E2%82%AC"));
    QCOMPARE(r.status, 200);
    QCOMPARE(m_delivery->closes.last(),
             std::make_tuple(QByteArray("c1"), 4001, QByteArray("bye €")));
    r = call(request("POST", "/close", "client_id=c1"));
    QCOMPARE(r.status, 200);
    QCOMPARE(std::get<1>(m_delivery->closes.last()), 1000);
    r = call(request("POST", "/close", "client_id=zz&code=1000"));
    QCOMPARE(r.status, 404);
    QCOMPARE(r.error(), QString("unknown_client"));
    r = call(request("POST", "/close", "client_id=c1&reason=" + QByteArray(124, 'r')));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.error(), QString("invalid_close_reason"));
    r = call(request("POST", "/close", "client_id=c1&reason=" + QByteArray(123, 'r')));
    QCOMPARE(r.status, 200);
    r = call(request("POST", "/close", "code=1000"));
    QCOMPARE(r.error(), QString("missing_field"));
    // The client's node could not be asked (cluster): not "unknown", try again.
    m_delivery->lookupError = "node_unreachable";
    r = call(request("POST", "/close", "client_id=c1"));
    QCOMPARE(r.status, 503);
    QCOMPARE(r.error(), QString("node_unreachable"));
    r = call(request("POST", "/join", "client_id=c1&group=g"));
    QCOMPARE(r.status, 503);
    QCOMPARE(r.error(), QString("node_unreachable"));
    r = call(request("GET", "/clients/c1"));
    QCOMPARE(r.status, 503);
    QCOMPARE(r.error(), QString("node_unreachable"));
    m_delivery->lookupError.clear();
}

void TestPushApi::closeCodes_data() {
    QTest::addColumn<QByteArray>("code");
    QTest::addColumn<bool>("valid");
    for (const char *c : {"1000", "1001", "1003", "1007", "1011", "1014", "3000", "4999"})
        QTest::newRow(c) << QByteArray(c) << true;
    for (const char *c : {"999", "1004", "1005", "1006", "1015", "2999", "5000", "-1", "abc", "",
                          "1000.5", "99999999999"})
        QTest::newRow(*c ? c : "empty") << QByteArray(c) << false;
}

void TestPushApi::closeCodes() {
    QFETCH(QByteArray, code);
    QFETCH(bool, valid);
    const Reply r = call(request("POST", "/close", "client_id=c1&code=" + code));
    QCOMPARE(r.status, valid ? 200 : 400);
    if (!valid)
        QCOMPARE(r.error(), QString("invalid_close_code"));
    else
        QCOMPARE(std::get<1>(m_delivery->closes.last()), code.toInt());
}

void TestPushApi::joinLeave() {
    Reply r = call(request("POST", "/join", "client_id=c1&group=room"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value("ok").toBool(), true);
    r = call(request("POST", "/leave", R"({"client_id":"c1","group":"room"})", "application/json"));
    QCOMPARE(r.status, 200);
    QCOMPARE(m_delivery->memberships.size(), 2);
    QCOMPARE(m_delivery->memberships[1], std::make_tuple(QByteArray("c1"), QString("room"), false));
    r = call(request("POST", "/join", "client_id=zz&group=room"));
    QCOMPARE(r.status, 404);
    QCOMPARE(r.error(), QString("unknown_client"));
    r = call(request("POST", "/leave", "client_id=c1"));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.error(), QString("missing_field"));
}

void TestPushApi::stateRoutes() {
    Reply r = call(request("GET", "/clients"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value("count").toInt(), 2);
    QCOMPARE(r.json().value("clients").toArray().size(), 2);
    r = call(request("GET", "/clients/c%2F2%20x"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value("id").toString(), QString("c/2 x"));
    r = call(request("GET", "/clients/nope"));
    QCOMPARE(r.status, 404);
    QCOMPARE(r.error(), QString("unknown_client"));
    r = call(request("GET", "/clients/%zz"));
    QCOMPARE(r.status, 400);
    r = call(request("GET", "/groups"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value("groups").toObject().value("room").toArray().size(), 1);
}

void TestPushApi::healthMetricsFpm() {
    Reply r = call(request("GET", "/health"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value("status").toString(), QString("ok"));
    m_api->setHealthProvider([] { return QJsonObject{{"clients", 7}}; });
    r = call(request("GET", "/health"));
    QCOMPARE(r.json().value("clients").toInt(), 7);
    r = call(request("HEAD", "/health"), true);
    QCOMPARE(r.status, 200);
    QVERIFY(r.body.isEmpty());
    QVERIFY(r.header("Content-Length").toInt() > 0);

    // Without a provider, the API's own counters; with one, the provider's text alone (it
    // includes them, so no family is named twice).
    r = call(request("GET", "/metrics"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("Content-Type"), QByteArray("text/plain; version=0.0.4; charset=utf-8"));
    QVERIFY(r.body.contains("wsgate_push_requests_total{route=\"/health\",status=\"200\"} 3\n"));
    QVERIFY(r.body.contains("wsgate_push_http_open_connections "));
    m_api->setMetricsProvider(
        [api = m_api.get()] { return "wsgate_clients 7\n" + PushApi::metricsText({api}); });
    r = call(request("GET", "/metrics"));
    QCOMPARE(r.status, 200);
    QVERIFY(r.body.startsWith("wsgate_clients 7\n"));
    QVERIFY(r.body.contains("wsgate_push_requests_total{route=\"/metrics\",status=\"200\"} 1\n"));
    QCOMPARE(r.body.count("# TYPE wsgate_push_requests_total "), 1);

    r = call(request("GET", "/fpm"));
    QCOMPARE(r.status, 503);
    QCOMPARE(r.error(), QString("fpm_status_unknown"));
    std::optional<QJsonObject> status;
    m_api->setFpmStatusProvider([&status] { return status; });
    r = call(request("GET", "/fpm"));
    QCOMPARE(r.status, 503);
    status = QJsonObject{{"pool", "www"}, {"active processes", 1}};
    r = call(request("GET", "/fpm"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value("pool").toString(), QString("www"));
}

void TestPushApi::unknownRouteAndMethod() {
    Reply r = call(request("GET", "/nope"));
    QCOMPARE(r.status, 404);
    QCOMPARE(r.error(), QString("not_found"));
    r = call(request("POST", "/send/extra", "message=x"));
    QCOMPARE(r.status, 404);
    r = call(request("GET", "/send"));
    QCOMPARE(r.status, 405);
    QCOMPARE(r.error(), QString("method_not_allowed"));
    QCOMPARE(r.header("Allow"), QByteArray("POST"));
    r = call(request("POST", "/clients", "x=1"));
    QCOMPARE(r.status, 405);
    QCOMPARE(r.header("Allow"), QByteArray("GET, HEAD"));
    r = call(request("DELETE", "/clients/c1"));
    QCOMPARE(r.status, 405);
    QCOMPARE(m_delivery->sends.size(), 0);
}

void TestPushApi::unsupportedMediaType() {
    Reply r = call(request("POST", "/send", "client_id=c1&message=x", "text/plain"));
    QCOMPARE(r.status, 415);
    QCOMPARE(r.error(), QString("unsupported_media_type"));
    r = call(request("POST", "/send", "--b\r\n", "multipart/form-data; boundary=b"));
    QCOMPARE(r.status, 415);
    r = call(request("POST", "/send", "client_id=c1&message=x", {}));
    QCOMPARE(r.status, 415);
    QCOMPARE(m_delivery->sends.size(), 0);
}

void TestPushApi::payloadTooLarge() {
    HttpServer::Options options;
    options.limits.maxBodyBytes = 100;
    PushApiOptions api;
    api.maxMessageBytes = 10;
    startApi(options, api);
    Reply r = call(form("client_id=c1&message=" + QByteArray(90, 'x')));
    QCOMPARE(r.status, 413);
    QCOMPARE(r.error(), QString("payload_too_large"));
    r = call(form("client_id=c1&message=" + QByteArray(11, 'x')));
    QCOMPARE(r.status, 413);
    QCOMPARE(r.error(), QString("payload_too_large"));
    r = call(form("client_id=c1&message=" + QByteArray(10, 'x')));
    QCOMPARE(r.status, 200);
    QCOMPARE(m_delivery->sends.size(), 1);
}

void TestPushApi::token() {
    PushApiOptions api;
    api.token = "s3cret";
    startApi({}, api);
    Reply r = call(form("client_id=c1&message=x"));
    QCOMPARE(r.status, 401);
    QCOMPARE(r.error(), QString("unauthorized"));
    QVERIFY(r.header("WWW-Authenticate").startsWith("Bearer"));
    r = call(request("GET", "/clients", {}, {}, "Authorization: Bearer s3cre\r\n"));
    QCOMPARE(r.status, 401);
    r = call(request("GET", "/clients", {}, {}, "Authorization: Bearer s3cret1\r\n"));
    QCOMPARE(r.status, 401);
    r = call(request("GET", "/clients", {}, {}, "Authorization: Basic s3cret\r\n"));
    QCOMPARE(r.status, 401);
    r = call(request("GET", "/nope"));
    QCOMPARE(r.status, 401);
    r = call(request("GET", "/health"));
    QCOMPARE(r.status, 200);
    r = call(request("POST", "/send", "client_id=c1&message=x", "application/x-www-form-urlencoded",
                     "Authorization: bearer s3cret\r\n"));
    QCOMPARE(r.status, 200);
    QCOMPARE(m_delivery->sends.size(), 1);
    r = call(request("GET", "/metrics", {}, {}, "Authorization: Bearer s3cret\r\n"));
    QCOMPARE(r.status, 200);
}

void TestPushApi::withoutDelivery() {
    m_api = std::make_unique<PushApi>(nullptr);
    m_api->attach(m_server.get());
    for (const QByteArray &bytes :
         {form("client_id=c1&message=x"), request("GET", "/clients"), request("GET", "/groups")}) {
        const Reply r = call(bytes);
        QCOMPARE(r.status, 503);
        QCOMPARE(r.error(), QString("unavailable"));
    }
    QCOMPARE(call(request("GET", "/health")).status, 200);
}

void TestPushApi::everyRouteAnswersLater_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("check"); // a body fragment
    QTest::newRow("send to client")
        << form("client_id=c1&message=x") << 200 << QByteArray("Message sent");
    QTest::newRow("send to unknown client")
        << form("client_id=zz&message=x") << 404 << QByteArray("unknown_client");
    QTest::newRow("send to full client")
        << form("client_id=full&message=x") << 503 << QByteArray("client_buffer_full");
    QTest::newRow("send to user") << form("user=alice&message=x") << 200
                                  << QByteArray("\"delivered\":2");
    QTest::newRow("send to group")
        << form("group=room&message=x") << 200 << QByteArray("\"matched\":3");
    QTest::newRow("broadcast") << request("POST", "/broadcast", "message=x") << 200
                               << QByteArray("\"delivered\":5");
    QTest::newRow("close") << request("POST", "/close", "client_id=c1&code=4000") << 200
                           << QByteArray("\"ok\":true");
    QTest::newRow("close unknown")
        << request("POST", "/close", "client_id=zz") << 404 << QByteArray("unknown_client");
    QTest::newRow("join") << request("POST", "/join", "client_id=c1&group=g") << 200
                          << QByteArray("\"ok\":true");
    QTest::newRow("leave unknown")
        << request("POST", "/leave", "client_id=zz&group=g") << 404 << QByteArray("unknown_client");
    QTest::newRow("clients") << request("GET", "/clients") << 200 << QByteArray("\"count\":2");
    QTest::newRow("client") << request("GET", "/clients/c1") << 200
                            << QByteArray("\"user\":\"alice\"");
    QTest::newRow("client unknown")
        << request("GET", "/clients/zz") << 404 << QByteArray("unknown_client");
    QTest::newRow("groups") << request("GET", "/groups") << 200
                            << QByteArray("{\"groups\":{\"room\":[\"c1\"]}}");
}

void TestPushApi::everyRouteAnswersLater() {
    QFETCH(QByteArray, bytes);
    QFETCH(int, status);
    QFETCH(QByteArray, check);
    m_delivery->fullClients.insert("full");
    m_delivery->mode = FakeDelivery::Mode::Later;
    Client c(port());
    QVERIFY(c.connected());
    c.send(bytes);
    // Nothing before the delivery answers (a timer on the event loop).
    QVERIFY(!c.reply(false, 0));
    QTRY_COMPARE(m_delivery->calls, 1);
    const std::optional<Reply> r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->status, status);
    QVERIFY2(r->body.contains(check), r->body.constData());
    // Keep-alive after an answer given later.
    c.send(request("GET", "/health"));
    QCOMPARE(c.reply().value_or(Reply{}).status, 200);
}

void TestPushApi::deliveryThatNeverAnswers() {
    HttpServer::Options options;
    options.handlerTimeoutMs = 200;
    startApi(options);
    m_delivery->mode = FakeDelivery::Mode::Never;
    Client c(port());
    QVERIFY(c.connected());
    c.send(form("group=room&message=x"));
    const std::optional<Reply> r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->status, 504);
    QCOMPARE(r->error(), QString("gateway_timeout"));
    QCOMPARE(m_delivery->held.size(), 1);
    // The answer that finally comes goes nowhere and is not counted as an answer.
    m_delivery->held.takeFirst()();
    QCOMPARE(m_api->requestCount("/send", 200), quint64(0));
    c.send(request("GET", "/health"));
    QCOMPARE(c.reply().value_or(Reply{}).status, 200);
    QVERIFY(c.buffer().isEmpty());
    QCOMPARE(m_server->counters().error(HttpServer::ClientError::HandlerTimeout), quint64(1));
}

void TestPushApi::errorsAreSignalledAndCounted() {
    QSignalSpy failed(m_api.get(), &PushApi::requestFailed);
    QCOMPARE(call(form("client_id=nope&message=x")).status, 404);
    QCOMPARE(call(request("GET", "/health")).status, 200);
    QTRY_COMPARE(failed.size(), 1);
    QCOMPARE(failed[0][1].toByteArray(), QByteArray("POST"));
    QCOMPARE(failed[0][2].toByteArray(), QByteArray("/send"));
    QCOMPARE(failed[0][3].toInt(), 404);
    QCOMPARE(failed[0][4].toByteArray(), QByteArray("unknown_client"));
    QVERIFY(failed[0][0].toString().startsWith("127.0.0.1:"));
    QCOMPARE(m_api->requestCount("/send", 404), quint64(1));
    QCOMPARE(m_api->requestCount("/health", 200), quint64(1));
    QCOMPARE(m_api->requestCount("/send", 200), quint64(0));
    QCOMPARE(m_server->counters().requests, quint64(2));
}

WSGATE_TEST_MAIN(TestPushApi)
#include "tst_pushapi.moc"
