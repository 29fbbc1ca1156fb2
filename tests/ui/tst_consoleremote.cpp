// The console attached to a wsgated in another process (its admin API), in front of a real
// php-fpm: the views show the daemon's clients and traffic, its pushes, close and replay act
// on it, a restart of the daemon is followed without duplicate or misattributed ids, a read
// token makes it read-only, a wrong one is refused, and no secret reaches the console.

#include "attachdialog.h"
#include "connectionsmodel.h"
#include "connectionsview.h"
#include "enginecontroller.h"
#include "mainwindow.h"
#include "phpfpmfixture.h"
#include "pushpanel.h"
#include "redisfixture.h"
#include "remotebanner.h"
#include "remotegateway.h"
#include "secretstore.h"
#include "startpage.h"
#include "testcertificate.h"
#include "trafficlogmodel.h"
#include "trafficlogview.h"
#include "trafficreplay.h"
#include "wsgatedprocess.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QNetworkRequest>
#include <QPushButton>
#include <QSet>
#include <QSettings>
#include <QSslCertificate>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QWebSocket>

#include <memory>
#include <optional>
#include <vector>

class TestConsoleRemote : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void attachedConsoleShowsAndActs();
    void followsARestartWithoutDuplicateIds();
    void readTokenIsReadOnly();
    void wrongTokenIsRefused();
    void daemonWithoutTrafficLogSaysSo();
    void httpsNeedsThePinnedCertificate();
    void dialogAttachesAndRemembers();
    void clusterNodesToSwitchTo();
    void screenshot();

private:
    PhpFpmFixture m_fpm;
};

namespace {

const QByteArray kToken = "remote-console-push-token-4d1e";
const QByteArray kReadToken = "remote-console-read-token-0b7a";
const QByteArray kCookieValue = "remotecookie8181";
constexpr int WaitMs = 15000;

QStringList daemonArgs(const PhpFpmFixture &fpm, bool trafficLog = true) {
    QStringList args{QStringLiteral("--fastcgi"),
                     fpm.fastcgiAddress(),
                     QStringLiteral("--script"),
                     PhpFpmFixture::script(QStringLiteral("ui_traffic.php")),
                     QStringLiteral("--push-token"),
                     QString::fromLatin1(kToken),
                     QStringLiteral("--admin-read-token"),
                     QString::fromLatin1(kReadToken),
                     QStringLiteral("--fpm-status-path"),
                     QStringLiteral("/fpm-status")};
    if (trafficLog)
        args << QStringLiteral("--traffic-log") << QStringLiteral("2000");
    return args;
}

/// A console window with its own settings file.
struct Console {
    Console()
        : settings(dir.filePath(QStringLiteral("c.ini")), QSettings::IniFormat)
        , window(Configuration(), &settings) {}
    bool attach(const QUrl &url, const QByteArray &token) {
        RemoteTarget target;
        target.url = url;
        target.token = token;
        window.attachTo(target, false);
        return QTest::qWaitFor(
            [&] { return window.controller()->state() == EngineController::State::Running; },
            WaitMs);
    }
    TrafficLogModel *model() const { return window.trafficView()->liveModel(); }
    /// The newest row matching `match`, waiting for it.
    std::optional<TrafficEntry> waitFor(const std::function<bool(const TrafficEntry &)> &match) {
        std::optional<TrafficEntry> found;
        (void)QTest::qWaitFor(
            [&] {
                for (int row = model()->rowCount() - 1; row >= 0; --row) {
                    if (match(model()->entry(row))) {
                        found = model()->entry(row);
                        return true;
                    }
                }
                return false;
            },
            WaitMs);
        return found;
    }
    QTemporaryDir dir;
    QSettings settings;
    MainWindow window;
};

/// A WebSocket client of the daemon, with what it received.
struct Client {
    bool open(const QString &url) {
        QNetworkRequest request{QUrl(url)};
        request.setRawHeader("Cookie", "sid=" + kCookieValue);
        QObject::connect(&socket, &QWebSocket::textMessageReceived, &socket,
                         [this](const QString &m) { received << m; });
        socket.open(request);
        return QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::ConnectedState; },
                               WaitMs);
    }
    bool waitForText(const QString &part) {
        return QTest::qWaitFor(
            [&] {
                for (const QString &m : received)
                    if (m.contains(part))
                        return true;
                return false;
            },
            WaitMs);
    }
    QWebSocket socket;
    QStringList received;
};

bool isMessageExchange(const TrafficEntry &e, const QByteArray &body) {
    return e.php && e.php->requestBody == body;
}

QByteArray paramOf(const TrafficEntry &e, const QByteArray &name) {
    for (const auto &[n, v] : e.php->extraParams) {
        if (n == name)
            return v;
    }
    return {};
}

/// Every byte of the entries the console holds.
QByteArray everything(const TrafficLogModel *model) {
    QByteArray all;
    for (int row = 0; row < model->rowCount(); ++row) {
        const TrafficEntry &e = model->entry(row);
        all += e.body + e.text.toUtf8();
        if (e.php) {
            all += e.php->requestBody + e.php->responseBody + e.php->stderrData;
            for (const auto &[n, v] : e.php->extraParams)
                all += n + '=' + v + '\n';
        }
    }
    return all;
}

} // namespace

void TestConsoleRemote::initTestCase() {
    WSGATE_START_PHP_FPM(m_fpm);
}

void TestConsoleRemote::cleanupTestCase() {
    m_fpm.stop();
}

void TestConsoleRemote::attachedConsoleShowsAndActs() {
    WsgatedProcess daemon;
    QString error;
    QVERIFY2(daemon.start(daemonArgs(m_fpm), &error), qPrintable(error));
    Console console;
    QVERIFY(console.attach(daemon.adminUrl(), kToken));
    RemoteGateway *remote = console.window.controller()->remote();
    QVERIFY(remote);
    QCOMPARE(remote->link(), RemoteGateway::Link::Live);
    QVERIFY(console.window.remoteBanner()->isVisible() ||
            !console.window.remoteBanner()->plainText().isEmpty());
    QVERIFY(console.window.remoteBanner()->plainText().contains(daemon.adminUrl().toString()));
    QTRY_VERIFY_WITH_TIMEOUT(!remote->readOnly() && !remote->version().isEmpty(), WaitMs);
    QCOMPARE(console.window.controller()->listenUrl(), daemon.wsUrl());

    // A client of the daemon: it shows in Connections, its message and PHP's reply (params,
    // STDERR) in Traffic.
    Client client;
    QVERIFY(client.open(daemon.wsUrl()));
    client.socket.sendTextMessage(QStringLiteral("warn"));
    QVERIFY(client.waitForText(QStringLiteral("\"body\":\"warn\"")));
    const std::optional<TrafficEntry> exchange =
        console.waitFor([](const TrafficEntry &e) { return isMessageExchange(e, "warn"); });
    QVERIFY(exchange);
    const QByteArray clientId = exchange->clientId;
    QVERIFY(!clientId.isEmpty());
    QCOMPARE(paramOf(*exchange, "WS_CLIENT_ID"), clientId);
    QCOMPARE(paramOf(*exchange, "WS_EVENT"), QByteArray("message"));
    QVERIFY(exchange->php->stderrData.contains("a PHP warning for the log"));
    QVERIFY(exchange->php->responseBody.contains("\"body\":\"warn\""));
    QTRY_VERIFY_WITH_TIMEOUT(console.window.connectionsView()->clientInfo(clientId).has_value(),
                             WaitMs);

    // The push panel pushes through the daemon's push API.
    PushPanel *push = console.window.pushPanel();
    push->setTarget(EngineController::Target::Client, QString::fromLatin1(clientId));
    push->setPayload(QStringLiteral("pushed from the attached console"));
    push->send();
    QVERIFY(client.waitForText(QStringLiteral("pushed from the attached console")));

    // Replay from the console's copy: the daemon sends it as the client, marked, and logs it as
    // a replay of the console's id.
    console.window.trafficView()->replayer()->replay(*exchange);
    const std::optional<TrafficEntry> replayed =
        console.waitFor([&](const TrafficEntry &e) { return e.php && e.replayOf == exchange->id; });
    QVERIFY(replayed);
    QVERIFY(replayed->php->responseBody.contains("\"replay\":\"1\""));
    QCOMPARE(replayed->clientId, clientId);
    QVERIFY(replayed->id > exchange->id);

    // Secrets never come through unmasked: the push token (PHP gets it as WS_PUSH_TOKEN) and
    // the client's cookie.
    const QByteArray all = everything(console.model());
    QVERIFY(!all.contains(kToken));
    QVERIFY(!all.contains(kCookieValue));
    QVERIFY(all.contains("WS_PUSH_TOKEN=********"));

    // Close from the console.
    bool closed = false;
    console.window.controller()->closeClient(clientId, 4001, QStringLiteral("bye"), this,
                                             [&](bool found, const QString &) { closed = found; });
    QTRY_VERIFY_WITH_TIMEOUT(closed, WaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(client.socket.state(), QAbstractSocket::UnconnectedState, WaitMs);
    QCOMPARE(int(client.socket.closeCode()), 4001);

    console.window.controller()->detach();
    QCOMPARE(console.window.controller()->state(), EngineController::State::Stopped);
    QVERIFY(console.window.remoteBanner()->isHidden());
}

void TestConsoleRemote::followsARestartWithoutDuplicateIds() {
    WsgatedProcess daemon;
    QString error;
    QVERIFY2(daemon.start(daemonArgs(m_fpm), &error), qPrintable(error));
    Console console;
    QVERIFY(console.attach(daemon.adminUrl(), kToken));
    RemoteGateway *remote = console.window.controller()->remote();
    {
        Client client;
        QVERIFY(client.open(daemon.wsUrl()));
        client.socket.sendTextMessage(QStringLiteral("before"));
        QVERIFY(
            console.waitFor([](const TrafficEntry &e) { return isMessageExchange(e, "before"); }));
    }
    const std::optional<TrafficEntry> before =
        console.waitFor([](const TrafficEntry &e) { return isMessageExchange(e, "before"); });
    const QByteArray instance = remote->instance();

    daemon.stop();
    QTRY_COMPARE_WITH_TIMEOUT(remote->link(), RemoteGateway::Link::Lost, WaitMs);
    QVERIFY(console.window.remoteBanner()->plainText().contains(QLatin1String("lost")));
    QVERIFY2(daemon.start(daemonArgs(m_fpm), &error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(remote->link(), RemoteGateway::Link::Live, WaitMs);

    Client again;
    QVERIFY(again.open(daemon.wsUrl()));
    again.socket.sendTextMessage(QStringLiteral("after"));
    const std::optional<TrafficEntry> after =
        console.waitFor([](const TrafficEntry &e) { return isMessageExchange(e, "after"); });
    QVERIFY(after);
    QVERIFY(remote->instance() != instance);
    QCOMPARE(remote->restarts(), 1);
    QVERIFY(console.window.remoteBanner()->plainText().contains(QLatin1String("Restarted")));
    // The new instance's ids come after every id shown, and none is shown twice.
    QVERIFY(after->id > before->id);
    QSet<quint64> ids;
    for (int row = 0; row < console.model()->rowCount(); ++row) {
        const quint64 id = console.model()->entry(row).id;
        QVERIFY2(!ids.contains(id), qPrintable(QStringLiteral("id %1 twice").arg(id)));
        ids.insert(id);
    }
    // "before" stays as it was (not overwritten by the new instance's entry of the same
    // daemon id), and it can no longer be replayed by the daemon: said, not misdirected.
    const std::optional<TrafficEntry> stillBefore =
        console.waitFor([&](const TrafficEntry &e) { return e.id == before->id; });
    QVERIFY(stillBefore && isMessageExchange(*stillBefore, "before"));
    QString replayError;
    bool answered = false;
    ReplayRequest r;
    r.entryId = before->id;
    r.body = "before";
    console.window.controller()->replay(before->clientId, r, this, [&](bool ok, const QString &e) {
        answered = true;
        replayError = ok ? QString() : e;
    });
    QTRY_VERIFY_WITH_TIMEOUT(answered, WaitMs);
    QVERIFY2(replayError.contains(QLatin1String("restarted")), qPrintable(replayError));
}

void TestConsoleRemote::readTokenIsReadOnly() {
    WsgatedProcess daemon;
    QString error;
    QVERIFY2(daemon.start(daemonArgs(m_fpm), &error), qPrintable(error));
    Console console;
    QVERIFY(console.attach(daemon.adminUrl(), kReadToken));
    RemoteGateway *remote = console.window.controller()->remote();
    QTRY_VERIFY_WITH_TIMEOUT(remote->readOnly(), WaitMs);
    QVERIFY(console.window.remoteBanner()->plainText().contains(QLatin1String("Read-only")));

    Client client;
    QVERIFY(client.open(daemon.wsUrl()));
    client.socket.sendTextMessage(QStringLiteral("watched"));
    QVERIFY(console.waitFor([](const TrafficEntry &e) { return isMessageExchange(e, "watched"); }));

    QString pushError;
    bool answered = false;
    console.window.controller()->push(EngineController::Target::Everyone, {},
                                      OutboundMessage{"not allowed", false}, this,
                                      [&](const DeliveryResult &, const QString &e) {
                                          answered = true;
                                          pushError = e;
                                      });
    QTRY_VERIFY_WITH_TIMEOUT(answered, WaitMs);
    QVERIFY2(pushError.contains(QLatin1String("only read")), qPrintable(pushError));
    QTest::qWait(300);
    QVERIFY(!client.received.join(QString()).contains(QLatin1String("not allowed")));
}

void TestConsoleRemote::wrongTokenIsRefused() {
    WsgatedProcess daemon;
    QString error;
    QVERIFY2(daemon.start(daemonArgs(m_fpm), &error), qPrintable(error));
    Console console;
    QString failure;
    connect(console.window.controller(), &EngineController::startFailed, this,
            [&](const QString &e) { failure = e; });
    RemoteTarget target;
    target.url = daemon.adminUrl();
    target.token = "not-the-token";
    console.window.attachTo(target, false);
    QTRY_VERIFY_WITH_TIMEOUT(!failure.isEmpty(), WaitMs);
    QVERIFY2(failure.contains(QLatin1String("401")), qPrintable(failure));
    QCOMPARE(console.window.controller()->state(), EngineController::State::Stopped);
    QVERIFY(!console.window.controller()->isAttached());
}

void TestConsoleRemote::daemonWithoutTrafficLogSaysSo() {
    WsgatedProcess daemon;
    QString error;
    QVERIFY2(daemon.start(daemonArgs(m_fpm, false), &error), qPrintable(error));
    Console console;
    QVERIFY(console.attach(daemon.adminUrl(), kToken));
    QTRY_VERIFY_WITH_TIMEOUT(
        console.window.remoteBanner()->plainText().contains(QLatin1String("--traffic-log")),
        WaitMs);
    // Connections still come through the snapshot.
    Client client;
    QVERIFY(client.open(daemon.wsUrl()));
    QTRY_VERIFY_WITH_TIMEOUT(console.window.connectionsView()->model()->rowCount() >= 1, WaitMs);
}

void TestConsoleRemote::httpsNeedsThePinnedCertificate() {
    QTemporaryDir dir;
    const wsgatetest::TestCertificate cert = wsgatetest::makeTestCertificate(dir.path());
    QVERIFY2(cert.isValid(), qPrintable(cert.error));
    WsgatedProcess daemon;
    daemon.setTls(true);
    QString error;
    QVERIFY2(daemon.start(daemonArgs(m_fpm) +
                              QStringList{QStringLiteral("--push-tls-cert"), cert.certPath,
                                          QStringLiteral("--push-tls-key"), cert.keyPath},
                          &error),
             qPrintable(error));
    QFile certFile(cert.certPath);
    QVERIFY(certFile.open(QIODevice::ReadOnly));
    const QByteArray digest = QSslCertificate::fromData(certFile.readAll())
                                  .value(0)
                                  .digest(QCryptographicHash::Sha256)
                                  .toHex();
    QCOMPARE(digest.size(), 64);

    // Self-signed and not pinned: never attached, and the banner shows the fingerprint to check.
    {
        Console console;
        RemoteTarget target;
        target.url = daemon.adminUrl();
        target.token = kToken;
        console.window.attachTo(target, false);
        RemoteGateway *remote = console.window.controller()->remote();
        QTRY_COMPARE_WITH_TIMEOUT(remote->link(), RemoteGateway::Link::Lost, WaitMs);
        QTRY_VERIFY2_WITH_TIMEOUT(remote->problem().contains(QString::fromLatin1(digest)),
                                  qPrintable(remote->problem()), WaitMs);
        QCOMPARE(console.window.controller()->state(), EngineController::State::Starting);
    }
    // Pinned: attached, traffic comes through.
    Console console;
    RemoteTarget target;
    target.url = daemon.adminUrl();
    target.token = kToken;
    target.trustedCertSha256 = digest;
    console.window.attachTo(target, false);
    QTRY_COMPARE_WITH_TIMEOUT(console.window.controller()->state(),
                              EngineController::State::Running, WaitMs);
    Client client;
    QVERIFY(client.open(daemon.wsUrl()));
    client.socket.sendTextMessage(QStringLiteral("over tls"));
    QVERIFY(
        console.waitFor([](const TrafficEntry &e) { return isMessageExchange(e, "over tls"); }));
}

void TestConsoleRemote::dialogAttachesAndRemembers() {
    WsgatedProcess daemon;
    QString error;
    QVERIFY2(daemon.start(daemonArgs(m_fpm), &error), qPrintable(error));
    Console console;
    console.window.secrets()->setKeychainEnabled(false); // the session store, not the user's
    // From the start page a fresh console opens on.
    QVERIFY(console.window.showsStartPage());
    QTest::mouseClick(console.window.startPage()->attachButton(), Qt::LeftButton);
    AttachDialog *dialog = nullptr;
    QTRY_VERIFY(dialog = console.window.findChild<AttachDialog *>());
    auto *server = dialog->findChild<QComboBox *>(QStringLiteral("attachServer"));
    auto *token = dialog->findChild<QLineEdit *>(QStringLiteral("attachToken"));
    auto *problem = dialog->findChild<QLabel *>(QStringLiteral("attachError"));
    QVERIFY(server && token && problem);
    // Refused before any request: no token, then a URL that is not http(s).
    server->setEditText(daemon.adminUrl().toString());
    dialog->accept();
    QVERIFY(dialog->isVisible());
    QVERIFY(problem->text().contains(QLatin1String("token")));
    server->setEditText(QStringLiteral("ftp://127.0.0.1:1"));
    token->setText(QString::fromLatin1(kToken));
    dialog->accept();
    QVERIFY(dialog->isVisible());
    QVERIFY(problem->text().contains(QLatin1String("http://host:port")));
    server->setEditText(daemon.adminUrl().toString() + QStringLiteral("/"));
    QString failure;
    connect(console.window.controller(), &EngineController::startFailed, this,
            [&](const QString &e) { failure = e; });
    dialog->accept();
    QVERIFY2(console.window.controller()->isAttached(), qPrintable(problem->text()));
    QTRY_VERIFY2_WITH_TIMEOUT(console.window.controller()->state() ==
                                  EngineController::State::Running,
                              qPrintable(failure), WaitMs);
    QVERIFY(!console.window.showsStartPage());
    QCOMPARE(console.window.rememberedServers(), QStringList{daemon.adminUrl().toString()});
    console.window.controller()->detach();

    // Next time the server is offered with its token.
    console.window.attachAction()->trigger();
    QTRY_VERIFY((dialog = console.window.findChild<AttachDialog *>()) && dialog->isVisible());
    QCOMPARE(AttachDialog::canonical(dialog->target().url), daemon.adminUrl().toString());
    QCOMPARE(dialog->target().token, kToken);
    dialog->reject();
}

void TestConsoleRemote::clusterNodesToSwitchTo() {
    RedisFixture redis;
    WSGATE_START_REDIS(redis);
    auto clusterArgs = [&](const QString &node) {
        return daemonArgs(m_fpm) +
               QStringList{QStringLiteral("--cluster"),      redis.url(),
                           QStringLiteral("--cluster-name"), QStringLiteral("console-remote"),
                           QStringLiteral("--node-id"),      node};
    };
    WsgatedProcess a;
    WsgatedProcess b;
    QString error;
    QVERIFY2(a.start(clusterArgs(QStringLiteral("node-a")), &error), qPrintable(error));
    QVERIFY2(b.start(clusterArgs(QStringLiteral("node-b")), &error), qPrintable(error));
    Console console;
    QVERIFY(console.attach(a.adminUrl(), kToken));
    RemoteGateway *remote = console.window.controller()->remote();
    QTRY_COMPARE_WITH_TIMEOUT(remote->members().size(), 2, WaitMs);
    QToolButton *nodes = console.window.remoteBanner()->nodesButton();
    QVERIFY(!nodes->isHidden());
    QAction *other = nullptr;
    for (QAction *action : nodes->menu()->actions()) {
        if (action->text().startsWith(QLatin1String("node-b")))
            other = action;
        if (action->text().startsWith(QLatin1String("node-a")))
            QVERIFY2(!action->isEnabled(), "the node shown is not offered");
    }
    QVERIFY(other && other->isEnabled());
    QCOMPARE(other->toolTip(), b.adminUrl().toString());

    other->trigger(); // the same token, node B's admin URL
    QTRY_VERIFY_WITH_TIMEOUT(
        console.window.controller()->remote() &&
            console.window.controller()->remote()->target().url == b.adminUrl() &&
            console.window.controller()->state() == EngineController::State::Running,
        WaitMs);
    Client client;
    QVERIFY(client.open(b.wsUrl()));
    client.socket.sendTextMessage(QStringLiteral("on node b"));
    QVERIFY(
        console.waitFor([](const TrafficEntry &e) { return isMessageExchange(e, "on node b"); }));

    // Both at once: one log with one id space, both nodes' clients, a replay sent to the node
    // that logged the entry.
    QTRY_COMPARE_WITH_TIMEOUT(console.window.controller()->remote()->members().size(), 2, WaitMs);
    QAction *all = nodes->menu()->findChild<QAction *>(QStringLiteral("remoteAllNodes"));
    QVERIFY(all && all->isEnabled());
    all->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(console.window.controller()->remotes().size() == 2 &&
                                 console.window.controller()->state() ==
                                     EngineController::State::Running,
                             WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(
        console.window.remoteBanner()->plainText().contains(QLatin1String("2 nodes")), WaitMs);
    Client onA;
    QVERIFY(onA.open(a.wsUrl()));
    onA.socket.sendTextMessage(QStringLiteral("from a, both shown"));
    client.socket.sendTextMessage(QStringLiteral("from b, both shown"));
    const std::optional<TrafficEntry> fromA = console.waitFor(
        [](const TrafficEntry &e) { return isMessageExchange(e, "from a, both shown"); });
    const std::optional<TrafficEntry> fromB = console.waitFor(
        [](const TrafficEntry &e) { return isMessageExchange(e, "from b, both shown"); });
    QVERIFY(fromA && fromB);
    QSet<quint64> ids;
    for (int row = 0; row < console.model()->rowCount(); ++row) {
        const quint64 id = console.model()->entry(row).id;
        QVERIFY2(!ids.contains(id), qPrintable(QStringLiteral("id %1 twice").arg(id)));
        ids.insert(id);
    }
    QTRY_VERIFY_WITH_TIMEOUT(
        console.window.connectionsView()->clientInfo(fromA->clientId).has_value() &&
            console.window.connectionsView()->clientInfo(fromB->clientId).has_value(),
        WaitMs);
    console.window.trafficView()->replayer()->replay(*fromB);
    const std::optional<TrafficEntry> replayed =
        console.waitFor([&](const TrafficEntry &e) { return e.php && e.replayOf == fromB->id; });
    QVERIFY(replayed);
    QCOMPARE(replayed->clientId, fromB->clientId);
    QVERIFY(client.waitForText(QStringLiteral("\"replay\":\"1\"")));
}

void TestConsoleRemote::screenshot() {
    const QString dir = qEnvironmentVariable("WSGATE_SCREENSHOT_DIR");
    if (dir.isEmpty())
        QSKIP("set WSGATE_SCREENSHOT_DIR to save screenshots");
    WsgatedProcess daemon;
    QString error;
    QVERIFY2(daemon.start(daemonArgs(m_fpm), &error), qPrintable(error));
    Console console;
    if (qEnvironmentVariableIntValue("WSGATE_SCREENSHOT_DARK") == 1)
        console.window.findChild<QAction *>(QStringLiteral("darkThemeAction"))->setChecked(true);
    QVERIFY(console.attach(daemon.adminUrl(), kToken));
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(std::make_unique<Client>());
        QVERIFY(clients.back()->open(daemon.wsUrl()));
        clients.back()->socket.sendTextMessage(QStringLiteral("user:staging%1").arg(i + 1));
        clients.back()->socket.sendTextMessage(
            QStringLiteral("{\"type\":\"chat\",\"text\":\"hi from %1\"}").arg(i + 1));
    }
    clients.at(1)->socket.sendTextMessage(QStringLiteral("warn"));
    QVERIFY(console.waitFor([](const TrafficEntry &e) { return isMessageExchange(e, "warn"); }));
    QTest::qWait(1500);
    console.window.resize(1440, 900);
    console.window.show();
    for (int row = console.model()->rowCount() - 1; row >= 0; --row) {
        if (isMessageExchange(console.model()->entry(row), "warn")) {
            console.window.trafficView()->selectEntry(console.model()->entry(row).id);
            break;
        }
    }
    QTest::qWait(300);
    const QString path =
        QDir(dir).filePath(QStringLiteral("console-attached%1.png")
                               .arg(qEnvironmentVariable("WSGATE_SCREENSHOT_SUFFIX")));
    QVERIFY2(console.window.grab().save(path), qPrintable(path));
}

QTEST_MAIN(TestConsoleRemote)
#include "tst_consoleremote.moc"
