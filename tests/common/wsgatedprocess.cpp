#include "wsgatedprocess.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#ifdef Q_OS_UNIX
#include <csignal>
#endif

namespace {

constexpr int UpTimeoutMs = 15000;
constexpr int StopTimeoutMs = 15000;

quint16 freePort() {
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

} // namespace

WsgatedProcess::WsgatedProcess() = default;

WsgatedProcess::~WsgatedProcess() {
    stop();
}

QString WsgatedProcess::binary() {
    return QStringLiteral(WSGATE_BUILD_DIR "/app/wsgated");
}

bool WsgatedProcess::start(const QStringList &args, QString *error) {
    if (!QFile::exists(binary())) {
        *error = binary() + QStringLiteral(" is not built");
        return false;
    }
    if (m_wsPort == 0) {
        m_wsPort = freePort();
        m_pushPort = freePort();
    }
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::ForwardedChannels);
    m_process->start(binary(), QStringList{QStringLiteral("--listen"),
                                           QStringLiteral("127.0.0.1:%1").arg(m_wsPort),
                                           QStringLiteral("--push-listen"),
                                           QStringLiteral("127.0.0.1:%1").arg(m_pushPort)} +
                                   args);
    if (!m_process->waitForStarted()) {
        *error = m_process->errorString();
        return false;
    }
    QDeadlineTimer deadline(UpTimeoutMs);
    while (!deadline.hasExpired() && m_process->state() == QProcess::Running) {
        if (healthy())
            return true;
        QTest::qWait(50);
    }
    *error = m_process->state() == QProcess::Running
                 ? QStringLiteral("wsgated did not answer /health")
                 : QStringLiteral("wsgated exited with %1").arg(m_process->exitCode());
    return false;
}

bool WsgatedProcess::healthy() const {
    QSslSocket s;
    if (m_tls) {
        s.setPeerVerifyMode(QSslSocket::VerifyNone); // up or not, not who
        s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_pushPort);
        if (!s.waitForEncrypted(1000))
            return false;
    } else {
        s.connectToHost(QHostAddress::LocalHost, m_pushPort);
        if (!s.waitForConnected(500))
            return false;
    }
    s.write(QByteArrayLiteral("GET /health HTTP/1.1\r\nHost: 127.0.0.1:") +
            QByteArray::number(m_pushPort) + "\r\nConnection: close\r\n\r\n");
    QByteArray answer;
    QDeadlineTimer deadline(1000);
    while (!deadline.hasExpired() && !answer.contains("\r\n") && s.waitForReadyRead(100))
        answer += s.readAll();
    return answer.startsWith("HTTP/1.1 200");
}

void WsgatedProcess::stop() {
    if (!m_process || m_process->state() == QProcess::NotRunning)
        return;
#ifdef Q_OS_UNIX
    ::kill(pid_t(m_process->processId()), SIGTERM);
#else
    m_process->terminate();
#endif
    if (!m_process->waitForFinished(StopTimeoutMs))
        m_process->kill();
    m_process->waitForFinished(5000);
}

bool WsgatedProcess::isRunning() const {
    return m_process && m_process->state() == QProcess::Running;
}

int WsgatedProcess::exitCode() const {
    return m_process ? m_process->exitCode() : -1;
}

QString WsgatedProcess::wsUrl(const QString &path) const {
    return QStringLiteral("ws://127.0.0.1:%1%2").arg(m_wsPort).arg(path);
}

QUrl WsgatedProcess::adminUrl() const {
    return QUrl(QStringLiteral("%1://127.0.0.1:%2")
                    .arg(m_tls ? QStringLiteral("https") : QStringLiteral("http"))
                    .arg(m_pushPort));
}
