// The widgets that keep the console cheap under traffic: the plain-text cell painter (elision
// without text layout) and the label whose new values never move its neighbours.

#include "plaintextdelegate.h"
#include "steadylabel.h"

#include <QApplication>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QStandardItemModel>
#include <QTableView>
#include <QTest>

class TestCheapWidgets final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void textThatFitsIsUntouched();
    void longTextIsCutToTheWidthWithAnEllipsis_data();
    void longTextIsCutToTheWidthWithAnEllipsis();
    void combiningMarksFallBackToRealLayout();
    void noRoomGivesNoText();
    void delegatePaintsTheCellsText();
    void steadyLabelGrowsButNeverShrinks();
    void steadyLabelDoesNotMoveItsNeighbours();
};

void TestCheapWidgets::textThatFitsIsUntouched() {
    const QFont font = QApplication::font();
    const QString text = QStringLiteral("12:34:56.789");
    const int width = QFontMetrics(font).horizontalAdvance(text) + 4;
    QCOMPARE(PlainTextDelegate::elide(text, font, width), text);
}

void TestCheapWidgets::longTextIsCutToTheWidthWithAnEllipsis_data() {
    QTest::addColumn<QFont>("font");
    QTest::addColumn<QString>("text");
    const QString json = QStringLiteral("{\"type\":\"chat\",\"text\":\"") +
                         QString(200, QLatin1Char('x')) + QStringLiteral("\"}");
    QTest::newRow("proportional") << QApplication::font() << json;
    QTest::newRow("fixed") << QFontDatabase::systemFont(QFontDatabase::FixedFont) << json;
    QTest::newRow("accented") << QApplication::font()
                              << QString::fromUtf8("Grüße aus Köln, ça va? ").repeated(10);
    QTest::newRow("control picture")
        << QFontDatabase::systemFont(QFontDatabase::FixedFont)
        << (QStringLiteral("line one") + QChar(0x2424) + QStringLiteral("line two")).repeated(10);
}

void TestCheapWidgets::longTextIsCutToTheWidthWithAnEllipsis() {
    QFETCH(QFont, font);
    QFETCH(QString, text);
    const QFontMetrics metrics(font);
    for (const int width : {40, 120, 333}) {
        const QString cut = PlainTextDelegate::elide(text, font, width);
        QVERIFY2(cut.endsWith(QChar(0x2026)), qPrintable(cut));
        const QString kept = cut.chopped(1);
        QVERIFY(text.startsWith(kept));
        QVERIFY2(metrics.horizontalAdvance(cut) <= width,
                 qPrintable(QStringLiteral("%1 px > %2 px: %3")
                                .arg(metrics.horizontalAdvance(cut))
                                .arg(width)
                                .arg(cut)));
        // Not cut much shorter than needed: one more character would not have fit.
        const QString longer = text.left(kept.size() + 1) + QChar(0x2026);
        QVERIFY(metrics.horizontalAdvance(longer) > width - metrics.averageCharWidth());
    }
}

void TestCheapWidgets::combiningMarksFallBackToRealLayout() {
    const QFont font = QApplication::font();
    // "e" + COMBINING ACUTE ACCENT: two code units, one glyph.
    const QString text = QString(QStringLiteral("e\u0301")).repeated(100);
    const int width = 80;
    const QString cut = PlainTextDelegate::elide(text, font, width);
    QCOMPARE(cut, QFontMetrics(font).elidedText(text, Qt::ElideRight, width));
}

void TestCheapWidgets::noRoomGivesNoText() {
    QCOMPARE(PlainTextDelegate::elide(QStringLiteral("abc"), QApplication::font(), 0), QString());
}

void TestCheapWidgets::delegatePaintsTheCellsText() {
    // The same table painted by Qt's delegate and ours: ours must draw text where Qt's does
    // (a blank cell would pass a test that only checks it does not crash).
    QStandardItemModel model(3, 2);
    for (int r = 0; r < 3; ++r) {
        model.setItem(r, 0, new QStandardItem(QStringLiteral("row %1").arg(r)));
        model.setItem(r, 1, new QStandardItem(QString(80, QLatin1Char('W'))));
    }
    QTableView view;
    view.setModel(&model);
    view.resize(400, 200);
    view.setItemDelegate(new PlainTextDelegate(&view));
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.selectRow(1);
    const QImage image = view.viewport()->grab().toImage();
    const QRect cell = view.visualRect(model.index(0, 0));
    const QRgb background = image.pixel(cell.right() - 1, cell.center().y());
    int inked = 0;
    for (int x = cell.left(); x < cell.right(); ++x) {
        for (int y = cell.top(); y < cell.bottom(); ++y)
            inked += image.pixel(x, y) != background ? 1 : 0;
    }
    QVERIFY2(inked > 20, "the first cell has no text");
    // The selected row is highlighted.
    const QRect selected = view.visualRect(model.index(1, 0));
    QCOMPARE(QColor(image.pixel(selected.right() - 1, selected.top() + 1)),
             view.palette().color(QPalette::Active, QPalette::Highlight));
}

void TestCheapWidgets::steadyLabelGrowsButNeverShrinks() {
    QWidget window;
    auto *label = new SteadyLabel(&window);
    auto *layout = new QHBoxLayout(&window);
    layout->addWidget(label);
    window.show();
    label->setSteadyText(QStringLiteral("9 of 10"));
    const int small = label->width();
    label->setSteadyText(QStringLiteral("10000 of 10000, 200 held"));
    const int large = label->width();
    QVERIFY(large > small);
    label->setSteadyText(QStringLiteral("1 of 1"));
    QCOMPARE(label->width(), large);
    QCOMPARE(label->text(), QStringLiteral("1 of 1"));
    label->resetSize();
    label->setSteadyText(QStringLiteral("2 of 2"));
    QVERIFY(label->width() < large);
}

void TestCheapWidgets::steadyLabelDoesNotMoveItsNeighbours() {
    QWidget window;
    auto *edit = new QLineEdit(&window);
    auto *label = new SteadyLabel(&window);
    auto *layout = new QHBoxLayout(&window);
    layout->addWidget(edit, 1);
    layout->addWidget(label);
    window.resize(600, 40);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    label->setSteadyText(QStringLiteral("10000 of 10000"));
    QApplication::processEvents();
    const QRect editGeometry = edit->geometry();
    for (const char *text : {"9000 of 10000", "1 of 1", "10000 of 10000", "11 of 10000"}) {
        label->setSteadyText(QString::fromLatin1(text));
        QApplication::processEvents();
        QCOMPARE(edit->geometry(), editGeometry);
    }
}

QTEST_MAIN(TestCheapWidgets)
#include "tst_cheapwidgets.moc"
