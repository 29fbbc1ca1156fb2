// The traffic view's detail pane and files, against a real engine and php-fpm: PHP's errors
// first (STDERR split and counted, the failed exchange opening on it, "Errors only", F8,
// file:line links), secrets masked in the pane, exports and copies, captures read back.

#include "editorlauncher.h"
#include "stderrview.h"
#include "trafficconsolefixture.h"
#include "trafficdetailwidget.h"
#include "trafficfilterproxymodel.h"
#include "trafficmarks.h"

#include <QCheckBox>
#include <QClipboard>
#include <QFileDialog>
#include <QFileInfo>
#include <QJsonArray>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTextBrowser>
#include <QToolButton>

using namespace trafficconsole;

namespace {

const QByteArray SessionCookie = "PHPSESSID=abc123sessionsecret; theme=dark";
const QByteArray Bearer = "Bearer tok-xyz-bearer-secret";

/// Param name → value as the params table shows them.
QHash<QString, QString> shownParams(const QTableWidget *table) {
    QHash<QString, QString> out;
    for (int r = 0; r < table->rowCount(); ++r)
        out.insert(table->item(r, 0)->text(), table->item(r, 1)->text());
    return out;
}

QByteArray readAll(const QString &fileName) {
    QFile f(fileName);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestConsoleTrafficDetail final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void failedExchangeOpensWhereTheReasonIs_data();
    void failedExchangeOpensWhereTheReasonIs();
    void stderrSplitIntoMessages();
    void errorsOnlyShowsA200WithAWarning();
    void nextErrorKey();
    void stderrLinksOpenTheEditor();
    void secretsMaskedInDetailUntilRevealed();
    void secretsMaskedInExportAndCopy();
    void exportConfirmsAndCanIncludeSecrets();
    void importedExportIsReadOnly();
    void copyAsWebsocat();
    void screenshot();

private:
    /// Selects the PHP row of `body` from the secret-carrying client.
    TrafficEntry select(const QByteArray &body);

    Console m_console;
    std::unique_ptr<QWebSocket> m_client;
    QByteArray m_clientId;
};

TrafficEntry TestConsoleTrafficDetail::select(const QByteArray &body) {
    const TrafficEntry e = m_console.waitPhpRow(m_clientId, body);
    if (e.id)
        m_console.view()->selectEntry(e.id);
    return e;
}

void TestConsoleTrafficDetail::initTestCase() {
    if (PhpFpmFixture::findBinary().isEmpty()) {
        if (qEnvironmentVariableIsSet("CI"))
            QFAIL("php-fpm: not installed");
        QSKIP("php-fpm: not installed");
    }
    QString error;
    QVERIFY2(m_console.start(&error), qPrintable(error));
    m_client = m_console.connect({{"Cookie", SessionCookie}, {"Authorization", Bearer}});
    QVERIFY(m_client);
    for (const QString &text :
         {QStringLiteral("clean"), QStringLiteral("warn"), QStringLiteral("multi"),
          QStringLiteral("fail"), QStringLiteral("quietfail"), QStringLiteral("clean again")})
        QVERIFY(!Console::say(m_client.get(), text).isEmpty()); // a 500's is an error message
    m_clientId = m_console.clientIdOf(m_client.get());
    QVERIFY(!m_clientId.isEmpty());
    QVERIFY(m_console.waitPhpRow(m_clientId, "clean again").id != 0);
}

void TestConsoleTrafficDetail::cleanupTestCase() {
    m_client.reset();
    m_console.stop();
}

void TestConsoleTrafficDetail::failedExchangeOpensWhereTheReasonIs_data() {
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("onStderr");
    QTest::addColumn<QString>("headline");
    QTest::newRow("500 with STDERR")
        << QByteArray("fail") << true << QStringLiteral("PHP: status 500 Internal Server Error");
    QTest::newRow("500 without STDERR") << QByteArray("quietfail") << false
                                        << QStringLiteral("PHP: status 500 Internal Server Error");
}

void TestConsoleTrafficDetail::failedExchangeOpensWhereTheReasonIs() {
    QFETCH(QByteArray, body);
    QFETCH(bool, onStderr);
    QFETCH(QString, headline);
    TrafficDetailWidget *detail = m_console.view()->detail();
    // The developer was reading a request: a good exchange keeps that tab.
    QVERIFY(select("clean").id != 0);
    detail->tabs()->setCurrentIndex(0);
    QVERIFY(select("clean again").id != 0);
    QCOMPARE(detail->tabs()->currentIndex(), 0);

    QVERIFY(select(body).id != 0);
    QCOMPARE(detail->tabs()->currentWidget(), onStderr ? detail->stderrTab() : detail->replyTab());
    QVERIFY2(detail->summaryText().contains(headline), qPrintable(detail->summaryText()));
    QVERIFY(!detail->summaryText().contains(QStringLiteral("PHP: ok")));
}

void TestConsoleTrafficDetail::stderrSplitIntoMessages() {
    QVERIFY(select("multi").id != 0);
    TrafficDetailWidget *detail = m_console.view()->detail();
    const QList<PhpStderr::Message> messages = detail->stderrView()->messages();
    QCOMPARE(messages.size(), 5);
    const QList<PhpStderr::Severity> severities = {
        PhpStderr::Severity::Log, PhpStderr::Severity::Warning, PhpStderr::Severity::Deprecated,
        PhpStderr::Severity::Notice, PhpStderr::Severity::Log};
    for (int i = 0; i < messages.size(); ++i)
        QCOMPARE(messages.at(i).severity, severities.at(i));
    QCOMPARE(messages.at(0).text, QStringLiteral("first plain line"));
    QCOMPARE(messages.at(4).text, QStringLiteral("second plain line\nwith a second line"));
    QVERIFY(messages.at(1).text.startsWith(QStringLiteral("PHP Warning:  watch out in ")));
    QCOMPARE(detail->tabs()->tabText(detail->tabs()->indexOf(detail->stderrTab())),
             QStringLiteral("STDERR (5)"));
    QCOMPARE(detail->stderrView()->browser()->lineWrapMode(), QTextEdit::WidgetWidth);
    const QString shown = detail->stderrView()->browser()->toPlainText();
    QVERIFY2(shown.contains(QStringLiteral("WARNING")) &&
                 shown.contains(QStringLiteral("DEPRECATED")) &&
                 shown.contains(QStringLiteral("NOTICE")) &&
                 !shown.contains(QStringLiteral("; PHP message:")),
             qPrintable(shown));
    QVERIFY2(detail->summaryText().contains(QStringLiteral("1 warning, 1 notice, 1 deprecation")),
             qPrintable(detail->summaryText()));
}

void TestConsoleTrafficDetail::errorsOnlyShowsA200WithAWarning() {
    TrafficLogView *view = m_console.view();
    view->errorsOnlyBox()->setChecked(true);
    QList<QByteArray> shown;
    for (int r = 0; r < view->proxy()->rowCount(); ++r) {
        const TrafficEntry &e =
            view->model()->entry(view->proxy()->mapToSource(view->proxy()->index(r, 0)).row());
        if (e.kind == TrafficEntry::Kind::Php && e.clientId == m_clientId)
            shown << e.php->requestBody;
    }
    view->errorsOnlyBox()->setChecked(false);
    QVERIFY2(shown.contains("warn"), qPrintable(QString::fromLatin1(shown.join(','))));
    QVERIFY(shown.contains("multi")); // a warning among its messages
    QVERIFY(shown.contains("fail"));
    QVERIFY(shown.contains("quietfail"));
    QVERIFY(!shown.contains("clean"));
    QVERIFY(!shown.contains("clean again"));
    // The row itself is marked, in the status column.
    const TrafficEntry warn = m_console.waitPhpRow(m_clientId, "warn");
    const int row = m_console.model()->rowOfId(warn.id);
    QCOMPARE(m_console.model()->index(row, TrafficLogModel::Status).data().toString(),
             QStringLiteral("⚠ 200"));
}

void TestConsoleTrafficDetail::nextErrorKey() {
    TrafficLogView *view = m_console.view();
    m_console.window()->tabs()->setCurrentWidget(view);
    m_console.window()->activateWindow();
    QApplication::setActiveWindow(m_console.window());
    QVERIFY(QTest::qWaitForWindowActive(m_console.window()));
    QVERIFY(select("clean").id != 0);
    const quint64 clean = view->selectedEntryId();
    quint64 previous = clean;
    QList<QByteArray> visited;
    for (int i = 0; i < 4; ++i) {
        QTest::keyClick(m_console.window(), Qt::Key_F8);
        const TrafficEntry &e = view->detail()->entry();
        QVERIFY(TrafficMarks::isProblem(e));
        QVERIFY(e.id > previous);
        previous = e.id;
        if (e.php && e.clientId == m_clientId)
            visited << e.php->requestBody;
    }
    // warn, multi, fail (its PHP row, then its error row), quietfail: in log order.
    QCOMPARE(visited.value(0), QByteArray("warn"));
    QCOMPARE(visited.value(1), QByteArray("multi"));
    QCOMPARE(visited.value(2), QByteArray("fail"));
    QTest::keyClick(m_console.window(), Qt::Key_F8, Qt::ShiftModifier);
    QVERIFY(view->detail()->entry().id < previous);
}

void TestConsoleTrafficDetail::stderrLinksOpenTheEditor() {
    QVERIFY(select("warn").id != 0);
    TrafficLogView *view = m_console.view();
    EditorLauncher *editor = view->editorLauncher();
    QString program;
    QStringList arguments;
    editor->setStarter([&](const QString &p, const QStringList &a) {
        program = p;
        arguments = a;
        return true;
    });
    editor->setCommand(QStringLiteral("phpstorm --line %l %f"));
    StderrView *stderrView = view->detail()->stderrView();
    QCOMPARE(stderrView->messages().at(0).locations.size(), 1);
    const PhpStderr::Location where = stderrView->messages().at(0).locations.at(0);
    QCOMPARE(where.file, PhpFpmFixture::script(QStringLiteral("ui_traffic.php")));
    QVERIFY(where.line > 0);
    // A click on the link, as the browser reports it.
    const QString html = stderrView->browser()->toHtml();
    QVERIFY2(html.contains(QStringLiteral("wsgate-edit:0/0")), qPrintable(html));
    Q_EMIT stderrView->browser()->anchorClicked(QUrl(QStringLiteral("wsgate-edit:0/0")));
    QCOMPARE(program, QStringLiteral("phpstorm"));
    QCOMPARE(arguments,
             (QStringList{QStringLiteral("--line"), QString::number(where.line), where.file}));
    // Without a command (and no VS Code on the PATH), the click says how to set one.
    editor->setCommand(QStringLiteral("code -g %f:%l"));
    QString error;
    QVERIFY(stderrView->openLocation(0, 0, &error));
    QCOMPARE(program, QStringLiteral("code"));
    QCOMPARE(arguments, (QStringList{QStringLiteral("-g"),
                                     where.file + QLatin1Char(':') + QString::number(where.line)}));
    editor->setCommand({});
    if (EditorLauncher::defaultCommand().isEmpty()) {
        QVERIFY(!stderrView->openLocation(0, 0, &error));
        QVERIFY2(error.contains(QStringLiteral("Editor…")), qPrintable(error));
    }
}

void TestConsoleTrafficDetail::secretsMaskedInDetailUntilRevealed() {
    QVERIFY(select("clean").id != 0);
    TrafficDetailWidget *detail = m_console.view()->detail();
    QHash<QString, QString> params = shownParams(detail->paramsTable());
    QCOMPARE(params.value("HTTP_COOKIE"), QStringLiteral("PHPSESSID=********; theme=********"));
    QCOMPARE(params.value("HTTP_AUTHORIZATION"), QStringLiteral("Bearer ********"));
    QCOMPARE(params.value("WS_PUSH_TOKEN"), QStringLiteral("********"));
    QCOMPARE(params.value("WS_CLIENT_ID"), QString::fromLatin1(m_clientId)); // the rest as is

    QTest::mouseClick(detail->revealButton(), Qt::LeftButton);
    params = shownParams(detail->paramsTable());
    QCOMPARE(params.value("HTTP_COOKIE"), QString::fromLatin1(SessionCookie));
    QCOMPARE(params.value("HTTP_AUTHORIZATION"), QString::fromLatin1(Bearer));
    QCOMPARE(params.value("WS_PUSH_TOKEN"), PushToken);

    // Off again on the next selection.
    QVERIFY(select("clean again").id != 0);
    QVERIFY(!detail->secretsRevealed());
    QVERIFY(!detail->revealButton()->isChecked());
    QCOMPARE(detail->revealButton()->text(), QStringLiteral("Reveal secrets"));
    QCOMPARE(shownParams(detail->paramsTable()).value("WS_PUSH_TOKEN"), QStringLiteral("********"));
}

void TestConsoleTrafficDetail::secretsMaskedInExportAndCopy() {
    TrafficLogView *view = m_console.view();
    view->setClientFilter(m_clientId);
    const QString masked = m_console.dir().filePath(QStringLiteral("masked.jsonl"));
    QString error;
    QVERIFY2(view->exportJsonLines(masked, &error), qPrintable(error));
    const QByteArray text = readAll(masked);
    QVERIFY(text.contains("PHPSESSID=********"));
    QVERIFY(!text.contains("abc123sessionsecret"));
    QVERIFY(!text.contains("tok-xyz-bearer-secret"));
    QVERIFY(!text.contains(PushToken.toUtf8()));
    QCOMPARE(QFileInfo(masked).permissions() & ~(QFileDevice::ReadUser | QFileDevice::WriteUser),
             QFileDevice::ReadOwner | QFileDevice::WriteOwner);

    const QString clear = m_console.dir().filePath(QStringLiteral("clear.jsonl"));
    QVERIFY2(view->exportJsonLines(clear, &error, true), qPrintable(error));
    QVERIFY(readAll(clear).contains("abc123sessionsecret"));
    QVERIFY(readAll(clear).contains(PushToken.toUtf8()));
    QCOMPARE(QFileInfo(clear).permissions() & ~(QFileDevice::ReadUser | QFileDevice::WriteUser),
             QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    view->setClientFilter({});

    // Copy from the context menu: masked.
    const TrafficEntry row = select("clean");
    const int proxyRow =
        view->proxy()
            ->mapFromSource(m_console.model()->index(m_console.model()->rowOfId(row.id), 0))
            .row();
    QMenu *menu = view->contextMenu(proxyRow);
    auto *copyParams = menu->findChild<QAction *>(QStringLiteral("copyParamsAction"));
    QVERIFY(copyParams);
    copyParams->trigger();
    const QString copied = QApplication::clipboard()->text();
    QVERIFY2(copied.contains(QStringLiteral("HTTP_AUTHORIZATION=Bearer ********")),
             qPrintable(copied));
    QVERIFY(copied.contains(QStringLiteral("WS_PUSH_TOKEN=********")));
    QVERIFY(!copied.contains(QStringLiteral("abc123sessionsecret")));
    delete menu;
}

void TestConsoleTrafficDetail::exportConfirmsAndCanIncludeSecrets() {
    TrafficLogView *view = m_console.view();
    view->setClientFilter(m_clientId);
    const int rows = view->proxy()->rowCount();
    const QString file = m_console.dir().filePath(QStringLiteral("dialog.jsonl"));
    bool hadBox = false;
    {
        ModalDriver<QFileDialog> save([&](QFileDialog *dialog) {
            auto *secrets = dialog->findChild<QCheckBox *>(QStringLiteral("exportIncludeSecrets"));
            hadBox = secrets != nullptr;
            if (secrets)
                secrets->setChecked(true);
            dialog->selectFile(file);
            static_cast<QDialog *>(dialog)->accept();
        });
        ModalDriver<QMessageBox> failure([](QMessageBox *box) { box->reject(); });
        QTest::mouseClick(view->findChild<QToolButton *>(QStringLiteral("trafficExport")),
                          Qt::LeftButton);
        QVERIFY(save.acted());
        QVERIFY(!failure.acted());
    }
    QVERIFY(hadBox);
    QVERIFY(readAll(file).contains("abc123sessionsecret"));
    const QString confirmation = view->statusLineText();
    QVERIFY2(confirmation.contains(QStringLiteral("Exported %1 rows to %2").arg(rows).arg(file)),
             qPrintable(confirmation));
    QVERIFY(m_console.window()->statusBar()->currentMessage().contains(file));
    view->setClientFilter({});
}

void TestConsoleTrafficDetail::importedExportIsReadOnly() {
    TrafficLogView *view = m_console.view();
    view->setClientFilter(m_clientId);
    const QString file = m_console.dir().filePath(QStringLiteral("capture.jsonl"));
    QString error;
    QVERIFY2(view->exportJsonLines(file, &error), qPrintable(error));
    const int rows = view->proxy()->rowCount();
    view->setClientFilter({});

    QVERIFY2(view->openCapture(file, &error), qPrintable(error));
    QVERIFY(view->isShowingCapture());
    QVERIFY2(view->bannerText().contains(QStringLiteral("Capture from capture.jsonl")),
             qPrintable(view->bannerText()));
    QCOMPARE(view->model()->rowCount(), rows);
    QCOMPARE(view->proxy()->rowCount(), rows);
    // The rows are the exported ones: a failed exchange with its STDERR and masked secrets.
    TrafficEntry fail;
    for (int r = 0; r < view->model()->rowCount(); ++r) {
        if (view->model()->entry(r).php && view->model()->entry(r).php->requestBody == "fail")
            fail = view->model()->entry(r);
    }
    QVERIFY(fail.id != 0);
    QVERIFY(view->selectEntry(fail.id));
    TrafficDetailWidget *detail = view->detail();
    QCOMPARE(detail->tabs()->currentWidget(), detail->stderrTab());
    QCOMPARE(detail->stderrView()->messages().size(), 2);
    QCOMPARE(shownParams(detail->paramsTable()).value("HTTP_COOKIE"),
             QStringLiteral("PHPSESSID=********; theme=********"));
    QVERIFY(!detail->replayButton()->isEnabled());
    QVERIFY(!detail->editReplayButton()->isEnabled());
    QVERIFY(detail->replayButton()->toolTip().contains(QStringLiteral("read-only")));
    QMenu *menu = view->contextMenu(
        view->proxy()
            ->mapFromSource(view->model()->index(view->model()->rowOfId(fail.id), 0))
            .row());
    QVERIFY(!menu->findChild<QAction *>(QStringLiteral("editReplayAction"))->isEnabled());
    delete menu;

    // Live rows keep coming behind it; back to them.
    Console::say(m_client.get(), QStringLiteral("while the capture is open"));
    QVERIFY(m_console.waitPhpRow(m_clientId, "while the capture is open").id != 0);
    QCOMPARE(view->model()->rowCount(), rows);
    view->closeCapture();
    QVERIFY(!view->isShowingCapture());
    QVERIFY(view->bannerText().isEmpty());
    QVERIFY(view->model() == m_console.model());
    // A file that is not an export is refused with the line that is wrong.
    const QString bad = m_console.dir().filePath(QStringLiteral("bad.jsonl"));
    QFile f(bad);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{\"id\":1,\"kind\":\"message\"}\nnot json\n");
    f.close();
    QVERIFY(!view->openCapture(bad, &error));
    QVERIFY2(error.contains(QStringLiteral("line 2")), qPrintable(error));
    QVERIFY(!view->isShowingCapture());
}

void TestConsoleTrafficDetail::copyAsWebsocat() {
    TrafficLogView *view = m_console.view();
    const TrafficEntry row = select("clean");
    QVERIFY(row.id != 0);
    const int proxyRow =
        view->proxy()
            ->mapFromSource(m_console.model()->index(m_console.model()->rowOfId(row.id), 0))
            .row();
    QMenu *menu = view->contextMenu(proxyRow);
    menu->findChild<QAction *>(QStringLiteral("copyWebsocatAction"))->trigger();
    const QString host = QString::fromLatin1(Console::paramOf(row, "HTTP_HOST"));
    QCOMPARE(
        QApplication::clipboard()->text(),
        QStringLiteral("printf '%s\\0' 'clean' | websocat -0 -1 'ws://%1/ws?room=test'").arg(host));
    menu->findChild<QAction *>(QStringLiteral("copyWscatAction"))->trigger();
    QCOMPARE(QApplication::clipboard()->text(),
             QStringLiteral("wscat -c 'ws://%1/ws?room=test' -x 'clean' -w 2").arg(host));
    delete menu;
}

void TestConsoleTrafficDetail::screenshot() {
    const QString dir = qEnvironmentVariable("WSGATE_SCREENSHOT_DIR");
    if (dir.isEmpty())
        QSKIP("set WSGATE_SCREENSHOT_DIR to save screenshots");
    QDir().mkpath(dir);
    // The whole window at the size the walkthrough used, the failed exchange selected:
    // its row marked, the header's reason, STDERR open with its messages.
    MainWindow *window = m_console.window();
    window->resize(1600, 1000);
    window->tabs()->setCurrentWidget(m_console.view());
    QVERIFY(select("fail").id != 0);
    QCOMPARE(m_console.view()->detail()->tabs()->currentWidget(),
             m_console.view()->detail()->stderrTab());
    QTest::qWait(200); // layout and paint after the resize; not a sync point
    const QString path = QDir(dir).filePath(QStringLiteral("traffic-stderr.png"));
    QVERIFY2(window->grab().save(path), qPrintable(path));
}

QTEST_MAIN(TestConsoleTrafficDetail)
#include "tst_consoletrafficdetail.moc"
