#include "pushtestsupport.h"
#include "tcpstates.h"
#include "testmain.h"

#include <QSignalSpy>
#include <QTcpServer>

using namespace pushtest;

namespace {

QByteArray get(const QByteArray &path, const QByteArray &extra = {}) {
    return request("GET", path, {}, {}, extra);
}

} // namespace

/// HttpServer on its own: asynchronous answers, their order, timeouts, the responder's
/// contract, adopt() with bytes already read, and the admission rules.
class TestHttpServer final : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void answersLater();
    void pipelinedAnswersInOrderWhenTheFirstAnswersLast();
    void interimContinueWaitsForEarlierAnswers();
    void handlerTimeoutIs504();
    void responderAnswersOnce();
    void responderAfterDisconnectIsHarmless();
    void responderAfterServerIsGone();
    void closingAnswerDropsLaterOnes();
    void adoptWithBytesAlreadyRead();
    void closeOnClientError_data();
    void closeOnClientError();
    void closeUnauthorized();
    void perAddressLimitCountsAnonymousOnly();
    void reservedSlotsStayForAuthorized();
    void stalledReaderIsResetAfterTheLinger();

private:
    void start(const HttpServer::Options &options = {});

    std::unique_ptr<HttpServer> m_server;
    QList<std::pair<QByteArray, HttpResponder>> m_held; // requests not answered yet, by path
    QByteArray m_key = "k";                             // X-Key the authorizer wants
    bool m_useAuthorizer = false;
};

void TestHttpServer::init() {
    m_held.clear();
    m_useAuthorizer = false;
    start();
}

void TestHttpServer::cleanup() {
    m_held.clear();
    m_server.reset();
}

// /now answers at once, /hold keeps the responder in m_held, /later/<ms> answers after ms,
// /status/<n> answers n; the body is the path.
void TestHttpServer::start(const HttpServer::Options &options) {
    m_server = std::make_unique<HttpServer>(options);
    m_server->setHandler([this](const HttpRequest &r, HttpResponder respond) {
        if (r.path == "/hold") {
            m_held.append({r.path, respond});
        } else if (r.path.startsWith("/later/")) {
            QTimer::singleShot(r.path.mid(7).toInt(), m_server.get(), [respond, path = r.path] {
                respond(HttpResponse::text(200, path));
            });
        } else if (r.path.startsWith("/big/")) {
            respond(HttpResponse::text(200, QByteArray(r.path.mid(5).toInt(), 'x')));
        } else if (r.path.startsWith("/status/")) {
            respond(HttpResponse::text(r.path.mid(8).toInt(), r.path));
        } else {
            respond(HttpResponse::text(200, r.path));
        }
    });
    if (m_useAuthorizer)
        m_server->setAuthorizer(
            [this](const HttpRequest &r) { return r.header("X-Key") == m_key; });
    QVERIFY(m_server->listen(QHostAddress::LocalHost, 0));
}

void TestHttpServer::stalledReaderIsResetAfterTheLinger() {
    if (!QFile::exists(QStringLiteral("/proc/net/tcp")))
        QSKIP("reads the kernel's sockets from /proc/net/tcp");
    HttpServer::Options o;
    o.idleTimeoutMs = 200;
    o.lingerTimeoutMs = 200;
    start(o);
    const quint16 port = m_server->serverPort();
    // A client that asks for 16 MiB and reads 4 KiB of it.
    QTcpSocket c;
    c.setReadBufferSize(4096);
    c.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(c.waitForConnected(5000));
    c.write(get("/big/16777216"));
    QTRY_VERIFY(c.bytesAvailable() > 0);
    QCOMPARE(tcpStatesOnPort(port), QStringList{QStringLiteral("01")});
    // Idle after the answer, then the linger: cut with a reset, so no orphan stays in FIN-WAIT-1
    // holding the megabytes the kernel had taken (a plain close leaves one for minutes).
    QTRY_VERIFY_WITH_TIMEOUT(tcpStatesOnPort(port).isEmpty(), 5000);
    // The client, reading again, finds the connection reset rather than 16 MiB and an end.
    qint64 read = 0;
    QTRY_VERIFY_WITH_TIMEOUT(
        (read += c.readAll().size(), c.state() != QAbstractSocket::ConnectedState), 5000);
    QVERIFY2(read < 16777216, qPrintable(QString::number(read)));
}

void TestHttpServer::answersLater() {
    Client c(m_server->serverPort());
    QVERIFY(c.connected());
    c.send(get("/later/50"));
    std::optional<Reply> r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->status, 200);
    QCOMPARE(r->body, QByteArray("/later/50"));
    // A held request: nothing until the responder is called, then the answer, kept alive.
    c.send(get("/hold"));
    QTRY_COMPARE(m_held.size(), 1);
    QVERIFY(!c.reply(false, 100));
    QVERIFY(m_held[0].second.isPending());
    m_held[0].second(HttpResponse::text(201, "made"));
    QVERIFY(!m_held[0].second.isPending());
    r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->status, 201);
    QCOMPARE(r->body, QByteArray("made"));
    c.send(get("/now"));
    QCOMPARE(c.reply().value_or(Reply{}).body, QByteArray("/now"));
    QCOMPARE(m_server->counters().connectionsAccepted, quint64(1));
}

void TestHttpServer::pipelinedAnswersInOrderWhenTheFirstAnswersLast() {
    Client c(m_server->serverPort());
    QVERIFY(c.connected());
    c.send(get("/hold") + get("/now") + get("/later/20") + get("/status/404"));
    // Every request is handed over at once: the later ones are answered first...
    QTRY_COMPARE(m_server->counters().requests, quint64(4));
    QVERIFY(!c.reply(false, 100)); // ...but nothing overtakes the first answer
    m_held[0].second(HttpResponse::text(200, "first"));
    const QByteArray expected[] = {"first", "/now", "/later/20", "/status/404"};
    for (const QByteArray &body : expected) {
        const std::optional<Reply> r = c.reply();
        QVERIFY(r);
        QCOMPARE(r->body, body);
    }
    QVERIFY(c.isOpen());
}

void TestHttpServer::interimContinueWaitsForEarlierAnswers() {
    Client c(m_server->serverPort());
    QVERIFY(c.connected());
    c.send(get("/hold") + "POST /now HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                          "Content-Length: 4\r\n\r\n");
    QTRY_COMPARE(m_held.size(), 1);
    QVERIFY(!c.reply(true, 100)); // no "100 Continue" before the first request's answer
    m_held[0].second(HttpResponse::text(200, "first"));
    std::optional<Reply> r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->body, QByteArray("first"));
    r = c.reply(true);
    QVERIFY(r);
    QCOMPARE(r->status, 100);
    c.send("body");
    r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->status, 200);
    QCOMPARE(m_server->counters().continuesSent, quint64(1));
}

void TestHttpServer::handlerTimeoutIs504() {
    HttpServer::Options options;
    options.handlerTimeoutMs = 150;
    m_server.reset();
    start(options);
    QSignalSpy errors(m_server.get(), &HttpServer::clientError);
    Client c(m_server->serverPort());
    QVERIFY(c.connected());
    c.send(get("/hold") + get("/now"));
    std::optional<Reply> r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->status, 504);
    QCOMPARE(r->error(), QString("gateway_timeout"));
    QCOMPARE(r->header("Content-Type"), QByteArray("application/json"));
    r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->body, QByteArray("/now"));
    // Too late: ignored, the connection goes on.
    QVERIFY(!m_held[0].second.isPending());
    m_held[0].second(HttpResponse::text(200, "late"));
    c.send(get("/now"));
    r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->body, QByteArray("/now"));
    QVERIFY(c.buffer().isEmpty());
    QTRY_COMPARE(errors.size(), 1);
    QCOMPARE(errors[0][0].value<HttpServer::ClientError>(),
             HttpServer::ClientError::HandlerTimeout);
    QCOMPARE(m_server->counters().error(HttpServer::ClientError::HandlerTimeout), quint64(1));
}

void TestHttpServer::responderAnswersOnce() {
    m_server->setHandler([](const HttpRequest &r, HttpResponder respond) {
        const HttpResponder copy = respond;
        copy(HttpResponse::text(200, r.path));
        respond(HttpResponse::text(500, "second"));
        copy(HttpResponse::text(500, "third"));
    });
    Client c(m_server->serverPort());
    QVERIFY(c.connected());
    c.send(get("/a") + get("/b"));
    for (const QByteArray body : {"/a", "/b"}) {
        const std::optional<Reply> r = c.reply();
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QCOMPARE(r->body, body);
    }
    QVERIFY(!c.reply(false, 100));
    QVERIFY(c.buffer().isEmpty());
    HttpResponder detached;
    QVERIFY(!detached.isPending());
    detached(HttpResponse::text(200, "nowhere")); // does nothing
}

void TestHttpServer::responderAfterDisconnectIsHarmless() {
    {
        Client c(m_server->serverPort());
        QVERIFY(c.connected());
        c.send(get("/hold") + get("/hold"));
        QTRY_COMPARE(m_held.size(), 2);
        c.socket().abort();
    }
    QTRY_COMPARE(m_server->connectionCount(), 0);
    QVERIFY(!m_held[0].second.isPending());
    m_held[1].second(HttpResponse::text(200, "to nobody"));
    m_held[0].second(HttpResponse::text(200, "to nobody"));
    QTest::qWait(20); // the connection's deferred deletion has run
    Client d(m_server->serverPort());
    QVERIFY(d.connected());
    d.send(get("/now"));
    QCOMPARE(d.reply().value_or(Reply{}).body, QByteArray("/now"));
}

void TestHttpServer::responderAfterServerIsGone() {
    Client c(m_server->serverPort());
    QVERIFY(c.connected());
    c.send(get("/hold"));
    QTRY_COMPARE(m_held.size(), 1);
    m_server.reset();
    QVERIFY(!m_held[0].second.isPending());
    m_held[0].second(HttpResponse::text(200, "to nobody"));
}

void TestHttpServer::closingAnswerDropsLaterOnes() {
    m_server->setHandler([this](const HttpRequest &r, HttpResponder respond) {
        if (r.path == "/hold") {
            m_held.append({r.path, respond});
            return;
        }
        HttpResponse response = HttpResponse::text(200, r.path);
        response.setCloseConnection(r.path == "/bye");
        respond(response);
    });
    Client c(m_server->serverPort());
    QVERIFY(c.connected());
    c.send(get("/bye") + get("/hold"));
    const std::optional<Reply> r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->body, QByteArray("/bye"));
    QCOMPARE(r->header("Connection"), QByteArray("close"));
    QVERIFY(c.waitClosed());
    QVERIFY(c.buffer().isEmpty());
    // The second request was never handed over (or, if it was, its answer goes nowhere).
    for (auto &held : m_held)
        QVERIFY(!held.second.isPending());
}

void TestHttpServer::adoptWithBytesAlreadyRead() {
    QTcpServer front;
    QVERIFY(front.listen(QHostAddress::LocalHost, 0));
    Client c(front.serverPort());
    QVERIFY(c.connected());
    QTRY_VERIFY(front.hasPendingConnections());
    QTcpSocket *socket = front.nextPendingConnection();
    c.send(get("/first", "X-Long: " + QByteArray(100, 'x') + "\r\n") + get("/second"));
    // The front reads the head of the first request itself, as the gateway does.
    QByteArray read;
    QTRY_VERIFY((read += socket->read(40)).size() >= 40);
    m_server->adopt(socket, read);
    for (const QByteArray body : {"/first", "/second"}) {
        const std::optional<Reply> r = c.reply();
        QVERIFY(r);
        QCOMPARE(r->body, body);
    }
    QCOMPARE(m_server->counters().connectionsAccepted, quint64(1));
}

void TestHttpServer::closeOnClientError_data() {
    QTest::addColumn<bool>("option");
    QTest::addColumn<int>("status");
    QTest::addColumn<bool>("closes");
    QTest::newRow("404, option on") << true << 404 << true;
    QTest::newRow("401, option on") << true << 401 << true;
    QTest::newRow("421, option on") << true << 421 << true;
    QTest::newRow("499, option on") << true << 499 << true;
    QTest::newRow("200, option on") << true << 200 << false;
    QTest::newRow("503, option on") << true << 503 << false;
    QTest::newRow("404, option off") << false << 404 << false;
}

void TestHttpServer::closeOnClientError() {
    QFETCH(bool, option);
    QFETCH(int, status);
    QFETCH(bool, closes);
    HttpServer::Options options;
    options.closeOnClientError = option;
    m_server.reset();
    start(options);
    Client c(m_server->serverPort());
    QVERIFY(c.connected());
    c.send(get("/status/" + QByteArray::number(status)) + get("/now"));
    std::optional<Reply> r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->status, status);
    QCOMPARE(r->header("Connection") == "close", closes);
    if (closes) {
        QVERIFY(c.waitClosed());
        QVERIFY(c.buffer().isEmpty()); // the pipelined request is not answered
    } else {
        QCOMPARE(c.reply().value_or(Reply{}).body, QByteArray("/now"));
    }
}

void TestHttpServer::closeUnauthorized() {
    HttpServer::Options options;
    options.closeUnauthorized = true;
    m_server.reset();
    m_useAuthorizer = true;
    start(options);
    Client c(m_server->serverPort());
    QVERIFY(c.connected());
    for (int i = 0; i < 2; ++i) {
        c.send(get("/now", "X-Key: k\r\n"));
        const std::optional<Reply> r = c.reply();
        QVERIFY(r);
        QVERIFY(r->header("Connection").isEmpty());
    }
    // Even on a connection authorized before, an answer to an unauthorized request closes.
    c.send(get("/now") + get("/now", "X-Key: k\r\n"));
    const std::optional<Reply> r = c.reply();
    QVERIFY(r);
    QCOMPARE(r->status, 200);
    QCOMPARE(r->header("Connection"), QByteArray("close"));
    QVERIFY(c.waitClosed());
    QVERIFY(c.buffer().isEmpty());
    QCOMPARE(m_server->counters().requests, quint64(3));
}

void TestHttpServer::perAddressLimitCountsAnonymousOnly() {
    HttpServer::Options options;
    options.maxConnectionsPerAddress = 2;
    m_server.reset();
    m_useAuthorizer = true;
    start(options);
    Client authorized(m_server->serverPort());
    QVERIFY(authorized.connected());
    authorized.send(get("/now", "X-Key: k\r\n"));
    QCOMPARE(authorized.reply().value_or(Reply{}).status, 200);
    Client a1(m_server->serverPort()), a2(m_server->serverPort());
    QVERIFY(a1.connected());
    QVERIFY(a2.connected());
    QTRY_COMPARE(m_server->anonymousConnectionCount(), 2);
    QCOMPARE(m_server->connectionCount(), 3);
    Client a3(m_server->serverPort());
    QVERIFY(a3.connected());
    a3.send(get("/now"));
    const std::optional<Reply> r = a3.reply();
    QVERIFY(r);
    QCOMPARE(r->status, 503);
    QCOMPARE(r->error(), QString("service_unavailable"));
    QVERIFY(a3.waitClosed());
    QCOMPARE(m_server->counters().requests, quint64(1)); // a3's never reached the handler
    QCOMPARE(m_server->counters().error(HttpServer::ClientError::TooManyFromAddress), quint64(1));
    // Within the limit although the authorized connection is from the same address.
    for (Client *a : {&a1, &a2}) {
        a->send(get("/now"));
        QCOMPARE(a->reply().value_or(Reply{}).status, 200);
    }
    Client a4(m_server->serverPort());
    QVERIFY(a4.connected());
    a4.send(get("/now", "X-Key: k\r\n"));
    QCOMPARE(a4.reply().value_or(Reply{}).status, 200);
}

void TestHttpServer::reservedSlotsStayForAuthorized() {
    HttpServer::Options options;
    options.maxConnections = 3;
    options.reservedConnections = 1;
    m_server.reset();
    m_useAuthorizer = true;
    start(options);
    Client a1(m_server->serverPort()), a2(m_server->serverPort()), a3(m_server->serverPort());
    QVERIFY(a1.connected());
    QVERIFY(a2.connected());
    QVERIFY(a3.connected());
    QTRY_COMPARE(m_server->connectionCount(), 3);
    // Full; a3 sits in the reserved slot on probation. An authorized newcomer takes it.
    Client key(m_server->serverPort());
    QVERIFY(key.connected());
    key.send(get("/now", "X-Key: k\r\n"));
    QCOMPARE(key.reply().value_or(Reply{}).status, 200);
    QVERIFY(a3.waitClosed());
    QCOMPARE(m_server->counters().evicted, quint64(1));
    QCOMPARE(m_server->anonymousConnectionCount(), 2);
    // Full of authorized and regular anonymous connections: nobody to evict, 503.
    Client late(m_server->serverPort());
    QVERIFY(late.connected());
    const std::optional<Reply> r = late.reply();
    QVERIFY(r);
    QCOMPARE(r->status, 503);
    QVERIFY(late.waitClosed());
    QCOMPARE(m_server->counters().error(HttpServer::ClientError::TooManyConnections), quint64(2));
}

WSGATE_TEST_MAIN(TestHttpServer)
#include "tst_httpserver.moc"
