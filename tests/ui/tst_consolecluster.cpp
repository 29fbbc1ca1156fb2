// The console with --cluster: its status bar says whether Redis is reachable and how many nodes
// the registry holds, against a real redis-server (and then without it).

#include "config/configuration.h"
#include "enginecontroller.h"
#include "mainwindow.h"
#include "redisfixture.h"
#include "steadylabel.h"

#include <QElapsedTimer>
#include <QSettings>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>

class TestConsoleCluster : public QObject {
    Q_OBJECT
private slots:
    void statusBarShowsTheCluster();
    void noClusterNoLabel();
};

namespace {

constexpr int StartTimeoutMs = 15000;

Configuration consoleConfig(const QString &clusterUrl) {
    Configuration config;
    config.listenHost = QStringLiteral("127.0.0.1");
    config.listenPort = 0;
    config.pushHost = QStringLiteral("127.0.0.1");
    config.pushPort = 0;
    config.script = QStringLiteral("/nonexistent/ws.php"); // no PHP needed: nobody sends
    config.fastcgi = *FastCgiAddress::parse(QStringLiteral("unix:/nonexistent/fpm.sock"), nullptr);
    config.clusterUrl = clusterUrl;
    config.nodeId = QStringLiteral("console-node");
    return config;
}

/// A console window with its own settings file, its engine started.
struct Console {
    explicit Console(const QString &clusterUrl)
        : settings(dir.filePath(QStringLiteral("c.ini")), QSettings::IniFormat)
        , window(consoleConfig(clusterUrl), &settings) {}
    /// Starts the engine and returns the status bar's cluster label (null: none, or no start).
    SteadyLabel *start() {
        window.controller()->setSampleInterval(50);
        window.controller()->start();
        QElapsedTimer clock;
        clock.start();
        while (window.controller()->state() != EngineController::State::Running &&
               clock.elapsed() < StartTimeoutMs)
            QTest::qWait(20);
        if (window.controller()->state() != EngineController::State::Running)
            return nullptr;
        return window.statusBar()->findChild<SteadyLabel *>(QStringLiteral("clusterLabel"));
    }
    QTemporaryDir dir;
    QSettings settings;
    MainWindow window;
};

} // namespace

void TestConsoleCluster::statusBarShowsTheCluster() {
    RedisFixture redis;
    WSGATE_START_REDIS(redis);
    Console console(redis.url());
    SteadyLabel *label = console.start();
    QVERIFY(label);
    MainWindow &window = console.window;
    // The first heartbeat reads the registry back: this node alone.
    QTRY_COMPARE_WITH_TIMEOUT(label->text(), QStringLiteral("cluster: 1 node"), 10000);
    QVERIFY(!label->isHidden());

    redis.kill();
    QTRY_VERIFY_WITH_TIMEOUT(label->text().contains(QLatin1String("Redis unreachable")), 10000);
    QVERIFY(window.statusText().contains(QLatin1String("Redis unreachable")));

    WSGATE_START_REDIS(redis);
    QTRY_COMPARE_WITH_TIMEOUT(label->text(), QStringLiteral("cluster: 1 node"), 20000);
    window.controller()->shutdown();
}

void TestConsoleCluster::noClusterNoLabel() {
    Console console{QString()};
    SteadyLabel *label = console.start();
    QVERIFY(label);
    MainWindow &window = console.window;
    QTest::qWait(200); // a few samples
    QVERIFY(label->isHidden());
    QVERIFY(!window.statusText().contains(QLatin1String("cluster")));
    window.controller()->shutdown();
}

QTEST_MAIN(TestConsoleCluster)
#include "tst_consolecluster.moc"
