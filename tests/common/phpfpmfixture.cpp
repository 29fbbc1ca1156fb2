#include "phpfpmfixture.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QFileInfo>
#include <QLocalSocket>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

#ifdef Q_OS_UNIX
#include <csignal>
#ifdef Q_OS_LINUX
#include <sys/prctl.h>
#endif
#include <sys/types.h>
#include <unistd.h>
#endif

namespace {
constexpr int StartTimeoutMs = 15000;
constexpr int StopTimeoutMs = 5000;
} // namespace

PhpFpmFixture::PhpFpmFixture()
    : PhpFpmFixture(Options{}) {}

PhpFpmFixture::PhpFpmFixture(Options options)
    : m_options(options) {}

PhpFpmFixture::~PhpFpmFixture() {
    stop();
}

QString PhpFpmFixture::findBinary() {
    const QString fromEnv = qEnvironmentVariable("WSGATE_PHP_FPM");
    if (!fromEnv.isEmpty())
        return fromEnv;
    const QStringList dirs{QStringLiteral("/usr/sbin"), QStringLiteral("/usr/local/sbin"),
                           QStringLiteral("/usr/bin"), QStringLiteral("/usr/local/bin")};
    for (const QString &name :
         {QStringLiteral("php-fpm8.2"), QStringLiteral("php-fpm8.3"), QStringLiteral("php-fpm8.4"),
          QStringLiteral("php-fpm8.1"), QStringLiteral("php-fpm")}) {
        const QString found = QStandardPaths::findExecutable(name, dirs);
        if (!found.isEmpty())
            return found;
        const QString inPath = QStandardPaths::findExecutable(name);
        if (!inPath.isEmpty())
            return inPath;
    }
    return {};
}

QString PhpFpmFixture::scriptDir() {
    return QStringLiteral(WSGATE_TEST_PHP_DIR);
}

QString PhpFpmFixture::script(const QString &name) {
    return scriptDir() + QLatin1Char('/') + name;
}

QString PhpFpmFixture::runtimeDir() const {
    return m_dir.path();
}

QString PhpFpmFixture::socketPath() const {
    return m_dir.filePath(QStringLiteral("fpm.sock"));
}

QString PhpFpmFixture::fastcgiAddress() const {
    if (m_options.tcp)
        return QStringLiteral("tcp:127.0.0.1:%1").arg(m_port);
    return QStringLiteral("unix:") + socketPath();
}

QString PhpFpmFixture::logText() const {
    QFile f(m_dir.filePath(QStringLiteral("fpm.log")));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll());
}

bool PhpFpmFixture::writeConfig(QString *error) {
    if (m_options.tcp && m_port == 0) {
        // Reserve a free loopback port; php-fpm binds it right after we release it.
        QTcpServer probe;
        if (!probe.listen(QHostAddress::LocalHost, 0)) {
            if (error)
                *error = QStringLiteral("no free loopback port");
            return false;
        }
        m_port = probe.serverPort();
    }
    QString conf;
    conf += QStringLiteral("[global]\n");
    conf += QStringLiteral("pid = %1\n").arg(m_dir.filePath(QStringLiteral("fpm.pid")));
    conf += QStringLiteral("error_log = %1\n").arg(m_dir.filePath(QStringLiteral("fpm.log")));
    conf += QStringLiteral("daemonize = no\n");
    conf += QStringLiteral("log_level = notice\n");
    conf += QStringLiteral("\n[wsgate-test]\n");
    if (m_options.tcp)
        conf += QStringLiteral("listen = 127.0.0.1:%1\n").arg(m_port);
    else
        conf += QStringLiteral("listen = %1\n").arg(socketPath());
    conf += QStringLiteral("listen.backlog = 511\n");
    conf += QStringLiteral("pm = static\n");
    conf += QStringLiteral("pm.max_children = %1\n").arg(m_options.maxChildren);
    if (m_options.statusPage) {
        conf += QStringLiteral("pm.status_path = /fpm-status\n");
        conf += QStringLiteral("ping.path = /fpm-ping\n");
    }
    if (m_options.requestTerminateSec > 0)
        conf +=
            QStringLiteral("request_terminate_timeout = %1\n").arg(m_options.requestTerminateSec);
    // No error_log for the pool: PHP's warnings and error_log() then travel as FastCGI STDERR.
    conf += QStringLiteral("catch_workers_output = no\n");
    conf += QStringLiteral("clear_env = yes\n");
    conf += QStringLiteral("php_admin_value[display_errors] = Off\n");
    conf += QStringLiteral("php_admin_flag[log_errors] = On\n");
    conf += QStringLiteral("php_admin_value[post_max_size] = 64M\n");
    conf += QStringLiteral("php_admin_value[memory_limit] = 512M\n");
    conf += QStringLiteral("php_admin_value[opcache.enable] = 1\n");
    QFile f(m_dir.filePath(QStringLiteral("fpm.conf")));
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        if (error)
            *error = QStringLiteral("cannot write %1").arg(f.fileName());
        return false;
    }
    f.write(conf.toUtf8());
    return true;
}

bool PhpFpmFixture::start(QString *error) {
    if (isRunning())
        return true;
    const QString binary = findBinary();
    if (binary.isEmpty()) {
        if (error)
            *error = QStringLiteral("no php-fpm binary found (install php8.2-fpm)");
        return false;
    }
    if (!m_dir.isValid()) {
        if (error)
            *error = QStringLiteral("no temporary directory");
        return false;
    }
    if (!writeConfig(error))
        return false;
    QFile::remove(socketPath());
    QFile::remove(m_dir.filePath(QStringLiteral("fpm.log"))); // "ready" must come from this run

    QStringList args{QStringLiteral("--nodaemonize"), QStringLiteral("--fpm-config"),
                     m_dir.filePath(QStringLiteral("fpm.conf"))};
#ifdef Q_OS_UNIX
    if (::geteuid() == 0)
        args << QStringLiteral("--allow-to-run-as-root");
#endif
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
#ifdef Q_OS_LINUX
    // A test that crashes or aborts (qFatal) never runs our destructor: php-fpm's master then
    // goes with it instead of lingering on CI (its workers follow their master). Its own
    // process group, which its workers inherit: kill() reaches them all in one signal.
    m_process->setChildProcessModifier([] {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    });
#endif
    m_process->start(binary, args);
    if (!m_process->waitForStarted(StartTimeoutMs)) {
        if (error)
            *error = QStringLiteral("cannot start %1: %2").arg(binary, m_process->errorString());
        m_process.reset();
        return false;
    }
    if (!waitUntilListening(StartTimeoutMs)) {
        if (error)
            *error = QStringLiteral("php-fpm did not start listening; log:\n") + logText();
        stop();
        return false;
    }
    return true;
}

bool PhpFpmFixture::waitUntilListening(int timeoutMs) {
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        if (!m_process || m_process->state() == QProcess::NotRunning)
            return false;
        // The master logs "ready" after forking its initial children; before that a
        // pm=static pool answers with fewer workers than configured.
        if (!logText().contains(QLatin1String("ready to handle connections"))) {
            QThread::msleep(20);
            continue;
        }
        if (m_options.tcp) {
            QTcpSocket s;
            s.connectToHost(QHostAddress::LocalHost, m_port);
            if (s.waitForConnected(200))
                return true;
        } else if (QFileInfo::exists(socketPath())) {
            QLocalSocket s;
            s.connectToServer(socketPath());
            if (s.waitForConnected(200))
                return true;
        }
        QThread::msleep(20);
    }
    return false;
}

void PhpFpmFixture::stop() {
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
#ifdef Q_OS_UNIX
        ::kill(static_cast<pid_t>(m_process->processId()), SIGQUIT);
#else
        m_process->terminate();
#endif
        if (!m_process->waitForFinished(StopTimeoutMs)) {
            killGroup();
            m_process->waitForFinished(StopTimeoutMs);
        }
    }
    m_process.reset();
    QFile::remove(socketPath());
}

void PhpFpmFixture::kill() {
    if (!isRunning())
        return;
    killGroup();
    m_process->waitForFinished(StopTimeoutMs);
    m_process.reset();
}

void PhpFpmFixture::killGroup() {
#ifdef Q_OS_LINUX
    // The master and its workers at once. One by one, a worker killed before its master is
    // respawned by it, and the new one outlives the test holding CTest's output pipe open.
    // (The master is not reaped yet, so its pid still names this group.)
    ::kill(-pid_t(m_process->processId()), SIGKILL);
#else
    m_process->kill();
#endif
}

bool PhpFpmFixture::isRunning() const {
    return m_process && m_process->state() != QProcess::NotRunning;
}

qint64 PhpFpmFixture::pid() const {
    return m_process ? m_process->processId() : 0;
}
