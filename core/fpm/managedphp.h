#pragma once

#include "phpworkeraccount.h"
#include "xdebugsupport.h"

#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QPair>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>
#include <QTimer>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

class QIODevice;

/// Runs wsgate's own PHP — php-fpm on Linux, php-cgi -b processes on Windows — with a generated
/// config, forwards its log, restarts it with backoff when it dies, and cleans up on stop.
///
/// Trust: the workers never run as root (as root we give the pool an unprivileged account),
/// the runtime dir is private (RuntimeDirectory), the unix socket is ours with mode 0600. Over
/// TCP (the `tcp` option; always on Windows, where php-cgi knows no unix sockets) PHP listens
/// on 127.0.0.1 only, and FastCGI has no per-request secret: any local user can connect and run
/// code as the workers' account (e.g. with PHP_ADMIN_VALUE=auto_prepend_file=…). Prefer the
/// unix socket wherever there is one.
class ManagedPhp final : public QObject {
    Q_OBJECT
public:
    enum class State {
        Stopped,
        Starting,   // launched, socket not accepting yet
        Running,    // socket accepts connections
        Restarting, // died unexpectedly; waiting out the backoff before the next start
        Failed,     // cannot run (no binary, bad config, dies before ever serving); see lastError()
    };
    Q_ENUM(State)

    enum class ProcessManager { Static, Dynamic };

    struct Options {
        QString binary;       // empty: search php-fpm8.x / php-fpm (Windows: php-cgi.exe)
        QString runtimeDir;   // empty: a fresh temporary dir, removed by stop()
        QString documentRoot; // workers chdir here; empty: leave php-fpm's default
        // The workers' account when we run as root: empty picks www-data, else nobody. Ignored
        // when we are not root (the workers are then us).
        QString user;
        bool tcp = false;    // loopback TCP instead of a unix socket (always TCP on Windows)
        quint16 port = 0;    // with tcp: 0 picks a free loopback port
        int maxChildren = 8; // pm.max_children (Windows: number of php-cgi processes)
        ProcessManager processManager = ProcessManager::Dynamic;
        int maxRequests = 500;                         // pm.max_requests / PHP_FCGI_MAX_REQUESTS
        qint64 maxMessageBytes = 16 * 1024 * 1024;     // sizes post_max_size for raw and form mode
        QList<QPair<QString, QString>> phpAdminValues; // extra php_admin_value[...] / -d lines
        QList<QPair<QString, QString>> environment;    // env[...] for the workers
        // When Xdebug is installed it is loaded in trigger mode and connects to the IDE on
        // 127.0.0.1:xdebugPort for the requests that carry xdebugTriggerParams(). 0: never load.
        quint16 xdebugPort = 9003;
        // Restart delay after an unexpected exit: doubles from min to max, back to min after a
        // healthy minute.
        std::chrono::milliseconds restartBackoffMin{500};
        std::chrono::milliseconds restartBackoffMax{30 * 1000};
    };

    explicit ManagedPhp(Options options, QObject *parent = nullptr);
    ~ManagedPhp() override;

    /// The PHP binary start() would use when Options::binary is empty; empty when none found.
    static QString findBinary();

    /// Writes the config and launches PHP; returns without waiting for PHP to serve (the first
    /// start of an instance asks PHP once whether it has Xdebug: a fraction of a second). State
    /// goes Starting → Running, or Failed when it cannot run at all.
    void start();
    /// Stops PHP (SIGQUIT, then SIGKILL for the whole process group) and removes the socket and
    /// the generated files. Blocks until the processes are gone.
    void stop();

    State state() const { return m_state; }
    QString lastError() const { return m_lastError; }
    /// "unix:/…/php-fpm.sock" or "tcp:127.0.0.1:PORT" (Windows: the first php-cgi).
    QString fastcgiAddress() const;
    /// Every address PHP listens on (Windows runs one php-cgi per port).
    QStringList fastcgiAddresses() const;
    QString runtimeDir() const;
    QString configPath() const; // empty on Windows (php-cgi takes -d options)
    QString socketPath() const; // empty with TCP
    /// php-fpm master pid (Windows: first php-cgi), 0 when not running.
    qint64 pid() const;
    int restartCount() const { return m_restartCount; }
    /// The arguments PHP (the first process) was started with, empty when not running: php-fpm
    /// overwrites its /proc cmdline, so this is where the console (and a test) can read them.
    QStringList arguments() const;
    /// The workers' account; empty when they run as us (we are not root).
    QString workerUser() const;
    /// runtimeDir()/www, created readable (0755) for the workers: the place for scripts to serve.
    QString wwwDir() const;

    /// Known once start() ran: Xdebug is installed and loaded in trigger mode (xdebugPort != 0).
    bool xdebugAvailable() const;
    /// One line for the console: where the IDE must listen, or how to install Xdebug ("apt
    /// install php8.2-xdebug"); empty before start().
    QString xdebugHint() const;
    /// The FastCGI params that make one request to this PHP start a debug session (for a
    /// replay's extraParams or Gateway::addToNextMessage): XDEBUG_TRIGGER=1. They reach Xdebug
    /// through $_ENV, which the managed pool fills with the FastCGI params when Xdebug is on; a
    /// PHP-FPM of your own needs variables_order with "E" for the same.
    static PhpParams xdebugTriggerParams();

signals:
    /// Fires on every state change.
    void stateChanged(ManagedPhp::State state);
    /// Fires with the complete lines php-fpm (or php-cgi) wrote to its log since the last time.
    void logLines(const QStringList &lines);

private:
    bool prepare(QString *error);
    bool prepareRuntimeDir(QString *error);
    QList<QPair<QString, QString>> xdebugSettings() const;
    bool writeFpmConfig(QString *error);
    void launch();
    void onStarted(QProcess *process);
    void onFinished(QProcess *process, int exitCode, QProcess::ExitStatus status);
    void onProbeTick();
    void onStartTimeout();
    void readLog(QProcess *process);
    void flushLog(bool partialToo);
    void killAll();
    void removeRuntimeFiles();
    void scheduleRestart(const QString &reason, bool wasRunning);
    void fail(const QString &error);
    void setState(State state);

    Options m_options;
    QString m_binary;
    std::optional<PhpWorkerAccount> m_worker; // set when we are root
    std::optional<XdebugSupport> m_xdebug;    // detected on the first start
    std::unique_ptr<QTemporaryDir> m_tempDir;
    QString m_dir;
    QList<quint16> m_ports;
    std::vector<QProcess *>
        m_processes;              // children of this; deleted later, never in their own signal
    std::vector<qint64> m_groups; // process groups to kill, one per started process
    std::unique_ptr<QIODevice> m_probe;
    QTimer m_probeTimer;
    QTimer m_startTimer;
    QTimer m_restartTimer;
    QElapsedTimer m_runningSince;
    std::chrono::milliseconds m_backoff;
    int m_startFailures = 0;
    int m_restartCount = 0;
    bool m_stopping = false;
    QByteArray m_logBuffer;
    QStringList m_recentLog; // the last lines, quoted in lastError() when PHP cannot start
    State m_state = State::Stopped;
    QString m_lastError;
};
