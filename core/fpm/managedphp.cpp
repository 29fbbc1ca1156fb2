#include "managedphp.h"

#include "fpmpoolconfig.h"
#include "runtimedirectory.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLocalSocket>
#include <QProcessEnvironment>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>

#ifdef Q_OS_UNIX
#include <cerrno>
#include <csignal>
#include <sys/types.h>
#include <unistd.h>
#endif
#ifdef Q_OS_LINUX
#include <sys/prctl.h>
#endif

namespace {
// Once PHP served this long, the next crash is a new story: backoff starts small again.
constexpr qint64 HealthyRunMs = 60 * 1000;
constexpr std::chrono::milliseconds ProbeInterval{50};
constexpr std::chrono::milliseconds StartTimeout{15 * 1000};
constexpr int StopGraceMs = 5000;
constexpr int KillWaitMs = 3000;
// Dying this many times in a row before ever accepting a connection means the config or the
// binary is broken: retrying forever would only hide that.
constexpr int MaxStartFailures = 5;
constexpr qsizetype MaxLogLineBytes = 8 * 1024;
constexpr int RecentLogLines = 20;
// sun_path is 108 bytes on Linux, 104 on BSD/macOS.
constexpr qsizetype MaxUnixSocketPathBytes = 100;

const QString SocketName = QStringLiteral("php-fpm.sock");
const QString ConfigName = QStringLiteral("php-fpm.conf");
const QString PidName = QStringLiteral("php-fpm.pid");
const QString WwwName = QStringLiteral("www");

quint16 freeLoopbackPort() {
    // Reserve and release: PHP binds it right after. A race with another program is possible
    // but shows up as a start failure with PHP's own message, and is retried.
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}
} // namespace

ManagedPhp::ManagedPhp(Options options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_backoff(m_options.restartBackoffMin) {
#ifdef Q_OS_WIN
    m_options.tcp = true;
#endif
    m_probeTimer.setInterval(ProbeInterval);
    connect(&m_probeTimer, &QTimer::timeout, this, &ManagedPhp::onProbeTick);
    m_startTimer.setSingleShot(true);
    m_startTimer.setInterval(StartTimeout);
    connect(&m_startTimer, &QTimer::timeout, this, &ManagedPhp::onStartTimeout);
    m_restartTimer.setSingleShot(true);
    connect(&m_restartTimer, &QTimer::timeout, this, &ManagedPhp::launch);
}

ManagedPhp::~ManagedPhp() {
    // No stateChanged from a destructor: receivers may be half gone.
    const QSignalBlocker blocker(this);
    stop();
}

QString ManagedPhp::findBinary() {
#ifdef Q_OS_WIN
    const QStringList dirs{QCoreApplication::applicationDirPath() + QStringLiteral("/php"),
                           QStringLiteral("C:/php")};
    QString found = QStandardPaths::findExecutable(QStringLiteral("php-cgi"), dirs);
    if (found.isEmpty())
        found = QStandardPaths::findExecutable(QStringLiteral("php-cgi"));
    return found;
#else
    const QStringList dirs{QStringLiteral("/usr/sbin"), QStringLiteral("/usr/local/sbin"),
                           QStringLiteral("/usr/bin"), QStringLiteral("/usr/local/bin")};
    // Newest first: Debian and Ubuntu name it php-fpm<version>, others plain php-fpm.
    QStringList names;
    for (int minor = 9; minor >= 0; --minor)
        names << QStringLiteral("php-fpm8.%1").arg(minor);
    names << QStringLiteral("php-fpm");
    for (const QString &name : std::as_const(names)) {
        QString found = QStandardPaths::findExecutable(name, dirs);
        if (found.isEmpty())
            found = QStandardPaths::findExecutable(name);
        if (!found.isEmpty())
            return found;
    }
    return {};
#endif
}

QString ManagedPhp::runtimeDir() const {
    return m_dir;
}

QString ManagedPhp::configPath() const {
#ifdef Q_OS_WIN
    return {};
#else
    return m_dir.isEmpty() ? QString() : m_dir + QLatin1Char('/') + ConfigName;
#endif
}

QString ManagedPhp::socketPath() const {
    if (m_options.tcp || m_dir.isEmpty())
        return {};
    return m_dir + QLatin1Char('/') + SocketName;
}

QStringList ManagedPhp::fastcgiAddresses() const {
    QStringList out;
    if (!m_options.tcp) {
        if (!m_dir.isEmpty())
            out << QStringLiteral("unix:") + socketPath();
        return out;
    }
    for (const quint16 port : m_ports)
        out << QStringLiteral("tcp:127.0.0.1:%1").arg(port);
    return out;
}

QString ManagedPhp::fastcgiAddress() const {
    const QStringList all = fastcgiAddresses();
    return all.isEmpty() ? QString() : all.first();
}

qint64 ManagedPhp::pid() const {
    if (m_processes.empty() || m_processes.front()->state() == QProcess::NotRunning)
        return 0;
    return m_processes.front()->processId();
}

void ManagedPhp::setState(State state) {
    if (m_state == state)
        return;
    m_state = state;
    emit stateChanged(state);
}

void ManagedPhp::fail(const QString &error) {
    m_lastError = error;
    m_probeTimer.stop();
    m_startTimer.stop();
    m_restartTimer.stop();
    killAll();
    setState(State::Failed);
}

bool ManagedPhp::prepare(QString *error) {
    m_binary = m_options.binary.isEmpty() ? findBinary() : m_options.binary;
    if (m_binary.isEmpty() || !QFileInfo(m_binary).isExecutable()) {
#ifdef Q_OS_WIN
        *error = tr("php-cgi.exe not found: put PHP in a \"php\" folder beside wsgate or on PATH");
#else
        *error = m_binary.isEmpty()
                     ? tr("php-fpm not found in /usr/sbin or PATH (Debian: apt install php-fpm)")
                     : tr("%1 is not an executable").arg(m_binary);
#endif
        return false;
    }
#ifdef Q_OS_UNIX
    if (::geteuid() == 0) {
        m_worker = PhpWorkerAccount::resolve(m_options.user, error);
        if (!m_worker)
            return false;
    }
#endif
    if (!prepareRuntimeDir(error))
        return false;
    if (!m_options.tcp && socketPath().toLocal8Bit().size() > MaxUnixSocketPathBytes) {
        *error = tr("socket path %1 is too long for a unix socket; choose a shorter runtime "
                    "directory")
                     .arg(socketPath());
        return false;
    }
    if (m_options.tcp && m_ports.isEmpty()) {
#ifdef Q_OS_WIN
        const int processes = std::max(1, m_options.maxChildren);
#else
        const int processes = 1;
#endif
        for (int i = 0; i < processes; ++i) {
            const quint16 port = (i == 0 && m_options.port) ? m_options.port : freeLoopbackPort();
            if (port == 0) {
                *error = tr("no free loopback port for PHP");
                return false;
            }
            m_ports << port;
        }
    }
    if (!m_xdebug)
        m_xdebug = m_options.xdebugPort ? XdebugSupport::detect(m_binary) : XdebugSupport();
#ifdef Q_OS_WIN
    return true;
#else
    return writeFpmConfig(error);
#endif
}

bool ManagedPhp::prepareRuntimeDir(QString *error) {
    const std::optional<uint> group =
        m_worker ? std::optional<uint>(m_worker->gid) : std::optional<uint>();
    if (m_options.runtimeDir.isEmpty()) {
        if (!m_tempDir) {
            // mkdtemp: a fresh directory, 0700, that nobody else can have prepared for us.
            m_tempDir = std::make_unique<QTemporaryDir>(QDir::tempPath() +
                                                        QStringLiteral("/wsgate-php-XXXXXX"));
            if (!m_tempDir->isValid()) {
                *error = tr("cannot create a runtime directory: %1").arg(m_tempDir->errorString());
                m_tempDir.reset();
                return false;
            }
            m_dir = m_tempDir->path();
        }
        if (!RuntimeDirectory::applyLayout(m_dir, group, error))
            return false;
    } else {
        // Checked on every start: it outlives us, and others may have changed it meanwhile.
        m_dir = QDir(m_options.runtimeDir).absolutePath();
        if (!RuntimeDirectory::prepare(m_dir, group, error)) {
            *error = tr("runtime directory: %1").arg(*error);
            return false;
        }
    }
    return RuntimeDirectory::prepareReadable(wwwDir(), error);
}

QStringList ManagedPhp::arguments() const {
    return m_processes.empty() ? QStringList() : m_processes.front()->arguments();
}

QString ManagedPhp::workerUser() const {
    return m_worker ? m_worker->name : QString();
}

QString ManagedPhp::wwwDir() const {
    return m_dir.isEmpty() ? QString() : m_dir + QLatin1Char('/') + WwwName;
}

bool ManagedPhp::xdebugAvailable() const {
    return m_xdebug && m_xdebug->available();
}

QString ManagedPhp::xdebugHint() const {
    if (!m_xdebug)
        return {};
    if (!m_options.xdebugPort)
        return tr("Xdebug off (no port)");
    if (!m_xdebug->available())
        return XdebugSupport::installHint(m_binary);
    return tr("Xdebug: listen on 127.0.0.1:%1 in your IDE").arg(m_options.xdebugPort);
}

PhpParams ManagedPhp::xdebugTriggerParams() {
    return XdebugSupport::triggerParams();
}

QList<QPair<QString, QString>> ManagedPhp::xdebugSettings() const {
    if (!m_xdebug || !m_options.xdebugPort)
        return {};
    return m_xdebug->iniSettings(m_options.xdebugPort);
}

bool ManagedPhp::writeFpmConfig(QString *error) {
    FpmPoolConfig::Inputs inputs;
    inputs.pidFile = m_dir + QLatin1Char('/') + PidName;
    inputs.listen =
        m_options.tcp ? QStringLiteral("127.0.0.1:%1").arg(m_ports.value(0)) : socketPath();
    inputs.worker = m_worker;
#ifdef Q_OS_UNIX
    inputs.socketOwner = {uint(::geteuid()), uint(::getegid())};
#endif
    const QString c = FpmPoolConfig::text(m_options, inputs);
    QFile f(configPath());
    // 0600: the env[] values may be secrets.
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
        !f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner) ||
        f.write(c.toUtf8()) < 0) {
        *error = tr("cannot write %1: %2").arg(f.fileName(), f.errorString());
        return false;
    }
    return true;
}

void ManagedPhp::start() {
    if (m_state == State::Starting || m_state == State::Running || m_state == State::Restarting)
        return;
    m_stopping = false;
    m_lastError.clear();
    m_startFailures = 0;
    m_backoff = m_options.restartBackoffMin;
    QString error;
    if (!prepare(&error)) {
        fail(error);
        return;
    }
    launch();
}

void ManagedPhp::launch() {
    killAll();
    if (!socketPath().isEmpty())
        QFile::remove(socketPath()); // php-fpm refuses to start while a stale socket answers
    setState(State::Starting);

    const int count = m_options.tcp ? int(m_ports.size()) : 1;
    for (int i = 0; i < count; ++i) {
        auto *p = new QProcess(this);
        p->setProcessChannelMode(QProcess::MergedChannels);
        p->setProgram(m_binary);
#ifdef Q_OS_WIN
        const qint64 postMax = FpmPoolConfig::postMaxBytes(m_options.maxMessageBytes);
        QStringList args{
            QStringLiteral("-b"), QStringLiteral("127.0.0.1:%1").arg(m_ports.at(i)),
            QStringLiteral("-d"), QStringLiteral("display_errors=Off"),
            QStringLiteral("-d"), QStringLiteral("log_errors=On"),
            QStringLiteral("-d"), QStringLiteral("post_max_size=%1").arg(postMax),
            QStringLiteral("-d"), QStringLiteral("upload_max_filesize=%1").arg(postMax)};
        for (const auto &value : std::as_const(m_options.phpAdminValues))
            args << QStringLiteral("-d") << value.first + QLatin1Char('=') + value.second;
        for (const auto &value : xdebugSettings())
            args << QStringLiteral("-d") << value.first + QLatin1Char('=') + value.second;
        p->setArguments(args);
        // php-cgi on Windows forks no children: one process per port, each recycled after
        // PHP_FCGI_MAX_REQUESTS requests (and then restarted by us).
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PHP_FCGI_MAX_REQUESTS"),
                   QString::number(std::max(0, m_options.maxRequests)));
        env.insert(QStringLiteral("PHP_FCGI_CHILDREN"), QStringLiteral("0"));
        // php-cgi's only access control: loopback peers, i.e. still every local user (see the
        // class comment and packaging/README.md); bound to 127.0.0.1 besides.
        env.insert(QStringLiteral("FCGI_WEB_SERVER_ADDRS"), QStringLiteral("127.0.0.1"));
        for (const auto &e : std::as_const(m_options.environment))
            env.insert(e.first, e.second);
        p->setProcessEnvironment(env);
        if (!m_options.documentRoot.isEmpty())
            p->setWorkingDirectory(m_options.documentRoot);
#else
        // No --allow-to-run-as-root: as root the pool names an unprivileged user, and php-fpm
        // itself then refuses a pool that would still run as root.
        QStringList args{QStringLiteral("--nodaemonize"), QStringLiteral("--fpm-config"),
                         configPath()};
        // Before module startup, where Xdebug reads its mode: a pool's php_admin_value is late.
        for (const auto &value : xdebugSettings())
            args << QStringLiteral("-d") << value.first + QLatin1Char('=') + value.second;
        p->setArguments(args);
        // Its own process group: workers outlive a killed master and keep serving the old
        // socket, so cleanup kills the whole group.
        // If wsgate itself is killed, php-fpm gets SIGTERM and takes its workers down.
        p->setChildProcessModifier([] {
            ::setpgid(0, 0);
#ifdef Q_OS_LINUX
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
        });
#endif
        connect(p, &QProcess::readyReadStandardOutput, this, [this, p] { readLog(p); });
        connect(p, &QProcess::started, this, [this, p] { onStarted(p); });
        connect(p, &QProcess::finished, this,
                [this, p](int code, QProcess::ExitStatus status) { onFinished(p, code, status); });
        connect(p, &QProcess::errorOccurred, this, [this, p](QProcess::ProcessError e) {
            if (e == QProcess::FailedToStart && !m_stopping)
                fail(tr("cannot start %1: %2").arg(m_binary, p->errorString()));
        });
        m_processes.push_back(p);
        p->start();
        if (m_state == State::Failed)
            return;
    }
    m_probeTimer.start();
    m_startTimer.start();
}

void ManagedPhp::onStarted(QProcess *process) {
#ifdef Q_OS_UNIX
    const pid_t pid = static_cast<pid_t>(process->processId());
    // Only a group the child made for itself may be killed: never ours, never 0 or 1.
    if (pid > 1 && ::getpgid(pid) == pid && ::getpgid(pid) != ::getpgrp())
        m_groups.push_back(pid);
#else
    Q_UNUSED(process)
#endif
}

void ManagedPhp::onProbeTick() {
    if (m_state != State::Starting) {
        m_probeTimer.stop();
        return;
    }
    if (m_probe)
        return; // the last attempt is still connecting
    const auto dropProbe = [this] {
        if (m_probe)
            m_probe.release()->deleteLater();
    };
    const auto probeConnected = [this, dropProbe] {
        dropProbe();
        m_probeTimer.stop();
        m_startTimer.stop();
        m_runningSince.start();
        setState(State::Running);
    };
    if (m_options.tcp) {
        // Every php-cgi listens on its own port; the last one to start is probed.
        auto *socket = new QTcpSocket;
        m_probe.reset(socket);
        connect(socket, &QTcpSocket::connected, this, probeConnected);
        connect(socket, &QTcpSocket::errorOccurred, this, dropProbe);
        socket->connectToHost(QHostAddress::LocalHost, m_ports.constLast());
    } else {
        if (!QFileInfo::exists(socketPath()))
            return;
        auto *socket = new QLocalSocket;
        m_probe.reset(socket);
        connect(socket, &QLocalSocket::connected, this, probeConnected);
        connect(socket, &QLocalSocket::errorOccurred, this, dropProbe);
        socket->connectToServer(socketPath());
    }
}

void ManagedPhp::onStartTimeout() {
    if (m_state != State::Starting)
        return;
    scheduleRestart(
        tr("PHP did not accept connections within %1 s")
            .arg(std::chrono::duration_cast<std::chrono::seconds>(StartTimeout).count()),
        false);
}

void ManagedPhp::onFinished(QProcess *process, int exitCode, QProcess::ExitStatus status) {
    readLog(process);
    if (m_stopping || m_state == State::Failed || m_state == State::Restarting)
        return;
    const QString how =
        status == QProcess::CrashExit ? tr("was killed") : tr("exited with code %1").arg(exitCode);
    scheduleRestart(tr("%1 %2").arg(QFileInfo(m_binary).fileName(), how),
                    m_state == State::Running);
}

void ManagedPhp::scheduleRestart(const QString &reason, bool wasRunning) {
    m_probeTimer.stop();
    m_startTimer.stop();
    flushLog(true);
    if (wasRunning && m_runningSince.isValid() && m_runningSince.elapsed() >= HealthyRunMs)
        m_backoff = m_options.restartBackoffMin;
    if (wasRunning) {
        m_startFailures = 0;
    } else if (++m_startFailures >= MaxStartFailures) {
        fail(tr("%1 before serving, %2 times in a row. Last log lines:\n%3")
                 .arg(reason)
                 .arg(m_startFailures)
                 .arg(m_recentLog.join(QLatin1Char('\n'))));
        return;
    }
    m_lastError = reason;
    killAll(); // orphaned workers still hold the old socket
    m_runningSince.invalidate();
    ++m_restartCount;
    emit logLines({tr("wsgate: %1; restarting in %2 ms").arg(reason).arg(m_backoff.count())});
    m_restartTimer.start(m_backoff);
    m_backoff = std::min(m_backoff * 2, std::max(m_options.restartBackoffMax, m_backoff));
    setState(State::Restarting);
}

void ManagedPhp::killAll() {
    m_probe.reset();
    for (QProcess *process : m_processes) {
        // Disconnect first: a finished() from a process we end must not look like a crash.
        process->disconnect(this);
        if (process->state() != QProcess::NotRunning) {
            process->kill();
            process->waitForFinished(KillWaitMs);
        }
        readLog(process);
        process->deleteLater(); // we may be inside one of its signals
    }
#ifdef Q_OS_UNIX
    for (const qint64 group : m_groups) {
        if (group > 1)
            ::kill(-static_cast<pid_t>(group), SIGKILL);
    }
#endif
    m_groups.clear();
    m_processes.clear();
}

void ManagedPhp::stop() {
    m_stopping = true;
    m_probeTimer.stop();
    m_startTimer.stop();
    m_restartTimer.stop();
    m_probe.reset();
    for (QProcess *process : m_processes) {
        process->disconnect(this);
        if (process->state() == QProcess::NotRunning)
            continue;
#ifdef Q_OS_UNIX
        // SIGQUIT is php-fpm's graceful stop: workers finish their request first.
        ::kill(static_cast<pid_t>(process->processId()), SIGQUIT);
#else
        process->terminate();
#endif
    }
    for (QProcess *process : m_processes) {
        if (process->state() != QProcess::NotRunning)
            process->waitForFinished(StopGraceMs);
        readLog(process);
    }
    killAll();
    flushLog(true);
    removeRuntimeFiles();
    setState(State::Stopped);
}

void ManagedPhp::removeRuntimeFiles() {
    if (m_dir.isEmpty())
        return;
    QDir dir(m_dir);
    dir.remove(SocketName);
    dir.remove(ConfigName);
    dir.remove(PidName);
    if (m_tempDir) {
        m_tempDir.reset(); // removes the directory
        m_dir.clear();
    }
    if (!m_options.port)
        m_ports.clear(); // a fresh start picks a fresh port
}

void ManagedPhp::readLog(QProcess *process) {
    if (!process)
        return;
    m_logBuffer += process->readAll();
    flushLog(false);
}

void ManagedPhp::flushLog(bool partialToo) {
    QStringList lines;
    qsizetype start = 0;
    for (;;) {
        const qsizetype nl = m_logBuffer.indexOf('\n', start);
        if (nl < 0)
            break;
        QByteArray line = m_logBuffer.mid(start, nl - start);
        if (line.endsWith('\r'))
            line.chop(1);
        if (!line.isEmpty())
            lines << QString::fromUtf8(line);
        start = nl + 1;
    }
    m_logBuffer.remove(0, start);
    if ((partialToo && !m_logBuffer.isEmpty()) || m_logBuffer.size() > MaxLogLineBytes) {
        lines << QString::fromUtf8(m_logBuffer.left(MaxLogLineBytes));
        m_logBuffer.clear();
    }
    if (lines.isEmpty())
        return;
    m_recentLog += lines;
    if (m_recentLog.size() > RecentLogLines)
        m_recentLog.erase(m_recentLog.begin(), m_recentLog.end() - RecentLogLines);
    emit logLines(lines);
}
