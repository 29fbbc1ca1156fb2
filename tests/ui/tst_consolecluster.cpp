// The console with --cluster: its status bar says whether Redis is reachable and how many nodes
// the registry holds, against a real redis-server (and then without it).

#include "config/configuration.h"
#include "enginecontroller.h"
#include "mainwindow.h"
#include "redisfixture.h"
#include "steadylabel.h"

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

} // namespace

void TestConsoleCluster::statusBarShowsTheCluster() {
    RedisFixture redis;
    WSGATE_START_REDIS(redis);
    QTemporaryDir dir;
    QSettings settings(dir.filePath(QStringLiteral("c.ini")), QSettings::IniFormat);
    MainWindow window(consoleConfig(redis.url()), &settings);
    window.controller()->setSampleInterval(50);
    window.controller()->start();
    QTRY_COMPARE_WITH_TIMEOUT(window.controller()->state(), EngineController::State::Running,
                              15000);
    auto *label = window.statusBar()->findChild<SteadyLabel *>(QStringLiteral("clusterLabel"));
    QVERIFY(label);
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
    QTemporaryDir dir;
    QSettings settings(dir.filePath(QStringLiteral("c.ini")), QSettings::IniFormat);
    MainWindow window(consoleConfig(QString()), &settings);
    window.controller()->setSampleInterval(50);
    window.controller()->start();
    QTRY_COMPARE_WITH_TIMEOUT(window.controller()->state(), EngineController::State::Running,
                              15000);
    auto *label = window.statusBar()->findChild<SteadyLabel *>(QStringLiteral("clusterLabel"));
    QVERIFY(label);
    QTest::qWait(200); // a few samples
    QVERIFY(label->isHidden());
    QVERIFY(!window.statusText().contains(QLatin1String("cluster")));
    window.controller()->shutdown();
}

QTEST_MAIN(TestConsoleCluster)
#include "tst_consolecluster.moc"
