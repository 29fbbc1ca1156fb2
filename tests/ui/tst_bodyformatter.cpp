// BodyFormatter: what the detail pane shows of a body.

#include "bodyformatter.h"

#include <QTest>

class TestBodyFormatter : public QObject {
    Q_OBJECT
private slots:
    void autoJsonKeepsKeyOrderAndNumbers();
    void invalidJsonIsShownAsText();
    void binaryIsHex();
};

void TestBodyFormatter::autoJsonKeepsKeyOrderAndNumbers() {
    const QByteArray body = R"({"type":"chat","text":"hi","n":1.50})";
    QCOMPARE(BodyFormatter::detect(body, false), BodyFormatter::Format::Json);
    QCOMPARE(
        BodyFormatter::format(body, BodyFormatter::Format::Auto),
        QStringLiteral("{\n    \"type\": \"chat\",\n    \"text\": \"hi\",\n    \"n\": 1.50\n}"));
}

void TestBodyFormatter::invalidJsonIsShownAsText() {
    const QByteArray body = R"({"type": oops})";
    QCOMPARE(BodyFormatter::detect(body, false), BodyFormatter::Format::Text);
    QString error;
    QVERIFY(BodyFormatter::prettyJson(body, &error).isEmpty());
    QVERIFY(!error.isEmpty());
    QCOMPARE(BodyFormatter::format(body, BodyFormatter::Format::Auto), QString::fromUtf8(body));
}

void TestBodyFormatter::binaryIsHex() {
    const QByteArray body = QByteArray::fromHex("00ff10");
    QCOMPARE(BodyFormatter::detect(body, true), BodyFormatter::Format::Hex);
    QVERIFY(BodyFormatter::format(body, BodyFormatter::Format::Auto)
                .contains(QLatin1String("00 ff 10")));
}

QTEST_GUILESS_MAIN(TestBodyFormatter)
#include "tst_bodyformatter.moc"
