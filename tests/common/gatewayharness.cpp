#include "gatewayharness.h"

#include "config/configuration.h"
#include "gateway/gateway.h"
#include "http/httpserver.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTimer>

TestClient::TestClient(QObject *parent)
    : QObject(parent) {
    connect(&socket, &QWebSocket::textMessageReceived, this, [this](const QString &m) {
        messages.append(m.toUtf8());
        binary.append(false);
    });
    connect(&socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &m) {
        messages.append(m);
        binary.append(true);
    });
    connect(&socket, &QWebSocket::disconnected, this, [this] {
        disconnected = true;
        closeCode = socket.closeCode();
        closeReason = socket.closeReason();
    });
}

TestClient::~TestClient() {
    socket.disconnect(this);
    socket.abort();
}

bool TestClient::open(const QNetworkRequest &request, int timeoutMs) {
    QSignalSpy connected(&socket, &QWebSocket::connected);
    disconnected = false;
    closeCode = -1;
    socket.open(request);
    QDeadlineTimer deadline(timeoutMs);
    while (connected.isEmpty() && !disconnected && !deadline.hasExpired())
        connected.wait(std::max<qint64>(1, std::min<qint64>(100, deadline.remainingTime())));
    return !connected.isEmpty();
}

bool TestClient::open(const QString &url, int timeoutMs) {
    return open(QNetworkRequest(QUrl(url)), timeoutMs);
}

bool TestClient::waitForMessages(int count, int timeoutMs) {
    QDeadlineTimer deadline(timeoutMs);
    while (messages.size() < count && !deadline.hasExpired()) {
        QEventLoop loop;
        QTimer::singleShot(20, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return messages.size() >= count;
}

bool TestClient::waitForDisconnect(int timeoutMs) {
    QDeadlineTimer deadline(timeoutMs);
    while (!disconnected && !deadline.hasExpired()) {
        QEventLoop loop;
        QTimer::singleShot(20, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return disconnected;
}

GatewayHarness::GatewayHarness(PhpFpmFixture::Options fpmOptions)
    : m_fpm(fpmOptions) {}

GatewayHarness::~GatewayHarness() {
    stopEngine();
}

bool GatewayHarness::start(QString *error, const QString &script, const QStringList &flags) {
    QStringList args{QStringLiteral("--listen"),      QStringLiteral("127.0.0.1:0"),
                     QStringLiteral("--push-listen"), QStringLiteral("127.0.0.1:0"),
                     QStringLiteral("--fastcgi"),     m_fpm.fastcgiAddress(),
                     QStringLiteral("--script"),      PhpFpmFixture::script(script),
                     QStringLiteral("--docroot"),     PhpFpmFixture::scriptDir()};
    args += flags;
    const ConfigurationResult parsed = ConfigurationParser::parse(args);
    if (parsed.action != ConfigurationResult::Action::Run) {
        if (error)
            *error = QStringLiteral("bad test flags: ") + parsed.message;
        return false;
    }
    m_engine = std::make_unique<Engine>(parsed.config);
    QString e;
    if (!m_engine->start(&e)) {
        if (error)
            *error = QStringLiteral("engine did not start: ") + e;
        m_engine.reset();
        return false;
    }
    return true;
}

void GatewayHarness::stopEngine() {
    if (!m_engine)
        return;
    if (m_engine->isRunning()) {
        QSignalSpy stopped(m_engine.get(), &Engine::stopped);
        m_engine->stop();
        if (stopped.isEmpty())
            stopped.wait(15000);
    }
    m_engine.reset();
}

quint16 GatewayHarness::wsPort() const {
    return m_engine && m_engine->gateway() ? m_engine->gateway()->serverPort() : 0;
}

quint16 GatewayHarness::pushPort() const {
    return m_engine && m_engine->httpServer() ? m_engine->httpServer()->serverPort() : 0;
}

QString GatewayHarness::wsUrl(const QString &pathAndQuery) const {
    return QStringLiteral("ws://127.0.0.1:%1%2").arg(wsPort()).arg(pathAndQuery);
}

int GatewayHarness::http(const QByteArray &method, const QByteArray &path, const QByteArray &body,
                         const QList<QPair<QByteArray, QByteArray>> &headers,
                         QByteArray *responseBody, QByteArray *responseHead) {
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, pushPort());
    QSignalSpy connected(&s, &QTcpSocket::connected);
    if (s.state() != QAbstractSocket::ConnectedState && !connected.wait(5000))
        return -1;
    QByteArray request = method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    bool hasType = false;
    for (const auto &[name, value] : headers) {
        request += name + ": " + value + "\r\n";
        hasType = hasType || name.compare("Content-Type", Qt::CaseInsensitive) == 0;
    }
    if (!body.isEmpty() && !hasType)
        request += "Content-Type: application/x-www-form-urlencoded\r\n";
    request +=
        "Content-Length: " + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n";
    request += body;
    QByteArray response;
    // Until the server closes (Connection: close), in the event loop: the gateway may run on
    // this thread.
    QEventLoop loop;
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&s, &QTcpSocket::readyRead, &loop, [&] { response += s.readAll(); });
    QObject::connect(&s, &QTcpSocket::disconnected, &loop, &QEventLoop::quit);
    QObject::connect(&deadline, &QTimer::timeout, &loop, &QEventLoop::quit);
    s.write(request);
    deadline.start(10000);
    if (s.state() == QAbstractSocket::ConnectedState)
        loop.exec();
    response += s.readAll();
    const int headEnd = response.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return -1;
    if (responseHead)
        *responseHead = response.left(headEnd);
    if (responseBody)
        *responseBody = response.mid(headEnd + 4);
    const QList<QByteArray> statusLine = response.left(response.indexOf("\r\n")).split(' ');
    return statusLine.size() >= 2 ? statusLine.at(1).toInt() : -1;
}

QByteArray GatewayHarness::rawWs(const QByteArray &request, int timeoutMs) {
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, wsPort());
    QSignalSpy connected(&s, &QTcpSocket::connected);
    if (s.state() != QAbstractSocket::ConnectedState && !connected.wait(5000))
        return {};
    s.write(request);
    QByteArray response;
    QDeadlineTimer deadline(timeoutMs);
    while (s.state() == QAbstractSocket::ConnectedState && !deadline.hasExpired()) {
        QSignalSpy ready(&s, &QTcpSocket::readyRead);
        if (!s.bytesAvailable())
            ready.wait(100);
        response += s.readAll();
    }
    response += s.readAll();
    return response;
}
