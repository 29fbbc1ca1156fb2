#include "pushtestsupport.h"
#include "testmain.h"

#include <QSignalSpy>

using namespace pushtest;

/// The push API's HTTP edge: 100-continue, chunked bodies, keep-alive and pipelining,
/// HTTP/1.0, malformed and oversized requests, slow senders, the connection limit.
class TestPushApiHttp final : public QObject, private PushApiFixture {
    Q_OBJECT
private slots:
    void init() { startApi(); }
    void cleanup() { stopApi(); }

    void expectContinue();
    void chunkedBody();
    void keepAliveAndPipelining();
    void http10();
    void garbageThenStillServing_data();
    void garbageThenStillServing();
    void slowSenderIsDropped();
    void maxConnections();
};

void TestPushApiHttp::expectContinue() {
    const QByteArray body = "client_id=c1&message=continued";
    Client c(port());
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
    QCOMPARE(m_delivery->sends.last().message.payload, QByteArray("continued"));
    QCOMPARE(m_server->counters().continuesSent, quint64(1));

    // Refused from the head: the final answer comes at once, no 100, body never sent.
    PushApiOptions api;
    api.token = "t";
    startApi({}, api);
    Client d(port());
    QVERIFY(d.connected());
    d.send("POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
           "application/x-www-form-urlencoded\r\n"
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
    startApi(options);
    Client e(port());
    QVERIFY(e.connected());
    e.send("POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
           "application/x-www-form-urlencoded\r\n"
           "Expect: 100-continue\r\nContent-Length: 10\r\n\r\n");
    std::optional<Reply> tooLarge = e.reply();
    QVERIFY(tooLarge);
    QCOMPARE(tooLarge->status, 413);
    QVERIFY(e.waitClosed());
    QCOMPARE(m_server->counters().continuesSent, quint64(0));
}

void TestPushApiHttp::chunkedBody() {
    const Reply r = call("POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                         "Content-Type: application/json\r\n\r\n"
                         "c\r\n{\"client_id\"\r\n"
                         "14\r\n:\"c1\",\"message\":\"chu\r\n"
                         "6\r\nnked\"}\r\n0\r\n\r\n");
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(m_delivery->sends.last().message.payload, QByteArray("chunked"));
}

void TestPushApiHttp::keepAliveAndPipelining() {
    Client c(port());
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
    QCOMPARE(m_delivery->sends.size(), 3);
    QCOMPARE(m_server->counters().connectionsAccepted, quint64(1));
}

void TestPushApiHttp::http10() {
    Client c(port());
    QVERIFY(c.connected());
    c.send("GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n");
    std::optional<Reply> r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->header("Connection"), QByteArray("keep-alive"));
    c.send("GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->status, 200);
    QCOMPARE(r->header("Connection"), QByteArray("close"));
    QVERIFY(c.waitClosed());
}

void TestPushApiHttp::garbageThenStillServing_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("status");
    QTest::newRow("binary") << QByteArray("\x16\x03\x01\x00\xa5\x01\x00", 7) << 400;
    QTest::newRow("no host") << QByteArray("GET /health HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("long request line")
        << "GET /" + QByteArray(9000, 'a') + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        << 414;
    QTest::newRow("huge header") << "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " +
                                        QByteArray(70'000, 'v') + "\r\n\r\n"
                                 << 431;
    QByteArray many = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (int i = 0; i < 100; ++i)
        many += "X" + QByteArray::number(i) + ": v\r\n";
    QTest::newRow("too many headers") << many + "\r\n" << 431;
    QTest::newRow("gzip body") << QByteArray("POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                             "Transfer-Encoding: gzip\r\n\r\n")
                               << 501;
    QTest::newRow("HTTP/2 preface") << QByteArray("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") << 400;
    QTest::newRow("oversized body, no 100-continue")
        << "POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
           "application/x-www-form-urlencoded\r\n"
           "Content-Length: 20000000\r\n\r\n" +
               QByteArray(200'000, 'x')
        << 413;
}

void TestPushApiHttp::garbageThenStillServing() {
    QFETCH(QByteArray, bytes);
    QFETCH(int, status);
    Client c(port());
    QVERIFY(c.connected());
    c.send(bytes);
    const std::optional<Reply> r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->status, status);
    QCOMPARE(r->header("Connection"), QByteArray("close"));
    QVERIFY(!r->json().value("error").toString().isEmpty());
    QVERIFY(c.waitClosed());
    QCOMPARE(call(request("GET", "/health")).status, 200);
    QCOMPARE(m_delivery->sends.size(), 0);
}

void TestPushApiHttp::slowSenderIsDropped() {
    HttpServer::Options options;
    options.headTimeoutMs = 300;
    options.lingerTimeoutMs = 300;
    startApi(options);
    QSignalSpy errors(m_server.get(), &HttpServer::clientError);
    Client c(port());
    QVERIFY(c.connected());
    c.send("POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "); // and never more
    const std::optional<Reply> r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->status, 408);
    QVERIFY(c.waitClosed());
    QTRY_COMPARE(errors.size(), 1);
    QCOMPARE(errors[0][0].value<HttpServer::ClientError>(), HttpServer::ClientError::HeadTimeout);
    QCOMPARE(m_server->counters().error(HttpServer::ClientError::HeadTimeout), quint64(1));
    // A connection that sends nothing is dropped too; the listener still answers.
    Client idle(port());
    QVERIFY(idle.connected());
    QVERIFY(idle.waitClosed());
    QCOMPARE(call(request("GET", "/health")).status, 200);
    QTRY_COMPARE(m_server->connectionCount(), 0);
}

void TestPushApiHttp::maxConnections() {
    HttpServer::Options options;
    options.maxConnections = 2;
    startApi(options);
    Client a(port());
    Client b(port());
    QVERIFY(a.connected());
    QVERIFY(b.connected());
    QTRY_COMPARE(m_server->connectionCount(), 2);
    Client refused(port());
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

WSGATE_TEST_MAIN(TestPushApiHttp)
#include "tst_pushapihttp.moc"
