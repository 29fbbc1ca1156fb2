#include "gateway/messagerouter.h"
#include "http/httpserver.h"
#include "http/pushapi.h"
#include "testmain.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

#include <memory>
#include <optional>

namespace {

/// Records every call; results configurable per test.
class FakeRouter final : public MessageRouter {
public:
    struct Send {
        QByteArray target; // "client:ID", "user:U", "group:G", "all"
        OutboundMessage message;
    };
    QSet<QByteArray> clients{"c1", "c/2 x"};
    QSet<QByteArray> fullClients; // known, but their send buffer is full
    DeliveryResult userResult{2, 2, 0};
    DeliveryResult groupResult{3, 1, 2};
    DeliveryResult broadcastResult{5, 5, 0};
    QList<Send> sends;
    QList<std::tuple<QByteArray, int, QString>> closes;
    QList<std::tuple<QByteArray, QString, bool>> memberships;

    DeliveryResult sendToClient(const QByteArray &id, const OutboundMessage &m) override {
        sends.append({"client:" + id, m});
        if (fullClients.contains(id))
            return {1, 0, 1};
        return clients.contains(id) ? DeliveryResult{1, 1, 0} : DeliveryResult{};
    }
    DeliveryResult sendToUser(const QString &user, const OutboundMessage &m) override {
        sends.append({"user:" + user.toUtf8(), m});
        return userResult;
    }
    DeliveryResult sendToGroup(const QString &group, const OutboundMessage &m) override {
        sends.append({"group:" + group.toUtf8(), m});
        return groupResult;
    }
    DeliveryResult broadcast(const OutboundMessage &m) override {
        sends.append({"all", m});
        return broadcastResult;
    }
    bool closeClient(const QByteArray &id, int code, const QString &reason) override {
        closes.append({id, code, reason});
        return clients.contains(id);
    }
    bool joinGroup(const QByteArray &id, const QString &group) override {
        memberships.append({id, group, true});
        return clients.contains(id);
    }
    bool leaveGroup(const QByteArray &id, const QString &group) override {
        memberships.append({id, group, false});
        return clients.contains(id);
    }
    QJsonArray clientList() const override {
        return QJsonArray{QJsonObject{{"id", "c1"}}, QJsonObject{{"id", "c/2 x"}}};
    }
    QJsonObject clientInfo(const QByteArray &id) const override {
        return clients.contains(id) ? QJsonObject{{"id", QString::fromUtf8(id)}} : QJsonObject{};
    }
    QJsonObject groupList() const override { return {{"room", QJsonArray{"c1"}}}; }
};

struct Reply {
    int status = 0;
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;
    QByteArray header(QByteArrayView name) const {
        for (const auto &h : headers) {
            if (h.first.compare(name, Qt::CaseInsensitive) == 0)
                return h.second;
        }
        return {};
    }
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    QString error() const { return json().value("error").toString(); }
};

// One response off the front of `buffer`, or nullopt while incomplete.
std::optional<Reply> takeReply(QByteArray &buffer, bool head) {
    const qsizetype end = buffer.indexOf("\r\n\r\n");
    if (end < 0)
        return std::nullopt;
    Reply r;
    const QList<QByteArray> lines = buffer.left(end).split('\n');
    r.status = lines.first().split(' ').value(1).toInt();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        r.headers.append({line.left(colon), line.mid(colon + 1).trimmed()});
    }
    const qsizetype length = head ? 0 : r.header("Content-Length").toLongLong();
    if (buffer.size() < end + 4 + length)
        return std::nullopt;
    r.body = buffer.mid(end + 4, length);
    buffer.remove(0, end + 4 + length);
    return r;
}

/// A raw HTTP client over QTcpSocket, waiting on the event loop only.
class Client final {
public:
    explicit Client(quint16 port) { m_socket.connectToHost(QHostAddress::LocalHost, port); }
    bool connected() {
        return QTest::qWaitFor(
            [this] { return m_socket.state() == QAbstractSocket::ConnectedState; }, 5000);
    }
    void send(const QByteArray &bytes) { m_socket.write(bytes); }
    std::optional<Reply> reply(bool head = false) {
        std::optional<Reply> r;
        (void)QTest::qWaitFor(
            [&] {
                m_buffer += m_socket.readAll();
                r = takeReply(m_buffer, head);
                return r.has_value();
            },
            5000);
        return r;
    }
    bool waitClosed() {
        return QTest::qWaitFor(
            [this] {
                m_buffer += m_socket.readAll();
                return m_socket.state() == QAbstractSocket::UnconnectedState;
            },
            5000);
    }
    QByteArray &buffer() { return m_buffer; }
    QTcpSocket &socket() { return m_socket; }

private:
    QTcpSocket m_socket;
    QByteArray m_buffer;
};

QByteArray request(const QByteArray &method, const QByteArray &target, const QByteArray &body = {},
                   const QByteArray &contentType = "application/x-www-form-urlencoded",
                   const QByteArray &extra = {}) {
    QByteArray r = method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra;
    if (!body.isEmpty() || method == "POST") {
        if (!contentType.isEmpty())
            r += "Content-Type: " + contentType + "\r\n";
        r += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    }
    return r + "\r\n" + body;
}

QByteArray form(const QByteArray &body) {
    return request("POST", "/send", body);
}

} // namespace

/// Push API over a real HttpServer on loopback: every route and error code, HTTP edge cases.
class TestPushApi final : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void sendToClientForm();
    void sendToClientJson();
    void sendBinary();
    void sendQueryStringFields();
    void sendErrors_data();
    void sendErrors();
    void sendToUserAndGroup();
    void sendBufferFull();
    void broadcast();
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
    void expectContinue();
    void chunkedBody();
    void keepAliveAndPipelining();
    void http10();
    void garbageThenStillServing_data();
    void garbageThenStillServing();
    void slowSenderIsDropped();
    void maxConnections();
    void errorsAreSignalledAndCounted();

private:
    void start(const HttpServer::Options &options = {}, const PushApiOptions &api = {});
    Reply call(const QByteArray &bytes, bool head = false);

    std::unique_ptr<FakeRouter> m_router;
    std::unique_ptr<HttpServer> m_server;
    std::unique_ptr<PushApi> m_api;
};

void TestPushApi::init() {
    start();
}

void TestPushApi::cleanup() {
    m_api.reset();
    m_server.reset();
    m_router.reset();
}

void TestPushApi::start(const HttpServer::Options &options, const PushApiOptions &api) {
    cleanup();
    m_router = std::make_unique<FakeRouter>();
    m_server = std::make_unique<HttpServer>(options);
    m_api = std::make_unique<PushApi>(m_router.get(), api);
    m_api->attach(m_server.get());
    QVERIFY(m_server->listen(QHostAddress::LocalHost, 0));
    QVERIFY(m_server->serverPort() != 0);
}

Reply TestPushApi::call(const QByteArray &bytes, bool head) {
    Client c(m_server->serverPort());
    if (!c.connected())
        return {};
    c.send(bytes);
    return c.reply(head).value_or(Reply{});
}

void TestPushApi::sendToClientForm() {
    const Reply r = call(form("type=server&client_id=c1&message=hi+there%21"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, QByteArray("Message sent"));
    QCOMPARE(m_router->sends.size(), 1);
    QCOMPARE(m_router->sends[0].target, QByteArray("client:c1"));
    QCOMPARE(m_router->sends[0].message.payload, QByteArray("hi there!"));
    QVERIFY(!m_router->sends[0].message.binary);
}

void TestPushApi::sendToClientJson() {
    Reply r = call(request("POST", "/send", R"({"client_id":"c1","message":"héllo"})",
                           "application/json; charset=utf-8"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, QByteArray("Message sent"));
    QCOMPARE(m_router->sends.last().message.payload, QByteArray("héllo"));
    // A JSON object or array as the message is sent as its JSON text.
    r = call(request("POST", "/send", R"({"client_id":"c1","message":{"a":[1,2]}})",
                     "application/json"));
    QCOMPARE(r.status, 200);
    QCOMPARE(m_router->sends.last().message.payload, QByteArray(R"({"a":[1,2]})"));
}

void TestPushApi::sendBinary() {
    Reply r = call(form("client_id=c1&binary=1&message=%00%FF%80"));
    QCOMPARE(r.status, 200);
    QCOMPARE(m_router->sends.last().message.payload, QByteArray("\x00\xff\x80", 3));
    QVERIFY(m_router->sends.last().message.binary);
    r = call(request("POST", "/send", R"({"client_id":"c1","message":"x","binary":true})",
                     "application/json"));
    QCOMPARE(r.status, 200);
    QVERIFY(m_router->sends.last().message.binary);
}

void TestPushApi::sendQueryStringFields() {
    const Reply r = call(request("POST", "/send?client_id=c1&message=from+query", {}, {}));
    QCOMPARE(r.status, 200);
    QCOMPARE(m_router->sends.last().message.payload, QByteArray("from query"));
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
    QCOMPARE(m_router->sends.last().target, QByteArray("user:alice"));
    r = call(request("POST", "/send", R"({"group":"room","message":"x","type":"ignored"})",
                     "application/json"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value("delivered").toInt(), 1);
    QCOMPARE(r.json().value("matched").toInt(), 3);
    QCOMPARE(r.json().value("buffer_full").toInt(), 2);
    QCOMPARE(m_router->sends.last().target, QByteArray("group:room"));
    // Nobody connected is not an error: 200 with zero.
    m_router->userResult = {};
    r = call(form("user=bob&message=x"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value("delivered").toInt(), 0);
}

void TestPushApi::sendBufferFull() {
    m_router->fullClients.insert("slow");
    Reply r = call(form("client_id=slow&message=x"));
    QCOMPARE(r.status, 503);
    QCOMPARE(r.error(), QString("client_buffer_full"));
    // Every matched connection refused: 503 too, with the counts.
    m_router->groupResult = {2, 0, 2};
    r = call(form("group=room&message=x"));
    QCOMPARE(r.status, 503);
    QCOMPARE(r.error(), QString("client_buffer_full"));
    QCOMPARE(r.json().value("buffer_full").toInt(), 2);
}

void TestPushApi::broadcast() {
    Reply r = call(request("POST", "/broadcast", "message=all"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value("delivered").toInt(), 5);
    QCOMPARE(m_router->sends.last().target, QByteArray("all"));
    r = call(request("POST", "/broadcast", "binary=1"));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.error(), QString("missing_field"));
}

void TestPushApi::closeClient() {
    Reply r = call(request("POST", "/close", "client_id=c1&code=4001&reason=bye+%E2%82%AC"));
    QCOMPARE(r.status, 200);
    QCOMPARE(m_router->closes.last(),
             std::make_tuple(QByteArray("c1"), 4001, QString::fromUtf8("bye €")));
    r = call(request("POST", "/close", "client_id=c1"));
    QCOMPARE(r.status, 200);
    QCOMPARE(std::get<1>(m_router->closes.last()), 1000);
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
        QCOMPARE(std::get<1>(m_router->closes.last()), code.toInt());
}

void TestPushApi::joinLeave() {
    Reply r = call(request("POST", "/join", "client_id=c1&group=room"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value("ok").toBool(), true);
    r = call(request("POST", "/leave", R"({"client_id":"c1","group":"room"})", "application/json"));
    QCOMPARE(r.status, 200);
    QCOMPARE(m_router->memberships.size(), 2);
    QCOMPARE(m_router->memberships[1], std::make_tuple(QByteArray("c1"), QString("room"), false));
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

    m_api->setMetricsProvider([] { return QByteArray("wsgate_clients 7"); });
    r = call(request("GET", "/metrics"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("Content-Type"), QByteArray("text/plain; version=0.0.4; charset=utf-8"));
    QVERIFY(r.body.startsWith("wsgate_clients 7\n"));
    QVERIFY(r.body.contains("wsgate_push_requests_total{route=\"/health\",status=\"200\"} 3\n"));
    QVERIFY(r.body.contains("wsgate_push_http_open_connections "));

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
    QCOMPARE(m_router->sends.size(), 0);
}

void TestPushApi::unsupportedMediaType() {
    Reply r = call(request("POST", "/send", "client_id=c1&message=x", "text/plain"));
    QCOMPARE(r.status, 415);
    QCOMPARE(r.error(), QString("unsupported_media_type"));
    r = call(request("POST", "/send", "--b\r\n", "multipart/form-data; boundary=b"));
    QCOMPARE(r.status, 415);
    r = call(request("POST", "/send", "client_id=c1&message=x", {}));
    QCOMPARE(r.status, 415);
    QCOMPARE(m_router->sends.size(), 0);
}

void TestPushApi::payloadTooLarge() {
    HttpServer::Options options;
    options.limits.maxBodyBytes = 100;
    PushApiOptions api;
    api.maxMessageBytes = 10;
    start(options, api);
    Reply r = call(form("client_id=c1&message=" + QByteArray(90, 'x')));
    QCOMPARE(r.status, 413);
    QCOMPARE(r.error(), QString("payload_too_large"));
    r = call(form("client_id=c1&message=" + QByteArray(11, 'x')));
    QCOMPARE(r.status, 413);
    QCOMPARE(r.error(), QString("payload_too_large"));
    r = call(form("client_id=c1&message=" + QByteArray(10, 'x')));
    QCOMPARE(r.status, 200);
    QCOMPARE(m_router->sends.size(), 1);
}

void TestPushApi::token() {
    PushApiOptions api;
    api.token = "s3cret";
    start({}, api);
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
    QCOMPARE(m_router->sends.size(), 1);
    r = call(request("GET", "/metrics", {}, {}, "Authorization: Bearer s3cret\r\n"));
    QCOMPARE(r.status, 200);
}

void TestPushApi::expectContinue() {
    const QByteArray body = "client_id=c1&message=continued";
    Client c(m_server->serverPort());
    QVERIFY(c.connected());
    c.send(request("POST", "/send", {}, {})
               .replace("Content-Length: 0\r\n", "") // head only
               .replace("\r\n\r\n", "\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                                    "Expect: 100-continue\r\nContent-Length: " +
                                        QByteArray::number(body.size()) + "\r\n\r\n"));
    std::optional<Reply> interim = c.reply(true);
    QVERIFY(interim);
    QCOMPARE(interim->status, 100);
    c.send(body);
    std::optional<Reply> final = c.reply();
    QVERIFY(final);
    QCOMPARE(final->status, 200);
    QCOMPARE(m_router->sends.last().message.payload, QByteArray("continued"));
    QCOMPARE(m_server->counters().continuesSent, quint64(1));

    // Refused from the head: the final answer comes at once, no 100, body never sent.
    PushApiOptions api;
    api.token = "t";
    start({}, api);
    Client d(m_server->serverPort());
    QVERIFY(d.connected());
    d.send("POST /send HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n"
           "Expect: 100-continue\r\nContent-Length: 10\r\n\r\n");
    std::optional<Reply> refused = d.reply();
    QVERIFY(refused);
    QCOMPARE(refused->status, 401);
    QCOMPARE(refused->header("Connection"), QByteArray("close"));
    QVERIFY(d.waitClosed());
    QVERIFY(!d.buffer().contains("100 Continue"));
    QCOMPARE(m_server->counters().continuesSent, quint64(0));

    // Over the body limit: 413 directly.
    HttpServer::Options options;
    options.limits.maxBodyBytes = 5;
    start(options);
    Client e(m_server->serverPort());
    QVERIFY(e.connected());
    e.send("POST /send HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n"
           "Expect: 100-continue\r\nContent-Length: 10\r\n\r\n");
    std::optional<Reply> tooLarge = e.reply();
    QVERIFY(tooLarge);
    QCOMPARE(tooLarge->status, 413);
    QVERIFY(e.waitClosed());
    QCOMPARE(m_server->counters().continuesSent, quint64(0));
}

void TestPushApi::chunkedBody() {
    const Reply r = call("POST /send HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                         "Content-Type: application/json\r\n\r\n"
                         "c\r\n{\"client_id\"\r\n"
                         "14\r\n:\"c1\",\"message\":\"chu\r\n"
                         "6\r\nnked\"}\r\n0\r\n\r\n");
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(m_router->sends.last().message.payload, QByteArray("chunked"));
}

void TestPushApi::keepAliveAndPipelining() {
    Client c(m_server->serverPort());
    QVERIFY(c.connected());
    for (int i = 0; i < 3; ++i) {
        c.send(form("client_id=c1&message=" + QByteArray::number(i)));
        const std::optional<Reply> r = c.reply();
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QVERIFY(r->header("Connection").isEmpty());
    }
    // Pipelined in one write: answered in order, including an error in the middle.
    c.send(request("GET", "/clients/c1") + request("GET", "/nope") + request("GET", "/groups") +
           request("GET", "/health", {}, {}, "Connection: close\r\n"));
    const int expected[] = {200, 404, 200, 200};
    for (int status : expected) {
        const std::optional<Reply> r = c.reply();
        QVERIFY(r);
        QCOMPARE(r->status, status);
    }
    QVERIFY(c.waitClosed());
    QCOMPARE(m_router->sends.size(), 3);
    QCOMPARE(m_server->counters().connectionsAccepted, quint64(1));
}

void TestPushApi::http10() {
    Client c(m_server->serverPort());
    QVERIFY(c.connected());
    c.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    std::optional<Reply> r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->header("Connection"), QByteArray("keep-alive"));
    c.send("GET /health HTTP/1.0\r\n\r\n");
    r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->status, 200);
    QCOMPARE(r->header("Connection"), QByteArray("close"));
    QVERIFY(c.waitClosed());
}

void TestPushApi::garbageThenStillServing_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("status");
    QTest::newRow("binary") << QByteArray("\x16\x03\x01\x00\xa5\x01\x00", 7) << 400;
    QTest::newRow("no host") << QByteArray("GET /health HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("long request line")
        << "GET /" + QByteArray(9000, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n"
        << 414;
    QTest::newRow("huge header") << "GET / HTTP/1.1\r\nHost: h\r\nX: " + QByteArray(70'000, 'v') +
                                        "\r\n\r\n"
                                 << 431;
    QByteArray many = "GET / HTTP/1.1\r\nHost: h\r\n";
    for (int i = 0; i < 100; ++i)
        many += "X" + QByteArray::number(i) + ": v\r\n";
    QTest::newRow("too many headers") << many + "\r\n" << 431;
    QTest::newRow("gzip body") << QByteArray("POST /send HTTP/1.1\r\nHost: h\r\n"
                                             "Transfer-Encoding: gzip\r\n\r\n")
                               << 501;
    QTest::newRow("HTTP/2 preface") << QByteArray("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") << 400;
    QTest::newRow("oversized body, no 100-continue")
        << "POST /send HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n"
           "Content-Length: 20000000\r\n\r\n" +
               QByteArray(200'000, 'x')
        << 413;
}

void TestPushApi::garbageThenStillServing() {
    QFETCH(QByteArray, bytes);
    QFETCH(int, status);
    Client c(m_server->serverPort());
    QVERIFY(c.connected());
    c.send(bytes);
    const std::optional<Reply> r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->status, status);
    QCOMPARE(r->header("Connection"), QByteArray("close"));
    QVERIFY(!r->json().value("error").toString().isEmpty());
    QVERIFY(c.waitClosed());
    QCOMPARE(call(request("GET", "/health")).status, 200);
    QCOMPARE(m_router->sends.size(), 0);
}

void TestPushApi::slowSenderIsDropped() {
    HttpServer::Options options;
    options.headTimeoutMs = 300;
    options.lingerTimeoutMs = 300;
    start(options);
    QSignalSpy errors(m_server.get(), &HttpServer::clientError);
    Client c(m_server->serverPort());
    QVERIFY(c.connected());
    c.send("POST /send HTTP/1.1\r\nHost: h\r\nX-Slow: "); // and never more
    const std::optional<Reply> r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->status, 408);
    QVERIFY(c.waitClosed());
    QTRY_COMPARE(errors.size(), 1);
    QCOMPARE(errors[0][0].value<HttpServer::ClientError>(), HttpServer::ClientError::HeadTimeout);
    QCOMPARE(m_server->counters().error(HttpServer::ClientError::HeadTimeout), quint64(1));
    // A connection that sends nothing is dropped too; the listener still answers.
    Client idle(m_server->serverPort());
    QVERIFY(idle.connected());
    QVERIFY(idle.waitClosed());
    QCOMPARE(call(request("GET", "/health")).status, 200);
    QTRY_COMPARE(m_server->connectionCount(), 0);
}

void TestPushApi::maxConnections() {
    HttpServer::Options options;
    options.maxConnections = 2;
    start(options);
    Client a(m_server->serverPort());
    Client b(m_server->serverPort());
    QVERIFY(a.connected());
    QVERIFY(b.connected());
    QTRY_COMPARE(m_server->connectionCount(), 2);
    Client refused(m_server->serverPort());
    QVERIFY(refused.connected());
    refused.send(request("GET", "/health"));
    const std::optional<Reply> r = refused.reply();
    QVERIFY(r);
    QCOMPARE(r->status, 503);
    QVERIFY(refused.waitClosed());
    QCOMPARE(m_server->counters().error(HttpServer::ClientError::TooManyConnections), quint64(1));
    // The held connections still work; freeing one admits a newcomer.
    a.send(request("GET", "/health"));
    QCOMPARE(a.reply().value_or(Reply{}).status, 200);
    b.socket().disconnectFromHost();
    QTRY_COMPARE(m_server->connectionCount(), 1);
    QCOMPARE(call(request("GET", "/health")).status, 200);
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
