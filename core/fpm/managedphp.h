#pragma once

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
#include <vector>

class QIODevice;

/// Runs wsgate's own PHP — php-fpm on Linux, php-cgi -b processes on Windows — with a generated
/// config, forwards its log, restarts it with backoff when it dies, and cleans up on stop.
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
        bool tcp = false;     // loopback TCP instead of a unix socket (always TCP on Windows)
        quint16 port = 0;     // with tcp: 0 picks a free loopback port
        int maxChildren = 8;  // pm.max_children (Windows: number of php-cgi processes)
        ProcessManager processManager = ProcessManager::Dynamic;
        int maxRequests = 500;                         // pm.max_requests / PHP_FCGI_MAX_REQUESTS
        qint64 maxMessageBytes = 16 * 1024 * 1024;     // sizes post_max_size for raw and form mode
        QList<QPair<QString, QString>> phpAdminValues; // extra php_admin_value[...] / -d lines
        QList<QPair<QString, QString>> environment;    // env[...] for the workers
        // Restart delay after an unexpected exit: doubles from min to max, back to min after a
        // healthy minute.
        std::chrono::milliseconds restartBackoffMin{500};
        std::chrono::milliseconds restartBackoffMax{30 * 1000};
    };

    explicit ManagedPhp(Options options, QObject *parent = nullptr);
    ~ManagedPhp() override;

    /// The PHP binary start() would use when Options::binary is empty; empty when none found.
    static QString findBinary();

    /// Writes the config and launches PHP; returns at once. State goes Starting → Running, or
    /// Failed when it cannot run at all.
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

signals:
    /// Fires on every state change.
    void stateChanged(ManagedPhp::State state);
    /// Fires with the complete lines php-fpm (or php-cgi) wrote to its log since the last time.
    void logLines(const QStringList &lines);

private:
    bool prepare(QString *error);
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
