// The push panel and the test client: target picking, history (re-send, recall), the dock's
// width, JSON that keeps its key order.

#include "jsonindenter.h"
#include "mainwindow.h"
#include "pushpanel.h"
#include "testclientpanel.h"

#include <QComboBox>
#include <QDockWidget>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>
#include <QWebSocket>
#include <QWebSocketServer>

#include <memory>

class TestPushPanel final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void kindChangeNeverKeepsANameOfAnotherKind_data();
    void kindChangeNeverKeepsANameOfAnotherKind();
    void historyEntriesCanBeSentAgain();
    void dockKeepsItsWidthWhateverIsTyped();
    void prettyJsonKeepsKeyOrder_data();
    void prettyJsonKeepsKeyOrder();
    void invalidJsonIsRefusedWithItsOffset();
    void testClientClearsAndRecallsHistory();
};

using Target = EngineController::Target;

void TestPushPanel::kindChangeNeverKeepsANameOfAnotherKind_data() {
    QTest::addColumn<QStringList>("groups");
    QTest::addColumn<QString>("expected");
    QTest::newRow("groups live: the first one") << QStringList{"lobby", "dev"} << "lobby";
    QTest::newRow("no groups: empty") << QStringList{} << "";
}

void TestPushPanel::kindChangeNeverKeepsANameOfAnotherKind() {
    QFETCH(QStringList, groups);
    QFETCH(QString, expected);
    EngineController controller;
    PushPanel panel(&controller);
    const QString id = QStringLiteral("3f2a9c0d1e2b4a5c");
    panel.setLiveLists({id}, {QStringLiteral("alice")}, groups);
    panel.setTarget(Target::Client, id);
    QCOMPARE(panel.targetName(), id);
    auto *kind = panel.findChildren<QComboBox *>().first();
    kind->setCurrentIndex(kind->findData(int(Target::Group)));
    QCOMPARE(panel.target(), Target::Group);
    QCOMPARE(panel.targetName(), expected);
    // A group typed by hand comes back when the kind does; the client id too.
    panel.setTarget(Target::Group, QStringLiteral("ops"));
    kind->setCurrentIndex(kind->findData(int(Target::User)));
    QCOMPARE(panel.targetName(), QStringLiteral("alice"));
    kind->setCurrentIndex(kind->findData(int(Target::Group)));
    QCOMPARE(panel.targetName(), QStringLiteral("ops"));
    kind->setCurrentIndex(kind->findData(int(Target::Client)));
    QCOMPARE(panel.targetName(), id);
    // A client that has left is no target to go back to.
    kind->setCurrentIndex(kind->findData(int(Target::Everyone)));
    panel.setLiveLists({}, {QStringLiteral("alice")}, groups);
    kind->setCurrentIndex(kind->findData(int(Target::Client)));
    QCOMPARE(panel.targetName(), QString());
}

void TestPushPanel::historyEntriesCanBeSentAgain() {
    EngineController controller; // not running: every push answers at once with an error
    PushPanel panel(&controller);
    QSignalSpy pushed(&panel, &PushPanel::pushed);
    panel.setTarget(Target::Group, QStringLiteral("lobby"));
    panel.setPayload(QStringLiteral("{\"b\":1,\"a\":2}"));
    panel.send();
    QCOMPARE(pushed.count(), 1);
    QCOMPARE(panel.history()->topLevelItemCount(), 1);
    QVERIFY(!panel.resendButton()->isEnabled()); // nothing selected yet
    // Something else in the editor and the picker: the re-send uses what the row recorded.
    panel.setTarget(Target::User, QStringLiteral("bob"));
    panel.setPayload(QStringLiteral("other"));
    panel.history()->setCurrentItem(panel.history()->topLevelItem(0));
    QVERIFY(panel.resendButton()->isEnabled());
    QTest::mouseClick(panel.resendButton(), Qt::LeftButton);
    QCOMPARE(pushed.count(), 2);
    QCOMPARE(panel.history()->topLevelItemCount(), 2);
    QTreeWidgetItem *again = panel.history()->topLevelItem(0);
    QCOMPARE(again->data(0, PushPanel::TargetRole).toInt(), int(Target::Group));
    QCOMPARE(again->data(0, PushPanel::NameRole).toString(), QStringLiteral("lobby"));
    QCOMPARE(again->data(0, PushPanel::PayloadRole).toString(),
             QStringLiteral("{\"b\":1,\"a\":2}"));
    QCOMPARE(again->text(1), QStringLiteral("group lobby"));
    QVERIFY(again->text(3).contains(QStringLiteral("not running")));
    QCOMPARE(panel.payloadText(), QStringLiteral("other")); // the editor is left alone
    QVERIFY(panel.edit(0));
    QCOMPARE(panel.payloadText(), QStringLiteral("{\"b\":1,\"a\":2}"));
    QCOMPARE(panel.target(), Target::Group);
    QCOMPARE(panel.targetName(), QStringLiteral("lobby"));
    QVERIFY(!panel.resend(5));
}

void TestPushPanel::dockKeepsItsWidthWhateverIsTyped() {
    QTemporaryDir dir;
    QSettings settings(dir.filePath(QStringLiteral("w.ini")), QSettings::IniFormat);
    Configuration config;
    config.script = QStringLiteral("/srv/ws.php");
    MainWindow window(config, &settings);
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QDockWidget *dock = window.pushDock();
    const int width = dock->width();
    const int traffic = window.tabs()->width();
    PushPanel *panel = window.pushPanel();
    // Invalid JSON whose error names a long offset, and a long unbroken line.
    panel->setPayload(QStringLiteral("{\"text\":\"") + QString(600, QLatin1Char('x')) +
                      QStringLiteral("\", oops"));
    panel->setLiveLists({QString(64, QLatin1Char('f'))}, {}, {});
    panel->setTarget(Target::Client, QString(64, QLatin1Char('f')));
    QCoreApplication::processEvents();
    QTest::qWait(50); // layouts settle on posted events
    QVERIFY2(panel->checkText().contains(QStringLiteral("JSON")), qPrintable(panel->checkText()));
    QCOMPARE(dock->width(), width);
    QCOMPARE(window.tabs()->width(), traffic);
}

void TestPushPanel::prettyJsonKeepsKeyOrder_data() {
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("expected");
    QTest::newRow("keys as typed") << QByteArray("{\"zeta\":1,\"alpha\":{\"b\":true,\"a\":null}}")
                                   << "{\n    \"zeta\": 1,\n    \"alpha\": {\n        \"b\": "
                                      "true,\n        \"a\": null\n    }\n}";
    QTest::newRow("strings keep escapes and braces")
        << QByteArray("[\"a,b\",\"{\\\"q\\\"}\",\"\\u00e9\"]")
        << "[\n    \"a,b\",\n    \"{\\\"q\\\"}\",\n    \"\\u00e9\"\n]";
    QTest::newRow("empty containers stay short")
        << QByteArray(" { \"a\" : [ ] , \"b\":{} } ") << "{\n    \"a\": [],\n    \"b\": {}\n}";
    QTest::newRow("numbers keep their spelling")
        << QByteArray("[1.50,1e3,-0]") << "[\n    1.50,\n    1e3,\n    -0\n]";
}

void TestPushPanel::prettyJsonKeepsKeyOrder() {
    QFETCH(QByteArray, input);
    QFETCH(QString, expected);
    QCOMPARE(JsonIndenter::indent(input), expected);
    // And the panel's button does the same.
    EngineController controller;
    PushPanel panel(&controller);
    panel.setPayload(QString::fromUtf8(input));
    panel.prettyPrint();
    QCOMPARE(panel.payloadText(), expected);
}

void TestPushPanel::invalidJsonIsRefusedWithItsOffset() {
    QString error;
    QVERIFY(JsonIndenter::indent("{\"a\":1,}", &error).isEmpty());
    QVERIFY2(error.contains(QStringLiteral("offset")), qPrintable(error));
    QCOMPARE(JsonIndenter::compact(" { \"a\" : [ 1 , 2 ] } "), QStringLiteral("{\"a\":[1,2]}"));
}

void TestPushPanel::testClientClearsAndRecallsHistory() {
    // An echo server on loopback: the panel needs a live connection to send.
    QWebSocketServer server(QStringLiteral("echo"), QWebSocketServer::NonSecureMode);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    std::vector<std::unique_ptr<QWebSocket>> peers;
    connect(&server, &QWebSocketServer::newConnection, this, [&server, &peers] {
        std::unique_ptr<QWebSocket> s(server.nextPendingConnection());
        QWebSocket *raw = s.get();
        connect(raw, &QWebSocket::textMessageReceived, raw,
                [raw](const QString &m) { raw->sendTextMessage(m); });
        peers.push_back(std::move(s));
    });
    TestClientPanel panel;
    panel.show();
    panel.setUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(server.serverPort()));
    QSignalSpy connected(&panel, &TestClientPanel::connected);
    panel.connectToServer();
    QVERIFY(connected.wait(5000));
    QSignalSpy received(&panel, &TestClientPanel::messageReceived);
    for (const QString &m : {QStringLiteral("first"), QStringLiteral("second\nline")}) {
        panel.setMessage(m);
        panel.send();
        QCOMPARE(panel.message(), QString()); // cleared, as a chat client does
    }
    QTRY_COMPARE(received.count(), 2);
    QCOMPARE(panel.history(), (QStringList{"first", "second\nline"}));
    QPlainTextEdit *editor = panel.editor();
    editor->setFocus();
    QTest::keyClicks(editor, QStringLiteral("draft"));
    QTest::keyClick(editor, Qt::Key_Up);
    QCOMPARE(panel.message(), QStringLiteral("second\nline"));
    // The cursor is on the last line: Up moves within the message first…
    QTest::keyClick(editor, Qt::Key_Up);
    QCOMPARE(panel.message(), QStringLiteral("second\nline"));
    // …and from its first line goes further back.
    QTest::keyClick(editor, Qt::Key_Up);
    QCOMPARE(panel.message(), QStringLiteral("first"));
    QTest::keyClick(editor, Qt::Key_Up);
    QCOMPARE(panel.message(), QStringLiteral("first")); // the oldest stays
    QTest::keyClick(editor, Qt::Key_Down);
    QCOMPARE(panel.message(), QStringLiteral("second\nline"));
    QTest::keyClick(editor, Qt::Key_Down);
    QCOMPARE(panel.message(), QStringLiteral("draft")); // past the newest: what was typed
    // The same message twice in a row is kept once.
    panel.setMessage(QStringLiteral("first"));
    panel.send();
    panel.setMessage(QStringLiteral("first"));
    panel.send();
    QCOMPARE(panel.history(), (QStringList{"first", "second\nline", "first"}));
    panel.disconnectFromServer();
}

QTEST_MAIN(TestPushPanel)
#include "tst_pushpanel.moc"
