// The gateway end to end against a real php-fpm: messages, params, limits, failures.

#include "gatewayharness.h"

#include "gateway/gateway.h"
#include "observe/metrics.h"
#include "observe/trafficlog.h"
#include "testmain.h"

#include <QDeadlineTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTcpServer>
#include <QTest>

#include <memory>
#ifdef Q_OS_UNIX
#include <csignal>
#endif
#include <vector>

class TestGateway : public QObject {
    Q_OBJECT

private:
    static QJsonObject json(const QByteArray &bytes) {
        return QJsonDocument::fromJson(bytes).object();
    }

private Q_SLOTS:
    void echoText() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"));
        TestClient c;
        QVERIFY(c.open(h.wsUrl()));
        c.socket.sendTextMessage(QStringLiteral("héllo wörld"));
        QVERIFY(c.waitForMessages(1));
        QCOMPARE(c.messages.at(0), QStringLiteral("héllo wörld").toUtf8());
        QCOMPARE(c.binary.at(0), false);
    }

    void trafficLogDisabled() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"), QStringList{"--traffic-log", "0"});
        QVERIFY(!h.engine()->trafficLog()->enabled());
        TestClient c;
        QVERIFY(c.open(h.wsUrl()));
        c.socket.sendTextMessage(QStringLiteral("one"));
        c.socket.sendTextMessage(QStringLiteral("two"));
        QVERIFY(c.waitForMessages(2));
        QCOMPARE(c.messages, QList<QByteArray>({"one", "two"}));
        QCOMPARE(h.engine()->metrics()->messagesIn.load(), 2);
        QCOMPARE(h.engine()->trafficLog()->lastId(), quint64(0));
        QCOMPARE(h.engine()->trafficLog()->entriesSince(0).size(), 0);
    }

    void loggedExchangeHasEveryParam() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"));
        TestClient c;
        QNetworkRequest request(QUrl(h.wsUrl(QStringLiteral("/ws?room=7"))));
        request.setRawHeader("X-Custom", "custom-value");
        QVERIFY(c.open(request));
        c.socket.sendTextMessage(QStringLiteral("params"));
        QVERIFY(c.waitForMessages(1));
        std::shared_ptr<const PhpExchange> exchange;
        QTRY_VERIFY([&] {
            for (const TrafficEntry &e : h.engine()->trafficLog()->entriesSince(0)) {
                if (e.kind == TrafficEntry::Kind::Php && e.php)
                    exchange = e.php;
            }
            return exchange != nullptr;
        }());
        const auto params = exchange->params();
        const auto value = [&params](const QByteArray &name) {
            int found = 0;
            QByteArray v;
            for (const auto &p : params) {
                if (p.first == name) {
                    ++found;
                    v = p.second;
                }
            }
            return found == 1 ? v : QByteArray("<missing or repeated>");
        };
        // The connection's params (encoded once at connect) come first, then the message's.
        QCOMPARE(params.first().first, QByteArray("GATEWAY_INTERFACE"));
        QCOMPARE(value("QUERY_STRING"), QByteArray("room=7"));
        QCOMPARE(value("HTTP_X_CUSTOM"), QByteArray("custom-value"));
        QCOMPARE(value("WS_EVENT"), QByteArray("message"));
        QCOMPARE(value("WS_MESSAGE_TYPE"), QByteArray("text"));
        QCOMPARE(value("CONTENT_LENGTH"), QByteArray("6"));
        QCOMPARE(params.last().first, QByteArray("WS_MESSAGE_TYPE"));
        int contentTypes = 0;
        for (const auto &header : exchange->responseHeaders)
            contentTypes += header.first.compare("Content-Type", Qt::CaseInsensitive) == 0;
        QCOMPARE(contentTypes, 1);
    }

    void clientCloseCompletes() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"));
        TestClient c;
        QVERIFY(c.open(h.wsUrl()));
        c.socket.sendTextMessage(QStringLiteral("x"));
        QVERIFY(c.waitForMessages(1));
        c.socket.close(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("done"));
        QVERIFY(c.waitForDisconnect(5000));
        QTRY_COMPARE(h.engine()->metrics()->connectionsCurrent.load(), 0);
    }

    void echoBinary() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"));
        TestClient c;
        QVERIFY(c.open(h.wsUrl()));
        QByteArray payload;
        for (int i = 0; i < 256; ++i)
            payload += char(i);
        c.socket.sendBinaryMessage(payload);
        QVERIFY(c.waitForMessages(1));
        QCOMPARE(c.messages.at(0), payload);
        QCOMPARE(c.binary.at(0), true);
    }

    void bigMessages_data() {
        QTest::addColumn<int>("size");
        QTest::newRow("1 MiB") << (1 << 20);
        QTest::newRow("16 MiB, exactly the limit") << (16 << 20);
    }

    void bigMessages() {
        QFETCH(int, size);
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"));
        TestClient c;
        QVERIFY(c.open(h.wsUrl()));
        QByteArray payload(size, 'x');
        for (int i = 0; i < size; i += 4096)
            payload[i] = char('a' + (i / 4096) % 26);
        c.socket.sendBinaryMessage(payload);
        QVERIFY(c.waitForMessages(1, 60000));
        QCOMPARE(c.messages.at(0).size(), size);
        QVERIFY(c.messages.at(0) == payload);
    }

    void overLimitClosesWith1009() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"), QStringList{"--max-message", "1024"});
        TestClient c;
        QVERIFY(c.open(h.wsUrl()));
        c.socket.sendBinaryMessage(QByteArray(1024, 'a')); // exactly the limit: passes
        QVERIFY(c.waitForMessages(1));
        c.socket.sendBinaryMessage(QByteArray(1025, 'a'));
        QVERIFY(c.waitForDisconnect());
        QCOMPARE(c.closeCode, 1009);
        QCOMPARE(c.messages.size(), 1);
        // Other clients are unaffected.
        TestClient other;
        QVERIFY(other.open(h.wsUrl()));
        other.socket.sendTextMessage(QStringLiteral("still here"));
        QVERIFY(other.waitForMessages(1));
    }

    void pipelinedInOrder() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"));
        TestClient c;
        QVERIFY(c.open(h.wsUrl()));
        for (int i = 0; i < 50; ++i)
            c.socket.sendTextMessage(QStringLiteral("seq:%1").arg(i));
        QVERIFY(c.waitForMessages(50, 30000));
        for (int i = 0; i < 50; ++i)
            QCOMPARE(c.messages.at(i), QStringLiteral("seq:%1").arg(i).toUtf8());
    }

    void concurrentClients() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"), QStringList{"--fastcgi-pool", "6"});
        std::vector<std::unique_ptr<TestClient>> clients;
        for (int i = 0; i < 64; ++i) {
            clients.push_back(std::make_unique<TestClient>());
            QVERIFY(clients.back()->open(h.wsUrl()));
        }
        for (int round = 0; round < 3; ++round) {
            for (int i = 0; i < 64; ++i)
                clients[size_t(i)]->socket.sendTextMessage(
                    QStringLiteral("c%1r%2").arg(i).arg(round));
        }
        for (int i = 0; i < 64; ++i) {
            QVERIFY(clients[size_t(i)]->waitForMessages(3, 30000));
            for (int round = 0; round < 3; ++round)
                QCOMPARE(clients[size_t(i)]->messages.at(round),
                         QStringLiteral("c%1r%2").arg(i).arg(round).toUtf8());
        }
        QCOMPARE(h.engine()->metrics()->connectionsCurrent.load(), 64);
        QVERIFY(h.engine()->gateway()->snapshot() == nullptr ||
                h.engine()->gateway()->snapshot()->pool.maxConnections == 6);
    }

    void paramsReachPhp() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"));
        TestClient c;
        QNetworkRequest request(QUrl(h.wsUrl(QStringLiteral("/ws?room=blue&n=2"))));
        request.setRawHeader("Cookie", "PHPSESSID=abc123; theme=dark");
        request.setRawHeader("Proxy", "http://evil.example:666");
        request.setRawHeader("X_Sneaky", "underscore");
        request.setRawHeader("X-Custom", "value");
        request.setRawHeader("Origin", "http://app.example");
        QVERIFY(c.open(request));
        c.socket.sendTextMessage(QStringLiteral("params"));
        QVERIFY(c.waitForMessages(1));
        const QJsonObject o = json(c.messages.at(0));
        const QJsonObject server = o.value(QStringLiteral("server")).toObject();
        const QJsonObject get = o.value(QStringLiteral("get")).toObject();
        const QJsonObject cookie = o.value(QStringLiteral("cookie")).toObject();
        const QJsonObject headers = o.value(QStringLiteral("headers")).toObject();
        QCOMPARE(get.value(QStringLiteral("room")).toString(), QStringLiteral("blue"));
        QCOMPARE(get.value(QStringLiteral("n")).toString(), QStringLiteral("2"));
        QCOMPARE(cookie.value(QStringLiteral("PHPSESSID")).toString(), QStringLiteral("abc123"));
        QCOMPARE(cookie.value(QStringLiteral("theme")).toString(), QStringLiteral("dark"));
        QCOMPARE(server.value(QStringLiteral("REQUEST_URI")).toString(),
                 QStringLiteral("/ws?room=blue&n=2"));
        QCOMPARE(server.value(QStringLiteral("QUERY_STRING")).toString(),
                 QStringLiteral("room=blue&n=2"));
        QCOMPARE(server.value(QStringLiteral("REQUEST_METHOD")).toString(), QStringLiteral("POST"));
        QCOMPARE(server.value(QStringLiteral("WS_EVENT")).toString(), QStringLiteral("message"));
        QCOMPARE(server.value(QStringLiteral("WS_MESSAGE_TYPE")).toString(),
                 QStringLiteral("text"));
        QCOMPARE(server.value(QStringLiteral("HTTP_X_CUSTOM")).toString(), QStringLiteral("value"));
        QCOMPARE(server.value(QStringLiteral("HTTP_ORIGIN")).toString(),
                 QStringLiteral("http://app.example"));
        QCOMPARE(server.value(QStringLiteral("REMOTE_ADDR")).toString(),
                 QStringLiteral("127.0.0.1"));
        QCOMPARE(server.value(QStringLiteral("CONTENT_TYPE")).toString(),
                 QStringLiteral("text/plain; charset=utf-8"));
        const QString id = server.value(QStringLiteral("WS_CLIENT_ID")).toString();
        QCOMPARE(id.size(), 32); // 128 random bits, hex
        // httpoxy: PHP hides HTTP_PROXY from $_SERVER by itself, so read the raw params.
        QVERIFY(!headers.contains(QStringLiteral("Proxy")));
        QVERIFY(!server.contains(QStringLiteral("HTTP_PROXY")));
        QVERIFY(!server.contains(QStringLiteral("HTTP_X_SNEAKY")));
        QVERIFY(!server.contains(QStringLiteral("HTTP_CONNECTION")));
        QVERIFY(!server.contains(QStringLiteral("HTTP_UPGRADE")));

        TestClient second;
        QVERIFY(second.open(h.wsUrl()));
        second.socket.sendTextMessage(QStringLiteral("whoami"));
        QVERIFY(second.waitForMessages(1));
        QVERIFY(json(second.messages.at(0)).value(QStringLiteral("id")).toString() != id);
    }

    void formModeFillsPost() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"), QStringList{"--mode", "form"});
        TestClient c;
        QVERIFY(c.open(h.wsUrl()));
        c.socket.sendTextMessage(QStringLiteral("params"));
        QVERIFY(c.waitForMessages(1));
        const QJsonObject post = json(c.messages.at(0)).value(QStringLiteral("post")).toObject();
        QCOMPARE(post.value(QStringLiteral("type")).toString(), QStringLiteral("server"));
        QCOMPARE(post.value(QStringLiteral("message")).toString(), QStringLiteral("params"));
        QCOMPARE(post.value(QStringLiteral("client_id")).toString().size(), 32);
        // Characters that would break an unencoded form body arrive intact.
        c.socket.sendTextMessage(QStringLiteral("a&b=c%d+e f"));
        QVERIFY(c.waitForMessages(2));
        QCOMPARE(c.messages.at(1), QByteArray("a&b=c%d+e f"));
    }

    void stderrNeverLeaks() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"));
        TestClient c;
        QVERIFY(c.open(h.wsUrl()));
        c.socket.sendTextMessage(QStringLiteral("stderr:secret-diagnostic"));
        QVERIFY(c.waitForMessages(1));
        QCOMPARE(c.messages.at(0), QByteArray("ok"));
        // The STDERR lines are in the traffic log, beside the request.
        const auto entries = h.engine()->trafficLog()->entriesSince(0);
        bool found = false;
        for (const TrafficEntry &e : entries) {
            if (e.php && e.php->stderrData.contains("secret-diagnostic"))
                found = true;
        }
        QVERIFY(found);
    }

    void phpStatusError() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"));
        TestClient c;
        QVERIFY(c.open(h.wsUrl()));
        c.socket.sendTextMessage(QStringLiteral("status:500"));
        QVERIFY(c.waitForMessages(1));
        const QJsonObject o = json(c.messages.at(0));
        QCOMPARE(o.value(QStringLiteral("error")).toString(), QStringLiteral("php_status"));
        QCOMPARE(o.value(QStringLiteral("status")).toInt(), 500);
        QCOMPARE(h.engine()->metrics()->phpResults[Metrics::PhpStatusError].load(), 1);
        // The connection stays up.
        c.socket.sendTextMessage(QStringLiteral("after"));
        QVERIFY(c.waitForMessages(2));
        QCOMPARE(c.messages.at(1), QByteArray("after"));
    }

    void closePolicy_data() {
        QTest::addColumn<QString>("message");
        QTest::addColumn<int>("code");
        QTest::newRow("PHP 500 closes with 1011") << QStringLiteral("status:500") << 1011;
    }

    void closePolicy() {
        QFETCH(QString, message);
        QFETCH(int, code);
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"), QStringList{"--on-php-error", "close"});
        TestClient c;
        QVERIFY(c.open(h.wsUrl()));
        c.socket.sendTextMessage(message);
        QVERIFY(c.waitForDisconnect());
        QCOMPARE(c.closeCode, code);
    }

    void emptyBodySendsNothing() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"));
        TestClient c;
        QVERIFY(c.open(h.wsUrl()));
        c.socket.sendTextMessage(QStringLiteral("empty"));
        c.socket.sendTextMessage(QStringLiteral("marker"));
        QVERIFY(c.waitForMessages(1));
        QCOMPARE(c.messages.at(0), QByteArray("marker"));
        QCOMPARE(c.messages.size(), 1);
    }

    void timeoutTellsClient() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"), QStringList{"--fastcgi-timeout", "300"});
        TestClient c;
        QVERIFY(c.open(h.wsUrl()));
        c.socket.sendTextMessage(QStringLiteral("sleep:2000"));
        QVERIFY(c.waitForMessages(1));
        QCOMPARE(json(c.messages.at(0)).value(QStringLiteral("error")).toString(),
                 QStringLiteral("php_timeout"));
        QCOMPARE(h.engine()->metrics()->phpResults[Metrics::PhpTimeout].load(), 1);
    }

    void fpmStoppedAndRestarted() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"));
        TestClient c;
        QVERIFY(c.open(h.wsUrl()));
        c.socket.sendTextMessage(QStringLiteral("one"));
        QVERIFY(c.waitForMessages(1));
        h.fpm().stop();
        c.socket.sendTextMessage(QStringLiteral("two"));
        QVERIFY(c.waitForMessages(2));
        QCOMPARE(json(c.messages.at(1)).value(QStringLiteral("error")).toString(),
                 QStringLiteral("php_unavailable"));
        QVERIFY(c.socket.state() == QAbstractSocket::ConnectedState);
        QVERIFY(h.fpm().start());
        c.socket.sendTextMessage(QStringLiteral("three"));
        QVERIFY(c.waitForMessages(3));
        QCOMPARE(c.messages.at(2), QByteArray("three"));
        QVERIFY(h.engine()->metrics()->phpResults[Metrics::PhpUnavailable].load() >= 1);
    }

    void clientVanishesMidRequest() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"));
        {
            TestClient c;
            QVERIFY(c.open(h.wsUrl()));
            c.socket.sendTextMessage(QStringLiteral("sleep:300"));
            QTRY_COMPARE_WITH_TIMEOUT(h.engine()->metrics()->messagesIn.load(), 1, 5000);
            c.socket.abort();
        }
        QTRY_COMPARE_WITH_TIMEOUT(
            h.engine()->metrics()->clientErrors[Metrics::VanishedMidRequest].load(), 1, 5000);
        TestClient other;
        QVERIFY(other.open(h.wsUrl()));
        other.socket.sendTextMessage(QStringLiteral("fine"));
        QVERIFY(other.waitForMessages(1));
    }

    void queueLimitCloses1008() {
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"), QStringList{"--queue-limit", "3"});
        TestClient c;
        QVERIFY(c.open(h.wsUrl()));
        c.socket.sendTextMessage(QStringLiteral("sleep:500"));
        for (int i = 0; i < 10; ++i)
            c.socket.sendTextMessage(QStringLiteral("x"));
        QVERIFY(c.waitForDisconnect());
        QCOMPARE(c.closeCode, 1008);
        QCOMPARE(h.engine()->metrics()->clientErrors[Metrics::QueueFull].load(), 1);
    }

    void wsgatedGracefulShutdown() {
#ifndef Q_OS_UNIX
        QSKIP("signals are POSIX");
#else
        PhpFpmFixture fpm;
        WSGATE_START_PHP_FPM(fpm);
        const QString binary = QStringLiteral(WSGATE_BUILD_DIR "/app/wsgated");
        QVERIFY2(QFile::exists(binary), qPrintable(binary));
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const quint16 port = probe.serverPort();
        probe.close();
        QProcess gw;
        gw.setProcessChannelMode(QProcess::ForwardedChannels);
        gw.start(binary,
                 {QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port),
                  QStringLiteral("--push-listen"), QStringLiteral("off"),
                  QStringLiteral("--fastcgi"), fpm.fastcgiAddress(), QStringLiteral("--script"),
                  PhpFpmFixture::script(QStringLiteral("gw.php"))});
        QVERIFY(gw.waitForStarted());
        TestClient c;
        QDeadlineTimer deadline(10000); // wsgated needs a moment to listen
        while (!c.open(QStringLiteral("ws://127.0.0.1:%1/ws").arg(port), 500) &&
               !deadline.hasExpired())
            QTest::qWait(50);
        QVERIFY(c.socket.state() == QAbstractSocket::ConnectedState);
        c.socket.sendTextMessage(QStringLiteral("sleep:700"));
        QTest::qWait(200); // let the request reach PHP before the signal
        ::kill(pid_t(gw.processId()), SIGTERM);
        QVERIFY(c.waitForMessages(1));
        QCOMPARE(c.messages.at(0), QByteArray("slept 700"));
        QVERIFY(c.waitForDisconnect());
        QCOMPARE(c.closeCode, 1001);
        if (gw.state() != QProcess::NotRunning) // it may have exited while we waited above
            QVERIFY(gw.waitForFinished(10000));
        QCOMPARE(gw.exitStatus(), QProcess::NormalExit);
        QCOMPARE(gw.exitCode(), 0);
#endif
    }
};

WSGATE_TEST_MAIN(TestGateway)
#include "tst_gateway.moc"
