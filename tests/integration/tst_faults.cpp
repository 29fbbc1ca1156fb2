// Nothing lost silently: while php-fpm is SIGKILLed and restarted under load, or down for
// seconds, every message a client sent gets its reply (the echo of that message), a JSON error
// with a stable code, or, only when the gateway closed the client, a close code that says why,
// with each message it still had counted in wsgate_messages_dropped_total. The engine keeps
// running and serves new clients afterwards.
#include "echoloadclient.h"
#include "gatewayharness.h"
#include "observe/metrics.h"
#include "testmain.h"

#include <QElapsedTimer>
#include <QTest>
#include <QTimer>

#include <memory>
#include <vector>

namespace {

constexpr int Clients = 16;
constexpr int Window = 4;                   // unanswered messages per client at most
constexpr int TopUpIntervalMs = 10;         // each client sends at most Window per tick
constexpr int WarmUpReplies = Clients * 20; // the load flows before the fault
constexpr int OutageMs = 4000;
constexpr int DrainTimeoutMs = 60000; // for the last answers (FastCGI timeouts are 30 s)

const QSet<QString> ErrorCodes{QStringLiteral("php_unavailable"), QStringLiteral("php_timeout"),
                               QStringLiteral("php_bad_response"),
                               QStringLiteral("php_overloaded")};
// Close codes that say why: going away, policy (queue, send buffer), PHP failed, try later.
const QSet<int> CloseCodesWithReason{1001, 1008, 1011, 1013};

qint64 droppedTotal(const Metrics *m) {
    qint64 n = 0;
    for (const auto &d : m->dropped)
        n += d.load();
    return n;
}

/// The clients and the timer that keeps them sending.
class Load {
public:
    explicit Load(const QString &url)
        : m_url(url) {
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            for (auto &c : m_clients)
                c->topUp(Window);
        });
    }
    bool open() {
        for (int i = 0; i < Clients; ++i) {
            auto c = std::make_unique<EchoLoadClient>("c" + QByteArray::number(i), ErrorCodes);
            if (!c->open(m_url))
                return false;
            m_clients.push_back(std::move(c));
        }
        return true;
    }
    void start() { m_timer.start(TopUpIntervalMs); }
    void stopSending() { m_timer.stop(); }

    qint64 sum(qint64 (EchoLoadClient::*f)() const) const {
        qint64 n = 0;
        for (const auto &c : m_clients)
            n += (c.get()->*f)();
        return n;
    }
    qint64 errors(const QString &code) const {
        qint64 n = 0;
        for (const auto &c : m_clients)
            n += c->errorsByCode().value(code);
        return n;
    }
    const std::vector<std::unique_ptr<EchoLoadClient>> &clients() const { return m_clients; }

private:
    QString m_url;
    QTimer m_timer;
    std::vector<std::unique_ptr<EchoLoadClient>> m_clients;
};

} // namespace

class TestFaults final : public QObject {
    Q_OBJECT
private slots:
    void nothingLost_data() {
        QTest::addColumn<bool>("kill");
        QTest::newRow("php-fpm SIGKILLed and restarted") << true;
        QTest::newRow("php-fpm down for 4 s") << false;
    }

    void nothingLost() {
        QFETCH(bool, kill);
        GatewayHarness h;
        WSGATE_START_GATEWAY(h, QStringLiteral("gw.php"), {"--fastcgi-pool", "4"});
        const Metrics *metrics = h.engine()->metrics();
        Load load(h.wsUrl());
        QVERIFY(load.open());
        load.start();
        QTRY_VERIFY_WITH_TIMEOUT(load.sum(&EchoLoadClient::replied) >= WarmUpReplies, 20000);

        if (kill) {
            h.fpm().kill();
            QTest::qWait(300); // the load meets a dead FPM: refused connections
            QVERIFY(h.fpm().start());
        } else {
            h.fpm().stop();
            QTest::qWait(OutageMs);
            QVERIFY(h.fpm().start());
        }
        // The fault was felt, and the load recovers.
        QVERIFY(load.errors(QStringLiteral("php_unavailable")) > 0);
        const qint64 repliedAfterFault = load.sum(&EchoLoadClient::replied);
        QTRY_VERIFY_WITH_TIMEOUT(
            load.sum(&EchoLoadClient::replied) >= repliedAfterFault + WarmUpReplies, 20000);

        load.stopSending();
        QElapsedTimer drain;
        drain.start();
        while (load.sum(&EchoLoadClient::unanswered) > 0 && drain.elapsed() < DrainTimeoutMs)
            QTest::qWait(20);

        // Every message has its answer.
        QCOMPARE(load.sum(&EchoLoadClient::unanswered), 0);
        for (const auto &c : load.clients())
            QVERIFY2(c->mismatched() == 0, c->firstMismatch().constData());
        qint64 unansweredAtClose = 0;
        for (const auto &c : load.clients()) {
            if (!c->isClosed())
                continue;
            QVERIFY2(CloseCodesWithReason.contains(c->closeCode()),
                     qPrintable(QString::number(c->closeCode())));
            unansweredAtClose += c->unansweredAtClose();
        }
        // The gateway counted exactly the messages of closed clients as dropped: none else.
        QCOMPARE(droppedTotal(metrics), unansweredAtClose);
        const qint64 sent = load.sum(&EchoLoadClient::sent);
        QCOMPARE(load.sum(&EchoLoadClient::replied) + load.sum(&EchoLoadClient::errored) +
                     unansweredAtClose,
                 sent);
        qInfo("sent %lld: replied %lld, errors %lld (php_unavailable %lld, php_bad_response "
              "%lld, php_timeout %lld), unanswered at close %lld",
              sent, load.sum(&EchoLoadClient::replied), load.sum(&EchoLoadClient::errored),
              load.errors(QStringLiteral("php_unavailable")),
              load.errors(QStringLiteral("php_bad_response")),
              load.errors(QStringLiteral("php_timeout")), unansweredAtClose);

        // Still up, and serving new clients.
        QVERIFY(h.engine()->isRunning());
        TestClient fresh;
        QVERIFY(fresh.open(h.wsUrl()));
        fresh.socket.sendTextMessage(QStringLiteral("after the fault"));
        QVERIFY(fresh.waitForMessages(1));
        QCOMPARE(fresh.messages.at(0), QByteArray("after the fault"));
    }
};

WSGATE_TEST_MAIN(TestFaults)
#include "tst_faults.moc"
