// The traffic view as a debugging workbench, against a real engine and php-fpm: ids across
// restarts, the selection pinned to an entry, replays from the console's own copy (edited, as
// another user, as a fresh client), control headers of a replay, capture controls.

#include "replaydialog.h"
#include "trafficconsolefixture.h"
#include "trafficdetailwidget.h"
#include "trafficfilterproxymodel.h"
#include "trafficmarks.h"
#include "trafficreplay.h"

#include "engine/engine.h"
#include "observe/trafficlog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QItemSelectionModel>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QStatusBar>
#include <QTableView>

using namespace trafficconsole;

class TestConsoleTraffic final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void idsStayUniqueAcrossRestart();
    void selectionPinnedWhileRingTurnsOver();
    void resumeKeepsSelection();
    void replayWorksAfterEngineRingDroppedRow();
    void editAndReplaySendsEditsAndMarks();
    void replayControlHeaders_data();
    void replayControlHeaders();
    void replayAsFreshClientWhenClientLeft();
    void pauseOnFirstError();
    void captureOneClient();

private:
    /// The entry id of the table's current row; 0 when none.
    quint64 currentRowId() const;
    /// Sends `n` messages and waits for their replies.
    void chatter(QWebSocket *socket, int n, const QString &prefix);

    Console m_console;
    std::unique_ptr<QWebSocket> m_client;
    QByteArray m_clientId;
};

quint64 TestConsoleTraffic::currentRowId() const {
    TrafficLogView *view = m_console.view();
    const QModelIndex current = view->table()->selectionModel()->currentIndex();
    if (!current.isValid() || !view->table()->selectionModel()->isRowSelected(current.row()))
        return 0;
    return view->model()->entry(view->proxy()->mapToSource(current).row()).id;
}

void TestConsoleTraffic::chatter(QWebSocket *socket, int n, const QString &prefix) {
    QSignalSpy replies(socket, &QWebSocket::textMessageReceived);
    for (int i = 0; i < n; ++i)
        socket->sendTextMessage(QStringLiteral("%1 %2").arg(prefix).arg(i));
    QTRY_COMPARE_WITH_TIMEOUT(replies.count(), n, UiTimeoutMs);
}

void TestConsoleTraffic::initTestCase() {
    if (PhpFpmFixture::findBinary().isEmpty()) {
        if (qEnvironmentVariableIsSet("CI"))
            QFAIL("php-fpm: not installed");
        QSKIP("php-fpm: not installed");
    }
    QString error;
    QVERIFY2(m_console.start(&error), qPrintable(error));
    m_client = m_console.connect();
    QVERIFY(m_client);
    QCOMPARE(Console::say(m_client.get(), QStringLiteral("hello")).value("body").toString(),
             QStringLiteral("hello"));
    m_clientId = m_console.clientIdOf(m_client.get());
    QVERIFY(!m_clientId.isEmpty());
}

void TestConsoleTraffic::cleanupTestCase() {
    m_client.reset();
    m_console.stop();
}

void TestConsoleTraffic::idsStayUniqueAcrossRestart() {
    // The console keeps the rows of the engine before a restart; the new engine's ids must not
    // name them again, or replaying an old row would send a new session's message.
    const TrafficEntry before = m_console.waitPhpRow(m_clientId, "hello");
    QVERIFY(before.id != 0);
    const quint64 lastBefore = m_console.model()->lastId();
    m_client.reset();
    QVERIFY(m_console.stopGateway());
    QString error;
    QVERIFY2(m_console.startGateway(&error), qPrintable(error));

    m_client = m_console.connect();
    QVERIFY(m_client);
    chatter(m_client.get(), int(lastBefore) + 2, QStringLiteral("after restart"));
    m_clientId = m_console.clientIdOf(m_client.get());
    QVERIFY(!m_clientId.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(m_console.model()->lastId() > 2 * lastBefore, UiTimeoutMs);

    const TrafficLogModel *model = m_console.model();
    for (int row = 1; row < model->rowCount(); ++row)
        QVERIFY2(model->entry(row).id > model->entry(row - 1).id,
                 qPrintable(QStringLiteral("row %1: #%2 after #%3")
                                .arg(row)
                                .arg(model->entry(row).id)
                                .arg(model->entry(row - 1).id)));
    // The old row is found by its id, and a replay of it goes to its own client, who has left.
    TrafficLogView *view = m_console.view();
    QVERIFY(view->selectEntry(before.id));
    QCOMPARE(view->detail()->entry().php->requestBody, QByteArray("hello"));
    QSignalSpy finished(view->replayer(), &TrafficReplay::finished);
    QSignalSpy received(m_client.get(), &QWebSocket::textMessageReceived);
    QTest::mouseClick(view->detail()->replayButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, UiTimeoutMs);
    QCOMPARE(finished.at(0).at(0).toBool(), false);
    const QString message = finished.at(0).at(1).toString();
    QVERIFY2(message.contains(QStringLiteral("#%1").arg(before.id)) &&
                 message.contains(QStringLiteral("has left")),
             qPrintable(message));
    QVERIFY2(m_console.window()->statusBar()->currentMessage() == message,
             qPrintable(m_console.window()->statusBar()->currentMessage()));
    // A round trip: had the replay gone to the live client, its answer would be here first.
    QCOMPARE(Console::say(m_client.get(), QStringLiteral("ping")).value("body").toString(),
             QStringLiteral("ping"));
    QCOMPARE(received.count(), 1);
}

void TestConsoleTraffic::selectionPinnedWhileRingTurnsOver() {
    TrafficLogView *view = m_console.view();
    view->setRingSize(120);
    chatter(m_client.get(), 50, QStringLiteral("fill"));
    QTRY_COMPARE_WITH_TIMEOUT(m_console.model()->rowCount(), 120, UiTimeoutMs);
    // Traffic this fast fills the ring in far less than 10 s, and the view says so.
    QTRY_VERIFY_WITH_TIMEOUT(view->statusLineText().contains(QStringLiteral("keeps the last")),
                             UiTimeoutMs);

    const TrafficEntry picked = m_console.model()->entry(60);
    QVERIFY(view->selectEntry(picked.id));
    QCOMPARE(currentRowId(), picked.id);

    // Rows leave at the front: the selection follows the entry, not the row index.
    chatter(m_client.get(), 10, QStringLiteral("more"));
    QTRY_VERIFY_WITH_TIMEOUT(m_console.model()->entry(0).id > picked.id - 60 + 20, UiTimeoutMs);
    QCOMPARE(view->selectedEntryId(), picked.id);
    QCOMPARE(currentRowId(), picked.id);
    QCOMPARE(view->detail()->entryId(), picked.id);

    // The entry itself leaves: the detail pane stays on it and says so; nothing else is selected.
    chatter(m_client.get(), 40, QStringLiteral("past it"));
    QTRY_VERIFY_WITH_TIMEOUT(m_console.model()->entry(0).id > picked.id, UiTimeoutMs);
    QCOMPARE(view->detail()->entryId(), picked.id);
    QCOMPARE(view->selectedEntryId(), picked.id);
    QCOMPARE(currentRowId(), quint64(0));
    QVERIFY(view->detail()
                ->findChild<QLabel *>(QStringLiteral("trafficDetailDetached"))
                ->isVisibleTo(view->detail()));
    view->setRingSize(0);
}

void TestConsoleTraffic::resumeKeepsSelection() {
    TrafficLogView *view = m_console.view();
    view->setRingSize(100);
    chatter(m_client.get(), 40, QStringLiteral("before pause"));
    // The replies came before the console's next tick brings their rows: wait for them, or
    // they would arrive after the pause and be held too.
    const quint64 logged = m_console.window()->controller()->engine()->trafficLog()->lastId();
    QTRY_VERIFY_WITH_TIMEOUT(m_console.model()->lastId() >= logged, UiTimeoutMs);
    QCOMPARE(m_console.model()->rowCount(), 100);
    const TrafficEntry picked = m_console.model()->entry(90);
    QVERIFY(view->selectEntry(picked.id));

    view->setPaused(true);
    chatter(m_client.get(), 2, QStringLiteral("while paused"));
    const quint64 newest = m_console.window()->controller()->engine()->trafficLog()->lastId();
    QTRY_VERIFY_WITH_TIMEOUT(view->heldCount() > 0 &&
                                 m_console.model()->lastId() + view->heldCount() >= newest,
                             UiTimeoutMs);
    view->setPaused(false);
    QCOMPARE(m_console.model()->lastId(), newest);
    QCOMPARE(view->selectedEntryId(), picked.id);
    QCOMPARE(currentRowId(), picked.id);
    QCOMPARE(view->detail()->entryId(), picked.id);

    // Held past the ring: on resume every row is new, and the detail pane keeps the entry.
    view->setPaused(true);
    chatter(m_client.get(), 40, QStringLiteral("long pause"));
    QTRY_COMPARE_WITH_TIMEOUT(view->heldCount(), 100, UiTimeoutMs); // held, bounded by the ring
    view->setPaused(false);
    QTRY_VERIFY_WITH_TIMEOUT(m_console.model()->entry(0).id > picked.id, UiTimeoutMs);
    QCOMPARE(view->detail()->entryId(), picked.id);
    QCOMPARE(view->selectedEntryId(), picked.id);
    view->setRingSize(0);
}

void TestConsoleTraffic::replayWorksAfterEngineRingDroppedRow() {
    const QJsonObject first = Console::say(m_client.get(), QStringLiteral("keep me"));
    QCOMPARE(first.value("body").toString(), QStringLiteral("keep me"));
    const TrafficEntry kept = m_console.waitPhpRow(m_clientId, "keep me");
    QVERIFY(kept.id != 0);
    // The engine's ring is smaller than the console's: the engine forgets the row first.
    EngineController *controller = m_console.window()->controller();
    controller->setTrafficLogCapacity(100);
    chatter(m_client.get(), 40, QStringLiteral("push it out"));
    TrafficEntry gone;
    QTRY_VERIFY_WITH_TIMEOUT(!controller->engine()->trafficLog()->entry(kept.id, &gone),
                             UiTimeoutMs);

    TrafficLogView *view = m_console.view();
    QVERIFY(view->selectEntry(kept.id));
    QVERIFY(view->detail()->replayButton()->isEnabled());
    QSignalSpy received(m_client.get(), &QWebSocket::textMessageReceived);
    QTest::mouseClick(view->detail()->replayButton(), Qt::LeftButton);
    QVERIFY(received.wait(UiTimeoutMs));
    const QJsonObject again =
        QJsonDocument::fromJson(received.at(0).at(0).toString().toUtf8()).object();
    QCOMPARE(again.value("body").toString(), QStringLiteral("keep me"));
    QCOMPARE(again.value("replay").toString(), QStringLiteral("1"));
    QTRY_VERIFY_WITH_TIMEOUT(m_console.phpRow(m_clientId, "keep me").replayOf == kept.id,
                             UiTimeoutMs);
    QVERIFY(m_console.window()->statusBar()->currentMessage().contains(
        QStringLiteral("Replay of #%1 queued").arg(kept.id)));
    controller->setTrafficLogCapacity(0);
}

void TestConsoleTraffic::editAndReplaySendsEditsAndMarks() {
    Console::say(m_client.get(), QStringLiteral("original body"));
    const TrafficEntry original = m_console.waitPhpRow(m_clientId, "original body");
    QVERIFY(original.id != 0);
    TrafficLogView *view = m_console.view();
    QVERIFY(view->selectEntry(original.id));

    QSignalSpy received(m_client.get(), &QWebSocket::textMessageReceived);
    bool clientChosen = false;
    bool headersOffByDefault = false;
    {
        ModalDriver<ReplayDialog> edit([&](ReplayDialog *dialog) {
            clientChosen = dialog->asClientButton()->isChecked();
            headersOffByDefault = !dialog->controlHeadersBox()->isChecked();
            dialog->bodyEdit()->setPlainText(QStringLiteral("edited body"));
            dialog->userBox()->setChecked(true);
            dialog->userEdit()->setText(QStringLiteral("mallory"));
            dialog->groupsBox()->setChecked(true);
            dialog->groupsEdit()->setText(QStringLiteral("admins, ops"));
            QTest::mouseClick(dialog->buttons()->button(QDialogButtonBox::Ok), Qt::LeftButton);
        });
        QTest::mouseClick(view->detail()->editReplayButton(), Qt::LeftButton);
        QVERIFY(edit.acted());
    }
    QVERIFY(clientChosen);
    QVERIFY(headersOffByDefault);
    QVERIFY(received.wait(UiTimeoutMs));
    // What PHP got.
    const QJsonObject php =
        QJsonDocument::fromJson(received.at(0).at(0).toString().toUtf8()).object();
    QCOMPARE(php.value("body").toString(), QStringLiteral("edited body"));
    QCOMPARE(php.value("replay").toString(), QStringLiteral("1"));
    QCOMPARE(php.value("user").toString(), QStringLiteral("mallory"));
    QCOMPARE(php.value("groups").toString(), QStringLiteral("admins,ops"));
    QCOMPARE(php.value("client").toString(), QString::fromLatin1(m_clientId));

    // The log marks it as a replay and says which identity was sent.
    const TrafficEntry replayed = m_console.waitPhpRow(m_clientId, "edited body");
    QCOMPARE(replayed.replayOf, original.id);
    const int row = m_console.model()->rowOfId(replayed.id);
    QVERIFY(m_console.model()
                ->index(row, TrafficLogModel::Summary)
                .data()
                .toString()
                .startsWith(QStringLiteral("↻ replay of #%1").arg(original.id)));
    QVERIFY(view->selectEntry(replayed.id));
    const QString summary = view->detail()->summaryText();
    QVERIFY2(summary.contains(QStringLiteral("Replay of #%1").arg(original.id)) &&
                 summary.contains(QStringLiteral("user mallory")) &&
                 summary.contains(QStringLiteral("groups admins,ops")),
             qPrintable(summary));
    // Its own next message is its own again: the override was for the replay only.
    QCOMPARE(Console::say(m_client.get(), QStringLiteral("plain again")).value("user").toString(),
             QString());
}

void TestConsoleTraffic::replayControlHeaders_data() {
    QTest::addColumn<bool>("apply");
    QTest::newRow("not applied by default") << false;
    QTest::newRow("applied when ticked") << true;
}

void TestConsoleTraffic::replayControlHeaders() {
    QFETCH(bool, apply);
    const QString group = apply ? QStringLiteral("ticked-room") : QStringLiteral("default-room");
    const QString body = QStringLiteral("join:%1").arg(group);
    // Logged once while PHP's join is stripped: the replay's reply is what may apply it.
    Console::say(m_client.get(), QStringLiteral("original of ") + body);
    const TrafficEntry original =
        m_console.waitPhpRow(m_clientId, (QStringLiteral("original of ") + body).toUtf8());
    TrafficLogView *view = m_console.view();
    QVERIFY(view->selectEntry(original.id));
    QSignalSpy received(m_client.get(), &QWebSocket::textMessageReceived);
    {
        ModalDriver<ReplayDialog> edit([&](ReplayDialog *dialog) {
            dialog->bodyEdit()->setPlainText(body);
            dialog->controlHeadersBox()->setChecked(apply);
            QTest::mouseClick(dialog->buttons()->button(QDialogButtonBox::Ok), Qt::LeftButton);
        });
        view->editReplay(view->detail()->entry());
        QVERIFY(edit.acted());
    }
    QVERIFY(received.wait(UiTimeoutMs));
    // The session's groups, as PHP sees them on the next message.
    const QString groups =
        Console::say(m_client.get(), QStringLiteral("which groups")).value("groups").toString();
    QCOMPARE(groups.split(QLatin1Char(','), Qt::SkipEmptyParts).contains(group), apply);
}

void TestConsoleTraffic::replayAsFreshClientWhenClientLeft() {
    auto leaving = m_console.connect({}, QStringLiteral("room=fresh&who=leaver"));
    QVERIFY(leaving);
    Console::say(leaving.get(), QStringLiteral("from the leaver"));
    const QByteArray leaverId = m_console.clientIdOf(leaving.get());
    const TrafficEntry original = m_console.waitPhpRow(leaverId, "from the leaver");
    QVERIFY(original.id != 0);
    leaving->close();
    TrafficReplay *replayer = m_console.view()->replayer();
    QTRY_VERIFY_WITH_TIMEOUT(!replayer->isConnected(leaverId), UiTimeoutMs);

    TrafficLogView *view = m_console.view();
    QVERIFY(view->selectEntry(original.id));
    bool clientDisabled = false;
    QString url;
    {
        ModalDriver<ReplayDialog> edit([&](ReplayDialog *dialog) {
            clientDisabled = !dialog->asClientButton()->isEnabled();
            url = dialog->freshUrl();
            dialog->asFreshButton()->setChecked(true);
            QTest::mouseClick(dialog->buttons()->button(QDialogButtonBox::Ok), Qt::LeftButton);
        });
        QTest::mouseClick(view->detail()->editReplayButton(), Qt::LeftButton);
        QVERIFY(edit.acted());
    }
    QVERIFY(clientDisabled);
    QVERIFY2(url.startsWith(m_console.window()->controller()->listenUrl()) &&
                 url.endsWith(QStringLiteral("?room=fresh&who=leaver")),
             qPrintable(url));
    // A new client sent it, marked as a replay of the leaver's message, with its path and query.
    TrafficEntry replayed;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const TrafficLogModel *model = m_console.model();
            for (int row = model->rowCount() - 1; row >= 0; --row) {
                if (model->entry(row).replayOf == original.id) {
                    replayed = model->entry(row);
                    return true;
                }
            }
            return false;
        }(),
        UiTimeoutMs);
    QVERIFY(replayed.clientId != leaverId);
    QCOMPARE(replayed.php->requestBody, QByteArray("from the leaver"));
    QCOMPARE(Console::paramOf(replayed, "WS_REPLAY"), QByteArray("1"));
    QCOMPARE(Console::paramOf(replayed, "QUERY_STRING"), QByteArray("room=fresh&who=leaver"));
    QTRY_COMPARE_WITH_TIMEOUT(replayer->openFreshClients(), 0, UiTimeoutMs);
}

void TestConsoleTraffic::pauseOnFirstError() {
    TrafficLogView *view = m_console.view();
    view->setPauseOnFirstError(true);
    QSignalSpy replies(m_client.get(), &QWebSocket::textMessageReceived);
    m_client->sendTextMessage(QStringLiteral("fine before"));
    m_client->sendTextMessage(QStringLiteral("fail"));
    m_client->sendTextMessage(QStringLiteral("fine after"));
    QTRY_COMPARE_WITH_TIMEOUT(replies.count(), 3, UiTimeoutMs); // the 500's is an error message
    QTRY_VERIFY_WITH_TIMEOUT(view->isPaused(), UiTimeoutMs);
    const TrafficEntry &selected = view->detail()->entry();
    QCOMPARE(selected.kind, TrafficEntry::Kind::Php);
    QCOMPARE(selected.php->requestBody, QByteArray("fail"));
    QVERIFY(view->statusLineText().contains(QStringLiteral("Paused at the first error")));
    // Nothing after the error is shown until Resume.
    QCOMPARE(m_console.phpRow(m_clientId, "fine after").id, quint64(0));
    view->setPauseOnFirstError(false);
    view->setPaused(false);
    QVERIFY(m_console.waitPhpRow(m_clientId, "fine after").id != 0);
}

void TestConsoleTraffic::captureOneClient() {
    auto other = m_console.connect({}, QStringLiteral("room=other"));
    QVERIFY(other);
    TrafficLogView *view = m_console.view();
    view->setCaptureClient(m_clientId);
    QVERIFY(view->statusLineText().contains(QString::fromLatin1(m_clientId)));
    Console::say(other.get(), QStringLiteral("not kept"));
    Console::say(m_client.get(), QStringLiteral("kept"));
    QVERIFY(m_console.waitPhpRow(m_clientId, "kept").id != 0);
    const TrafficLogModel *model = m_console.model();
    for (int row = 0; row < model->rowCount(); ++row)
        QVERIFY(model->entry(row).php == nullptr ||
                model->entry(row).php->requestBody != QByteArray("not kept"));
    view->setCaptureClient({});
    QVERIFY(!view->statusLineText().contains(QString::fromLatin1(m_clientId)));
}

QTEST_MAIN(TestConsoleTraffic)
#include "tst_consoletraffic.moc"
