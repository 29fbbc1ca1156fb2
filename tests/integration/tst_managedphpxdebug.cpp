#include "fpm/managedphp.h"
#include "fpm/xdebugsupport.h"
#include "managedphprequests.h"
#include "testmain.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

using namespace managedphptest;

namespace {
/// Plays the IDE: accepts Xdebug's DBGp connections, keeps each session's init packet and
/// answers it with `detach`, so the script runs on.
struct FakeIde {
    QTcpServer server;
    int connections = 0;
    QList<QByteArray> initPackets; // the XML of each <init>
    int otherPackets = 0;          // responses (to our detach)

    bool listen() {
        QObject::connect(&server, &QTcpServer::newConnection, &server, [this] {
            while (QTcpSocket *s = server.nextPendingConnection()) {
                ++connections;
                QObject::connect(s, &QTcpSocket::readyRead, s, [this, s] { read(s); });
                QObject::connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
        return server.listen(QHostAddress::LocalHost, 0);
    }
    void read(QTcpSocket *s) {
        QByteArray buffer = s->property("dbgp").toByteArray() + s->readAll();
        // A DBGp packet: the XML's length in decimal, NUL, the XML, NUL.
        for (;;) {
            const qsizetype nul = buffer.indexOf('\0');
            const qsizetype length = nul < 0 ? 0 : buffer.left(nul).toLongLong();
            if (nul < 0 || buffer.size() < nul + 1 + length + 1)
                break;
            const QByteArray xml = buffer.mid(nul + 1, length);
            buffer.remove(0, nul + 1 + length + 1);
            if (xml.contains("<init ")) {
                initPackets << xml;
                s->write(QByteArrayLiteral("detach -i 1\0"));
            } else {
                ++otherPackets;
            }
        }
        s->setProperty("dbgp", buffer);
    }
    /// Takes any connection already in the listen queue: Xdebug connects before the script
    /// runs, so once a reply is in, a session for it would be there.
    int connectionsNow() {
        server.waitForNewConnection(0);
        return connections;
    }
};
} // namespace

/// Managed PHP with Xdebug (Debian's php8.2-xdebug): trigger mode, the trigger params, a fake
/// IDE. Without Xdebug these skip, or fail when CI is set (scripts/setup.sh installs it).
class TestManagedPhpXdebug final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void xdebugTriggerStartsOneSession_data();
    void xdebugTriggerStartsOneSession();
    void xdebugTriggerWithoutIdeStillAnswers();
    void xdebugPortZeroLoadsNothing();
    void xdebugInstallHint();

private:
    bool m_havePhp = false;
};

void TestManagedPhpXdebug::initTestCase() {
    m_havePhp = !ManagedPhp::findBinary().isEmpty();
    if (!m_havePhp && qEnvironmentVariableIsSet("CI"))
        QFAIL("no php-fpm binary (install php8.2-fpm)");
}

// With Xdebug installed the managed pool loads it in trigger mode: a request carrying
// xdebugTriggerParams() opens a DBGp session to the IDE; requests without, before and after it
// in the same worker, open none.
void TestManagedPhpXdebug::xdebugTriggerStartsOneSession_data() {
    QTest::addColumn<bool>("byIni");
    // Debian's php8.2-xdebug enables itself for every PHP (conf.d/20-xdebug.ini); setup.sh
    // switches it off, so the first row loads it with -d zend_extension, the second as a user
    // who kept Debian's default has it.
    QTest::newRow("installed, not enabled: we load it") << false;
    QTest::newRow("enabled by PHP's own ini") << true;
}

void TestManagedPhpXdebug::xdebugTriggerStartsOneSession() {
    if (!m_havePhp)
        QSKIP("no php-fpm binary");
    QFETCH(bool, byIni);
    QTemporaryDir iniDir;
    const QByteArray oldScanDir = qgetenv("PHP_INI_SCAN_DIR");
    const bool hadScanDir = qEnvironmentVariableIsSet("PHP_INI_SCAN_DIR");
    if (byIni) {
        QFile ini(iniDir.filePath(QStringLiteral("90-xdebug.ini")));
        QVERIFY(ini.open(QIODevice::WriteOnly));
        ini.write("zend_extension=xdebug\n");
        ini.close();
        // A leading ':' keeps PHP's own scan dir and adds ours.
        qputenv("PHP_INI_SCAN_DIR", ":" + QFile::encodeName(iniDir.path()));
    }
    FakeIde ide;
    QVERIFY(ide.listen());
    ManagedPhp::Options options;
    options.maxChildren = 1; // one worker: the trigger must not stick to it
    options.processManager = ManagedPhp::ProcessManager::Static;
    options.xdebugPort = ide.server.serverPort();
    ManagedPhp php(options);
    php.start(); // php-fpm takes its environment now
    if (byIni)
        hadScanDir ? qputenv("PHP_INI_SCAN_DIR", oldScanDir) : qunsetenv("PHP_INI_SCAN_DIR");
    QTRY_COMPARE_WITH_TIMEOUT(php.state(), ManagedPhp::State::Running, StartWaitMs);
    if (!php.xdebugAvailable()) {
        if (qEnvironmentVariableIsSet("CI"))
            QFAIL(qPrintable(QStringLiteral("Xdebug is missing: ") + php.xdebugHint()));
        QSKIP(qPrintable(QStringLiteral("Xdebug is missing: ") + php.xdebugHint()));
    }
    // Loaded twice, Xdebug would complain in the log on every start.
    if (byIni)
        QVERIFY2(!php.arguments().join(QLatin1Char(' ')).contains(QStringLiteral("zend_extension")),
                 qPrintable(php.arguments().join(QLatin1Char(' '))));
    QCOMPARE(php.xdebugHint(),
             QStringLiteral("Xdebug: listen on 127.0.0.1:%1 in your IDE").arg(options.xdebugPort));
    QVERIFY2(php.arguments().contains(QStringLiteral("xdebug.start_with_request=trigger")),
             qPrintable(php.arguments().join(QLatin1Char(' '))));
    QCOMPARE(ManagedPhp::xdebugTriggerParams(),
             PhpParams({{QByteArrayLiteral("XDEBUG_TRIGGER"), QByteArrayLiteral("1")}}));
    auto pool = poolFor(php.fastcgiAddress());

    const QJsonObject before = managedEnv(*pool);
    QCOMPARE(before.value("xdebug").toBool(), true);
    QCOMPARE(before.value("xdebug_mode").toString(), QStringLiteral("debug"));
    QCOMPARE(before.value("xdebug_start").toString(), QStringLiteral("trigger"));
    QCOMPARE(before.value("xdebug_port").toString(), QString::number(options.xdebugPort));
    // How the trigger reaches Xdebug: the FastCGI params in $_ENV.
    QCOMPARE(before.value("variables_order").toString(), QStringLiteral("EGPCS"));
    QCOMPARE(ide.connectionsNow(), 0);

    const QJsonObject triggered = managedEnv(*pool, ManagedPhp::xdebugTriggerParams());
    QCOMPARE(triggered.value("xdebug").toBool(), true); // answered after the IDE detached
    QCOMPARE(ide.connectionsNow(), 1);
    QCOMPARE(ide.initPackets.size(), 1);
    QVERIFY2(ide.initPackets.at(0).contains("managed_env.php"), ide.initPackets.at(0).constData());
    QVERIFY2(ide.initPackets.at(0).contains("<engine version="), ide.initPackets.at(0).constData());

    const QJsonObject after = managedEnv(*pool);
    QCOMPARE(after.value("xdebug").toBool(), true);
    QCOMPARE(after.value("pid").toInt(), triggered.value("pid").toInt()); // the same worker
    QCOMPARE(ide.connectionsNow(), 1);
    QCOMPARE(ide.initPackets.size(), 1);
}

// A trigger with no IDE listening costs a refused connect: the request still answers, and
// Xdebug's complaint arrives as the request's STDERR (the console shows it beside it).
void TestManagedPhpXdebug::xdebugTriggerWithoutIdeStillAnswers() {
    if (!m_havePhp)
        QSKIP("no php-fpm binary");
    quint16 closedPort = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        closedPort = probe.serverPort();
    }
    ManagedPhp::Options options;
    options.maxChildren = 1;
    options.xdebugPort = closedPort;
    ManagedPhp php(options);
    php.start();
    QTRY_COMPARE_WITH_TIMEOUT(php.state(), ManagedPhp::State::Running, StartWaitMs);
    if (!php.xdebugAvailable()) {
        if (qEnvironmentVariableIsSet("CI"))
            QFAIL(qPrintable(QStringLiteral("Xdebug is missing: ") + php.xdebugHint()));
        QSKIP(qPrintable(QStringLiteral("Xdebug is missing: ") + php.xdebugHint()));
    }
    auto pool = poolFor(php.fastcgiAddress());
    const auto r = request(*pool, PhpFpmFixture::script(QStringLiteral("managed_env.php")),
                           ManagedPhp::xdebugTriggerParams());
    QVERIFY(r);
    QCOMPARE(r->outcome, PhpOutcome::Ok);
    QCOMPARE(r->status, 200);
    QVERIFY2(r->stderrData.contains("Could not connect to debugging client"),
             r->stderrData.constData());
}

// xdebugPort 0: nothing Xdebug on PHP's command line, the pool as it always was.
void TestManagedPhpXdebug::xdebugPortZeroLoadsNothing() {
    if (!m_havePhp)
        QSKIP("no php-fpm binary");
#ifdef Q_OS_UNIX
    ManagedPhp::Options options;
    options.maxChildren = 1;
    options.xdebugPort = 0;
    ManagedPhp php(options);
    php.start();
    QTRY_COMPARE_WITH_TIMEOUT(php.state(), ManagedPhp::State::Running, StartWaitMs);
    QVERIFY(!php.xdebugAvailable());
    QCOMPARE(php.xdebugHint(), QStringLiteral("Xdebug off (no port)"));
    const QString arguments = php.arguments().join(QLatin1Char(' '));
    QVERIFY2(arguments.contains(QStringLiteral("--fpm-config")), qPrintable(arguments));
    QVERIFY2(!arguments.contains(QStringLiteral("xdebug")), qPrintable(arguments));
    QVERIFY2(!arguments.contains(QStringLiteral("variables_order")), qPrintable(arguments));
#else
    QSKIP("POSIX only");
#endif
}

void TestManagedPhpXdebug::xdebugInstallHint() {
#ifndef Q_OS_WIN
    QCOMPARE(XdebugSupport::installHint(QStringLiteral("/usr/sbin/php-fpm8.2")),
             QStringLiteral("apt install php8.2-xdebug"));
    QCOMPARE(XdebugSupport::installHint(QStringLiteral("/usr/sbin/php-fpm8.3")),
             QStringLiteral("apt install php8.3-xdebug"));
    QCOMPARE(XdebugSupport::installHint(QStringLiteral("/usr/local/sbin/php-fpm")),
             QStringLiteral("apt install php-xdebug"));
#endif
    // A binary that is no PHP has no Xdebug.
    QVERIFY(!XdebugSupport::detect(QStringLiteral("/nonexistent/php-fpm")).available());
}
WSGATE_TEST_MAIN(TestManagedPhpXdebug)
#include "tst_managedphpxdebug.moc"
