#include "fastcgi/fastcgipool.h"
#include "fpm/managedphp.h"
#include "phpfpmfixture.h"
#include "testmain.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QtTest>

#include <memory>

#ifdef Q_OS_UNIX
#include <cerrno>
#include <csignal>
#include <sys/types.h>
#include <unistd.h>
#endif

using namespace std::chrono_literals;

namespace {
constexpr int StartWaitMs = 20000;

std::unique_ptr<FastCgiPool> poolFor(const QString &address) {
    QString error;
    const auto parsed = FastCgiAddress::parse(address, &error);
    if (!parsed)
        qFatal("bad address %s: %s", qPrintable(address), qPrintable(error));
    FastCgiPoolOptions options;
    options.address = *parsed;
    options.maxConnections = 1;
    return std::make_unique<FastCgiPool>(options);
}

std::optional<PhpResponse> request(PhpBackend &backend, const QString &script) {
    const QByteArray path = script.toUtf8();
    PhpRequest req;
    req.params = {{"GATEWAY_INTERFACE", "CGI/1.1"},    {"REQUEST_METHOD", "GET"},
                  {"SCRIPT_FILENAME", path},           {"SCRIPT_NAME", "/managed_env.php"},
                  {"REQUEST_URI", "/managed_env.php"}, {"QUERY_STRING", ""},
                  {"SERVER_PROTOCOL", "HTTP/1.1"}};
    std::optional<PhpResponse> result;
    backend.submit(req, [&](const PhpResponse &r) { result = r; });
    if (!QTest::qWaitFor([&] { return result.has_value(); }, StartWaitMs))
        return std::nullopt;
    return result;
}

#ifdef Q_OS_UNIX
// A zombie (its parent is gone and PID 1 does not reap here) counts as gone: it runs nothing.
bool processRuns(qint64 pid) {
    if (::kill(static_cast<pid_t>(pid), 0) != 0)
        return errno != ESRCH;
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray text = stat.readAll();
    const int close = text.lastIndexOf(')');
    return close < 0 || text.mid(close + 2, 1) != "Z";
}

// Live (non-zombie) processes in process group `group`.
QList<qint64> liveGroupMembers(qint64 group) {
    QList<qint64> out;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &entry : entries) {
        bool isPid = false;
        const qint64 pid = entry.toLongLong(&isPid);
        if (!isPid)
            continue;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray text = stat.readAll();
        const int close = text.lastIndexOf(')');
        if (close < 0)
            continue;
        // After "comm)": state ppid pgrp ...
        const QList<QByteArray> fields = text.mid(close + 2).split(' ');
        if (fields.size() > 2 && fields.at(2).toLongLong() == group && fields.at(0) != "Z")
            out << pid;
    }
    return out;
}
#endif
} // namespace

class TestManagedPhp final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void startsAndServes_data();
    void startsAndServes();
    void restartsAfterMasterIsKilled();
    void stopLeavesNothing();
    void givenRuntimeDirKeepsDirectory();
    void missingBinaryFails();
    void brokenConfigFailsAfterRetries();

private:
    bool m_havePhp = false;
};

void TestManagedPhp::initTestCase() {
    m_havePhp = !ManagedPhp::findBinary().isEmpty();
    if (!m_havePhp && qEnvironmentVariableIsSet("CI"))
        QFAIL("no php-fpm binary (install php8.2-fpm)");
}

void TestManagedPhp::startsAndServes_data() {
    QTest::addColumn<bool>("tcp");
    QTest::addColumn<int>("pm");
    QTest::newRow("unix socket, dynamic") << false << int(ManagedPhp::ProcessManager::Dynamic);
    QTest::newRow("loopback tcp, static") << true << int(ManagedPhp::ProcessManager::Static);
}

void TestManagedPhp::startsAndServes() {
    if (!m_havePhp)
        QSKIP("no php-fpm binary");
    QFETCH(bool, tcp);
    QFETCH(int, pm);
    ManagedPhp::Options options;
    options.tcp = tcp;
    options.maxChildren = 2;
    options.processManager = ManagedPhp::ProcessManager(pm);
    options.maxMessageBytes = 1024 * 1024;
    options.environment = {{QStringLiteral("WSGATE_TEST_ENV"), QStringLiteral("from-wsgate")}};
    ManagedPhp php(options);
    QSignalSpy states(&php, &ManagedPhp::stateChanged);
    QSignalSpy log(&php, &ManagedPhp::logLines);
    php.start();
    QTRY_COMPARE_WITH_TIMEOUT(php.state(), ManagedPhp::State::Running, StartWaitMs);
    QCOMPARE(states.size(), 2);
    QCOMPARE(states.at(0).at(0).value<ManagedPhp::State>(), ManagedPhp::State::Starting);
    QCOMPARE(states.at(1).at(0).value<ManagedPhp::State>(), ManagedPhp::State::Running);
    QVERIFY(php.pid() > 0);
    QVERIFY(php.fastcgiAddress().startsWith(tcp ? "tcp:127.0.0.1:" : "unix:/"));
    if (!tcp)
        QVERIFY(QFileInfo::exists(php.socketPath()));

    QFile conf(php.configPath());
    QVERIFY(conf.open(QIODevice::ReadOnly));
    const QByteArray config = conf.readAll();
    QVERIFY(config.contains("pm.status_path = /fpm-status\n"));
    QVERIFY(config.contains("ping.path = /fpm-ping\n"));
    QVERIFY(config.contains("catch_workers_output = yes\n"));
    // The pool section (after [wsgate]) must set no error_log, or STDERR never reaches us.
    QVERIFY(!config.mid(config.indexOf("[wsgate]")).contains("error_log"));

    auto pool = poolFor(php.fastcgiAddress());
    const auto r = request(*pool, PhpFpmFixture::script(QStringLiteral("managed_env.php")));
    QVERIFY(r);
    QCOMPARE(r->outcome, PhpOutcome::Ok);
    QCOMPARE(r->status, 200);
    const QJsonObject body = QJsonDocument::fromJson(r->body).object();
    QCOMPARE(body.value("env").toString(), QStringLiteral("from-wsgate"));
    QCOMPARE(body.value("post_max_size").toString(), QString::number(3 * 1024 * 1024 + 64 * 1024));
    QVERIFY(r->stderrData.contains("managed-stderr"));
    QVERIFY(!r->body.contains("managed-stderr"));

    QTRY_VERIFY(!log.isEmpty());
    QStringList lines;
    for (const auto &args : log)
        lines += args.at(0).toStringList();
    QVERIFY2(lines.join('\n').contains("ready to handle connections"),
             qPrintable(lines.join('\n')));
}

void TestManagedPhp::restartsAfterMasterIsKilled() {
    if (!m_havePhp)
        QSKIP("no php-fpm binary");
#ifdef Q_OS_UNIX
    ManagedPhp::Options options;
    options.maxChildren = 2;
    options.processManager = ManagedPhp::ProcessManager::Static;
    options.restartBackoffMin = 10ms;
    ManagedPhp php(options);
    php.start();
    QTRY_COMPARE_WITH_TIMEOUT(php.state(), ManagedPhp::State::Running, StartWaitMs);
    const qint64 firstPid = php.pid();
    const QString address = php.fastcgiAddress();
    QVERIFY(!liveGroupMembers(firstPid).isEmpty());

    QSignalSpy states(&php, &ManagedPhp::stateChanged);
    QCOMPARE(::kill(static_cast<pid_t>(firstPid), SIGKILL), 0);
    QTRY_COMPARE_WITH_TIMEOUT(php.restartCount(), 1, StartWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(php.state(), ManagedPhp::State::Running, StartWaitMs);
    QCOMPARE(states.size(), 3);
    QCOMPARE(states.at(0).at(0).value<ManagedPhp::State>(), ManagedPhp::State::Restarting);
    QCOMPARE(states.at(1).at(0).value<ManagedPhp::State>(), ManagedPhp::State::Starting);
    QCOMPARE(states.at(2).at(0).value<ManagedPhp::State>(), ManagedPhp::State::Running);
    QCOMPARE(php.restartCount(), 1);
    QVERIFY(php.pid() != firstPid);
    QCOMPARE(php.fastcgiAddress(), address); // the gateway's pool keeps working unchanged
    // The orphaned workers of the killed master were killed with their group.
    QVERIFY(!processRuns(firstPid));
    QVERIFY(liveGroupMembers(firstPid).isEmpty());

    auto pool = poolFor(address);
    const auto r = request(*pool, PhpFpmFixture::script(QStringLiteral("managed_env.php")));
    QVERIFY(r);
    QCOMPARE(r->outcome, PhpOutcome::Ok);
    QCOMPARE(r->status, 200);
#else
    QSKIP("POSIX only");
#endif
}

void TestManagedPhp::stopLeavesNothing() {
    if (!m_havePhp)
        QSKIP("no php-fpm binary");
#ifdef Q_OS_UNIX
    ManagedPhp::Options options;
    options.maxChildren = 3;
    options.processManager = ManagedPhp::ProcessManager::Static;
    ManagedPhp php(options);
    php.start();
    QTRY_COMPARE_WITH_TIMEOUT(php.state(), ManagedPhp::State::Running, StartWaitMs);
    const qint64 pid = php.pid();
    const QString socket = php.socketPath();
    const QString dir = php.runtimeDir();
    QTRY_COMPARE(liveGroupMembers(pid).size(), 4); // master + 3 static workers
    QSignalSpy states(&php, &ManagedPhp::stateChanged);

    php.stop();
    QCOMPARE(php.state(), ManagedPhp::State::Stopped);
    QCOMPARE(states.size(), 1);
    QCOMPARE(php.pid(), 0);
    QVERIFY(!processRuns(pid));
    QVERIFY(liveGroupMembers(pid).isEmpty());
    QVERIFY(!QFileInfo::exists(socket));
    QVERIFY(!QFileInfo::exists(dir)); // a temporary runtime dir goes entirely
    QCOMPARE(php.restartCount(), 0);

    // Stopped is final: nothing comes back on its own.
    QCOMPARE(states.size(), 1);
#else
    QSKIP("POSIX only");
#endif
}

void TestManagedPhp::givenRuntimeDirKeepsDirectory() {
    if (!m_havePhp)
        QSKIP("no php-fpm binary");
    QTemporaryDir base;
    const QString dir = base.filePath(QStringLiteral("run"));
    ManagedPhp::Options options;
    options.runtimeDir = dir;
    options.maxChildren = 1;
    {
        ManagedPhp php(options);
        php.start();
        QTRY_COMPARE_WITH_TIMEOUT(php.state(), ManagedPhp::State::Running, StartWaitMs);
        QCOMPARE(php.fastcgiAddress(), QStringLiteral("unix:") + dir + "/php-fpm.sock");
        QFile(dir + "/keep.txt").open(QIODevice::WriteOnly);
        // The destructor stops it.
    }
    QVERIFY(QFileInfo::exists(dir + "/keep.txt"));
    QVERIFY(!QFileInfo::exists(dir + "/php-fpm.sock"));
    QVERIFY(!QFileInfo::exists(dir + "/php-fpm.conf"));
    QVERIFY(!QFileInfo::exists(dir + "/php-fpm.pid"));
}

void TestManagedPhp::missingBinaryFails() {
    ManagedPhp::Options options;
    options.binary = QStringLiteral("/nonexistent/php-fpm");
    ManagedPhp php(options);
    QSignalSpy states(&php, &ManagedPhp::stateChanged);
    php.start();
    QCOMPARE(php.state(), ManagedPhp::State::Failed);
    QCOMPARE(states.size(), 1);
    QVERIFY(php.lastError().contains("/nonexistent/php-fpm"));
    QCOMPARE(php.pid(), 0);
}

void TestManagedPhp::brokenConfigFailsAfterRetries() {
    if (!m_havePhp)
        QSKIP("no php-fpm binary");
    ManagedPhp::Options options;
    options.documentRoot = QStringLiteral("/nonexistent/docroot"); // chdir: php-fpm refuses it
    options.restartBackoffMin = 5ms;
    options.restartBackoffMax = 20ms;
    ManagedPhp php(options);
    php.start();
    QTRY_COMPARE_WITH_TIMEOUT(php.state(), ManagedPhp::State::Failed, StartWaitMs);
    QVERIFY2(php.lastError().contains("/nonexistent/docroot"), qPrintable(php.lastError()));
    QCOMPARE(php.restartCount(), 4); // five failed starts, then it gives up
    QCOMPARE(php.pid(), 0);
}

WSGATE_TEST_MAIN(TestManagedPhp)
#include "tst_managedphp.moc"
