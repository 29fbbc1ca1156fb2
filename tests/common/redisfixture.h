#pragma once

#include <QProcess>
#include <QString>
#include <QTemporaryDir>

#include <memory>

/// Starts a private redis-server for one test: its own config and unix socket in a temporary
/// dir, no persistence, no TCP port.
class RedisFixture final {
public:
    RedisFixture();
    ~RedisFixture();
    RedisFixture(const RedisFixture &) = delete;
    RedisFixture &operator=(const RedisFixture &) = delete;

    /// Path of redis-server, empty when none is installed.
    static QString findBinary();
    /// Starts it and waits until the socket accepts connections (again after stop()).
    bool start(QString *error = nullptr);
    /// SIGKILL, and waits for it to exit (the socket file stays: a restart replaces it).
    void kill();
    /// SIGSTOP / SIGCONT: a Redis that hangs without closing its connections.
    void pause();
    void resume();
    bool isRunning() const;
    QString socketPath() const;
    /// One command over a fresh connection; the integer reply, or -1.
    qint64 integerCommand(const QList<QByteArray> &args);
    /// PUBSUB NUMSUB: how many connections subscribe to `channel`.
    qint64 subscribers(const QByteArray &channel);
    /// "unix:/tmp/…/redis.sock", as --cluster takes it.
    QString url() const { return QStringLiteral("unix:") + socketPath(); }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<QProcess> m_process;
};

/// Starts `fixture` or ends the test: QFAIL when CI is set (a missing redis-server must fail
/// CI, never skip), QSKIP otherwise.
#define WSGATE_START_REDIS(fixture)                                                                \
    do {                                                                                           \
        QString wsgateRedisError_;                                                                 \
        if (!(fixture).start(&wsgateRedisError_)) {                                                \
            if (qEnvironmentVariableIsSet("CI"))                                                   \
                QFAIL(qPrintable(QStringLiteral("redis-server: ") + wsgateRedisError_));           \
            QSKIP(qPrintable(QStringLiteral("redis-server: ") + wsgateRedisError_));               \
        }                                                                                          \
    } while (false)
