#include "redisfixture.h"

#include <QFile>
#include <QLocalSocket>
#include <QStandardPaths>
#include <QTest>

#include <csignal>
#include <sys/prctl.h>

RedisFixture::RedisFixture() = default;

RedisFixture::~RedisFixture() {
    if (isRunning()) {
        resume();
        kill();
    }
}

QString RedisFixture::findBinary() {
    return QStandardPaths::findExecutable(QStringLiteral("redis-server"));
}

QString RedisFixture::socketPath() const {
    return m_dir.filePath(QStringLiteral("redis.sock"));
}

bool RedisFixture::isRunning() const {
    return m_process && m_process->state() == QProcess::Running;
}

bool RedisFixture::start(QString *error) {
    const QString binary = findBinary();
    if (binary.isEmpty()) {
        if (error)
            *error = QStringLiteral("not installed (apt-get install redis-server)");
        return false;
    }
    QFile config(m_dir.filePath(QStringLiteral("redis.conf")));
    if (!config.open(QIODevice::WriteOnly)) {
        if (error)
            *error = QStringLiteral("cannot write %1").arg(config.fileName());
        return false;
    }
    config.write("port 0\nunixsocket " + socketPath().toUtf8() +
                 "\nunixsocketperm 700\nsave \"\"\nappendonly no\ndaemonize no\n"
                 "dir " +
                 m_dir.path().toUtf8() + "\nlogfile " +
                 m_dir.filePath(QStringLiteral("redis.log")).toUtf8() + '\n');
    config.close();
    QFile::remove(socketPath());
    m_process = std::make_unique<QProcess>();
    m_process->setProgram(binary);
    m_process->setArguments({config.fileName()});
    // Dies with the test, even when the test crashes.
    m_process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    m_process->start();
    if (!m_process->waitForStarted(5000)) {
        if (error)
            *error = m_process->errorString();
        return false;
    }
    for (int i = 0; i < 100; ++i) {
        QLocalSocket probe;
        probe.connectToServer(socketPath());
        if (probe.waitForConnected(100))
            return true;
        QTest::qWait(20);
    }
    if (error)
        *error = QStringLiteral("its socket did not come up");
    return false;
}

void RedisFixture::kill() {
    if (!isRunning())
        return;
    ::kill(pid_t(m_process->processId()), SIGKILL);
    m_process->waitForFinished(5000);
}

void RedisFixture::pause() {
    if (isRunning())
        ::kill(pid_t(m_process->processId()), SIGSTOP);
}

void RedisFixture::resume() {
    if (isRunning())
        ::kill(pid_t(m_process->processId()), SIGCONT);
}

qint64 RedisFixture::integerCommand(const QList<QByteArray> &args) {
    QLocalSocket s;
    s.connectToServer(socketPath());
    if (!s.waitForConnected(1000))
        return -1;
    QByteArray request = "*" + QByteArray::number(args.size()) + "\r\n";
    for (const QByteArray &a : args)
        request += "$" + QByteArray::number(a.size()) + "\r\n" + a + "\r\n";
    s.write(request);
    QByteArray reply;
    while (s.waitForReadyRead(1000)) {
        reply += s.readAll();
        if (reply.startsWith(':') && reply.endsWith("\r\n"))
            return reply.mid(1, reply.size() - 3).toLongLong();
        // PUBSUB NUMSUB: *2\r\n$N\r\n<channel>\r\n:<count>\r\n
        const qsizetype colon = reply.lastIndexOf(':');
        if (reply.startsWith('*') && colon > 0 && reply.endsWith("\r\n"))
            return reply.mid(colon + 1, reply.size() - colon - 3).toLongLong();
    }
    return -1;
}

qint64 RedisFixture::subscribers(const QByteArray &channel) {
    return integerCommand({"PUBSUB", "NUMSUB", channel});
}
