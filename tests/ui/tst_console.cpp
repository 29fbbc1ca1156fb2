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
#include "trafficfilterproxymodel.h"
#include "trafficlogmodel.h"
#include "trafficlogview.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QFileDialog>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSet>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QToolButton>
#include <QTreeWidget>
#include <QWebSocket>

#include <functional>
#include <memory>

namespace {

constexpr int StartTimeoutMs = 15000;
constexpr int UiTimeoutMs = 10000;

/// Acts once on the application's modal dialog of type T as soon as one is shown: the dialog's
/// exec() blocks the test function, so this polls from the event loop exec() runs. A modal
/// dialog still open at the timeout is rejected, so a wrong or missing dialog fails the test
/// instead of hanging it. Do the checks after exec() returns: `act` must always close the dialog.
template <typename T> class ModalDriver final {
public:
    explicit ModalDriver(std::function<void(T *)> act)
        : m_act(std::move(act)) {
        m_clock.start();
        m_timer.setInterval(10);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] { poll(); });
        m_timer.start();
    }
    ModalDriver(const ModalDriver &) = delete;
    ModalDriver &operator=(const ModalDriver &) = delete;

    bool acted() const { return m_acted; }

private:
    void poll() {
        auto *dialog = qobject_cast<T *>(QApplication::activeModalWidget());
        if (dialog && dialog->isVisible()) {
            m_timer.stop();
            m_acted = true;
            m_act(dialog);
            return;
        }
        if (m_clock.hasExpired(UiTimeoutMs)) {
            m_timer.stop();
            if (auto *open = qobject_cast<QDialog *>(QApplication::activeModalWidget()))
                open->reject();
        }
    }

    std::function<void(T *)> m_act;
    QTimer m_timer;
    QElapsedTimer m_clock;
    bool m_acted = false;
};

QSet<QByteArray> clientIds(const ConnectionsModel *model) {
    QSet<QByteArray> ids;
    for (int row = 0; row < model->rowCount(); ++row)
        ids.insert(model->client(row).id);
    return ids;
}

/// The id of a client in `model` that is not in `known`; empty when none.
QByteArray newClientId(const ConnectionsModel *model, const QSet<QByteArray> &known) {
    for (const QByteArray &id : clientIds(model)) {
        if (!known.contains(id))
            return id;
    }
    return {};
}

/// Reads a JSON Lines file: one object per line; `ok` is false on any line that is not one.
QVector<QJsonObject> readJsonLines(const QString &fileName, bool *ok) {
    QVector<QJsonObject> out;
    *ok = false;
    QFile file(fileName);
    if (!file.open(QIODevice::ReadOnly))
        return out;
    const QByteArray all = file.readAll();
    if (!all.isEmpty() && !all.endsWith('\n'))
        return out;
    const QList<QByteArray> lines = all.split('\n');
    for (int i = 0; i + 1 < lines.size(); ++i) {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(lines.at(i), &error);
        if (error.error != QJsonParseError::NoError || !doc.isObject())
            return out;
        out.append(doc.object());
    }
    *ok = true;
    return out;
}

QHash<QString, QString> jsonPairs(const QJsonValue &value) {
    QHash<QString, QString> out;
    const QJsonArray pairs = value.toArray();
    for (const QJsonValue &p : pairs)
        out.insert(p.toArray().at(0).toString(), p.toArray().at(1).toString());
    return out;
}

QJsonObject base64Json(const QByteArray &bytes) {
    return QJsonObject{{QStringLiteral("base64"), QString::fromLatin1(bytes.toBase64())}};
}

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
    void closeWithCodeReachesClient();
    void exportJsonLinesWritesShownRows();
    void screenshots();

private:
    std::unique_ptr<QWebSocket> connectClient(const QString &query = {});
    /// Newest Php row of `clientId` in the log model; -1 when none.
    int lastPhpRow(const QByteArray &clientId) const;
    int phpRowCount(const QByteArray &clientId) const;
    int rowCount(const QByteArray &clientId, TrafficEntry::Kind kind) const;
    /// Proxy row of this client in the connections table; -1 when not shown.
    int connectionRow(const QByteArray &clientId) const;
    /// Clicks the connections view's "Close…"; returns when its dialog is closed.
    void clickCloseButton();
    /// The entries the traffic view shows, in order.
    QVector<TrafficEntry> shownEntries() const;

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

int TestConsole::rowCount(const QByteArray &clientId, TrafficEntry::Kind kind) const {
    const TrafficLogModel *model = m_window->trafficView()->model();
    int n = 0;
    for (int row = 0; row < model->rowCount(); ++row) {
        const TrafficEntry &e = model->entry(row);
        n += e.kind == kind && e.clientId == clientId ? 1 : 0;
    }
    return n;
}

int TestConsole::connectionRow(const QByteArray &clientId) const {
    const QSortFilterProxyModel *proxy = m_window->connectionsView()->proxy();
    for (int row = 0; row < proxy->rowCount(); ++row) {
        if (proxy->index(row, 0).data(ConnectionsModel::ClientIdRole).toByteArray() == clientId)
            return row;
    }
    return -1;
}

void TestConsole::clickCloseButton() {
    auto *close =
        m_window->connectionsView()->findChild<QToolButton *>(QStringLiteral("connections_close"));
    QVERIFY(close);
    QVERIFY(close->isEnabled());
    QTest::mouseClick(close, Qt::LeftButton); // returns when the dialog's exec() does
}

QVector<TrafficEntry> TestConsole::shownEntries() const {
    const TrafficLogView *view = m_window->trafficView();
    const TrafficFilterProxyModel *proxy = view->proxy();
    QVector<TrafficEntry> out;
    for (int r = 0; r < proxy->rowCount(); ++r)
        out.append(view->model()->entry(proxy->mapToSource(proxy->index(r, 0)).row()));
    return out;
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
    QTRY_COMPARE_WITH_TIMEOUT(m_window->connectionsView()->model()->liveCount(), 2, UiTimeoutMs);

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
    QTRY_COMPARE_WITH_TIMEOUT(m_window->connectionsView()->model()->liveCount(), 1, UiTimeoutMs);
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
    QTRY_COMPARE_WITH_TIMEOUT(model->liveCount(), 2, UiTimeoutMs);
    other->close();
    QTRY_COMPARE_WITH_TIMEOUT(model->liveCount(), 1, UiTimeoutMs);
    const int row = model->rowOfId(m_clientId);
    QVERIFY(row >= 0);
    QVERIFY(!model->isClosed(row));
}

void TestConsole::closeWithCodeReachesClient() {
    ConnectionsView *connections = m_window->connectionsView();
    const QSet<QByteArray> known = clientIds(connections->model());
    auto client = connectClient(QStringLiteral("room=closing"));
    QVERIFY(client);
    QTRY_VERIFY_WITH_TIMEOUT(!newClientId(connections->model(), known).isEmpty(), UiTimeoutMs);
    const QByteArray id = newClientId(connections->model(), known);

    // Select its row with the mouse, as a user would.
    m_window->tabs()->setCurrentWidget(connections);
    QTableView *table = connections->table();
    const int row = connectionRow(id);
    QVERIFY(row >= 0);
    const QModelIndex cell = connections->proxy()->index(row, ConnectionsModel::Peer);
    table->scrollTo(cell);
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualRect(cell).center());
    QCOMPARE(connections->selectedClientId(), id);

    QSignalSpy requested(connections, &ConnectionsView::closeRequested);
    QSignalSpy disconnected(client.get(), &QWebSocket::disconnected);

    // Cancel: nothing is sent, the client stays.
    {
        ModalDriver<QDialog> cancel([](QDialog *dialog) {
            auto *buttons = dialog->findChild<QDialogButtonBox *>();
            if (buttons)
                QTest::mouseClick(buttons->button(QDialogButtonBox::Cancel), Qt::LeftButton);
            else
                dialog->reject();
        });
        clickCloseButton();
        QVERIFY(cancel.acted());
    }
    QCOMPARE(requested.count(), 0);
    // A round trip through the engine: a close, had one been asked for, would come first.
    QSignalSpy replies(client.get(), &QWebSocket::textMessageReceived);
    client->sendTextMessage(QStringLiteral("still here"));
    QVERIFY(replies.wait(UiTimeoutMs));
    QCOMPARE(disconnected.count(), 0);
    QCOMPARE(client->state(), QAbstractSocket::ConnectedState);
    QVERIFY(connectionRow(id) >= 0);
    QCOMPARE(connections->selectedClientId(), id);

    // Accept: preset 4000, one step up, a typed reason.
    QString title;
    bool showsId = false;
    int presetCode = 0;
    int code = 0;
    QString reason;
    bool refusedCode = false;
    bool refusedReason = false;
    {
        ModalDriver<QDialog> accept([&](QDialog *dialog) {
            title = dialog->windowTitle();
            const QList<QLabel *> labels = dialog->findChildren<QLabel *>();
            for (const QLabel *label : labels)
                showsId = showsId || label->text() == QString::fromLatin1(id);
            auto *presets = dialog->findChild<QComboBox *>();
            auto *codeBox = dialog->findChild<QSpinBox *>();
            // Direct children only: the spin box has a line edit of its own.
            const QList<QLineEdit *> edits =
                dialog->findChildren<QLineEdit *>(QString(), Qt::FindDirectChildrenOnly);
            auto *buttons = dialog->findChild<QDialogButtonBox *>();
            if (!presets || !codeBox || edits.size() != 1 || !buttons) {
                dialog->reject();
                return;
            }
            // A code a server may not send, and a reason too long for a close frame, are
            // refused before anything is sent.
            QPushButton *ok = buttons->button(QDialogButtonBox::Ok);
            auto *problem = dialog->findChild<QLabel *>(QStringLiteral("closeProblem"));
            codeBox->setValue(1005);
            refusedCode = !ok->isEnabled() && problem && problem->isVisibleTo(dialog) &&
                          problem->text().contains(QStringLiteral("1005"));
            presets->setCurrentIndex(presets->findData(4000));
            presetCode = codeBox->value();
            // 30 × (2 + 3) bytes of UTF-8 in 60 characters.
            edits.first()->setText(QString::fromUtf8("ü€").repeated(30)); // keyClicks: ASCII only
            refusedReason = !ok->isEnabled() && problem &&
                            problem->text().contains(QStringLiteral("150 bytes"));
            edits.first()->clear();
            QTest::keyClick(codeBox, Qt::Key_Up);
            code = codeBox->value();
            QTest::keyClicks(edits.first(), QStringLiteral("bye from test"));
            reason = edits.first()->text();
            QTest::mouseClick(buttons->button(QDialogButtonBox::Ok), Qt::LeftButton);
        });
        clickCloseButton();
        QVERIFY(accept.acted());
    }
    QCOMPARE(title, QStringLiteral("Close connection"));
    QVERIFY(showsId);
    QVERIFY(refusedCode);
    QVERIFY(refusedReason);
    QCOMPARE(presetCode, 4000);
    QCOMPARE(code, 4001);
    QCOMPARE(reason, QStringLiteral("bye from test"));
    QCOMPARE(requested.count(), 1);
    QCOMPARE(requested.at(0).at(0).toByteArray(), id);
    QCOMPARE(requested.at(0).at(1).toInt(), 4001);
    QCOMPARE(requested.at(0).at(2).toString(), QStringLiteral("bye from test"));

    // The client gets exactly that close frame.
    QTRY_COMPARE_WITH_TIMEOUT(disconnected.count(), 1, UiTimeoutMs);
    QCOMPARE(int(client->closeCode()), 4001);
    QCOMPARE(client->closeReason(), QStringLiteral("bye from test"));

    // Its row turns into a closed one (greyed, until it ages out); the status bar and the
    // traffic log say so. It stays selected, but Close… and Push… no longer aim at it.
    QTRY_VERIFY_WITH_TIMEOUT(connections->model()->rowOfId(id) >= 0 &&
                                 connections->model()->isClosed(connections->model()->rowOfId(id)),
                             UiTimeoutMs);
    QCOMPARE(connections->selectedClientId(), id);
    QVERIFY(connections->selectedIsClosed());
    QVERIFY(
        !connections->findChild<QToolButton *>(QStringLiteral("connections_close"))->isEnabled());
    QVERIFY(
        !connections->findChild<QToolButton *>(QStringLiteral("connections_push"))->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(
        m_window->statusBar()->currentMessage().contains(
            QStringLiteral("Closed %1 with 4001").arg(QString::fromLatin1(id))),
        UiTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(rowCount(id, TrafficEntry::Kind::Close), 1, UiTimeoutMs);
    const TrafficLogModel *log = m_window->trafficView()->model();
    for (int r = 0; r < log->rowCount(); ++r) {
        const TrafficEntry &e = log->entry(r);
        if (e.kind != TrafficEntry::Kind::Close || e.clientId != id)
            continue;
        QCOMPARE(e.status, 4001);
        QCOMPARE(e.text, QStringLiteral("bye from test"));
        QVERIFY(!e.isError);
    }
    if (m_client)
        QVERIFY(connectionRow(m_clientId) >= 0); // the others stay
}

void TestConsole::exportJsonLinesWritesShownRows() {
    QVERIFY(m_client);
    ConnectionsModel *connections = m_window->connectionsView()->model();
    const QSet<QByteArray> known = clientIds(connections);
    auto client = connectClient(QStringLiteral("room=export"));
    QVERIFY(client);
    QTRY_VERIFY_WITH_TIMEOUT(!newClientId(connections, known).isEmpty(), UiTimeoutMs);
    const QByteArray id = newClientId(connections, known);

    // Text (PHP echoes it as JSON and writes to STDERR) and binary (PHP reverses it); the other
    // client says something that matches the text filter too.
    const QByteArray binary("\x00\xff\x10\x80", 4);
    const QByteArray reversed("\x80\x10\xff\x00", 4);
    QSignalSpy texts(client.get(), &QWebSocket::textMessageReceived);
    QSignalSpy binaries(client.get(), &QWebSocket::binaryMessageReceived);
    client->sendTextMessage(QStringLiteral("export me"));
    QVERIFY(texts.wait(UiTimeoutMs));
    client->sendBinaryMessage(binary);
    QVERIFY(binaries.wait(UiTimeoutMs));
    QCOMPARE(binaries.at(0).at(0).toByteArray(), reversed);
    QSignalSpy otherTexts(m_client.get(), &QWebSocket::textMessageReceived);
    m_client->sendTextMessage(QStringLiteral("export me, says another client"));
    QVERIFY(otherTexts.wait(UiTimeoutMs));
    QTRY_VERIFY_WITH_TIMEOUT(rowCount(id, TrafficEntry::Kind::Php) == 2 &&
                                 rowCount(id, TrafficEntry::Kind::ReplyOut) == 2 &&
                                 rowCount(id, TrafficEntry::Kind::MessageIn) == 2,
                             UiTimeoutMs);
    const auto otherLogged = [this] {
        const int row = lastPhpRow(m_clientId);
        return row >= 0 && m_window->trafficView()->model()->entry(row).php->requestBody.startsWith(
                               "export me, says");
    };
    QTRY_VERIFY_WITH_TIMEOUT(otherLogged(), UiTimeoutMs);

    TrafficLogView *view = m_window->trafficView();
    QTemporaryDir dir;
    QVERIFY(dir.isValid());

    // 1. The client filter alone, exported directly.
    view->setClientFilter(id);
    const QVector<TrafficEntry> shown = shownEntries();
    QCOMPARE(shown.size(), view->proxy()->rowCount());
    QVERIFY(shown.size() >= 7); // open, and message, php, reply twice
    const QString all = dir.filePath(QStringLiteral("client.jsonl"));
    QString error;
    QVERIFY2(view->exportJsonLines(all, &error), qPrintable(error));
    bool ok = false;
    const QVector<QJsonObject> lines = readJsonLines(all, &ok);
    QVERIFY(ok);
    QCOMPARE(lines.size(), shown.size());
    QSet<QString> kinds;
    double lastId = 0;
    for (int i = 0; i < lines.size(); ++i) {
        const QJsonObject &o = lines.at(i);
        QCOMPARE(o.value(QStringLiteral("id")).toDouble(), double(shown.at(i).id));
        QVERIFY(o.value(QStringLiteral("id")).toDouble() > lastId);
        lastId = o.value(QStringLiteral("id")).toDouble();
        QCOMPARE(o.value(QStringLiteral("client")).toString(), QString::fromLatin1(id));
        QCOMPARE(o.value(QStringLiteral("kind")).toString(),
                 QString::fromLatin1(TrafficEntry::kindName(shown.at(i).kind)));
        kinds.insert(o.value(QStringLiteral("kind")).toString());
    }
    QVERIFY(kinds.contains(QStringLiteral("open")));
    QVERIFY(kinds.contains(QStringLiteral("message")));
    QVERIFY(kinds.contains(QStringLiteral("php")));
    QVERIFY(kinds.contains(QStringLiteral("reply")));

    const auto find = [&lines](const QString &kind,
                               const std::function<bool(const QJsonObject &)> &match) {
        for (const QJsonObject &o : lines) {
            if (o.value(QStringLiteral("kind")).toString() == kind && match(o))
                return o;
        }
        return QJsonObject();
    };
    const auto isBinary = [](const QJsonObject &o) {
        return o.value(QStringLiteral("binary")).toBool();
    };
    const auto phpOf = [](const QJsonObject &o) {
        return o.value(QStringLiteral("php")).toObject();
    };

    // The text exchange: params, status, reply and STDERR.
    const QJsonObject php = find(QStringLiteral("php"), [&phpOf](const QJsonObject &o) {
        return phpOf(o).value(QStringLiteral("requestBody")).toString() ==
               QStringLiteral("export me");
    });
    QVERIFY(!php.isEmpty());
    QCOMPARE(php.value(QStringLiteral("status")).toInt(), 200);
    const QJsonObject exchange = phpOf(php);
    const QHash<QString, QString> params = jsonPairs(exchange.value(QStringLiteral("params")));
    QCOMPARE(params.value(QStringLiteral("WS_EVENT")), QStringLiteral("message"));
    QCOMPARE(params.value(QStringLiteral("WS_CLIENT_ID")), QString::fromLatin1(id));
    QCOMPARE(params.value(QStringLiteral("QUERY_STRING")), QStringLiteral("room=export"));
    QCOMPARE(params.value(QStringLiteral("SCRIPT_FILENAME")),
             PhpFpmFixture::script(QStringLiteral("ui_echo.php")));
    QCOMPARE(exchange.value(QStringLiteral("outcome")).toString(), QStringLiteral("ok"));
    QCOMPARE(exchange.value(QStringLiteral("status")).toInt(), 200);
    QCOMPARE(exchange.value(QStringLiteral("requestBodySize")).toDouble(), 9.0);
    QCOMPARE(exchange.value(QStringLiteral("requestBodyTruncated")), QJsonValue(false));
    QCOMPARE(exchange.value(QStringLiteral("responseBodyTruncated")), QJsonValue(false));
    const QString replyBody = exchange.value(QStringLiteral("responseBody")).toString();
    QVERIFY2(replyBody.contains(QStringLiteral("\"echo\":\"export me\"")), qPrintable(replyBody));
    QVERIFY(!jsonPairs(exchange.value(QStringLiteral("headers"))).isEmpty());
    const QString stderrText = exchange.value(QStringLiteral("stderr")).toString();
    QVERIFY2(stderrText.contains(
                 QStringLiteral("ui_echo: 9 bytes from %1").arg(QString::fromLatin1(id))),
             qPrintable(stderrText));

    // Binary bodies are base64 objects: in, the exchange, and out.
    const QJsonObject binaryIn = find(QStringLiteral("message"), isBinary);
    QVERIFY(!binaryIn.isEmpty());
    QCOMPARE(binaryIn.value(QStringLiteral("body")).toObject(), base64Json(binary));
    QCOMPARE(binaryIn.value(QStringLiteral("size")).toDouble(), 4.0);
    const QJsonObject binaryPhp = find(QStringLiteral("php"), [&phpOf](const QJsonObject &o) {
        return phpOf(o).value(QStringLiteral("requestBody")).isObject();
    });
    QVERIFY(!binaryPhp.isEmpty());
    QCOMPARE(phpOf(binaryPhp).value(QStringLiteral("requestBody")).toObject(), base64Json(binary));
    QCOMPARE(phpOf(binaryPhp).value(QStringLiteral("responseBody")).toObject(),
             base64Json(reversed));
    QCOMPARE(jsonPairs(phpOf(binaryPhp).value(QStringLiteral("params")))
                 .value(QStringLiteral("WS_MESSAGE_TYPE")),
             QStringLiteral("binary"));
    const QJsonObject binaryOut = find(QStringLiteral("reply"), isBinary);
    QVERIFY(!binaryOut.isEmpty());
    QCOMPARE(binaryOut.value(QStringLiteral("body")).toObject(), base64Json(reversed));
    const QJsonObject textIn = find(QStringLiteral("message"), [](const QJsonObject &o) {
        return o.value(QStringLiteral("body")).toString() == QStringLiteral("export me");
    });
    QVERIFY(!textIn.isEmpty());
    QCOMPARE(textIn.value(QStringLiteral("direction")).toString(), QStringLiteral("in"));

    // 2. Plus a typed text filter, through the Export… button and a (non-native) file dialog.
    m_window->tabs()->setCurrentWidget(view);
    auto *text = view->findChild<QLineEdit *>(QStringLiteral("trafficFilterText"));
    QVERIFY(text);
    QTest::keyClicks(text, QStringLiteral("export me"));
    const QVector<TrafficEntry> filtered = shownEntries();
    QCOMPARE(filtered.size(), 3); // message, php, reply; not the binary ones nor the other client
    auto *exportButton = view->findChild<QToolButton *>(QStringLiteral("trafficExport"));
    QVERIFY(exportButton);
    const QString some = dir.filePath(QStringLiteral("filtered.jsonl"));
    const bool wasNonNative = QCoreApplication::testAttribute(Qt::AA_DontUseNativeDialogs);
    QCoreApplication::setAttribute(Qt::AA_DontUseNativeDialogs, true);
    bool saveMode = false;
    QString failure;
    {
        ModalDriver<QFileDialog> save([&](QFileDialog *dialog) {
            saveMode = dialog->acceptMode() == QFileDialog::AcceptSave;
            dialog->selectFile(some);
            // QFileDialog::accept() is protected; the virtual call still checks the name first.
            static_cast<QDialog *>(dialog)->accept();
        });
        ModalDriver<QMessageBox> warning([&](QMessageBox *box) {
            failure = box->text();
            box->reject();
        });
        QTest::mouseClick(exportButton, Qt::LeftButton); // returns when the dialogs are closed
        QCoreApplication::setAttribute(Qt::AA_DontUseNativeDialogs, wasNonNative);
        QVERIFY(save.acted());
        QVERIFY2(!warning.acted(), qPrintable(failure));
    }
    QVERIFY(saveMode);
    const QVector<QJsonObject> someLines = readJsonLines(some, &ok);
    QVERIFY(ok);
    QCOMPARE(someLines.size(), filtered.size());
    QStringList someKinds;
    for (int i = 0; i < someLines.size(); ++i) {
        const QJsonObject &o = someLines.at(i);
        QCOMPARE(o.value(QStringLiteral("id")).toDouble(), double(filtered.at(i).id));
        QCOMPARE(o.value(QStringLiteral("client")).toString(), QString::fromLatin1(id));
        someKinds << o.value(QStringLiteral("kind")).toString();
        // Each row matches the text somewhere: its body or the exchange's request.
        const QString request = phpOf(o).value(QStringLiteral("requestBody")).toString();
        QVERIFY(o.value(QStringLiteral("body")).toString().contains(QStringLiteral("export me")) ||
                request == QStringLiteral("export me"));
    }
    QCOMPARE(someKinds, QStringList({QStringLiteral("message"), QStringLiteral("php"),
                                     QStringLiteral("reply")}));
    QVERIFY(someLines.at(0).value(QStringLiteral("id")).toDouble() <
            someLines.at(1).value(QStringLiteral("id")).toDouble());
    QVERIFY(someLines.at(1).value(QStringLiteral("id")).toDouble() <
            someLines.at(2).value(QStringLiteral("id")).toDouble());

    // Back to showing everything for the tests that follow.
    text->clear();
    view->setClientFilter({});
    QCOMPARE(view->proxy()->rowCount(), view->model()->rowCount());
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
    QTRY_COMPARE_WITH_TIMEOUT(m_window->connectionsView()->model()->liveCount(),
                              int(clients.size()) + (m_client ? 1 : 0), UiTimeoutMs);
    QTest::qWait(1500); // two FPM polls and a few samples: the charts need points to draw

    // WSGATE_SCREENSHOT_DARK=1: the dark theme; WSGATE_SCREENSHOT_SUFFIX names the variant
    // (run with QT_SCALE_FACTOR=1.5 and a suffix "-1.5x" for the large-scale set).
    const bool dark = qEnvironmentVariableIntValue("WSGATE_SCREENSHOT_DARK") == 1;
    auto *darkAction = m_window->findChild<QAction *>(QStringLiteral("darkThemeAction"));
    QVERIFY(darkAction);
    darkAction->setChecked(dark);
    const QString suffix = qEnvironmentVariable("WSGATE_SCREENSHOT_SUFFIX");
    m_window->resize(1440, 900);
    auto save = [&dir, suffix](QWidget *w, QString name) {
        name.replace(QLatin1String(".png"), suffix + QLatin1String(".png"));
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

    // The conversation of the client whose chat exchange was selected.
    QByteArray chatClient;
    for (int row = model->rowCount() - 1; row >= 0 && chatClient.isEmpty(); --row) {
        const TrafficEntry &e = model->entry(row);
        if (e.kind == TrafficEntry::Kind::Php && e.php &&
            e.php->requestBody.startsWith("{\"type\":\"chat\""))
            chatClient = e.clientId;
    }
    QVERIFY(!chatClient.isEmpty());
    m_window->showConversation(chatClient);
    QTest::qWait(300);
    save(m_window.get(), QStringLiteral("console-conversation.png"));

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

    // Edit & replay of the chat exchange: the dialog is modal (exec), so it is grabbed from a
    // timer that then closes it.
    std::optional<TrafficEntry> chat;
    for (int row = model->rowCount() - 1; row >= 0 && !chat; --row) {
        const TrafficEntry &e = model->entry(row);
        if (e.kind == TrafficEntry::Kind::Php && e.php &&
            e.php->requestBody.startsWith("{\"type\":\"chat\""))
            chat = e;
    }
    QVERIFY(chat);
    bool grabbed = false;
    QTimer::singleShot(400, this, [&] {
        if (auto *dialog = qobject_cast<QDialog *>(QApplication::activeModalWidget())) {
            save(dialog, QStringLiteral("console-edit-replay.png"));
            grabbed = true;
            dialog->reject();
        }
    });
    traffic->editReplay(*chat);
    QVERIFY(grabbed);

    // The first-run page a console without a handler opens on.
    QTemporaryDir firstRunDir;
    QSettings firstRunSettings(firstRunDir.filePath(QStringLiteral("s.ini")), QSettings::IniFormat);
    MainWindow firstRun(Configuration(), &firstRunSettings);
    firstRun.resize(1440, 900);
    firstRun.show();
    QVERIFY(firstRun.showsStartPage());
    QTest::qWait(300);
    save(&firstRun, QStringLiteral("console-start.png"));
}

QTEST_MAIN(TestConsole)
#include "tst_console.moc"
