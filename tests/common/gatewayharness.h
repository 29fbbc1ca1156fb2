#pragma once

#include "engine/engine.h"
#include "phpfpmfixture.h"

#include <QByteArray>
#include <QList>
#include <QNetworkRequest>
#include <QStringList>
#include <QWebSocket>

#include <memory>

/// A test WebSocket client that records everything it receives.
class TestClient final : public QObject {
    Q_OBJECT
public:
    explicit TestClient(QObject *parent = nullptr);
    ~TestClient() override;

    /// Connects and waits; false on failure or timeout (Qt 6.4 clients stay in
    /// ConnectingState on a non-101 answer, so the timeout is ours).
    bool open(const QNetworkRequest &request, int timeoutMs = 5000);
    bool open(const QString &url, int timeoutMs = 5000);
    /// Waits until at least `count` messages arrived in total.
    bool waitForMessages(int count, int timeoutMs = 10000);
    bool waitForDisconnect(int timeoutMs = 10000);

    QWebSocket socket;
    QList<QByteArray> messages; // text as UTF-8, binary as is
    QList<bool> binary;
    bool disconnected = false;
    int closeCode = -1;
    QString closeReason;
};

/// Starts a php-fpm fixture and an Engine (gateway + push API on free loopback ports) for one
/// test, with extra command-line flags.
class GatewayHarness final {
public:
    explicit GatewayHarness(PhpFpmFixture::Options fpmOptions = {});
    ~GatewayHarness();

    /// Starts php-fpm if needed, then the engine with `script` (a tests/php file name) and
    /// `flags`; false with a message.
    bool start(QString *error, const QString &script, const QStringList &flags = {});
    void stopEngine();
    /// The engine destroyed without a stop, as a crash leaves things: no goodbyes (a cluster
    /// node does not leave the registry).
    void abandonEngine() { m_engine.reset(); }

    PhpFpmFixture &fpm() { return m_fpm; }
    Engine *engine() { return m_engine.get(); }
    QString wsUrl(const QString &pathAndQuery = QStringLiteral("/ws")) const;
    quint16 wsPort() const;
    quint16 pushPort() const;

    /// A blocking HTTP/1.1 request to the push API; returns the status, fills body/headers.
    int http(const QByteArray &method, const QByteArray &path, const QByteArray &body = {},
             const QList<QPair<QByteArray, QByteArray>> &headers = {},
             QByteArray *responseBody = nullptr, QByteArray *responseHead = nullptr);
    /// Raw bytes to the WebSocket port; returns whatever comes back until close or timeout.
    QByteArray rawWs(const QByteArray &request, int timeoutMs = 5000);

private:
    PhpFpmFixture m_fpm;
    std::unique_ptr<Engine> m_engine;
};

/// Starts the harness or ends the test (QFAIL under CI when php-fpm is missing, else QSKIP).
#define WSGATE_START_GATEWAY(harness, ...)                                                         \
    do {                                                                                           \
        WSGATE_START_PHP_FPM((harness).fpm());                                                     \
        QString wsgateError_;                                                                      \
        if (!(harness).start(&wsgateError_, __VA_ARGS__))                                          \
            QFAIL(qPrintable(wsgateError_));                                                       \
    } while (false)
