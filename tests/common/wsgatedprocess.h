#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <memory>

/// The built wsgated as a process of its own on loopback ports picked at the first start and
/// kept across restarts (a console attached to it must find it again).
class WsgatedProcess final {
public:
    WsgatedProcess();
    ~WsgatedProcess();
    WsgatedProcess(const WsgatedProcess &) = delete;
    WsgatedProcess &operator=(const WsgatedProcess &) = delete;

    /// Starts it with --listen and --push-listen on its ports plus `args`, and waits until the
    /// push listener answers /health (15 s at most).
    bool start(const QStringList &args, QString *error);
    /// SIGTERM, and waits for the exit (then SIGKILL).
    void stop();
    bool isRunning() const;
    /// The push listener speaks https (the test gives --push-tls-cert/--push-tls-key).
    void setTls(bool tls) { m_tls = tls; }
    int exitCode() const;

    quint16 wsPort() const { return m_wsPort; }
    quint16 pushPort() const { return m_pushPort; }
    QString wsUrl(const QString &path = QStringLiteral("/ws")) const;
    /// http(s)://127.0.0.1:<push port>
    QUrl adminUrl() const;

    static QString binary();

private:
    bool healthy() const;

    std::unique_ptr<QProcess> m_process;
    quint16 m_wsPort = 0;
    quint16 m_pushPort = 0;
    bool m_tls = false;
};
