#pragma once
// The console's real widgets against a real Engine and php-fpm, for the traffic tests:
// tests/php/ui_traffic.php answers with what PHP got, and produces STDERR on request.

#include "enginecontroller.h"
#include "mainwindow.h"
#include "phpfpmfixture.h"
#include "trafficlogmodel.h"
#include "trafficlogview.h"

#include <QApplication>
#include <QDialog>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkRequest>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QWebSocket>

#include <functional>
#include <memory>

namespace trafficconsole {

constexpr int StartTimeoutMs = 15000;
constexpr int UiTimeoutMs = 10000;
inline const QString PushToken = QStringLiteral("s3cr3t-push-token-value");

/// Acts once on the application's modal dialog of type T as soon as one is shown (its exec()
/// blocks the test function, so this polls from the loop exec() runs). A modal dialog still
/// open at the timeout is rejected, so a missing dialog fails the test instead of hanging it.
template <typename T> class ModalDriver final {
public:
    explicit ModalDriver(std::function<void(T *)> act)
        : m_act(std::move(act)) {
        m_clock.start();
        m_timer.setInterval(10);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] { poll(); });
        m_timer.start();
    }
    ModalDriver(const ModalDriver &) = delete;
    ModalDriver &operator=(const ModalDriver &) = delete;
    bool acted() const { return m_acted; }

private:
    void poll() {
        auto *dialog = qobject_cast<T *>(QApplication::activeModalWidget());
        if (dialog && dialog->isVisible()) {
            m_timer.stop();
            m_acted = true;
            m_act(dialog);
            return;
        }
        if (m_clock.hasExpired(UiTimeoutMs)) {
            m_timer.stop();
            if (auto *open = qobject_cast<QDialog *>(QApplication::activeModalWidget()))
                open->reject();
        }
    }

    std::function<void(T *)> m_act;
    QTimer m_timer;
    QElapsedTimer m_clock;
    bool m_acted = false;
};

/// One console window running the gateway on loopback with a private php-fpm.
class Console final {
public:
    /// Starts php-fpm and the console; false (with `error`) when either does not come up.
    bool start(QString *error) {
        if (!m_fpm.start(error))
            return false;
        m_settings = std::make_unique<QSettings>(m_dir.filePath(QStringLiteral("wsgate.ini")),
                                                 QSettings::IniFormat);
        const ConfigurationResult parsed = ConfigurationParser::parse(
            {QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"),
             QStringLiteral("--push-listen"), QStringLiteral("127.0.0.1:0"),
             QStringLiteral("--push-token"), PushToken, QStringLiteral("--fastcgi"),
             m_fpm.fastcgiAddress(), QStringLiteral("--script"),
             PhpFpmFixture::script(QStringLiteral("ui_traffic.php"))});
        if (parsed.action != ConfigurationResult::Action::Run) {
            *error = parsed.message;
            return false;
        }
        m_window = std::make_unique<MainWindow>(parsed.config, m_settings.get());
        m_window->controller()->setSampleInterval(100); // quicker tests; the default is 250 ms
        m_window->show();
        return startGateway(error);
    }

    bool startGateway(QString *error) {
        m_window->startGateway();
        if (!QTest::qWaitFor(
                [this] {
                    return m_window->controller()->state() == EngineController::State::Running;
                },
                StartTimeoutMs)) {
            *error = QStringLiteral("the gateway did not start");
            return false;
        }
        return true;
    }

    bool stopGateway() {
        m_window->stopGateway();
        return QTest::qWaitFor(
            [this] { return m_window->controller()->state() == EngineController::State::Stopped; },
            StartTimeoutMs);
    }

    void stop() { m_window.reset(); }

    MainWindow *window() const { return m_window.get(); }
    TrafficLogView *view() const { return m_window->trafficView(); }
    const TrafficLogModel *model() const { return view()->liveModel(); }
    QTemporaryDir &dir() { return m_dir; }

    /// A connected client; `headers` go with the handshake. Null when it does not connect.
    std::unique_ptr<QWebSocket> connect(const QList<QPair<QByteArray, QByteArray>> &headers = {},
                                        const QString &query = QStringLiteral("room=test")) {
        auto socket = std::make_unique<QWebSocket>();
        QSignalSpy connected(socket.get(), &QWebSocket::connected);
        QUrl url(m_window->controller()->listenUrl());
        url.setQuery(query);
        QNetworkRequest request(url);
        for (const auto &[name, value] : headers)
            request.setRawHeader(name, value);
        socket->open(request);
        if (!connected.wait(UiTimeoutMs))
            return nullptr;
        return socket;
    }

    /// The gateway's id of `socket`, once the console's connections list shows it.
    QByteArray clientIdOf(QWebSocket *socket) const {
        QByteArray id;
        (void)QTest::qWaitFor(
            [&] {
                for (int row = model()->rowCount() - 1; row >= 0; --row) {
                    const TrafficEntry &e = model()->entry(row);
                    if (e.kind == TrafficEntry::Kind::Php && e.php) {
                        const QByteArray peer = paramOf(e, "REMOTE_PORT");
                        if (peer == QByteArray::number(socket->localPort())) {
                            id = e.clientId;
                            return true;
                        }
                    }
                }
                return false;
            },
            UiTimeoutMs);
        return id;
    }

    /// Sends `text` and returns PHP's JSON reply (empty when none came).
    static QJsonObject say(QWebSocket *socket, const QString &text) {
        QSignalSpy replies(socket, &QWebSocket::textMessageReceived);
        socket->sendTextMessage(text);
        if (!replies.wait(UiTimeoutMs))
            return {};
        return QJsonDocument::fromJson(replies.constLast().at(0).toString().toUtf8()).object();
    }

    /// The newest PHP row of `clientId` whose message is `body`; an entry with id 0 when none.
    TrafficEntry phpRow(const QByteArray &clientId, const QByteArray &body) const {
        for (int row = model()->rowCount() - 1; row >= 0; --row) {
            const TrafficEntry &e = model()->entry(row);
            if (e.kind == TrafficEntry::Kind::Php && e.php && e.clientId == clientId &&
                e.php->requestBody == body)
                return e;
        }
        return {};
    }

    /// Waits for that row to be in the console's log.
    TrafficEntry waitPhpRow(const QByteArray &clientId, const QByteArray &body) const {
        TrafficEntry e;
        (void)QTest::qWaitFor(
            [&] {
                e = phpRow(clientId, body);
                return e.id != 0;
            },
            UiTimeoutMs);
        return e;
    }

    static QByteArray paramOf(const TrafficEntry &e, QByteArrayView name) {
        if (!e.php)
            return {};
        for (const auto &[n, v] : e.php->params()) {
            if (n == name)
                return v;
        }
        return {};
    }

private:
    PhpFpmFixture m_fpm;
    QTemporaryDir m_dir;
    std::unique_ptr<QSettings> m_settings;
    std::unique_ptr<MainWindow> m_window;
};

} // namespace trafficconsole
