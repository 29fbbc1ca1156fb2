#pragma once

#include <QProcess>
#include <QString>
#include <QTemporaryDir>

#include <memory>

/// Starts a private php-fpm for one test: its own config, socket and logs in a temporary dir.
class PhpFpmFixture final {
public:
    struct Options {
        int maxChildren = 8;
        bool tcp = false;            // listen on 127.0.0.1:<free port> instead of a unix socket
        bool statusPage = true;      // pm.status_path = /fpm-status, ping.path = /fpm-ping
        int requestTerminateSec = 0; // request_terminate_timeout, 0 = off
    };

    PhpFpmFixture();
    explicit PhpFpmFixture(Options options);
    ~PhpFpmFixture();
    PhpFpmFixture(const PhpFpmFixture &) = delete;
    PhpFpmFixture &operator=(const PhpFpmFixture &) = delete;

    /// Path of the php-fpm binary, empty when none is installed.
    static QString findBinary();

    /// Starts php-fpm and waits until its socket accepts connections.
    bool start(QString *error = nullptr);
    /// Stops php-fpm (SIGQUIT, then SIGKILL) and waits for it to exit.
    void stop();
    /// SIGKILLs the master and its workers at once (a crash of the whole FPM) and waits for the
    /// master; the socket file stays, as after a real crash. start() brings it back.
    void kill();
    bool isRunning() const;
    qint64 pid() const;

    /// "unix:/tmp/…/fpm.sock" or "tcp:127.0.0.1:PORT".
    QString fastcgiAddress() const;
    QString socketPath() const;
    /// Absolute path of tests/php/<name>.
    static QString script(const QString &name);
    static QString scriptDir();
    QString runtimeDir() const;
    /// php-fpm's own log (master and workers' stderr).
    QString logText() const;

private:
    void killGroup();
    bool writeConfig(QString *error);
    bool waitUntilListening(int timeoutMs);

    Options m_options;
    QTemporaryDir m_dir;
    std::unique_ptr<QProcess> m_process;
    quint16 m_port = 0;
};

/// Starts `fixture` or ends the test: QFAIL when the CI environment variable is set (a missing
/// php-fpm must fail CI, never skip silently), QSKIP otherwise.
#define WSGATE_START_PHP_FPM(fixture)                                                              \
    do {                                                                                           \
        QString wsgateFpmError_;                                                                   \
        if (!(fixture).start(&wsgateFpmError_)) {                                                  \
            if (qEnvironmentVariableIsSet("CI"))                                                   \
                QFAIL(qPrintable(QStringLiteral("php-fpm: ") + wsgateFpmError_));                  \
            QSKIP(qPrintable(QStringLiteral("php-fpm: ") + wsgateFpmError_));                      \
        }                                                                                          \
    } while (false)
