// The admin API of a real wsgated (QProcess) in front of a real php-fpm: what a console
// attached from elsewhere reads and does.

#include "../core/pushtestsupport.h"
#include "gateway/gatewaysnapshot.h"
#include "gatewayharness.h"
#include "http/adminapi.h"
#include "phpfpmfixture.h"
#include "testcertificate.h"
#include "testmain.h"
#include "wsgatedprocess.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QNetworkRequest>
#include <QSslCertificate>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QUrl>

#include <algorithm>

#ifdef Q_OS_UNIX
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

using namespace pushtest;

namespace {

const QByteArray kToken = "admin-it-push-token-7f3a";
const QByteArray kReadToken = "admin-it-read-token-91c2";
const QByteArray kCookieValue = "cookievalue4242";
const QByteArray kCredential = "clientcredential5353";

QByteArray get(const QByteArray &target, const QByteArray &token = kToken) {
    return request("GET", target, {}, {}, "Authorization: Bearer " + token + "\r\n");
}

QList<QJsonObject> lines(const QByteArray &body) {
    QList<QJsonObject> out;
    for (const QByteArray &line : body.split('\n')) {
        if (!line.isEmpty())
            out.append(QJsonDocument::fromJson(line).object());
    }
    return out;
}

QByteArray unbase64(const QJsonValue &v) {
    return QByteArray::fromBase64(v.toString().toLatin1());
}

QString param(const QJsonObject &php, const char *name) {
    for (const QJsonValue &pair : php.value("params").toArray()) {
        if (pair.toArray().at(0).toString() == QLatin1String(name))
            return pair.toArray().at(1).toString();
    }
    return QStringLiteral("<absent>");
}

/// A wsgated process (WsgatedProcess) serving gw.php, and the admin calls the tests make.
class Daemon final {
public:
    bool start(const QString &fastcgi, const QStringList &extra, QString *error) {
        return m_process.start(QStringList{QStringLiteral("--fastcgi"), fastcgi,
                                           QStringLiteral("--script"),
                                           PhpFpmFixture::script(QStringLiteral("gw.php"))} +
                                   extra,
                               error);
    }
    void stop() { m_process.stop(); }
    void useTls(const QList<QSslCertificate> &ca) {
        m_tls = true;
        m_ca = ca;
        m_process.setTls(true);
    }

    Reply plainCall(const QByteArray &bytes, int timeoutMs = 10000) const {
        Client c(pushPort());
        if (!c.connected())
            return {};
        c.send(bytes);
        return c.reply(false, timeoutMs).value_or(Reply{});
    }
    Reply tlsCall(const QByteArray &bytes, int timeoutMs = 10000) const {
        QSslSocket s;
        QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
        conf.setCaCertificates(m_ca);
        s.setSslConfiguration(conf);
        s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), pushPort());
        if (!s.waitForEncrypted(timeoutMs))
            return {};
        s.write(bytes);
        QByteArray buffer;
        std::optional<Reply> r;
        (void)QTest::qWaitFor(
            [&] {
                buffer += s.readAll();
                r = takeReply(buffer, false);
                return r.has_value();
            },
            timeoutMs);
        return r.value_or(Reply{});
    }
    Reply call(const QByteArray &bytes, int timeoutMs = 10000) const {
        return m_tls ? tlsCall(bytes, timeoutMs) : plainCall(bytes, timeoutMs);
    }
    /// Reads the traffic log from `since` until `done` holds for what was read (or 15 s).
    QList<QJsonObject> readUntil(quint64 since,
                                 const std::function<bool(const QList<QJsonObject> &)> &done,
                                 const QByteArray &token = kReadToken) const {
        QList<QJsonObject> all;
        QDeadlineTimer deadline(15000);
        while (!deadline.hasExpired()) {
            const Reply r =
                call(get("/admin/traffic?since=" + QByteArray::number(since) + "&wait=2", token));
            if (r.status != 200)
                return all;
            all += lines(r.body);
            since = r.header("X-WsGate-Next-Since").toULongLong();
            if (done(all))
                break;
        }
        return all;
    }
    QString wsUrl() const { return m_process.wsUrl(); }
    quint16 pushPort() const { return m_process.pushPort(); }

private:
    WsgatedProcess m_process;
    bool m_tls = false;
    QList<QSslCertificate> m_ca;
};

QStringList adminFlags() {
    return {QStringLiteral("--push-token"),       QString::fromLatin1(kToken),
            QStringLiteral("--admin-read-token"), QString::fromLatin1(kReadToken),
            QStringLiteral("--traffic-log"),      QStringLiteral("2000")};
}

bool opens(TestClient &client, const QString &url) {
    QNetworkRequest request{QUrl(url)};
    request.setRawHeader("Cookie", "sid=" + kCookieValue + "; theme=dark");
    request.setRawHeader("Authorization", "Bearer " + kCredential);
    return client.open(request);
}

} // namespace

class TestAdminApiWsgated final : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase() { m_fpm.stop(); }

    void trafficSnapshotConfigAndReplay();
    void fpmCountersAndCluster();
    void noTrafficLogSaysHow();
    void restartChangesTheInstance();
    void stalledReaderIsCutOthersServed();
    void overTls();

private:
    PhpFpmFixture m_fpm;
};

void TestAdminApiWsgated::initTestCase() {
    WSGATE_START_PHP_FPM(m_fpm);
}

void TestAdminApiWsgated::trafficSnapshotConfigAndReplay() {
    Daemon d;
    QString error;
    QVERIFY2(d.start(m_fpm.fastcgiAddress(), adminFlags(), &error), qPrintable(error));

    TestClient client;
    QVERIFY(opens(client, d.wsUrl()));
    client.socket.sendTextMessage(QStringLiteral("stderr:admin-stderr-line"));
    QVERIFY(client.waitForMessages(1));
    QCOMPARE(client.messages.at(0), QByteArray("ok"));

    // The open, the message, the PHP exchange with params and STDERR, the reply.
    const auto hasPhpWithStderr = [](const QList<QJsonObject> &all) {
        for (const QJsonObject &e : all) {
            if (e.value("kind") == QLatin1String("php") &&
                unbase64(e.value("php").toObject().value("stderr")).contains("admin-stderr-line"))
                return true;
        }
        return false;
    };
    const QList<QJsonObject> all = d.readUntil(0, hasPhpWithStderr);
    QVERIFY2(hasPhpWithStderr(all), "the exchange is in the log");
    QStringList kinds;
    QJsonObject php;
    for (const QJsonObject &e : all) {
        kinds << e.value("kind").toString();
        if (e.value("kind") == QLatin1String("php"))
            php = e;
    }
    QVERIFY2(kinds.contains("open") && kinds.contains("message") && kinds.contains("reply"),
             qPrintable(kinds.join(',')));
    const QByteArray clientId = php.value("client").toString().toLatin1();
    QCOMPARE(clientId.size(), 32);
    const QJsonObject x = php.value("php").toObject();
    QCOMPARE(param(x, "WS_EVENT"), QStringLiteral("message"));
    QCOMPARE(param(x, "WS_CLIENT_ID"), QString::fromLatin1(clientId));
    QCOMPARE(param(x, "WS_PUSH_TOKEN"), QStringLiteral("********"));
    QCOMPARE(param(x, "HTTP_AUTHORIZATION"), QStringLiteral("Bearer ********"));
    QCOMPARE(param(x, "HTTP_COOKIE"), QStringLiteral("sid=********; theme=********"));
    QCOMPARE(unbase64(x.value("request_body")), QByteArray("stderr:admin-stderr-line"));
    QCOMPARE(unbase64(x.value("response_body")), QByteArray("ok"));
    QCOMPARE(x.value("status").toInt(), 200);
    QCOMPARE(x.value("outcome").toString(), QStringLiteral("ok"));
    QVERIFY(x.value("php_us").toInteger() > 0);
    QByteArray everything;
    for (const QJsonObject &e : all)
        everything += QJsonDocument(e).toJson();
    for (const QByteArray &secret : {kToken, kReadToken, kCookieValue, kCredential})
        QVERIFY2(!everything.contains(secret), secret.constData());

    // The snapshot shows the client; the config is masked.
    const Reply snap = d.call(get("/admin/snapshot", kReadToken));
    QCOMPARE(snap.status, 200);
    const QJsonArray clients = snap.json().value("snapshot").toObject().value("clients").toArray();
    QCOMPARE(clients.size(), 1);
    QCOMPARE(clients.at(0).toObject().value("id").toString(), QString::fromLatin1(clientId));
    QCOMPARE(clients.at(0).toObject().value("messages_in").toInt(), 1);
    const Reply config = d.call(get("/admin/config", kReadToken));
    QCOMPARE(config.status, 200);
    QCOMPARE(config.json().value("config").toObject().value("push-token").toString(),
             QStringLiteral("********"));
    QCOMPARE(config.json().value("config").toObject().value("admin-read-token").toString(),
             QStringLiteral("********"));
    QVERIFY(!config.body.contains(kToken) && !config.body.contains(kReadToken));

    // Replay with a new body: PHP sees WS_REPLAY=1, the client gets the answer, the log has
    // the new exchange marked as a replay, and the token PHP echoes is masked there.
    const quint64 entry = quint64(php.value("id").toInteger());
    const Reply readOnly = d.call(request(
        "POST", "/admin/replay", "entry=" + QByteArray::number(entry),
        "application/x-www-form-urlencoded", "Authorization: Bearer " + kReadToken + "\r\n"));
    QCOMPARE(readOnly.status, 403);
    const Reply replayed = d.call(
        request("POST", "/admin/replay",
                QByteArray(R"({"entry":)") + QByteArray::number(entry) + R"(,"body":"params"})",
                "application/json", "Authorization: Bearer " + kToken + "\r\n"));
    QCOMPARE(replayed.status, 200);
    QCOMPARE(replayed.json().value("client").toString(), QString::fromLatin1(clientId));
    QVERIFY(client.waitForMessages(2));
    const QJsonObject server =
        QJsonDocument::fromJson(client.messages.at(1)).object().value("server").toObject();
    QCOMPARE(server.value("WS_REPLAY").toString(), QStringLiteral("1"));
    QCOMPARE(server.value("WS_CLIENT_ID").toString(), QString::fromLatin1(clientId));
    const auto hasReplay = [entry](const QList<QJsonObject> &list) {
        for (const QJsonObject &e : list) {
            if (e.value("replay_of").toInteger() == qint64(entry))
                return true;
        }
        return false;
    };
    const QList<QJsonObject> after =
        d.readUntil(quint64(all.last().value("id").toInteger()), hasReplay);
    QVERIFY(hasReplay(after));
    for (const QJsonObject &e : after) {
        if (e.value("replay_of").toInteger() != qint64(entry))
            continue;
        const QJsonObject rx = e.value("php").toObject();
        QCOMPARE(param(rx, "WS_REPLAY"), QStringLiteral("1"));
        const QByteArray echoed = unbase64(rx.value("response_body"));
        QVERIFY(echoed.contains("WS_REPLAY"));
        QVERIFY2(!echoed.contains(kToken), "PHP's dump of WS_PUSH_TOKEN is masked");
    }

    // The client leaves: replaying its entry is a 404.
    client.socket.close();
    QVERIFY(client.waitForDisconnect());
    QTRY_VERIFY_WITH_TIMEOUT(
        d.call(request("POST", "/admin/replay", "entry=" + QByteArray::number(entry),
                       "application/x-www-form-urlencoded",
                       "Authorization: Bearer " + kToken + "\r\n"))
                .error() == QLatin1String("unknown_client"),
        10000);
    QCOMPARE(
        d.call(request("POST", "/admin/replay", "entry=999999", "application/x-www-form-urlencoded",
                       "Authorization: Bearer " + kToken + "\r\n"))
            .error(),
        QStringLiteral("entry_not_found"));
}

void TestAdminApiWsgated::fpmCountersAndCluster() {
    Daemon d;
    QString error;
    QVERIFY2(d.start(m_fpm.fastcgiAddress(), adminFlags(), &error), qPrintable(error));

    // Ok with the pool's status once the poller has polled (every 5 s in wsgated).
    QJsonObject fpm;
    QTRY_VERIFY_WITH_TIMEOUT(
        (fpm = d.call(get("/admin/fpm", kReadToken)).json().value("fpm").toObject())
                .value("state") == QLatin1String("Ok"),
        15000);
    const std::optional<FpmReport> report = FpmReport::fromJson(fpm);
    QVERIFY(report);
    QVERIFY(report->polling);
    QVERIFY(report->status);
    QVERIFY(!report->status->pool.isEmpty());
    QVERIFY(report->status->totalProcesses > 0);
    QVERIFY(!report->history.isEmpty());
    QCOMPARE(report->fastcgiAddress, m_fpm.fastcgiAddress());
    QCOMPARE(report->fpmStatusPath, QStringLiteral("/fpm-status"));

    const auto snapshot = [&d] { return d.call(get("/admin/snapshot", kReadToken)).json(); };
    const QJsonObject before = snapshot().value("counters").toObject();
    QCOMPARE(before.value("messages_in").toInt(), 0);
    TestClient client;
    QVERIFY(client.open(d.wsUrl()));
    client.socket.sendTextMessage(QStringLiteral("hello"));
    QVERIFY(client.waitForMessages(1));
    // The counters count at once; the snapshot is published within a second.
    const auto counted = [](const QJsonObject &answer) {
        const QJsonObject snap = answer.value("snapshot").toObject();
        return answer.value("counters").toObject().value("messages_in") == 1 &&
               snap.value("clients").toArray().at(0).toObject().value("messages_in") == 1;
    };
    QJsonObject answer;
    QTRY_VERIFY_WITH_TIMEOUT(counted(answer = snapshot()), 10000);
    const QJsonObject counters = answer.value("counters").toObject();
    QCOMPARE(counters.value("connections").toInt(), 1);
    QCOMPARE(counters.value("messages_out").toInt(), 1);
    QCOMPARE(counters.value("queued_messages").toInt(), 0);
    QCOMPARE(counters.value("php_failures").toInt(), 0);
    // Without --cluster: this node alone, with where its admin API is.
    const QJsonObject cluster = answer.value("cluster").toObject();
    QCOMPARE(cluster.value("enabled").toBool(true), false);
    QCOMPARE(cluster.value("nodes").toInt(), 1);
    const QJsonArray members = cluster.value("members").toArray();
    QCOMPARE(members.size(), 1);
    QCOMPARE(members.at(0).toObject().value("admin_url").toString(),
             QStringLiteral("http://127.0.0.1:%1").arg(d.pushPort()));
    QCOMPARE(members.at(0).toObject().value("connections").toInt(), 1);
    // What a console reads back.
    const std::optional<GatewaySnapshot> back =
        AdminApi::snapshotFromJson(answer.value("snapshot").toObject());
    QVERIFY(back);
    QCOMPARE(back->clients.size(), 1);
    QCOMPARE(back->clients.at(0).messagesIn, 1);
    QVERIFY(back->clients.at(0).connectedMs > 0);
}

void TestAdminApiWsgated::noTrafficLogSaysHow() {
    Daemon d;
    QString error;
    // wsgated's default: no traffic log; and without a token, no admin API at all.
    QVERIFY2(d.start(m_fpm.fastcgiAddress(), {}, &error), qPrintable(error));
    const Reply none = d.call(get("/admin/traffic", "x"));
    QCOMPARE(none.status, 403);
    QCOMPARE(none.error(), QStringLiteral("admin_needs_token"));
    d.stop();
    QVERIFY2(d.start(m_fpm.fastcgiAddress(),
                     {QStringLiteral("--push-token"), QString::fromLatin1(kToken)}, &error),
             qPrintable(error));
    const Reply off = d.call(get("/admin/traffic?since=0&wait=5"));
    QCOMPARE(off.status, 409);
    QCOMPARE(off.error(), QStringLiteral("traffic_log_off"));
    QVERIFY(off.json().value("message").toString().contains("--traffic-log"));
    QCOMPARE(d.call(get("/admin/traffic", "wrong")).status, 401);
    QCOMPARE(d.call(get("/admin/snapshot")).status, 200); // the rest works without a log
}

void TestAdminApiWsgated::restartChangesTheInstance() {
    Daemon d;
    QString error;
    QVERIFY2(d.start(m_fpm.fastcgiAddress(), adminFlags(), &error), qPrintable(error));
    TestClient client;
    QVERIFY(client.open(d.wsUrl()));
    client.socket.sendTextMessage(QStringLiteral("hello"));
    QVERIFY(client.waitForMessages(1));
    const Reply before = d.call(get("/admin/traffic?since=0"));
    const QByteArray first = before.header("X-WsGate-Instance");
    QCOMPARE(first.size(), 32);
    const quint64 cursor = before.header("X-WsGate-Next-Since").toULongLong();
    QVERIFY(cursor > 0);
    client.socket.close();
    QVERIFY(client.waitForDisconnect());
    d.stop();

    QVERIFY2(d.start(m_fpm.fastcgiAddress(), adminFlags(), &error), qPrintable(error));
    // The old cursor on the new daemon: answered at once, with another instance id.
    QElapsedTimer clock;
    clock.start();
    const Reply after =
        d.call(get("/admin/traffic?since=" + QByteArray::number(cursor + 100) + "&wait=20"));
    QVERIFY2(clock.elapsed() < 10000, "a cursor beyond the log does not wait");
    QCOMPARE(after.status, 200);
    const QByteArray second = after.header("X-WsGate-Instance");
    QCOMPARE(second.size(), 32);
    QVERIFY(second != first);
    QCOMPARE(d.call(get("/admin/config")).json().value("instance").toString(),
             QString::fromLatin1(second));
}

void TestAdminApiWsgated::stalledReaderIsCutOthersServed() {
#ifndef Q_OS_UNIX
    QSKIP("uses a raw socket with a tiny receive buffer");
#else
    Daemon d;
    QString error;
    QVERIFY2(d.start(m_fpm.fastcgiAddress(), adminFlags(), &error), qPrintable(error));
    TestClient client;
    QVERIFY(client.open(d.wsUrl()));
    // ~60 exchanges of 48 KiB each way: one traffic answer of ~4 MiB.
    const QString big(48 * 1024, QLatin1Char('z'));
    for (int i = 0; i < 60; ++i)
        client.socket.sendTextMessage(big);
    QVERIFY(client.waitForMessages(60, 60000));

    // A reader that asks and never reads, with a receive window of a few KiB.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    QVERIFY(fd >= 0);
    const int small = 4096;
    QCOMPARE(::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(d.pushPort());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    QCOMPARE(::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
    const QByteArray ask = get("/admin/traffic?since=0&max=10000");
    QCOMPARE(::write(fd, ask.constData(), size_t(ask.size())), ssize_t(ask.size()));

    const auto openConnections = [&d] {
        const QByteArray text =
            d.call(request("GET", "/metrics", {}, {}, "Authorization: Bearer " + kToken + "\r\n"))
                .body;
        const qsizetype at = text.indexOf("\nwsgate_push_http_open_connections ");
        return at < 0 ? -1 : text.mid(at + 35, text.indexOf('\n', at + 1) - at - 35).toInt();
    };
    // Stalled: its connection stays while its answer cannot be written.
    QTRY_COMPARE_WITH_TIMEOUT(openConnections(), 2, 10000); // the staller and this call
    // The gateway keeps working meanwhile: echoes, pushes, other admin readers.
    client.socket.sendTextMessage(QStringLiteral("still here"));
    QVERIFY(client.waitForMessages(61));
    QCOMPARE(client.messages.last(), QByteArray("still here"));
    QCOMPARE(d.call(get("/admin/traffic?since=0&max=1", kReadToken)).status, 200);
    QCOMPARE(d.call(request("POST", "/send", "client_id=" + QByteArray::number(0) + "&message=x",
                            "application/x-www-form-urlencoded",
                            "Authorization: Bearer " + kToken + "\r\n"))
                 .status,
             404);
    // Cut after the idle timeout (15 s) and the linger (2 s): its answer was never drained.
    QTRY_COMPARE_WITH_TIMEOUT(openConnections(), 1, 40000);
    client.socket.sendTextMessage(QStringLiteral("after the cut"));
    QVERIFY(client.waitForMessages(62));
    ::close(fd);
#endif
}

void TestAdminApiWsgated::overTls() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const wsgatetest::TestCertificate cert = wsgatetest::makeTestCertificate(dir.path());
    if (!cert.isValid()) {
        if (qEnvironmentVariableIsSet("CI"))
            QFAIL(qPrintable(cert.error));
        QSKIP(qPrintable(cert.error));
    }
    QFile certFile(cert.certPath);
    QVERIFY(certFile.open(QIODevice::ReadOnly));
    Daemon d;
    d.useTls(QSslCertificate::fromData(certFile.readAll()));
    QString error;
    QVERIFY2(d.start(m_fpm.fastcgiAddress(),
                     adminFlags() + QStringList{QStringLiteral("--push-tls-cert"), cert.certPath,
                                                QStringLiteral("--push-tls-key"), cert.keyPath},
                     &error),
             qPrintable(error));
    const Reply config = d.call(get("/admin/config", kReadToken));
    QCOMPARE(config.status, 200);
    QCOMPARE(config.json().value("config").toObject().value("push-tls-cert").toString(),
             cert.certPath);
    const QJsonArray members = d.call(get("/admin/snapshot"))
                                   .json()
                                   .value("cluster")
                                   .toObject()
                                   .value("members")
                                   .toArray();
    QCOMPARE(members.at(0).toObject().value("admin_url").toString(),
             QStringLiteral("https://127.0.0.1:%1").arg(d.pushPort()));
    // Plain HTTP on that port is no HTTP at all.
    QCOMPARE(d.plainCall(request("GET", "/health"), 3000).status, 0);

    // PHP is told the https URL.
    TestClient client;
    QVERIFY(client.open(d.wsUrl()));
    client.socket.sendTextMessage(QStringLiteral("params"));
    QVERIFY(client.waitForMessages(1));
    const QJsonObject server =
        QJsonDocument::fromJson(client.messages.at(0)).object().value("server").toObject();
    QCOMPARE(server.value("WS_PUSH_URL").toString(),
             QStringLiteral("https://127.0.0.1:%1").arg(d.pushPort()));
    const QList<QJsonObject> all = d.readUntil(0, [](const QList<QJsonObject> &list) {
        return std::any_of(list.begin(), list.end(), [](const QJsonObject &e) {
            return e.value("kind") == QLatin1String("php");
        });
    });
    QVERIFY(!all.isEmpty());
}

WSGATE_TEST_MAIN(TestAdminApiWsgated)
#include "tst_adminapi_wsgated.moc"
