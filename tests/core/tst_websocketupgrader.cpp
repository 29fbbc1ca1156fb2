#include "websocket/websocketupgrader.h"

#include "testmain.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QPointer>
#include <QTest>

#include <algorithm>

using Result = WebSocketUpgrader::Result;

namespace {

const QByteArray kKey = "dGhlIHNhbXBsZSBub25jZQ=="; // RFC 6455 §1.3's example
const QByteArray kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

QByteArray head(const QByteArray &requestLine = "GET /chat HTTP/1.1",
                const QList<QByteArray> &headers = {
                    "Host: example.com", "Upgrade: websocket", "Connection: Upgrade",
                    "Sec-WebSocket-Key: " + kKey, "Sec-WebSocket-Version: 13"}) {
    QByteArray out = requestLine + "\r\n";
    for (const QByteArray &h : headers)
        out += h + "\r\n";
    return out + "\r\n";
}

QList<QByteArray> without(const QByteArray &prefix) {
    QList<QByteArray> h = {"Host: example.com", "Upgrade: websocket", "Connection: Upgrade",
                           "Sec-WebSocket-Key: " + kKey, "Sec-WebSocket-Version: 13"};
    h.removeIf([&](const QByteArray &line) { return line.startsWith(prefix); });
    return h;
}

QByteArray acceptFor(const QByteArray &key) {
    return QCryptographicHash::hash(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
                                    QCryptographicHash::Sha1)
        .toBase64();
}

// Runs one negotiation to its callback.
Result negotiateNow(WebSocketUpgrader &upgrader, const QByteArray &h, int *calls = nullptr) {
    Result out;
    int count = 0;
    upgrader.negotiate(h, QHostAddress::LocalHost, 40000, false, [&](const Result &r) {
        out = r;
        ++count;
    });
    if (count != 0)
        qFatal("done ran inside negotiate()");
    if (!QTest::qWaitFor([&] { return count > 0; }, 5000))
        qFatal("done never ran");
    QCoreApplication::processEvents();
    if (calls)
        *calls = count;
    return out;
}

} // namespace

/// Tests of WebSocketUpgrader: Qt's 101, its refusals, subprotocols, cancel, cost.
class TestWebSocketUpgrader final : public QObject {
    Q_OBJECT
private slots:
    void accepts();
    void acceptKeyForOtherKeys();
    void refusals_data();
    void refusals();
    void incompleteHead();
    void bytesAfterTheHeadIgnored();
    void subprotocols_data();
    void subprotocols();
    void cancel();
    void manyInOrder();
    void deleteInsideDone();
    void negotiateInsideDone();
    void cost();
};

void TestWebSocketUpgrader::accepts() {
    WebSocketUpgrader upgrader("wsgate-test");
    int calls = 0;
    const Result r = negotiateNow(upgrader, head(), &calls);
    QCOMPARE(calls, 1);
    QVERIFY(r.accepted);
    QVERIFY(r.error.isEmpty());
    QVERIFY(r.subprotocol.isEmpty());
    QVERIFY2(r.response.startsWith("HTTP/1.1 101 Switching Protocols\r\n"), r.response.constData());
    QVERIFY(r.response.contains("\r\nSec-WebSocket-Accept: " + kAccept + "\r\n"));
    QVERIFY(r.response.contains("\r\nUpgrade: websocket\r\n"));
    QVERIFY(r.response.contains("\r\nConnection: Upgrade\r\n"));
    QVERIFY(r.response.contains("\r\nServer: wsgate-test\r\n"));
    QVERIFY(!r.response.contains("Sec-WebSocket-Protocol"));
    QVERIFY(r.response.endsWith("\r\n\r\n"));
    QCOMPARE(r.response.count("\r\n\r\n"), 1);
}

void TestWebSocketUpgrader::acceptKeyForOtherKeys() {
    WebSocketUpgrader upgrader("x");
    for (const QByteArray &key :
         {QByteArray("AQIDBAUGBwgJCgsMDQ4PEA=="), QByteArray("x3JJHMbDL1EzLkh9GBhXDw==")}) {
        QList<QByteArray> h = without("Sec-WebSocket-Key");
        h << "Sec-WebSocket-Key: " + key;
        const Result r = negotiateNow(upgrader, head("GET / HTTP/1.1", h));
        QVERIFY(r.accepted);
        QVERIFY(r.response.contains("\r\nSec-WebSocket-Accept: " + acceptFor(key) + "\r\n"));
    }
}

void TestWebSocketUpgrader::refusals_data() {
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QByteArray>("responseStart"); // empty: Qt writes nothing
    QTest::newRow("missing key") << head("GET /chat HTTP/1.1", without("Sec-WebSocket-Key"))
                                 << QByteArray();
    QTest::newRow("missing version")
        << head("GET /chat HTTP/1.1", without("Sec-WebSocket-Version")) << QByteArray();
    QTest::newRow("not GET") << head("POST /chat HTTP/1.1") << QByteArray();
    QTest::newRow("HTTP/1.0") << head("GET /chat HTTP/1.0") << QByteArray();
    QTest::newRow("no Upgrade header")
        << head("GET /chat HTTP/1.1", without("Upgrade")) << QByteArray();
    QTest::newRow("no Connection header")
        << head("GET /chat HTTP/1.1", without("Connection")) << QByteArray();
    QTest::newRow("garbage") << QByteArray("\x01\x02 nonsense\r\n\r\n") << QByteArray();
    QList<QByteArray> v8 = without("Sec-WebSocket-Version");
    v8 << "Sec-WebSocket-Version: 8";
    QTest::newRow("wrong version")
        << head("GET /chat HTTP/1.1", v8) << QByteArray("HTTP/1.1 400 Bad Request\r\n");
}

void TestWebSocketUpgrader::refusals() {
    QFETCH(QByteArray, request);
    QFETCH(QByteArray, responseStart);
    WebSocketUpgrader upgrader("wsgate-test");
    int calls = 0;
    const Result r = negotiateNow(upgrader, request, &calls);
    QCOMPARE(calls, 1);
    QVERIFY(!r.accepted);
    QVERIFY(!r.error.isEmpty());
    QVERIFY(r.subprotocol.isEmpty());
    if (responseStart.isEmpty()) {
        QCOMPARE(r.response, QByteArray());
    } else {
        QVERIFY2(r.response.startsWith(responseStart), r.response.constData());
        QVERIFY(r.response.contains("Sec-WebSocket-Version: 13"));
        QVERIFY(!r.response.contains("Sec-WebSocket-Accept"));
    }
    // A valid one afterwards still works: the refusal left nothing behind.
    QVERIFY(negotiateNow(upgrader, head()).accepted);
}

void TestWebSocketUpgrader::incompleteHead() {
    WebSocketUpgrader upgrader("x");
    QByteArray h = head();
    h.chop(2);
    const Result r = negotiateNow(upgrader, h);
    QVERIFY(!r.accepted);
    QCOMPARE(r.response, QByteArray());
    QVERIFY(r.error.contains("incomplete"));
}

void TestWebSocketUpgrader::bytesAfterTheHeadIgnored() {
    WebSocketUpgrader upgrader("x");
    const Result r = negotiateNow(upgrader, head() + QByteArray::fromHex("8185aabbccdd0102030405"));
    QVERIFY(r.accepted);
    QVERIFY(r.response.contains(kAccept));
}

void TestWebSocketUpgrader::subprotocols_data() {
    QTest::addColumn<QStringList>("supported");
    QTest::addColumn<QList<QByteArray>>("offered");
    QTest::addColumn<QString>("chosen");
    QTest::newRow("none supported") << QStringList() << QList<QByteArray>{"chat"} << QString();
    QTest::newRow("client order wins")
        << QStringList{"chat", "superchat"} << QList<QByteArray>{"superchat, chat"}
        << QString("superchat");
    QTest::newRow("second offered")
        << QStringList{"chat"} << QList<QByteArray>{"other, chat"} << QString("chat");
    QTest::newRow("two header lines")
        << QStringList{"b"} << QList<QByteArray>{"a", "b"} << QString("b");
    QTest::newRow("nothing in common")
        << QStringList{"chat"} << QList<QByteArray>{"other"} << QString();
    QTest::newRow("none offered") << QStringList{"chat"} << QList<QByteArray>{} << QString();
}

void TestWebSocketUpgrader::subprotocols() {
    QFETCH(QStringList, supported);
    QFETCH(QList<QByteArray>, offered);
    QFETCH(QString, chosen);
    WebSocketUpgrader upgrader("x");
    upgrader.setSupportedSubprotocols(supported);
    QCOMPARE(upgrader.supportedSubprotocols(), supported);
    QList<QByteArray> h = without("none");
    for (const QByteArray &line : offered)
        h << "Sec-WebSocket-Protocol: " + line;
    const Result r = negotiateNow(upgrader, head("GET / HTTP/1.1", h));
    QVERIFY(r.accepted); // a missing match is not a refusal (RFC 6455 §4.2.2)
    QCOMPARE(r.subprotocol, chosen);
    if (chosen.isEmpty())
        QVERIFY(!r.response.contains("Sec-WebSocket-Protocol"));
    else
        QVERIFY(r.response.contains("\r\nSec-WebSocket-Protocol: " + chosen.toLatin1() + "\r\n"));
}

void TestWebSocketUpgrader::cancel() {
    WebSocketUpgrader upgrader("x");
    int first = 0, second = 0;
    const quint64 a = upgrader.negotiate(head(), QHostAddress::LocalHost, 1, false,
                                         [&](const Result &) { ++first; });
    const quint64 b = upgrader.negotiate(head(), QHostAddress::LocalHost, 2, false,
                                         [&](const Result &) { ++second; });
    QVERIFY(a != 0 && b != 0 && a != b);
    upgrader.cancel(a);
    upgrader.cancel(12345); // unknown: ignored
    QTRY_COMPARE(second, 1);
    QCoreApplication::processEvents();
    QCOMPARE(first, 0);
    upgrader.cancel(b); // finished: ignored
    QCOMPARE(second, 1);
}

void TestWebSocketUpgrader::manyInOrder() {
    WebSocketUpgrader upgrader("x");
    QList<quint64> tickets, order;
    for (int i = 0; i < 50; ++i) {
        QByteArray h = i % 5 == 4 ? head("POST / HTTP/1.1") : head();
        const quint64 t = upgrader.negotiate(h, QHostAddress::LocalHost, quint16(i), false,
                                             [&order, i](const Result &r) {
                                                 order.append(quint64(i));
                                                 QCOMPARE(r.accepted, i % 5 != 4);
                                             });
        tickets.append(t);
    }
    QTRY_COMPARE(order.size(), 50);
    for (int i = 0; i < 50; ++i)
        QCOMPARE(order[i], quint64(i));
    QCOMPARE(QSet<quint64>(tickets.begin(), tickets.end()).size(), 50);
}

void TestWebSocketUpgrader::deleteInsideDone() {
    auto *upgrader = new WebSocketUpgrader("x");
    QPointer<WebSocketUpgrader> guard(upgrader);
    int calls = 0;
    for (int i = 0; i < 3; ++i) {
        upgrader->negotiate(head(), QHostAddress::LocalHost, 1, false, [&](const Result &) {
            ++calls;
            delete guard.data();
        });
    }
    QTRY_VERIFY(guard.isNull());
    QCoreApplication::processEvents();
    QCOMPARE(calls, 1); // the others went with it
}

void TestWebSocketUpgrader::negotiateInsideDone() {
    // done runs from a posted event; negotiate() delivers Qt's own posted event inside it.
    WebSocketUpgrader upgrader("x");
    QList<bool> results;
    std::function<void(const Result &)> next = [&](const Result &r) {
        results.append(r.accepted);
        if (results.size() < 5)
            upgrader.negotiate(results.size() % 2 ? head("PUT / HTTP/1.1") : head(),
                               QHostAddress::LocalHost, 1, false, next);
    };
    upgrader.negotiate(head(), QHostAddress::LocalHost, 1, false, next);
    QTRY_COMPARE(results.size(), 5);
    QCOMPARE(results, (QList<bool>{true, false, true, false, true}));
}

void TestWebSocketUpgrader::cost() {
    // What one negotiate() costs the event loop's thread (Qt parses, validates, builds the
    // response, creates and deletes a QWebSocket on the in-memory socket).
    WebSocketUpgrader upgrader("wsgate");
    const QByteArray h =
        head("GET /ws?room=1 HTTP/1.1",
             {"Host: localhost:8080", "Upgrade: websocket", "Connection: Upgrade",
              "Sec-WebSocket-Key: " + kKey, "Sec-WebSocket-Version: 13",
              "Origin: http://localhost:8080", "User-Agent: Mozilla/5.0 (X11; Linux x86_64)",
              "Cookie: session=0123456789abcdef0123456789abcdef"});
    constexpr int kRuns = 3000;
    QList<qint64> ns;
    ns.reserve(kRuns);
    int done = 0;
    QElapsedTimer t;
    for (int i = 0; i < kRuns; ++i) {
        t.start();
        upgrader.negotiate(h, QHostAddress::LocalHost, 1, false, [&](const Result &) { ++done; });
        ns.append(t.nsecsElapsed());
        if (i % 100 == 99)
            QCoreApplication::processEvents(); // deliver, as a running loop would
    }
    QTRY_COMPARE(done, kRuns);
    std::sort(ns.begin(), ns.end());
    qInfo("negotiate(): median %.1f us, p90 %.1f us, p99 %.1f us over %d runs",
          double(ns[kRuns / 2]) / 1000, double(ns[kRuns * 9 / 10]) / 1000,
          double(ns[kRuns * 99 / 100]) / 1000, kRuns);
    QVERIFY(ns[kRuns / 2] < 5'000'000); // generous: 5 ms would mean something is badly off
}

WSGATE_TEST_MAIN(TestWebSocketUpgrader)
#include "tst_websocketupgrader.moc"
