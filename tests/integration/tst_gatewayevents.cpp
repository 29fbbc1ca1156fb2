// PHP talks back, end to end against a real php-fpm: open/close events, control headers, the
// push API with real clients, origins, connection limits, backpressure.

#include "gatewayharness.h"

#include "config/configuration.h"
#include "gateway/gateway.h"
#include "observe/metrics.h"
#include "testmain.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

namespace {
QJsonObject json(const QByteArray &bytes) {
    return QJsonDocument::fromJson(bytes).object();
}

QByteArray upgradeRequest(const QByteArray &target, const QByteArray &extraHeaders = {}) {
    return "GET " + target +
           " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
           extraHeaders + "\r\n";
}

int statusOf(const QByteArray &response) {
    const QList<QByteArray> parts = response.left(response.indexOf("\r\n")).split(' ');
    return parts.size() >= 2 ? parts.at(1).toInt() : -1;
}

QByteArray whoami(TestClient &c) {
    const int before = int(c.messages.size());
    c.socket.sendTextMessage(QStringLiteral("whoami"));
    if (!c.waitForMessages(before + 1))
        return {};
    return json(c.messages.at(before)).value(QStringLiteral("id")).toString().toLatin1();
}
} // namespace

class TestGatewayEvents : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void openEventRefusesWithPhpStatus() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"), {"--events", "open,message"});
        const QByteArray refused = h.rawWs(upgradeRequest("/ws?deny=403"));
        QCOMPARE(statusOf(refused), 403);
        QVERIFY(refused.endsWith("denied by PHP"));
        QCOMPARE(statusOf(h.rawWs(upgradeRequest("/ws?deny=429"))), 429);
        QCOMPARE(h.engine()->metrics()->clientErrors[Metrics::OpenRefused].load(), 2);
        TestClient ok;
        QVERIFY(ok.open(h.wsUrl()));
    }

    void sessionCookieAuth() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"), {"--events", "open,message"});
        // Not logged in: PHP's open handler answers 401 before the upgrade.
        QCOMPARE(statusOf(h.rawWs(upgradeRequest("/ws?needauth=1"))), 401);
        // Log in over a first connection; PHP answers the session id.
        TestClient login;
        QVERIFY(login.open(h.wsUrl()));
        login.socket.sendTextMessage(QStringLiteral("login:alice"));
        QVERIFY(login.waitForMessages(1));
        const QByteArray sid = login.messages.at(0);
        QVERIFY(!sid.isEmpty());
        // With the session cookie, session_start() in the open handler finds the user.
        TestClient c;
        QNetworkRequest request(QUrl(h.wsUrl(QStringLiteral("/ws?needauth=1"))));
        request.setRawHeader("Cookie", "PHPSESSID=" + sid);
        QVERIFY(c.open(request));
        c.socket.sendTextMessage(QStringLiteral("whoami"));
        QVERIFY(c.waitForMessages(1));
        QCOMPARE(json(c.messages.at(0)).value(QStringLiteral("user")).toString(),
                 QStringLiteral("alice"));
        // X-WS-User from the open reply binds the user: a push to the user reaches it.
        QByteArray body;
        QCOMPARE(h.http("POST", "/send", "user=alice&message=hello%20alice", {}, &body), 200);
        QCOMPARE(json(body).value(QStringLiteral("delivered")).toInt(), 1);
        QVERIFY(c.waitForMessages(2));
        QCOMPARE(c.messages.at(1), QByteArray("hello alice"));
    }

    void closeEventCarriesCode_data() {
        QTest::addColumn<bool>("vanish");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("reason");
        QTest::newRow("clean close 4001")
            << false << QStringLiteral("4001") << QStringLiteral("bye now");
        QTest::newRow("peer vanished: 1006") << true << QStringLiteral("1006") << QString();
    }

    void closeEventCarriesCode() {
        QFETCH(bool, vanish);
        QFETCH(QString, code);
        QFETCH(QString, reason);
        QTemporaryDir dir;
        QVERIFY(QFile::setPermissions(dir.path(), QFileDevice::Permissions(0x7777)));
        const QString log = dir.filePath(QStringLiteral("close.json"));
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"), {"--events", "message,close"});
        {
            TestClient c;
            QVERIFY(c.open(h.wsUrl(QStringLiteral("/ws?log=") + log)));
            c.socket.sendTextMessage(QStringLiteral("user:bob"));
            QVERIFY(c.waitForMessages(1));
            if (vanish)
                c.socket.abort();
            else
                c.socket.close(QWebSocketProtocol::CloseCode(code.toInt()), reason);
        }
        // PHP writes the file after the connection is gone: wait until it is complete.
        const auto readLog = [&log] {
            QFile f(log);
            return f.open(QIODevice::ReadOnly) ? json(f.readAll()) : QJsonObject();
        };
        QTRY_VERIFY_WITH_TIMEOUT(!readLog().isEmpty(), 10000);
        const QJsonObject o = readLog();
        QCOMPARE(o.value(QStringLiteral("code")).toString(), code);
        QCOMPARE(o.value(QStringLiteral("reason")).toString(), reason);
        QCOMPARE(o.value(QStringLiteral("user")).toString(), QStringLiteral("bob"));
    }

    void openReplyBodyIsFirstMessage() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"), {"--events", "open,message"});
        TestClient c;
        QVERIFY(c.open(h.wsUrl(QStringLiteral("/ws?welcome=1"))));
        QVERIFY(c.waitForMessages(1));
        QCOMPARE(c.messages.at(0), QByteArray("welcome"));
    }

    void demoEndToEnd() {
        if (PhpFpmFixture::findBinary().isEmpty()) {
            if (qEnvironmentVariableIsSet("CI"))
                QFAIL("php-fpm is missing");
            QSKIP("php-fpm is missing");
        }
        const ConfigurationResult parsed = ConfigurationParser::parse(
            {"--demo", "--listen", "127.0.0.1:0", "--push-listen", "127.0.0.1:0"});
        QCOMPARE(parsed.action, ConfigurationResult::Action::Run);
        Engine engine(parsed.config);
        QString error;
        QVERIFY2(engine.start(&error), qPrintable(error));
        const quint16 port = engine.gateway()->serverPort();
        // The built-in test page on GET /.
        QTcpSocket page;
        page.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(page.waitForConnected(5000));
        page.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        QByteArray html;
        QTRY_VERIFY((html += page.readAll()).contains("</html>"));
        QVERIFY(html.startsWith("HTTP/1.1 200"));
        // The chat handler through the managed PHP: welcome, join, a message to the room.
        TestClient a;
        QVERIFY(a.open(QStringLiteral("ws://127.0.0.1:%1/ws").arg(port)));
        QVERIFY(a.waitForMessages(1, 15000));
        QVERIFY(a.messages.at(0).contains("welcome"));
        a.socket.sendTextMessage(QStringLiteral(R"({"join":"lobby"})"));
        QVERIFY(a.waitForMessages(2));
        QVERIFY(a.messages.at(1).contains("joined"));
        a.socket.sendTextMessage(QStringLiteral(R"({"room":"lobby","text":"hi from the test"})"));
        QTRY_VERIFY_WITH_TIMEOUT(
            a.messages.size() >= 3 && a.messages.join('\n').contains("hi from the test"), 10000);
        QSignalSpy stopped(&engine, &Engine::stopped);
        engine.stop();
        QVERIFY(stopped.wait(15000));
    }

    void controlHeaders() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"));
        TestClient a, b;
        QVERIFY(a.open(h.wsUrl()));
        QVERIFY(b.open(h.wsUrl()));
        a.socket.sendTextMessage(QStringLiteral("user:ann"));
        a.socket.sendTextMessage(QStringLiteral("join:red, blue"));
        b.socket.sendTextMessage(QStringLiteral("join:red"));
        QVERIFY(a.waitForMessages(2));
        QVERIFY(b.waitForMessages(1));
        a.socket.sendTextMessage(QStringLiteral("whoami"));
        QVERIFY(a.waitForMessages(3));
        const QJsonObject me = json(a.messages.at(2));
        QCOMPARE(me.value(QStringLiteral("user")).toString(), QStringLiteral("ann"));
        QCOMPARE(me.value(QStringLiteral("groups")).toString(), QStringLiteral("blue,red"));

        QByteArray body;
        QCOMPARE(h.http("POST", "/send", "group=red&message=to-red", {}, &body), 200);
        QCOMPARE(json(body).value(QStringLiteral("delivered")).toInt(), 2);
        QCOMPARE(h.http("POST", "/send", "group=blue&message=to-blue", {}, &body), 200);
        QCOMPARE(json(body).value(QStringLiteral("delivered")).toInt(), 1);
        QVERIFY(a.waitForMessages(5));
        QVERIFY(b.waitForMessages(2));
        QCOMPARE(b.messages.at(1), QByteArray("to-red"));

        a.socket.sendTextMessage(QStringLiteral("leave:red"));
        QVERIFY(a.waitForMessages(6));
        QCOMPARE(h.http("POST", "/send", "group=red&message=again", {}, &body), 200);
        QCOMPARE(json(body).value(QStringLiteral("delivered")).toInt(), 1);

        // X-WS-Close: the reply arrives first, then the close with PHP's code and reason.
        b.socket.sendTextMessage(QStringLiteral("close:4003 go away"));
        QVERIFY(b.waitForDisconnect());
        QCOMPARE(b.messages.last(), QByteArray("bye"));
        QCOMPARE(b.closeCode, 4003);
        QCOMPARE(b.closeReason, QStringLiteral("go away"));

        // A reason longer than a close frame holds (123 bytes) is cut before a whole
        // character: "x" + 50 × "€" (1 + 150 bytes) arrives as "x" + 40 × "€" (121 bytes).
        const QString euros = QString(QChar(0x20AC)).repeated(50);
        a.socket.sendTextMessage(QStringLiteral("close:4004 x") + euros);
        QVERIFY(a.waitForDisconnect());
        QCOMPARE(a.closeCode, 4004);
        QCOMPARE(a.closeReason, QStringLiteral("x") + euros.left(40));
    }

    void pushApiWithRealClients() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"));
        TestClient c;
        QVERIFY(c.open(h.wsUrl()));
        const QByteArray id = whoami(c);
        QCOMPARE(id.size(), 32);
        QByteArray body;
        // The Go design's call, unchanged: form fields, "Message sent".
        QCOMPARE(h.http("POST", "/send", "type=publish&client_id=" + id + "&message=hi%26there", {},
                        &body),
                 200);
        QCOMPARE(body, QByteArray("Message sent"));
        QVERIFY(c.waitForMessages(2));
        QCOMPARE(c.messages.at(1), QByteArray("hi&there"));
        // JSON body, binary frame.
        QCOMPARE(h.http("POST", "/send",
                        R"({"client_id":")" + id + R"(","message":"AB","binary":true})",
                        {{"Content-Type", "application/json"}}, &body),
                 200);
        QVERIFY(c.waitForMessages(3));
        QCOMPARE(c.binary.at(2), true);
        QCOMPARE(h.http("POST", "/broadcast", "message=all", {}, &body), 200);
        QCOMPARE(json(body).value(QStringLiteral("delivered")).toInt(), 1);
        QVERIFY(c.waitForMessages(4));
        // State.
        QCOMPARE(h.http("GET", "/clients", {}, {}, &body), 200);
        QVERIFY(body.contains(id));
        QCOMPARE(h.http("GET", "/clients/" + id, {}, {}, &body), 200);
        QCOMPARE(json(body).value(QStringLiteral("id")).toString().toLatin1(), id);
        QCOMPARE(h.http("POST", "/join", "client_id=" + id + "&group=g1", {}, &body), 200);
        QCOMPARE(h.http("GET", "/groups", {}, {}, &body), 200);
        QVERIFY(body.contains("g1"));
        QCOMPARE(h.http("POST", "/leave", "client_id=" + id + "&group=g1", {}, &body), 200);
        // Errors.
        QCOMPARE(h.http("POST", "/send", "client_id=nope&message=x", {}, &body), 404);
        QCOMPARE(json(body).value(QStringLiteral("error")).toString(),
                 QStringLiteral("unknown_client"));
        QCOMPARE(h.http("GET", "/clients/nope", {}, {}, &body), 404);
        QCOMPARE(h.http("POST", "/send", "message=x", {}, &body), 400);
        QCOMPARE(h.http("GET", "/send", {}, {}, &body), 405);
        QCOMPARE(h.http("POST", "/nowhere", "x=1", {}, &body), 404);
        QCOMPARE(h.http("POST", "/close", "client_id=" + id + "&code=999", {}, &body), 400);
        QCOMPARE(h.http("GET", "/health", {}, {}, &body), 200);
        QCOMPARE(h.http("GET", "/metrics", {}, {}, &body), 200);
        QVERIFY(body.contains("wsgate_messages_in_total"));
        QVERIFY(body.contains("wsgate_php_request_duration_seconds_bucket"));
        QVERIFY(body.contains("wsgate_fastcgi_queue_depth"));
        // Garbage on the wire: the listener answers 400 and keeps serving.
        QTcpSocket garbage;
        garbage.connectToHost(QHostAddress::LocalHost, h.pushPort());
        QVERIFY(garbage.waitForConnected(5000));
        garbage.write("\x16\x03\x01\x02\x00 not http at all\r\n\r\n");
        QTRY_VERIFY(garbage.state() != QAbstractSocket::ConnectedState ||
                    garbage.bytesAvailable() > 0);
        QCOMPARE(h.http("GET", "/health", {}, {}, &body), 200);
        // /close passes code and reason through exactly.
        QCOMPARE(h.http("POST", "/close", "client_id=" + id + "&code=4321&reason=kicked%20out", {},
                        &body),
                 200);
        QVERIFY(c.waitForDisconnect());
        QCOMPARE(c.closeCode, 4321);
        QCOMPARE(c.closeReason, QStringLiteral("kicked out"));
        QTRY_COMPARE(h.http("POST", "/send", "client_id=" + id + "&message=x", {}, &body), 404);
    }

    void pushToken() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"), {"--push-token", "s3cret"});
        QByteArray body, head;
        QCOMPARE(h.http("POST", "/broadcast", "message=x", {}, &body, &head), 401);
        QVERIFY(head.contains("WWW-Authenticate: Bearer"));
        QCOMPARE(
            h.http("POST", "/broadcast", "message=x", {{"Authorization", "Bearer wrong"}}, &body),
            401);
        QCOMPARE(
            h.http("POST", "/broadcast", "message=x", {{"Authorization", "Bearer s3cret"}}, &body),
            200);
        QCOMPARE(h.http("GET", "/health", {}, {}, &body), 200);
        QCOMPARE(h.http("GET", "/metrics", {}, {}, &body), 401);
    }

    void pushApiUnderPrefixOnWebSocketPort() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"),
                             {"--push-token", "s3cret", "--push-prefix", "/_wsgate/"});
        TestClient c;
        QVERIFY(c.open(h.wsUrl()));
        c.socket.sendTextMessage(QStringLiteral("whoami"));
        QVERIFY(c.waitForMessages(1));
        const QByteArray id =
            json(c.messages.at(0)).value(QStringLiteral("id")).toString().toLatin1();
        const auto request = [](const QByteArray &method, const QByteArray &path,
                                const QByteArray &body, const QByteArray &token) {
            QByteArray r = method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
            if (!token.isEmpty())
                r += "Authorization: Bearer " + token + "\r\n";
            if (!body.isEmpty())
                r += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                     QByteArray::number(body.size()) + "\r\n";
            return r + "Connection: close\r\n\r\n" + body;
        };
        // With the token, the whole API answers below the prefix, on the WebSocket port.
        const QByteArray sent = h.rawWs(request(
            "POST", "/_wsgate/send", "client_id=" + id + "&message=via%20ws%20port", "s3cret"));
        QCOMPARE(statusOf(sent), 200);
        QVERIFY(c.waitForMessages(2));
        QCOMPARE(c.messages.at(1), QByteArray("via ws port"));
        QCOMPARE(statusOf(h.rawWs(request("GET", "/_wsgate/clients/" + id, {}, "s3cret"))), 200);
        QCOMPARE(statusOf(h.rawWs(request("GET", "/_wsgate/nowhere", {}, "s3cret"))), 404);
        // Without it, nothing but 401; outside the prefix, the gateway's own answers.
        const QByteArray refused = h.rawWs(request("POST", "/_wsgate/broadcast", "message=x", {}));
        QCOMPARE(statusOf(refused), 401);
        QVERIFY(refused.contains("WWW-Authenticate: Bearer"));
        QCOMPARE(statusOf(h.rawWs(request("GET", "/_wsgate", {}, "s3cret"))), 404);
        QCOMPARE(statusOf(h.rawWs(request("GET", "/ws", {}, {}))), 426);
        QCOMPARE(c.messages.size(), 2);
        // The WebSocket endpoint is untouched.
        c.socket.sendTextMessage(QStringLiteral("still here"));
        QVERIFY(c.waitForMessages(3));
        // /metrics on either listener names each family once (Prometheus refuses a scrape
        // that repeats one), with both listeners' requests added up.
        QByteArray onPushPort;
        QCOMPARE(h.http("GET", "/metrics", {}, {{"Authorization", "Bearer s3cret"}}, &onPushPort),
                 200);
        const QByteArray onWsPort = h.rawWs(request("GET", "/_wsgate/metrics", {}, "s3cret"));
        QCOMPARE(statusOf(onWsPort), 200);
        for (const QByteArray &text : {onPushPort, onWsPort}) {
            QSet<QByteArray> families;
            for (const QByteArray &line : text.split('\n')) {
                if (!line.startsWith("# TYPE "))
                    continue;
                const QByteArray name = line.split(' ').value(2);
                QVERIFY2(!families.contains(name), name.constData());
                families.insert(name);
            }
            QVERIFY(families.contains("wsgate_push_requests_total"));
            QVERIFY(families.contains("wsgate_admin_requests_total"));
        }
        QVERIFY(
            onPushPort.contains("wsgate_push_requests_total{route=\"/send\",status=\"200\"} 1\n"));
    }

    void pushPrefixAloneGivesPhpItsUrl() {
        // One port only: no push listener, the API below the prefix; PHP learns where it is.
        GatewayHarness h;
        WSGATE_START_GATEWAY(
            h, QStringLiteral("gw.php"),
            {"--push-listen", "off", "--push-token", "s3cret", "--push-prefix", "/_wsgate"});
        TestClient c;
        QVERIFY(c.open(h.wsUrl()));
        c.socket.sendTextMessage(QStringLiteral("params"));
        QVERIFY(c.waitForMessages(1));
        const QJsonObject server =
            json(c.messages.at(0)).value(QStringLiteral("server")).toObject();
        QCOMPARE(server.value(QStringLiteral("WS_PUSH_URL")).toString(),
                 QStringLiteral("http://127.0.0.1:%1/_wsgate").arg(h.wsPort()));
        QCOMPARE(server.value(QStringLiteral("WS_PUSH_TOKEN")).toString(),
                 QStringLiteral("s3cret"));
        const QByteArray body = "message=to%20all";
        const QByteArray broadcast =
            h.rawWs("POST /_wsgate/broadcast HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                    "s3cret\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    "Content-Length: " +
                    QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
        QCOMPARE(statusOf(broadcast), 200);
        QVERIFY(c.waitForMessages(2));
        QCOMPARE(c.messages.at(1), QByteArray("to all"));
    }

    void aTakenPortIsNamedWithItsOption() {
        QTcpServer taken;
        QVERIFY(taken.listen(QHostAddress::LocalHost));
        const QString address = QStringLiteral("127.0.0.1:%1").arg(taken.serverPort());
        const ConfigurationResult parsed = ConfigurationParser::parse(
            {"--script", "/x.php", "--listen", address, "--push-listen", "off"});
        QCOMPARE(parsed.action, ConfigurationResult::Action::Run);
        Engine engine(parsed.config);
        QString error;
        QVERIFY(!engine.start(&error));
        QVERIFY2(error.startsWith(QStringLiteral("--listen %1: ").arg(address)), qPrintable(error));
    }

    void programDefaultsYieldToFlagsAndFiles() {
        // wsgated starts from its own defaults (no traffic log); a flag or a file still wins.
        Configuration headless;
        headless.trafficLogEntries = 0;
        ConfigurationResult r = ConfigurationParser::parse({"--script", "/x.php"}, headless);
        QCOMPARE(r.action, ConfigurationResult::Action::Run);
        QCOMPARE(r.config.trafficLogEntries, 0);
        r = ConfigurationParser::parse({"--script", "/x.php", "--traffic-log", "500"}, headless);
        QCOMPARE(r.config.trafficLogEntries, 500);
        QTemporaryDir dir;
        QFile file(dir.filePath(QStringLiteral("wsgated.json")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(R"({"script": "/x.php", "traffic-log": 700})");
        file.close();
        r = ConfigurationParser::parse({"--config", file.fileName()}, headless);
        QCOMPARE(r.action, ConfigurationResult::Action::Run);
        QCOMPARE(r.config.trafficLogEntries, 700);
        QCOMPARE(ConfigurationParser::parse({"--script", "/x.php"}).config.trafficLogEntries,
                 10000); // the console's default
    }

    void pushPrefixNeedsTokenAndOwnPath() {
        ConfigurationResult r =
            ConfigurationParser::parse({"--script", "/x.php", "--push-prefix", "/_wsgate"});
        QCOMPARE(r.action, ConfigurationResult::Action::Error);
        QVERIFY2(r.message.contains(QStringLiteral("--push-token")), qPrintable(r.message));
        r = ConfigurationParser::parse(
            {"--script", "/x.php", "--push-prefix", "/", "--push-token", "t"});
        QCOMPARE(r.action, ConfigurationResult::Action::Error);
        r = ConfigurationParser::parse({"--script", "/x.php", "--path", "/api/ws", "--push-prefix",
                                        "/api", "--push-token", "t"});
        QCOMPARE(r.action, ConfigurationResult::Action::Error);
        QVERIFY2(r.message.contains(QStringLiteral("/api/ws")), qPrintable(r.message));
        r = ConfigurationParser::parse(
            {"--script", "/x.php", "--push-prefix", "/_wsgate/", "--push-token", "t"});
        QCOMPARE(r.action, ConfigurationResult::Action::Run);
        QCOMPARE(r.config.pushPrefix, QStringLiteral("/_wsgate"));
    }

    void refusesPublicPushWithoutToken() {
        const ConfigurationResult r =
            ConfigurationParser::parse({"--script", "/x.php", "--push-listen", "0.0.0.0:8081"});
        QCOMPARE(r.action, ConfigurationResult::Action::Error);
        QVERIFY(r.message.contains(QStringLiteral("--push-token")));
    }

    void origins() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"),
                             {"--allowed-origins", "https://app.example"});
        QCOMPARE(statusOf(h.rawWs(upgradeRequest("/ws", "Origin: https://evil.example\r\n"))), 403);
        QCOMPARE(statusOf(h.rawWs(upgradeRequest("/ws", "Origin: https://app.example\r\n"))), 101);
        QCOMPARE(statusOf(h.rawWs(upgradeRequest("/ws"))), 101); // non-browser clients send none
        QCOMPARE(h.engine()->metrics()->clientErrors[Metrics::OriginRefused].load(), 1);
    }

    void maxConnections() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"), {"--max-connections", "2"});
        TestClient a, b;
        QVERIFY(a.open(h.wsUrl()));
        QVERIFY(b.open(h.wsUrl()));
        QCOMPARE(statusOf(h.rawWs(upgradeRequest("/ws"))), 503);
        QCOMPARE(h.engine()->metrics()->clientErrors[Metrics::TooManyConnections].load(), 1);
        b.socket.close();
        QVERIFY(b.waitForDisconnect());
        QTRY_COMPARE(h.engine()->metrics()->connectionsCurrent.load(), 1);
        TestClient c;
        QVERIFY(c.open(h.wsUrl()));
    }

    void plainHttpOnWebSocketPort() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"));
        QCOMPARE(statusOf(h.rawWs("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")), 426);
        QCOMPARE(statusOf(h.rawWs("GET /other HTTP/1.1\r\nHost: x\r\n\r\n")), 404);
        QCOMPARE(statusOf(h.rawWs(upgradeRequest("/elsewhere"))), 404);
        QCOMPARE(statusOf(h.rawWs("garbage\r\n\r\n")), 400);
    }

    void slowClientBackpressure_data() {
        QTest::addColumn<QString>("policy");
        QTest::newRow("reject: 503 client_buffer_full") << QStringLiteral("reject");
        QTest::newRow("close: 1008") << QStringLiteral("close");
    }

    void slowClientBackpressure() {
        QFETCH(QString, policy);
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"),
                             {"--send-buffer", "256K", "--backpressure", policy});
        // A raw client that completes the handshake and then never reads.
        QTcpSocket slow;
        slow.setReadBufferSize(
            1024); // Qt stops reading from the kernel: the peer sees a full window
        slow.connectToHost(QHostAddress::LocalHost, h.wsPort());
        QVERIFY(slow.waitForConnected(5000));
        slow.write(upgradeRequest("/ws"));
        QTRY_VERIFY(h.engine()->metrics()->connectionsCurrent.load() == 1);
        QByteArray body;
        QCOMPARE(h.http("GET", "/clients", {}, {}, &body), 200);
        const QByteArray id = json(body)
                                  .value(QStringLiteral("clients"))
                                  .toArray()
                                  .at(0)
                                  .toObject()
                                  .value(QStringLiteral("id"))
                                  .toString()
                                  .toLatin1();
        QVERIFY(!id.isEmpty());
        const QByteArray chunk = "client_id=" + id + "&message=" + QByteArray(64 * 1024, 'x');
        int status = 200;
        int sent = 0;
        for (; sent < 2000 && status == 200; ++sent)
            status = h.http("POST", "/send", chunk, {}, &body);
        // Bounded: the push was refused long before 2000 × 64 KiB were queued.
        QVERIFY2(sent < 2000, "the send buffer grew without bound");
        if (policy == QLatin1String("reject")) {
            QCOMPARE(status, 503);
            QCOMPARE(json(body).value(QStringLiteral("error")).toString(),
                     QStringLiteral("client_buffer_full"));
            QVERIFY(h.engine()->metrics()->clientErrors[Metrics::BufferFull].load() >= 1);
        } else {
            QVERIFY(h.engine()->metrics()->clientErrors[Metrics::SlowConsumerClosed].load() >= 1);
            QTRY_COMPARE(h.engine()->metrics()->connectionsCurrent.load(), 0);
        }
        // Other clients are unaffected.
        TestClient other;
        QVERIFY(other.open(h.wsUrl()));
        other.socket.sendTextMessage(QStringLiteral("ok?"));
        QVERIFY(other.waitForMessages(1));
    }
};

WSGATE_TEST_MAIN(TestGatewayEvents)
#include "tst_gatewayevents.moc"
