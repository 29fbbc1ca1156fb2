#include "fpm/managedphp.h"
#include "managedphprequests.h"
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
#include <pwd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#endif

using namespace std::chrono_literals;
using namespace managedphptest;

namespace {
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

bool isRoot() {
    return ::geteuid() == 0;
}

uint uidOf(const char *account) {
    const passwd *pw = ::getpwnam(account);
    return pw ? uint(pw->pw_uid) : uint(-1);
}

/// The real, effective, saved and filesystem uids of `pid` (/proc/PID/status "Uid:").
QList<uint> uidsOf(qint64 pid) {
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return {};
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (!line.startsWith("Uid:"))
            continue;
        QList<uint> out;
        for (const QByteArray &field : line.mid(4).simplified().split(' '))
            out << field.toUInt();
        return out;
    }
    return {};
}

struct FileMode {
    uint mode = 0; // permission bits only
    uint uid = 0;
    uint gid = 0;
};

std::optional<FileMode> modeOf(const QString &path) {
    struct stat st {};
    if (::lstat(QFile::encodeName(path).constData(), &st) != 0)
        return std::nullopt;
    return FileMode{uint(st.st_mode & 07777), uint(st.st_uid), uint(st.st_gid)};
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
    void workersAreNotRoot_data();
    void workersAreNotRoot();
    void refusedWorkerAccount_data();
    void refusedWorkerAccount();
    void runtimeDirLayout_data();
    void runtimeDirLayout();
    void untrustedRuntimeDirRefused_data();
    void untrustedRuntimeDirRefused();

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

// As root the pool runs as an unprivileged account (checked in the handler and for every
// worker in /proc), the socket stays ours with 0600, and php-fpm runs without
// --allow-to-run-as-root. Not as root, the workers are us and the account option is moot.
void TestManagedPhp::workersAreNotRoot_data() {
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("expectedAccount"); // when we are root
    QTest::newRow("no --php-user: www-data") << QString() << QStringLiteral("www-data");
    QTest::newRow("--php-user nobody") << QStringLiteral("nobody") << QStringLiteral("nobody");
}

void TestManagedPhp::workersAreNotRoot() {
    if (!m_havePhp)
        QSKIP("no php-fpm binary");
#ifdef Q_OS_UNIX
    QFETCH(QString, user);
    QFETCH(QString, expectedAccount);
    const uint expectedUid = isRoot() ? uidOf(qPrintable(expectedAccount)) : uint(::geteuid());
    if (expectedUid == uint(-1))
        QSKIP(qPrintable(expectedAccount + QStringLiteral(" does not exist here")));
    ManagedPhp::Options options;
    options.user = user;
    options.maxChildren = 2;
    options.processManager = ManagedPhp::ProcessManager::Static;
    ManagedPhp php(options);
    php.start();
    QTRY_COMPARE_WITH_TIMEOUT(php.state(), ManagedPhp::State::Running, StartWaitMs);
    QCOMPARE(php.workerUser(), isRoot() ? expectedAccount : QString());

    auto pool = poolFor(php.fastcgiAddress());
    const QJsonObject env = managedEnv(*pool);
    QCOMPARE(env.value("euid").toInt(-2), int(expectedUid));
    if (isRoot())
        QVERIFY(expectedUid != 0);

    // Every worker, not only the one that answered: real, effective, saved and fs uid.
    QList<qint64> workers = liveGroupMembers(php.pid());
    workers.removeAll(php.pid());
    QCOMPARE(workers.size(), 2);
    for (const qint64 worker : std::as_const(workers))
        QCOMPARE(uidsOf(worker), QList<uint>(4, expectedUid));
    QVERIFY2(!php.arguments().contains(QStringLiteral("--allow-to-run-as-root")),
             qPrintable(php.arguments().join(' ')));

    // Only we can connect: not the workers' account, not other users.
    const auto socket = modeOf(php.socketPath());
    QVERIFY(socket);
    QCOMPARE(socket->uid, uint(::geteuid()));
    QCOMPARE(socket->mode, 0600u);
#else
    QSKIP("POSIX only");
#endif
}

void TestManagedPhp::refusedWorkerAccount_data() {
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("error");
    QTest::newRow("no such account")
        << QStringLiteral("wsgate-no-such-user") << QStringLiteral("no account named");
    QTest::newRow("root") << QStringLiteral("root") << QStringLiteral("must not run as root");
}

void TestManagedPhp::refusedWorkerAccount() {
    if (!m_havePhp)
        QSKIP("no php-fpm binary");
#ifdef Q_OS_UNIX
    if (!isRoot())
        QSKIP("the workers' account is chosen only when we run as root");
    QFETCH(QString, user);
    QFETCH(QString, error);
    ManagedPhp::Options options;
    options.user = user;
    ManagedPhp php(options);
    QSignalSpy states(&php, &ManagedPhp::stateChanged);
    php.start();
    QCOMPARE(php.state(), ManagedPhp::State::Failed);
    QCOMPARE(states.size(), 1);
    QVERIFY2(php.lastError().contains(error), qPrintable(php.lastError()));
    QVERIFY2(php.lastError().contains(user), qPrintable(php.lastError()));
    QCOMPARE(php.pid(), 0);
#else
    QSKIP("POSIX only");
#endif
}

// 0700 when the workers are us; 0710 with the workers' group when they are another account,
// so they reach www/ (0755) and nobody else enters. An existing directory of ours that only we
// may write is accepted and given the same layout.
void TestManagedPhp::runtimeDirLayout_data() {
    QTest::addColumn<int>("given"); // 0: temporary, 1: given and missing, 2: given, exists 0755
    QTest::newRow("temporary") << 0;
    QTest::newRow("given, created by us") << 1;
    QTest::newRow("given, existing 0755 of ours") << 2;
}

void TestManagedPhp::runtimeDirLayout() {
    if (!m_havePhp)
        QSKIP("no php-fpm binary");
#ifdef Q_OS_UNIX
    QFETCH(int, given);
    QTemporaryDir base;
    ManagedPhp::Options options;
    options.maxChildren = 1;
    if (given) {
        options.runtimeDir = base.filePath(QStringLiteral("run"));
        if (given == 2) {
            QVERIFY(QDir().mkdir(options.runtimeDir));
            QVERIFY(::chmod(QFile::encodeName(options.runtimeDir).constData(), 0755) == 0);
        }
    }
    // A umask that would leave a mkdir()ed directory open to everyone.
    const mode_t oldMask = ::umask(0);
    ManagedPhp php(options);
    php.start();
    ::umask(oldMask);
    QTRY_COMPARE_WITH_TIMEOUT(php.state(), ManagedPhp::State::Running, StartWaitMs);

    const auto dir = modeOf(php.runtimeDir());
    QVERIFY(dir);
    QCOMPARE(dir->uid, uint(::geteuid()));
    if (isRoot()) {
        QCOMPARE(dir->mode, 0710u);
        const passwd *worker = ::getpwnam(qPrintable(php.workerUser()));
        QVERIFY(worker);
        QCOMPARE(dir->gid, uint(worker->pw_gid));
    } else {
        QCOMPARE(dir->mode, 0700u);
    }
    QCOMPARE(modeOf(php.configPath()).value_or(FileMode{}).mode, 0600u);
    QCOMPARE(php.wwwDir(), php.runtimeDir() + QStringLiteral("/www"));
    QCOMPARE(modeOf(php.wwwDir()).value_or(FileMode{}).mode, 0755u);
#else
    QSKIP("POSIX only");
#endif
}

void TestManagedPhp::untrustedRuntimeDirRefused_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("error");
    QTest::newRow("world-writable") << QStringLiteral("0777") << QStringLiteral("every local user");
    QTest::newRow("group-writable") << QStringLiteral("0770") << QStringLiteral("its group");
    QTest::newRow("sticky world-writable, like /tmp")
        << QStringLiteral("1777") << QStringLiteral("every local user");
    QTest::newRow("owned by someone else") << QStringLiteral("other") << QStringLiteral("uid");
    QTest::newRow("a symbolic link") << QStringLiteral("link") << QStringLiteral("symbolic link");
    QTest::newRow("a regular file") << QStringLiteral("file") << QStringLiteral("not a directory");
}

void TestManagedPhp::untrustedRuntimeDirRefused() {
    if (!m_havePhp)
        QSKIP("no php-fpm binary");
#ifdef Q_OS_UNIX
    QFETCH(QString, kind);
    QFETCH(QString, error);
    QTemporaryDir base;
    const QString dir = base.filePath(QStringLiteral("run"));
    const QByteArray native = QFile::encodeName(dir);
    if (kind == QLatin1String("link")) {
        QVERIFY(QDir().mkdir(base.filePath(QStringLiteral("target"))));
        QVERIFY(QFile::link(base.filePath(QStringLiteral("target")), dir));
    } else if (kind == QLatin1String("file")) {
        QVERIFY(QFile(dir).open(QIODevice::WriteOnly));
    } else {
        QVERIFY(QDir().mkdir(dir));
        if (kind == QLatin1String("other")) {
            if (!isRoot())
                QSKIP("giving a directory to another user needs root");
            QCOMPARE(::chown(native.constData(), uidOf("nobody"), gid_t(-1)), 0);
            QCOMPARE(::chmod(native.constData(), 0700), 0);
        } else {
            QCOMPARE(::chmod(native.constData(), mode_t(kind.toUInt(nullptr, 8))), 0);
        }
    }
    const auto before = modeOf(dir);
    QVERIFY(before);
    ManagedPhp::Options options;
    options.runtimeDir = dir;
    ManagedPhp php(options);
    QSignalSpy states(&php, &ManagedPhp::stateChanged);
    php.start();
    QCOMPARE(php.state(), ManagedPhp::State::Failed);
    QCOMPARE(states.size(), 1);
    QVERIFY2(php.lastError().contains(error), qPrintable(php.lastError()));
    QVERIFY2(php.lastError().contains(dir), qPrintable(php.lastError()));
    QCOMPARE(php.pid(), 0);
    // Left as it was: nothing written into it, nothing changed on it.
    const auto after = modeOf(dir);
    QVERIFY(after);
    QCOMPARE(after->mode, before->mode);
    QCOMPARE(after->uid, before->uid);
    QCOMPARE(after->gid, before->gid);
    QVERIFY(!QFileInfo::exists(dir + QStringLiteral("/php-fpm.conf")));
    QVERIFY(!QFileInfo::exists(dir + QStringLiteral("/www")));
#else
    QSKIP("POSIX only");
#endif
}

WSGATE_TEST_MAIN(TestManagedPhp)
#include "tst_managedphp.moc"
