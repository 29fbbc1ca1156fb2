#include "pushtestsupport.h"
#include "testmain.h"

using namespace pushtest;

namespace {

constexpr char kToken[] = "s3cret";
const QByteArray kAuth = QByteArray("Authorization: Bearer ") + kToken + "\r\n";

} // namespace

/// The push API's trust boundaries: Host (DNS rebinding), Origin and Sec-Fetch-Site (CSRF),
/// POST fields and media types, and the hardening of the API on the public WebSocket port.
class TestPushApiTrust final : public QObject, private PushApiFixture {
    Q_OBJECT
private slots:
    void init() { startApi(); }
    void cleanup() { stopApi(); }

    void host_data();
    void host();
    void hostChecksComeFirst();
    void origin_data();
    void origin();
    void originRefusedBeforeTheBody();
    void csrfShapedPostDeliversNothing_data();
    void csrfShapedPostDeliversNothing();
    void getTakesNoBody();

    void publicPortClientErrorsClose_data();
    void publicPortClientErrorsClose();
    void publicPortHealthWithoutTokenCloses();
    void publicPortAnonymousPerAddress();
    void publicPortReservedSlots();

private:
    void startPublic(int maxConnections = 256, int perAddress = -1);
};

void TestPushApiTrust::host_data() {
    QTest::addColumn<QStringList>("allowed");
    QTest::addColumn<bool>("anyIp");
    QTest::addColumn<QByteArray>("host"); // "{port}" is the server's port
    QTest::addColumn<int>("status");
    const QStringList defaults = PushApiOptions{}.allowedHosts;
    QTest::newRow("127.0.0.1 with the port")
        << defaults << false << QByteArray("127.0.0.1:{port}") << 200;
    QTest::newRow("localhost with the port")
        << defaults << false << QByteArray("localhost:{port}") << 200;
    QTest::newRow("[::1] with the port") << defaults << false << QByteArray("[::1]:{port}") << 200;
    QTest::newRow("case-insensitive") << defaults << false << QByteArray("LocalHost:{port}") << 200;
    QTest::newRow("no port") << defaults << false << QByteArray("127.0.0.1") << 200;
    QTest::newRow("foreign name, right port")
        << defaults << false << QByteArray("evil.example:{port}") << 421;
    QTest::newRow("foreign name, other port")
        << defaults << false << QByteArray("evil.example:8081") << 421;
    QTest::newRow("foreign name, no port")
        << defaults << false << QByteArray("evil.example") << 421;
    QTest::newRow("loopback, other port") << defaults << false << QByteArray("127.0.0.1:1") << 421;
    QTest::newRow("trailing dot") << defaults << false << QByteArray("localhost.:{port}") << 421;
    QTest::newRow("rebinding suffix")
        << defaults << false << QByteArray("127.0.0.1.evil.example:{port}") << 421;
    QTest::newRow("malformed") << defaults << false << QByteArray("127.0.0.1:{port}:1") << 421;
    QTest::newRow("empty port") << defaults << false << QByteArray("127.0.0.1:") << 421;
    QTest::newRow("configured name")
        << QStringList{"wsgate.lan"} << false << QByteArray("WSGATE.lan:{port}") << 200;
    QTest::newRow("configured name, no port")
        << QStringList{"wsgate.lan"} << false << QByteArray("wsgate.lan") << 200;
    QTest::newRow("configured port")
        << QStringList{"wsgate.lan:9999"} << false << QByteArray("wsgate.lan:9999") << 200;
    QTest::newRow("configured port, arrival port")
        << QStringList{"wsgate.lan:9999"} << false << QByteArray("wsgate.lan:{port}") << 421;
    QTest::newRow("configured port, no port")
        << QStringList{"wsgate.lan:9999"} << false << QByteArray("wsgate.lan") << 421;
    QTest::newRow("configured list replaces loopback")
        << QStringList{"wsgate.lan"} << false << QByteArray("127.0.0.1:{port}") << 421;
    QTest::newRow("IP literal, not allowed")
        << defaults << false << QByteArray("192.0.2.7:{port}") << 421;
    QTest::newRow("IP literal, wildcard listen")
        << defaults << true << QByteArray("192.0.2.7:{port}") << 200;
    QTest::newRow("IPv6 literal, wildcard listen")
        << defaults << true << QByteArray("[2001:db8::7]:{port}") << 200;
    QTest::newRow("IP literal, wrong port") << defaults << true << QByteArray("192.0.2.7:1") << 421;
    QTest::newRow("name, wildcard listen")
        << defaults << true << QByteArray("evil.example:{port}") << 421;
}

void TestPushApiTrust::host() {
    QFETCH(QStringList, allowed);
    QFETCH(bool, anyIp);
    QFETCH(QByteArray, host);
    QFETCH(int, status);
    PushApiOptions api;
    api.allowedHosts = allowed;
    api.allowIpLiteralHosts = anyIp;
    startApi({}, api);
    host.replace("{port}", QByteArray::number(port()));
    Reply r = call(request("GET", "/clients", {}, {}, {}, host));
    QCOMPARE(r.status, status);
    if (status == 421)
        QCOMPARE(r.error(), QString("misdirected_request"));
    r = call(request("POST", "/send", "client_id=c1&message=x", "application/x-www-form-urlencoded",
                     {}, host));
    QCOMPARE(r.status, status);
    QCOMPARE(m_delivery->sends.size(), status == 200 ? 1 : 0);
}

void TestPushApiTrust::hostChecksComeFirst() {
    PushApiOptions api;
    api.token = kToken;
    startApi({}, api);
    // Before the token (a right token does not help), the route and /health's exemption.
    for (const char *target : {"/clients", "/health", "/nope"}) {
        Reply r =
            call(request("GET", target, {}, {}, kAuth, "evil.example:" + hostPort().split(':')[1]));
        QCOMPARE(r.status, 421);
        r = call(request("GET", target, {}, {}, {}, "evil.example"));
        QCOMPARE(r.status, 421);
    }
    // HTTP/1.0 may omit Host; here it may not.
    Client c(port());
    QVERIFY(c.connected());
    c.send("GET /health HTTP/1.0\r\n\r\n");
    const std::optional<Reply> r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->status, 421);
    QCOMPARE(r->error(), QString("misdirected_request"));
    QCOMPARE(m_delivery->calls, 0);
}

void TestPushApiTrust::origin_data() {
    QTest::addColumn<QStringList>("allowed");
    QTest::addColumn<QByteArray>("headers");
    QTest::addColumn<int>("status");
    QTest::newRow("no browser headers") << QStringList{} << QByteArray() << 200;
    QTest::newRow("foreign Origin")
        << QStringList{} << QByteArray("Origin: http://evil.example\r\n") << 403;
    QTest::newRow("Origin null") << QStringList{} << QByteArray("Origin: null\r\n") << 403;
    QTest::newRow("cross-site, no Origin")
        << QStringList{} << QByteArray("Sec-Fetch-Site: cross-site\r\n") << 403;
    QTest::newRow("same-site, no Origin")
        << QStringList{} << QByteArray("Sec-Fetch-Site: same-site\r\n") << 403;
    QTest::newRow("same-origin, no Origin")
        << QStringList{} << QByteArray("Sec-Fetch-Site: same-origin\r\n") << 200;
    QTest::newRow("typed in the address bar")
        << QStringList{} << QByteArray("Sec-Fetch-Site: none\r\n") << 200;
    QTest::newRow("configured origin") << QStringList{"https://app.example"}
                                       << QByteArray("Origin: https://app.example\r\n"
                                                     "Sec-Fetch-Site: cross-site\r\n")
                                       << 200;
    QTest::newRow("configured origin, normalized")
        << QStringList{"https://App.Example:443/"} << QByteArray("Origin: HTTPS://app.example\r\n")
        << 200;
    QTest::newRow("configured origin, other port")
        << QStringList{"https://app.example"} << QByteArray("Origin: https://app.example:8443\r\n")
        << 403;
    QTest::newRow("configured origin, other scheme")
        << QStringList{"https://app.example"} << QByteArray("Origin: http://app.example\r\n")
        << 403;
    QTest::newRow("configured origin, cross-site without Origin")
        << QStringList{"https://app.example"} << QByteArray("Sec-Fetch-Site: cross-site\r\n")
        << 403;
    QTest::newRow("any origin") << QStringList{"*"} << QByteArray("Origin: http://evil.example\r\n")
                                << 200;
    QTest::newRow("any origin, cross-site")
        << QStringList{"*"} << QByteArray("Sec-Fetch-Site: cross-site\r\n") << 200;
}

void TestPushApiTrust::origin() {
    QFETCH(QStringList, allowed);
    QFETCH(QByteArray, headers);
    QFETCH(int, status);
    PushApiOptions api;
    api.allowedOrigins = allowed;
    startApi({}, api);
    for (const QByteArray &bytes :
         {request("GET", "/clients", {}, {}, headers), request("GET", "/health", {}, {}, headers),
          request("POST", "/broadcast", "message=x", "application/x-www-form-urlencoded",
                  headers)}) {
        const Reply r = call(bytes);
        QCOMPARE(r.status, status);
        if (status == 403)
            QCOMPARE(r.error(), QString("origin_not_allowed"));
    }
    QCOMPARE(m_delivery->sends.size(), status == 200 ? 1 : 0);
}

void TestPushApiTrust::originRefusedBeforeTheBody() {
    Client c(port());
    QVERIFY(c.connected());
    c.send("POST /broadcast HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\n"
           "Content-Type: application/x-www-form-urlencoded\r\nExpect: 100-continue\r\n"
           "Content-Length: 9\r\n\r\n");
    const std::optional<Reply> r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->status, 403);
    QVERIFY(c.waitClosed());
    QVERIFY(!c.buffer().contains("100 Continue"));
    QCOMPARE(m_server->counters().continuesSent, quint64(0));
    QCOMPARE(m_delivery->calls, 0);
}

void TestPushApiTrust::csrfShapedPostDeliversNothing_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("status");
    // fetch('http://127.0.0.1:8081/broadcast?message=x', {method: 'POST', mode: 'no-cors'})
    QTest::newRow("no body, no type")
        << QByteArray("POST /broadcast?message=x HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Content-Length: 0\r\n\r\n")
        << 415;
    QTest::newRow("no body, no length")
        << QByteArray("POST /broadcast?message=x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") << 415;
    QTest::newRow("text/plain body")
        << request("POST", "/broadcast?message=x", "message=y", "text/plain") << 415;
    QTest::newRow("form type, empty body")
        << request("POST", "/broadcast?message=x", {}, "application/x-www-form-urlencoded") << 400;
    QTest::newRow("to a client, query only")
        << request("POST", "/send?client_id=c1&message=x", {}, "application/json") << 400;
}

void TestPushApiTrust::csrfShapedPostDeliversNothing() {
    QFETCH(QByteArray, bytes);
    QFETCH(int, status);
    const Reply r = call(bytes);
    QCOMPARE(r.status, status);
    QCOMPARE(r.error(),
             status == 415 ? QString("unsupported_media_type") : QString("missing_field"));
    QCOMPARE(m_delivery->calls, 0);
}

void TestPushApiTrust::getTakesNoBody() {
    const Reply r = call(request("GET", "/clients", "x=1"));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.error(), QString("bad_request"));
    QCOMPARE(m_delivery->calls, 0);
}

void TestPushApiTrust::startPublic(int maxConnections, int perAddress) {
    HttpServer::Options base;
    base.maxConnections = maxConnections;
    HttpServer::Options options = PushApi::publicServerOptions(base);
    if (perAddress >= 0)
        options.maxConnectionsPerAddress = perAddress;
    PushApiOptions api;
    api.token = kToken;
    startApi(options, api, "/_wsgate");
}

void TestPushApiTrust::publicPortClientErrorsClose_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("status");
    QTest::newRow("401") << request("GET", "/_wsgate/clients") << 401;
    QTest::newRow("401 wrong token")
        << request("GET", "/_wsgate/clients", {}, {}, "Authorization: Bearer nope\r\n") << 401;
    QTest::newRow("404 with token") << request("GET", "/_wsgate/nope", {}, {}, kAuth) << 404;
    QTest::newRow("404 outside the prefix") << request("GET", "/other", {}, {}, kAuth) << 404;
    QTest::newRow("405 with token")
        << request("POST", "/_wsgate/clients", "x=1", "application/json", kAuth) << 405;
    QTest::newRow("421 with token")
        << request("GET", "/_wsgate/clients", {}, {}, kAuth, "evil.example") << 421;
    QTest::newRow("403 with token")
        << request("GET", "/_wsgate/clients", {}, {}, kAuth + "Origin: http://evil.example\r\n")
        << 403;
    QTest::newRow("unknown client with token")
        << request("POST", "/_wsgate/send", "client_id=zz&message=x",
                   "application/x-www-form-urlencoded", kAuth)
        << 404;
}

void TestPushApiTrust::publicPortClientErrorsClose() {
    QFETCH(QByteArray, bytes);
    QFETCH(int, status);
    startPublic();
    Client c(port());
    QVERIFY(c.connected());
    c.send(bytes);
    const std::optional<Reply> r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->status, status);
    QCOMPARE(r->header("Connection"), QByteArray("close"));
    QVERIFY(c.waitClosed());
    // The same on the ordinary listener keeps the connection (only the refusals from the head
    // of a request with a body close there).
    startApi();
    Client d(port());
    QVERIFY(d.connected());
    d.send(request("GET", "/nope"));
    QCOMPARE(d.reply().value_or(Reply{}).status, 404);
    d.send(request("GET", "/health"));
    QCOMPARE(d.reply().value_or(Reply{}).status, 200);
}

void TestPushApiTrust::publicPortHealthWithoutTokenCloses() {
    startPublic();
    Client c(port());
    QVERIFY(c.connected());
    c.send(request("GET", "/_wsgate/health"));
    std::optional<Reply> r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->status, 200);
    QCOMPARE(r->header("Connection"), QByteArray("close"));
    QVERIFY(c.waitClosed());
    // With the token, keep-alive as usual.
    Client d(port());
    QVERIFY(d.connected());
    for (int i = 0; i < 2; ++i) {
        d.send(request("GET", "/_wsgate/health", {}, {}, kAuth));
        r = d.reply();
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QVERIFY(r->header("Connection").isEmpty());
    }
    QVERIFY(d.isOpen());
}

void TestPushApiTrust::publicPortAnonymousPerAddress() {
    startPublic();
    QCOMPARE(m_server->options().maxConnectionsPerAddress, 8);
    std::vector<std::unique_ptr<Client>> idle;
    for (int i = 0; i < 8; ++i) {
        idle.push_back(std::make_unique<Client>(port()));
        QVERIFY(idle.back()->connected());
    }
    QTRY_COMPARE(m_server->anonymousConnectionCount(), 8);
    Client ninth(port());
    QVERIFY(ninth.connected());
    ninth.send(request("GET", "/_wsgate/health"));
    const std::optional<Reply> r = ninth.reply();
    QVERIFY(r);
    QCOMPARE(r->status, 503);
    QVERIFY(ninth.waitClosed());
    QCOMPARE(m_server->counters().error(HttpServer::ClientError::TooManyFromAddress), quint64(1));
    // PHP's pushes from the same address still get in: they carry the token.
    Client php(port());
    QVERIFY(php.connected());
    php.send(request("POST", "/_wsgate/send", "client_id=c1&message=x",
                     "application/x-www-form-urlencoded", kAuth));
    QCOMPARE(php.reply().value_or(Reply{}).status, 200);
    QCOMPARE(m_delivery->sends.size(), 1);
}

void TestPushApiTrust::publicPortReservedSlots() {
    startPublic(4, 0); // two slots for anyone, two reserved; no per-address limit
    QCOMPARE(m_server->options().reservedConnections, 1);
    stopApi();
    HttpServer::Options options = PushApi::publicServerOptions({});
    options.maxConnections = 4;
    options.reservedConnections = 2;
    options.maxConnectionsPerAddress = 0;
    PushApiOptions api;
    api.token = kToken;
    startApi(options, api, "/_wsgate");

    Client a1(port()), a2(port());
    QVERIFY(a1.connected());
    QVERIFY(a2.connected());
    QTRY_COMPARE(m_server->anonymousConnectionCount(), 2);
    // A third anonymous client is beyond what anonymous clients may hold.
    Client a3(port());
    QVERIFY(a3.connected());
    a3.send(request("GET", "/_wsgate/health"));
    QCOMPARE(a3.reply().value_or(Reply{}).status, 503);
    QVERIFY(a3.waitClosed());
    QTRY_COMPARE(m_server->connectionCount(), 2);
    // Anonymous clients fill the reserved slots by merely connecting...
    Client a4(port()), a5(port());
    QVERIFY(a4.connected());
    QVERIFY(a5.connected());
    QTRY_COMPARE(m_server->connectionCount(), 4);
    // ...yet an authorized client still gets in: the oldest of them makes room.
    Client php(port());
    QVERIFY(php.connected());
    php.send(request("GET", "/_wsgate/clients", {}, {}, kAuth));
    const std::optional<Reply> r = php.reply();
    QVERIFY(r);
    QCOMPARE(r->status, 200);
    QVERIFY(a4.waitClosed());
    QCOMPARE(m_server->counters().evicted, quint64(1));
    QVERIFY(a1.isOpen());
    QVERIFY(a2.isOpen());
    // The other one in a reserved slot is never served anonymously.
    a5.send(request("GET", "/_wsgate/health"));
    QCOMPARE(a5.reply().value_or(Reply{}).status, 503);
    QVERIFY(a5.waitClosed());
    // The regular anonymous slots still serve (once: no token, no keep-alive).
    a1.send(request("GET", "/_wsgate/health"));
    QCOMPARE(a1.reply().value_or(Reply{}).status, 200);
}

WSGATE_TEST_MAIN(TestPushApiTrust)
#include "tst_pushapitrust.moc"
