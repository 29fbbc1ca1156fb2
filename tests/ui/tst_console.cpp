// The console's real widgets against a real Engine and a real php-fpm (offscreen).
// With WSGATE_SCREENSHOT_DIR set, the last test also saves a PNG of every view there.

#include "bodyview.h"
#include "connectionsmodel.h"
#include "connectionsview.h"
#include "fpmpanel.h"
#include "mainwindow.h"
#include "phpfpmfixture.h"
#include "pushpanel.h"
#include "testclientpanel.h"
#include "trafficdetailwidget.h"
#include "trafficlogmodel.h"
#include "trafficlogview.h"

#include <QDir>
#include <QDockWidget>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>
#include <QWebSocket>

#include <memory>

namespace {

constexpr int StartTimeoutMs = 15000;
constexpr int UiTimeoutMs = 10000;

} // namespace

class TestConsole final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void clientAppearsInConnections();
    void messageDetailShowsParamsReplyAndStderr();
    void pushFromPanelReachesClient();
    void replayProducesNewExchange();
    void testClientTalksToGateway();
    void fpmPanelShowsPool();
    void clientLeavesTable();
    void screenshots();

private:
    std::unique_ptr<QWebSocket> connectClient(const QString &query = {});
    /// Newest Php row of `clientId` in the log model; -1 when none.
    int lastPhpRow(const QByteArray &clientId) const;
    int phpRowCount(const QByteArray &clientId) const;

    PhpFpmFixture m_fpm;
    QTemporaryDir m_dir;
    std::unique_ptr<QSettings> m_settings;
    std::unique_ptr<MainWindow> m_window;
    std::unique_ptr<QWebSocket> m_client;
    QByteArray m_clientId;
};

std::unique_ptr<QWebSocket> TestConsole::connectClient(const QString &query) {
    auto socket = std::make_unique<QWebSocket>();
    QSignalSpy connected(socket.get(), &QWebSocket::connected);
    QUrl url(m_window->controller()->listenUrl());
    url.setQuery(query);
    socket->open(url);
    if (!connected.wait(UiTimeoutMs))
        return nullptr;
    return socket;
}

int TestConsole::lastPhpRow(const QByteArray &clientId) const {
    const TrafficLogModel *model = m_window->trafficView()->model();
    for (int row = model->rowCount() - 1; row >= 0; --row) {
        const TrafficEntry &e = model->entry(row);
        if (e.kind == TrafficEntry::Kind::Php && e.clientId == clientId)
            return row;
    }
    return -1;
}

int TestConsole::phpRowCount(const QByteArray &clientId) const {
    const TrafficLogModel *model = m_window->trafficView()->model();
    int n = 0;
    for (int row = 0; row < model->rowCount(); ++row) {
        const TrafficEntry &e = model->entry(row);
        n += e.kind == TrafficEntry::Kind::Php && e.clientId == clientId ? 1 : 0;
    }
    return n;
}

void TestConsole::initTestCase() {
    WSGATE_START_PHP_FPM(m_fpm);
    QVERIFY(m_dir.isValid());
    m_settings = std::make_unique<QSettings>(m_dir.filePath(QStringLiteral("wsgate.ini")),
                                             QSettings::IniFormat);
    const ConfigurationResult parsed = ConfigurationParser::parse(
        {QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"), QStringLiteral("--push-listen"),
         QStringLiteral("127.0.0.1:0"), QStringLiteral("--fastcgi"), m_fpm.fastcgiAddress(),
         QStringLiteral("--script"), PhpFpmFixture::script(QStringLiteral("ui_echo.php"))});
    QVERIFY2(parsed.action == ConfigurationResult::Action::Run, qPrintable(parsed.message));

    m_window = std::make_unique<MainWindow>(parsed.config, m_settings.get());
    m_window->controller()->setSampleInterval(100); // quicker tests; the default is 250 ms
    m_window->show();
    m_window->startGateway();
    QTRY_COMPARE_WITH_TIMEOUT(m_window->controller()->state(), EngineController::State::Running,
                              StartTimeoutMs);
    QVERIFY(m_window->controller()->listenPort() != 0);
    QVERIFY(m_window->statusText().contains(m_window->controller()->listenUrl()));
}

void TestConsole::cleanupTestCase() {
    m_client.reset();
    m_window.reset(); // stops the engine
}

void TestConsole::clientAppearsInConnections() {
    m_client = connectClient(QStringLiteral("room=lobby"));
    QVERIFY(m_client);
    ConnectionsModel *model = m_window->connectionsView()->model();
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 1, UiTimeoutMs);
    m_clientId = model->client(0).id;
    QVERIFY(m_clientId.size() >= 16);
    QCOMPARE(model->index(0, ConnectionsModel::Path).data().toString(),
             QStringLiteral("/ws?room=lobby"));
    QVERIFY(model->index(0, ConnectionsModel::Peer)
                .data()
                .toString()
                .startsWith(QStringLiteral("127.0.0.1:")));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->statusText().contains(QStringLiteral("1 connection")),
                             UiTimeoutMs);
}

void TestConsole::messageDetailShowsParamsReplyAndStderr() {
    QVERIFY(m_client);
    QSignalSpy replies(m_client.get(), &QWebSocket::textMessageReceived);
    m_client->sendTextMessage(QStringLiteral("hello console"));
    QVERIFY(replies.wait(UiTimeoutMs));
    QVERIFY(replies.at(0).at(0).toString().contains(QStringLiteral("hello console")));

    QTRY_VERIFY_WITH_TIMEOUT(lastPhpRow(m_clientId) >= 0, UiTimeoutMs);
    TrafficLogView *view = m_window->trafficView();
    const TrafficEntry entry = view->model()->entry(lastPhpRow(m_clientId));
    QVERIFY(view->selectEntry(entry.id));

    TrafficDetailWidget *detail = view->detail();
    QCOMPARE(detail->entryId(), entry.id);
    QTableWidget *params = detail->paramsTable();
    QHash<QString, QString> sent;
    for (int r = 0; r < params->rowCount(); ++r)
        sent.insert(params->item(r, 0)->text(), params->item(r, 1)->text());
    QCOMPARE(sent.value(QStringLiteral("WS_EVENT")), QStringLiteral("message"));
    QCOMPARE(sent.value(QStringLiteral("WS_CLIENT_ID")), QString::fromLatin1(m_clientId));
    QCOMPARE(sent.value(QStringLiteral("REQUEST_METHOD")), QStringLiteral("POST"));
    QCOMPARE(sent.value(QStringLiteral("QUERY_STRING")), QStringLiteral("room=lobby"));
    QVERIFY(detail->requestBody()->text().contains(QStringLiteral("hello console")));
    // The reply is JSON: shown pretty-printed.
    QVERIFY2(detail->replyBody()->text().contains(QStringLiteral("\"echo\": \"hello console\"")),
             qPrintable(detail->replyBody()->text()));
    QVERIFY2(detail->stderrText().contains(QStringLiteral("ui_echo: 13 bytes")),
             qPrintable(detail->stderrText()));
    QVERIFY(detail->replayButton()->isEnabled());
}

void TestConsole::pushFromPanelReachesClient() {
    QVERIFY(m_client);
    QSignalSpy received(m_client.get(), &QWebSocket::textMessageReceived);
    // As the connections view's "Push…" does it.
    m_window->pushToClient(m_clientId);
    PushPanel *panel = m_window->pushPanel();
    QVERIFY(m_window->pushDock()->isVisible());
    QSignalSpy pushed(panel, &PushPanel::pushed);
    panel->setPayload(QStringLiteral("{\"from\":\"console\"}"));
    panel->send();
    QVERIFY(received.wait(UiTimeoutMs));
    QCOMPARE(received.at(0).at(0).toString(), QStringLiteral("{\"from\":\"console\"}"));
    QTRY_COMPARE_WITH_TIMEOUT(pushed.count(), 1, UiTimeoutMs);
    QCOMPARE(pushed.at(0).at(0).toInt(), 1);
    QCOMPARE(panel->history()->topLevelItemCount(), 1);
    QVERIFY(
        panel->history()->topLevelItem(0)->text(3).contains(QStringLiteral("delivered to 1 of 1")));

    // An unknown client is reported, not silently dropped.
    panel->setTarget(EngineController::Target::Client, QStringLiteral("nosuchclient"));
    panel->send();
    QTRY_COMPARE_WITH_TIMEOUT(pushed.count(), 2, UiTimeoutMs);
    QCOMPARE(pushed.at(1).at(0).toInt(), 0);
    QVERIFY(panel->history()->topLevelItem(0)->text(3).contains(QStringLiteral("no such target")));
}

void TestConsole::replayProducesNewExchange() {
    QVERIFY(m_client);
    TrafficLogView *view = m_window->trafficView();
    const int before = phpRowCount(m_clientId);
    QVERIFY(before >= 1);
    const TrafficEntry original = view->model()->entry(lastPhpRow(m_clientId));
    QVERIFY(view->selectEntry(original.id));
    QSignalSpy received(m_client.get(), &QWebSocket::textMessageReceived);
    QTest::mouseClick(view->detail()->replayButton(), Qt::LeftButton);
    // PHP answers again, to the same client, and a new exchange lands in the log.
    QVERIFY(received.wait(UiTimeoutMs));
    QVERIFY(received.at(0).at(0).toString().contains(QStringLiteral("hello console")));
    QTRY_COMPARE_WITH_TIMEOUT(phpRowCount(m_clientId), before + 1, UiTimeoutMs);
    const TrafficEntry replayed = view->model()->entry(lastPhpRow(m_clientId));
    QVERIFY(replayed.id > original.id);
    QVERIFY(replayed.php);
    QCOMPARE(replayed.php->requestBody, original.php->requestBody);
}

void TestConsole::testClientTalksToGateway() {
    TestClientPanel *panel = m_window->testClient();
    QCOMPARE(panel->url(), m_window->controller()->listenUrl());
    QSignalSpy connected(panel, &TestClientPanel::connected);
    QSignalSpy received(panel, &TestClientPanel::messageReceived);
    panel->connectToServer();
    QVERIFY(connected.wait(UiTimeoutMs));
    QVERIFY(panel->isConnected());
    QTRY_COMPARE_WITH_TIMEOUT(m_window->connectionsView()->model()->rowCount(), 2, UiTimeoutMs);

    panel->setMessage(QStringLiteral("from the panel"));
    panel->send();
    QVERIFY(received.wait(UiTimeoutMs));
    QVERIFY(received.at(0).at(0).toByteArray().contains("from the panel"));
    QVERIFY(panel->conversationText().contains(QStringLiteral("\"echo\":\"from the panel\"")));

    // Binary goes both ways: ui_echo.php reverses it.
    panel->setMessage(QStringLiteral("01 02 03"), true);
    panel->send();
    QVERIFY(received.wait(UiTimeoutMs));
    QCOMPARE(received.last().at(0).toByteArray(), QByteArray("\x03\x02\x01", 3));
    QCOMPARE(received.last().at(1).toBool(), true);

    QSignalSpy disconnected(panel, &TestClientPanel::disconnected);
    panel->disconnectFromServer();
    QTRY_COMPARE_WITH_TIMEOUT(m_window->connectionsView()->model()->rowCount(), 1, UiTimeoutMs);
    // The panel gives up waiting for the server's side of the close after a few seconds.
    QTRY_COMPARE_WITH_TIMEOUT(disconnected.count(), 1, UiTimeoutMs);
    QVERIFY(!panel->isConnected());
}

void TestConsole::fpmPanelShowsPool() {
    // The fixture enables /fpm-status, the configuration's default status path.
    QTRY_VERIFY_WITH_TIMEOUT(
        m_window->fpmPanel()->stateText().contains(QStringLiteral("reachable")), UiTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->fpmPanel()->processTable()->rowCount() > 0, UiTimeoutMs);
    QVERIFY(m_window->statusText().contains(QStringLiteral("PHP-FPM")));
}

void TestConsole::clientLeavesTable() {
    auto other = connectClient();
    QVERIFY(other);
    ConnectionsModel *model = m_window->connectionsView()->model();
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 2, UiTimeoutMs);
    other->close();
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 1, UiTimeoutMs);
    QCOMPARE(model->client(0).id, m_clientId);
}

void TestConsole::screenshots() {
    const QString dir = qEnvironmentVariable("WSGATE_SCREENSHOT_DIR");
    if (dir.isEmpty())
        QSKIP("set WSGATE_SCREENSHOT_DIR to save screenshots");
    QDir().mkpath(dir);

    // Some life: a few clients, a user, a group, a failure, a warning, a binary message.
    std::vector<std::unique_ptr<QWebSocket>> clients;
    const QStringList rooms = {QStringLiteral("lobby"), QStringLiteral("dev"),
                               QStringLiteral("ops")};
    for (int i = 0; i < 5; ++i) {
        auto c = connectClient(QStringLiteral("room=%1").arg(rooms.at(i % rooms.size())));
        QVERIFY(c);
        c->sendTextMessage(QStringLiteral("user:user%1").arg(i + 1));
        c->sendTextMessage(QStringLiteral("join:%1").arg(rooms.at(i % rooms.size())));
        c->sendTextMessage(
            QStringLiteral("{\"type\":\"chat\",\"text\":\"hi from %1\"}").arg(i + 1));
        clients.push_back(std::move(c));
    }
    clients.at(1)->sendTextMessage(QStringLiteral("fail:"));
    clients.at(2)->sendTextMessage(QStringLiteral("warn:"));
    clients.at(3)->sendBinaryMessage(QByteArray::fromHex("000102030405deadbeef"));
    for (int round = 0; round < 6; ++round) {
        for (auto &c : clients)
            c->sendTextMessage(QStringLiteral("{\"type\":\"tick\",\"n\":%1}").arg(round));
        QTest::qWait(60); // spreads the traffic over the charts' time axis; not a sync point
    }
    QTRY_COMPARE_WITH_TIMEOUT(m_window->connectionsView()->model()->rowCount(),
                              int(clients.size()) + (m_client ? 1 : 0), UiTimeoutMs);
    QTest::qWait(1500); // two FPM polls and a few samples: the charts need points to draw

    m_window->resize(1440, 900);
    auto save = [&dir](QWidget *w, const QString &name) {
        const QString path = QDir(dir).filePath(name);
        QVERIFY2(w->grab().save(path), qPrintable(path));
    };

    // Traffic with a PHP exchange that wrote to STDERR selected.
    TrafficLogView *traffic = m_window->trafficView();
    const TrafficLogModel *model = traffic->model();
    for (int row = model->rowCount() - 1; row >= 0; --row) {
        const TrafficEntry &e = model->entry(row);
        if (e.kind == TrafficEntry::Kind::Php && e.php &&
            e.php->requestBody.startsWith("{\"type\":\"chat\"")) {
            traffic->selectEntry(e.id);
            break;
        }
    }
    m_window->tabs()->setCurrentWidget(traffic);
    m_window->pushPanel()->setTarget(EngineController::Target::Group, QStringLiteral("lobby"));
    m_window->pushPanel()->setPayload(
        QStringLiteral("{\"type\":\"notice\",\"text\":\"deploy at 17:00\"}"));
    m_window->pushPanel()->send();
    QTest::qWait(400);
    save(m_window.get(), QStringLiteral("console-traffic.png"));

    m_window->tabs()->setCurrentWidget(m_window->connectionsView());
    m_window->connectionsView()->table()->selectRow(1);
    save(m_window.get(), QStringLiteral("console-connections.png"));

    m_window->tabs()->setCurrentWidget(m_window->fpmPanel());
    save(m_window.get(), QStringLiteral("console-fpm.png"));

    m_window->testClientDock()->raise();
    TestClientPanel *panel = m_window->testClient();
    QSignalSpy received(panel, &TestClientPanel::messageReceived);
    panel->connectToServer();
    QTRY_VERIFY_WITH_TIMEOUT(panel->isConnected(), UiTimeoutMs);
    panel->setMessage(
        QStringLiteral("{\"type\":\"chat\",\"text\":\"hello from the test client\"}"));
    panel->send();
    QVERIFY(received.wait(UiTimeoutMs));
    panel->setMessage(QStringLiteral("00 ff 10"), true);
    panel->send();
    QVERIFY(received.wait(UiTimeoutMs));
    m_window->tabs()->setCurrentWidget(traffic);
    QTest::qWait(300);
    save(m_window.get(), QStringLiteral("console-testclient.png"));
    panel->disconnectFromServer();

    // A failed exchange, its reply tab open.
    for (int row = model->rowCount() - 1; row >= 0; --row) {
        const TrafficEntry &e = model->entry(row);
        if (e.kind == TrafficEntry::Kind::Php && e.php && e.php->status == 500) {
            traffic->selectEntry(e.id);
            break;
        }
    }
    m_window->pushDock()->raise();
    save(m_window.get(), QStringLiteral("console-error-detail.png"));
}

QTEST_MAIN(TestConsole)
#include "tst_console.moc"
