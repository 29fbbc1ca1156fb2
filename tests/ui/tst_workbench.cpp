// The console as a debugging workbench, against a real Engine (offscreen): a client's
// conversation with the pushes that reached it, closed clients kept, the first run (start
// page, "Start the demo"), and settings applied with a restart.

#include "connectionsmodel.h"
#include "connectionsview.h"
#include "conversationmodel.h"
#include "conversationview.h"
#include "fpm/managedphp.h"
#include "mainwindow.h"
#include "phpfpmfixture.h"
#include "pushpanel.h"
#include "settingsdialog.h"
#include "settingsstore.h"
#include "startpage.h"
#include "theme.h"

#include <QAbstractButton>
#include <QAction>
#include <QApplication>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QLocalServer>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QToolButton>
#include <QWebSocket>

#include <functional>
#include <memory>

#include <unistd.h>

namespace {

constexpr int StartTimeoutMs = 20000;
constexpr int UiTimeoutMs = 10000;

/// Acts once on the application's modal dialog of type T as soon as it is shown (its exec()
/// blocks the test); a modal dialog still open at the timeout is rejected.
template <typename T> class ModalDriver final {
public:
    explicit ModalDriver(std::function<void(T *)> act)
        : m_act(std::move(act)) {
        m_clock.start();
        m_timer.setInterval(10);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] { poll(); });
        m_timer.start();
    }
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

Configuration loopback() {
    Configuration c;
    c.listenHost = QStringLiteral("127.0.0.1");
    c.listenPort = 0;
    c.pushHost = QStringLiteral("127.0.0.1");
    c.pushPort = 0;
    return c;
}

} // namespace

class TestWorkbench final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void conversationHasThePushesThatReachedTheClient();
    void firstRunShowsTheStartPage();
    void startTheDemoStartsManagedPhpAndOpensItsPage();
    void applyAndRestartUsesTheNewValue();
    void startPageChecksTheSystemsPools();
    void socketCheckNamesOwnerAndFix();
    void everyIconFollowsTheDarkTheme();
    void firstWindowFitsTheScreen();

private:
    std::unique_ptr<MainWindow> makeWindow(const Configuration &config);
    std::unique_ptr<QWebSocket> connectClient(MainWindow *window, const QString &path = {});
    QByteArray idOf(MainWindow *window, const QSet<QByteArray> &known);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QSettings> m_settings;
};

void TestWorkbench::init() {
    m_dir = std::make_unique<QTemporaryDir>();
    m_settings = std::make_unique<QSettings>(m_dir->filePath(QStringLiteral("wsgate.ini")),
                                             QSettings::IniFormat);
}

void TestWorkbench::cleanup() {
    m_settings.reset();
    m_dir.reset();
}

std::unique_ptr<MainWindow> TestWorkbench::makeWindow(const Configuration &config) {
    auto window = std::make_unique<MainWindow>(config, m_settings.get());
    window->controller()->setSampleInterval(100);
    window->show();
    return window;
}

std::unique_ptr<QWebSocket> TestWorkbench::connectClient(MainWindow *window, const QString &path) {
    auto socket = std::make_unique<QWebSocket>();
    QSignalSpy connected(socket.get(), &QWebSocket::connected);
    QUrl url(window->controller()->listenUrl());
    if (!path.isEmpty())
        url.setPath(path);
    socket->open(url);
    if (!connected.wait(UiTimeoutMs))
        return nullptr;
    return socket;
}

QByteArray TestWorkbench::idOf(MainWindow *window, const QSet<QByteArray> &known) {
    const ConnectionsModel *model = window->connectionsView()->model();
    for (int r = 0; r < model->rowCount(); ++r) {
        if (!known.contains(model->client(r).id) && !model->isClosed(r))
            return model->client(r).id;
    }
    return {};
}

void TestWorkbench::conversationHasThePushesThatReachedTheClient() {
    PhpFpmFixture fpm;
    WSGATE_START_PHP_FPM(fpm);
    Configuration c = loopback();
    QString error;
    c.fastcgi = *FastCgiAddress::parse(fpm.fastcgiAddress(), &error);
    c.script = PhpFpmFixture::script(QStringLiteral("ui_echo.php"));
    auto window = makeWindow(c);
    window->startGateway();
    QTRY_COMPARE_WITH_TIMEOUT(window->controller()->state(), EngineController::State::Running,
                              StartTimeoutMs);

    // a joins lobby, b joins dev.
    auto a = connectClient(window.get());
    QVERIFY(a);
    QTRY_VERIFY_WITH_TIMEOUT(!idOf(window.get(), {}).isEmpty(), UiTimeoutMs);
    const QByteArray idA = idOf(window.get(), {});
    auto b = connectClient(window.get());
    QVERIFY(b);
    QTRY_VERIFY_WITH_TIMEOUT(!idOf(window.get(), {idA}).isEmpty(), UiTimeoutMs);
    const QByteArray idB = idOf(window.get(), {idA});
    QSignalSpy toA(a.get(), &QWebSocket::textMessageReceived);
    QSignalSpy toB(b.get(), &QWebSocket::textMessageReceived);
    a->sendTextMessage(QStringLiteral("join:lobby"));
    b->sendTextMessage(QStringLiteral("join:dev"));
    QTRY_COMPARE_WITH_TIMEOUT(toA.count(), 1, UiTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(toB.count(), 1, UiTimeoutMs);

    PushPanel *push = window->pushPanel();
    QSignalSpy pushed(push, &PushPanel::pushed);
    const auto pushTo = [&](EngineController::Target target, const QString &name,
                            const QString &text) {
        push->setTarget(target, name);
        push->setPayload(text);
        push->send();
    };
    pushTo(EngineController::Target::Group, QStringLiteral("lobby"), QStringLiteral("to-lobby"));
    QTRY_COMPARE_WITH_TIMEOUT(pushed.count(), 1, UiTimeoutMs);
    pushTo(EngineController::Target::Group, QStringLiteral("dev"), QStringLiteral("to-dev"));
    QTRY_COMPARE_WITH_TIMEOUT(pushed.count(), 2, UiTimeoutMs);
    pushTo(EngineController::Target::Everyone, {}, QStringLiteral("to-all"));
    QTRY_COMPARE_WITH_TIMEOUT(pushed.count(), 3, UiTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(toA.count(), 3, UiTimeoutMs);

    // A's conversation, opened as a double-click on its connection row would.
    window->showConversation(idA);
    QCOMPARE(window->tabs()->currentWidget(), window->conversationView());
    const ConversationModel *model = window->conversationView()->model();
    const auto bodies = [model] {
        QStringList out;
        for (int r = 0; r < model->rowCount(); ++r) {
            const TrafficEntry &e = model->entry(r);
            if (e.kind == TrafficEntry::Kind::Push)
                out << QString::fromUtf8(e.body);
        }
        return out;
    };
    QTRY_COMPARE_WITH_TIMEOUT(bodies(), (QStringList{"to-lobby", "to-all"}), UiTimeoutMs);
    bool sawMessage = false;
    bool sawPhp = false;
    for (int r = 0; r < model->rowCount(); ++r) {
        sawMessage = sawMessage || (model->entry(r).kind == TrafficEntry::Kind::MessageIn &&
                                    model->entry(r).body == "join:lobby");
        sawPhp = sawPhp || model->entry(r).kind == TrafficEntry::Kind::Php;
        QCOMPARE(model->entry(r).clientId.isEmpty() || model->entry(r).clientId == idA, true);
    }
    QVERIFY(sawMessage);
    QVERIFY(sawPhp);
    window->showConversation(idB);
    QTRY_COMPARE_WITH_TIMEOUT(bodies(), (QStringList{"to-dev", "to-all"}), UiTimeoutMs);

    // A leaves: greyed in Connections, and its conversation still opens, close included.
    a->close();
    ConnectionsModel *connections = window->connectionsView()->model();
    QTRY_VERIFY_WITH_TIMEOUT(connections->rowOfId(idA) >= 0 &&
                                 connections->isClosed(connections->rowOfId(idA)),
                             UiTimeoutMs);
    QCOMPARE(
        connections->index(connections->rowOfId(idA), 0).data(Qt::ForegroundRole).value<QColor>(),
        QApplication::palette().color(QPalette::Disabled, QPalette::Text));
    window->showConversation(idA);
    QTRY_VERIFY_WITH_TIMEOUT(model->rowCount() > 0 && model->entry(model->rowCount() - 1).kind ==
                                                          TrafficEntry::Kind::Close,
                             UiTimeoutMs);
    QCOMPARE(bodies(), (QStringList{"to-lobby", "to-all"}));
    QVERIFY2(window->conversationView()->headerText().contains(QStringLiteral("closed")),
             qPrintable(window->conversationView()->headerText()));
}

void TestWorkbench::firstRunShowsTheStartPage() {
    auto window = makeWindow(loopback()); // no script, no demo: nothing to start
    QVERIFY(window->showsStartPage());
    QCOMPARE(window->centralWidget()->isVisible(), true);
    window->startGateway(); // F5
    QCOMPARE(window->controller()->state(), EngineController::State::Stopped);
    QVERIFY(window->showsStartPage());
    QVERIFY2(window->startPage()->messageText().contains(QStringLiteral("no handler script")),
             qPrintable(window->startPage()->messageText()));
    QVERIFY(window->statusBar()->currentMessage().contains(QStringLiteral("no handler script")));
    // With a script the tabs are there from the start.
    Configuration c = loopback();
    c.script = QStringLiteral("/srv/app/ws.php");
    auto configured = makeWindow(c);
    QVERIFY(!configured->showsStartPage());
}

void TestWorkbench::startTheDemoStartsManagedPhpAndOpensItsPage() {
    if (ManagedPhp::findBinary().isEmpty()) {
        if (qEnvironmentVariableIsSet("CI"))
            QFAIL("no php-fpm binary for the demo");
        QSKIP("no php-fpm binary for the demo");
    }
    auto window = makeWindow(loopback());
    QList<QUrl> opened;
    window->setUrlOpener([&opened](const QUrl &url) {
        opened << url;
        return true;
    });
    QVERIFY(window->showsStartPage());
    QTest::mouseClick(window->startPage()->demoButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(window->controller()->state(), EngineController::State::Running,
                              StartTimeoutMs);
    QVERIFY(!window->showsStartPage());
    QVERIFY(window->controller()->configuration().demo);
    QVERIFY(window->controller()->engine());
    const QUrl page = window->demoPageUrl();
    QCOMPARE(page.scheme(), QStringLiteral("http"));
    QCOMPARE(page.host(), QStringLiteral("127.0.0.1"));
    QCOMPARE(page.port(), int(window->controller()->listenPort()));
    QCOMPARE(page.path(), QStringLiteral("/"));
    QCOMPARE(opened, QList<QUrl>{page}); // opened once, in "the browser"
    QVERIFY2(window->statusText().contains(page.toString()), qPrintable(window->statusText()));
    auto *open = window->findChild<QAction *>(QStringLiteral("openDemoAction"));
    QVERIFY(open && open->isVisible());
    open->trigger();
    QCOMPARE(opened.size(), 2);
    // The choice is saved: the next start is no first run.
    QVERIFY(SettingsStore(m_settings.get(), window->secrets()).load().demo);
    // And the managed PHP answers: a message gets the chat handler's reply.
    auto client = connectClient(window.get());
    QVERIFY(client);
    QSignalSpy replies(client.get(), &QWebSocket::textMessageReceived);
    client->sendTextMessage(QStringLiteral("{\"join\":\"lobby\"}"));
    QVERIFY(replies.wait(UiTimeoutMs));
}

void TestWorkbench::applyAndRestartUsesTheNewValue() {
    Configuration c = loopback();
    c.script = QStringLiteral("/srv/app/ws.php");
    c.fastcgi = *FastCgiAddress::parse(m_dir->filePath(QStringLiteral("none.sock")), nullptr);
    auto window = makeWindow(c);
    window->startGateway();
    QTRY_COMPARE_WITH_TIMEOUT(window->controller()->state(), EngineController::State::Running,
                              StartTimeoutMs);
    QVERIFY(window->controller()->listenUrl().endsWith(QStringLiteral("/ws")));
    QSignalSpy states(window->controller(), &EngineController::stateChanged);
    {
        ModalDriver<SettingsDialog> driver([](SettingsDialog *dialog) {
            dialog->setOptionText(QStringLiteral("path"), QStringLiteral("/ws2"));
            QTest::mouseClick(dialog->restartButton(), Qt::LeftButton);
        });
        window->openSettings();
        QVERIFY(driver.acted());
    }
    QTRY_COMPARE_WITH_TIMEOUT(window->controller()->state(), EngineController::State::Running,
                              StartTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(window->controller()->listenUrl().endsWith(QStringLiteral("/ws2")),
                             StartTimeoutMs);
    QList<EngineController::State> seen;
    for (const QList<QVariant> &s : states)
        seen << s.at(0).value<EngineController::State>();
    QVERIFY(seen.contains(EngineController::State::Stopped)); // it did restart
    QCOMPARE(seen.constLast(), EngineController::State::Running);
    QVERIFY(connectClient(window.get(), QStringLiteral("/ws2")));
    QCOMPARE(SettingsStore(m_settings.get(), window->secrets()).load().path,
             QStringLiteral("/ws2"));
}

void TestWorkbench::startPageChecksTheSystemsPools() {
    // A fake /etc/php and /run/php: one pool whose socket answers (status page off), one
    // whose socket is missing.
    const QString etc = m_dir->filePath(QStringLiteral("etc"));
    const QString run = m_dir->filePath(QStringLiteral("run"));
    QDir().mkpath(etc + QStringLiteral("/8.2/fpm/pool.d"));
    QDir().mkpath(run);
    QLocalServer server;
    QVERIFY(server.listen(run + QStringLiteral("/php8.2-fpm.sock")));
    QFile www(etc + QStringLiteral("/8.2/fpm/pool.d/www.conf"));
    QVERIFY(www.open(QIODevice::WriteOnly));
    www.write("; Debian's default, trimmed\n[www]\nuser = www-data\nlisten = " +
              server.fullServerName().toUtf8() + "\npm.max_children = 5\n");
    www.close();
    QFile app(etc + QStringLiteral("/8.2/fpm/pool.d/app.conf"));
    QVERIFY(app.open(QIODevice::WriteOnly));
    app.write("[app]\nlisten = " + run.toUtf8() +
              "/app.sock\npm.status_path = /status\nping.path = /ping\n");
    app.close();

    auto window = makeWindow(loopback());
    StartPage *page = window->startPage();
    page->setScanRoots(etc, run);
    const QList<FpmPoolScanner::Pool> pools = page->pools();
    QCOMPARE(pools.size(), 2);
    int wwwRow = pools.at(0).name == QLatin1String("www") ? 0 : 1;
    QCOMPARE(pools.at(wwwRow).address, QStringLiteral("unix:") + server.fullServerName());
    QCOMPARE(pools.at(wwwRow).phpVersion, QStringLiteral("8.2"));
    page->selectPool(wwwRow);
    QVERIFY2(page->checkText().contains(QStringLiteral("can connect")),
             qPrintable(page->checkText()));
    QCOMPARE(page->fixText(), QString());
    QVERIFY(page->statusPageText().contains(QStringLiteral("pm.status_path = /fpm-status")));
    QVERIFY(page->statusPageText().contains(QStringLiteral("ping.path = /fpm-ping")));
    page->selectPool(1 - wwwRow);
    QVERIFY2(page->checkText().contains(QStringLiteral("does not exist")),
             qPrintable(page->checkText()));
    QVERIFY(!page->fixText().isEmpty());
    QCOMPARE(page->statusPageText(), QString()); // its status page is on

    // Picking the pool that answers, with a script, saves it and starts.
    page->selectPool(wwwRow);
    QVERIFY(!page->useButton()->isEnabled());
    page->setScript(QStringLiteral("/srv/app/ws.php"));
    QVERIFY(page->useButton()->isEnabled());
    QTest::mouseClick(page->useButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(window->controller()->state(), EngineController::State::Running,
                              StartTimeoutMs);
    const Configuration saved = SettingsStore(m_settings.get(), window->secrets()).load();
    QCOMPARE(saved.fastcgi.path, server.fullServerName());
    QCOMPARE(saved.script, QStringLiteral("/srv/app/ws.php"));
    QVERIFY(!window->showsStartPage());
}

void TestWorkbench::socketCheckNamesOwnerAndFix() {
    if (geteuid() == 0)
        QSKIP("root opens any socket: the permission check needs an ordinary user");
    QLocalServer server;
    QVERIFY(server.listen(m_dir->filePath(QStringLiteral("private.sock"))));
    // A socket this user may not open says who owns it and how to get in.
    QFile::setPermissions(server.fullServerName(), QFile::ReadOwner);
    const FpmPoolScanner::SocketCheck check = FpmPoolScanner::checkSocket(server.fullServerName());
    QVERIFY(!check.connectable);
    QVERIFY(check.problem.contains(QStringLiteral("mode 0400")));
    QVERIFY(check.fix.contains(QStringLiteral("usermod -aG")) ||
            check.fix.contains(QStringLiteral("newgrp")));
}

// Every icon of ours is drawn in the palette's ink: an icon set straight from its resource keeps
// the light theme's dark strokes, near invisible on the dark theme (the start page's Copy
// buttons were, and the View menu's tab actions). Qt's own (a line edit's clear button, a dock's
// title buttons, the tool bar's extension) are the style's; a tool bar's button shows its action.
void TestWorkbench::everyIconFollowsTheDarkTheme() {
    auto window = makeWindow(loopback());
    auto *dark = window->findChild<QAction *>(QStringLiteral("darkThemeAction"));
    QVERIFY(dark);
    dark->setChecked(true);
    const auto unthemed = [](QObject *o) {
        for (QObject *p = o->parent(); p; p = p->parent()) {
            if (qobject_cast<QLineEdit *>(p))
                return false;
        }
        return o->property("wsgateIcon").toString().isEmpty();
    };
    QStringList plain;
    for (QAbstractButton *b : window->findChildren<QAbstractButton *>()) {
        const auto *tool = qobject_cast<QToolButton *>(b);
        if (!b->icon().isNull() && !(tool && tool->defaultAction()) &&
            !b->objectName().startsWith(QLatin1String("qt_")) && unthemed(b))
            plain << b->objectName() + QLatin1Char('/') + b->text();
    }
    for (QAction *a : window->findChildren<QAction *>()) {
        if (!a->icon().isNull() && unthemed(a))
            plain << a->objectName() + QLatin1Char('/') + a->text();
    }
    dark->setChecked(false);
    QVERIFY2(plain.isEmpty(), qPrintable(plain.join(QLatin1String(", "))));
    QVERIFY(window->startPage()->findChildren<QPushButton *>().size() >= 4);
    window.reset();

    // Started dark (the setting kept from last time): every icon is the dark one from the start.
    m_settings->setValue(QStringLiteral("view/darkTheme"), true);
    auto started = makeWindow(loopback());
    QStringList light;
    QList<QObject *> all = started->findChildren<QObject *>();
    for (QObject *o : std::as_const(all)) {
        const QString name = o->property("wsgateIcon").toString();
        if (name.isEmpty())
            continue;
        QIcon shown;
        if (auto *b = qobject_cast<QAbstractButton *>(o))
            shown = b->icon();
        else if (auto *a = qobject_cast<QAction *>(o))
            shown = a->icon();
        if (shown.pixmap(16).toImage() != Theme::icon(name).pixmap(16).toImage())
            light << o->objectName() + QLatin1Char('/') + name;
    }
    // The logo is a picture, not ink: its white letter stays white on the dark theme.
    QCOMPARE(Theme::icon(QStringLiteral("wsgate")).pixmap(32).toImage(),
             QIcon(QStringLiteral(":/wsgate/ui/icons/wsgate.svg")).pixmap(32).toImage());
    auto *startedDark = started->findChild<QAction *>(QStringLiteral("darkThemeAction"));
    QVERIFY(startedDark && startedDark->isChecked());
    startedDark->setChecked(false);
    QVERIFY2(light.isEmpty(), qPrintable(light.join(QLatin1String(", "))));
}

// With no saved geometry the window opens within the screen (1440×900 is more than a common
// laptop's 1366×768), or at its least size where that is bigger (the offscreen screen, 800 wide).
void TestWorkbench::firstWindowFitsTheScreen() {
    auto window = makeWindow(loopback());
    const QSize room = window->screen()->availableGeometry().size();
    const QSize least = window->minimumSizeHint();
    QVERIFY2(window->width() <= qMax(room.width(), least.width()) &&
                 window->height() <= qMax(room.height(), least.height()),
             qPrintable(QStringLiteral("%1×%2 on %3×%4")
                            .arg(window->width())
                            .arg(window->height())
                            .arg(room.width())
                            .arg(room.height())));
}

QTEST_MAIN(TestWorkbench)
#include "tst_workbench.moc"
