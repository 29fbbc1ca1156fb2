#include "websocket/websocketframewriter.h"

#include "testmain.h"

#include <QTest>

/// Unit tests of WebSocketFrameWriter: length forms at every boundary, close payloads.
class TestWebSocketFrameWriter final : public QObject {
    Q_OBJECT
private slots:
    void header_data();
    void header();
    void frameIsHeaderPlusPayload();
    void nonFinal();
    void closePayload_data();
    void closePayload();
    void sendableCodes_data();
    void sendableCodes();
};

void TestWebSocketFrameWriter::header_data() {
    QTest::addColumn<int>("opcode");
    QTest::addColumn<qint64>("length");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("text 0") << 1 << qint64(0) << QByteArray::fromHex("8100");
    QTest::newRow("text 1") << 1 << qint64(1) << QByteArray::fromHex("8101");
    QTest::newRow("binary 125 (last 7-bit)") << 2 << qint64(125) << QByteArray::fromHex("827d");
    QTest::newRow("binary 126 (first 16-bit)")
        << 2 << qint64(126) << QByteArray::fromHex("827e007e");
    QTest::newRow("text 127") << 1 << qint64(127) << QByteArray::fromHex("817e007f");
    QTest::newRow("text 65535 (last 16-bit)")
        << 1 << qint64(65535) << QByteArray::fromHex("817effff");
    QTest::newRow("text 65536 (first 64-bit)")
        << 1 << qint64(65536) << QByteArray::fromHex("817f0000000000010000");
    QTest::newRow("binary 2^32+5")
        << 2 << (qint64(1) << 32) + 5 << QByteArray::fromHex("827f0000000100000005");
    QTest::newRow("close 2") << 8 << qint64(2) << QByteArray::fromHex("8802");
    QTest::newRow("ping 125") << 9 << qint64(125) << QByteArray::fromHex("897d");
    QTest::newRow("pong 0") << 10 << qint64(0) << QByteArray::fromHex("8a00");
}

void TestWebSocketFrameWriter::header() {
    QFETCH(int, opcode);
    QFETCH(qint64, length);
    QFETCH(QByteArray, expected);
    QCOMPARE(WebSocketFrameWriter::header(WebSocketOpcode(opcode), length).toHex(),
             expected.toHex());
}

void TestWebSocketFrameWriter::frameIsHeaderPlusPayload() {
    for (qsizetype n : {0, 5, 125, 126, 65535, 65536, 70000}) {
        const QByteArray payload(n, 'z');
        const QByteArray f = WebSocketFrameWriter::frame(WebSocketOpcode::Binary, payload);
        const QByteArray h = WebSocketFrameWriter::header(WebSocketOpcode::Binary, n);
        QCOMPARE(f.size(), h.size() + n);
        QVERIFY(f.startsWith(h));
        QVERIFY(QByteArrayView(f).sliced(h.size()) == QByteArrayView(payload));
        QVERIFY(!(quint8(f[1]) & 0x80)); // a server never masks
    }
}

void TestWebSocketFrameWriter::nonFinal() {
    QCOMPARE(WebSocketFrameWriter::header(WebSocketOpcode::Text, 3, false).toHex(),
             QByteArray("0103"));
    QCOMPARE(WebSocketFrameWriter::header(WebSocketOpcode::Continuation, 3, true).toHex(),
             QByteArray("8003"));
}

void TestWebSocketFrameWriter::closePayload_data() {
    QTest::addColumn<int>("code");
    QTest::addColumn<QByteArray>("reason");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("1000 no reason") << 1000 << QByteArray() << QByteArray::fromHex("03e8");
    QTest::newRow("4999 with reason")
        << 4999 << QByteArray("bye") << QByteArray::fromHex("1387627965");
    QTest::newRow("1005 gives nothing") << 1005 << QByteArray("ignored") << QByteArray();
    QTest::newRow("123 bytes kept")
        << 1001 << QByteArray(123, 'r') << QByteArray::fromHex("03e9") + QByteArray(123, 'r');
    QTest::newRow("124 bytes cut to 123")
        << 1001 << QByteArray(124, 'r') << QByteArray::fromHex("03e9") + QByteArray(123, 'r');
    // 121 ASCII + "€" (3 bytes) = 124: the euro sign does not fit whole, so it goes.
    QTest::newRow("cut before a 3-byte character")
        << 1000 << QByteArray(121, 'a') + "\xe2\x82\xac"
        << QByteArray::fromHex("03e8") + QByteArray(121, 'a');
    // 120 + "€" = 123 fits exactly.
    QTest::newRow("3-byte character ending at 123")
        << 1000 << QByteArray(120, 'a') + "\xe2\x82\xac" + "b"
        << QByteArray::fromHex("03e8") + QByteArray(120, 'a') + "\xe2\x82\xac";
    QTest::newRow("cut inside a 4-byte character")
        << 1000 << QByteArray(122, 'a') + "\xf0\x9f\x98\x80"
        << QByteArray::fromHex("03e8") + QByteArray(122, 'a');
}

void TestWebSocketFrameWriter::closePayload() {
    QFETCH(int, code);
    QFETCH(QByteArray, reason);
    QFETCH(QByteArray, expected);
    const QByteArray p = WebSocketFrameWriter::closePayload(code, reason);
    QCOMPARE(p.toHex(), expected.toHex());
    QVERIFY(p.size() <= 125);
}

void TestWebSocketFrameWriter::sendableCodes_data() {
    QTest::addColumn<int>("code");
    QTest::addColumn<bool>("sendable");
    const QList<std::pair<int, bool>> rows = {
        {0, false},   {999, false},  {1000, true},  {1001, true},   {1002, true},
        {1003, true}, {1004, false}, {1005, false}, {1006, false},  {1007, true},
        {1011, true}, {1014, true},  {1015, false}, {1016, false},  {2999, false},
        {3000, true}, {4999, true},  {5000, false}, {65535, false}, {-1, false}};
    for (const auto &[code, ok] : rows)
        QTest::addRow("%d", code) << code << ok;
}

void TestWebSocketFrameWriter::sendableCodes() {
    QFETCH(int, code);
    QFETCH(bool, sendable);
    QCOMPARE(WebSocketFrameWriter::isSendableCloseCode(code), sendable);
}

WSGATE_TEST_MAIN(TestWebSocketFrameWriter)
#include "tst_websocketframewriter.moc"
