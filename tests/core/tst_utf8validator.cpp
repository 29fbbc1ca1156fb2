#include "websocket/utf8validator.h"

#include "testmain.h"

#include <QTest>

namespace {

QByteArray bytes(std::initializer_list<int> list) {
    QByteArray out;
    for (int b : list)
        out.append(char(b));
    return out;
}

// An independent reference: decode by the lead byte's length, then check the code point.
bool referenceValid(const QByteArray &s) {
    qsizetype i = 0;
    while (i < s.size()) {
        const quint8 b = quint8(s[i]);
        int len = 0;
        quint32 cp = 0;
        if (b < 0x80) {
            ++i;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            len = 2;
            cp = b & 0x1F;
        } else if ((b & 0xF0) == 0xE0) {
            len = 3;
            cp = b & 0x0F;
        } else if ((b & 0xF8) == 0xF0) {
            len = 4;
            cp = b & 0x07;
        } else {
            return false;
        }
        if (i + len > s.size())
            return false;
        for (int k = 1; k < len; ++k) {
            const quint8 c = quint8(s[i + k]);
            if ((c & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (c & 0x3F);
        }
        const quint32 min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

} // namespace

/// Unit tests of Utf8Validator: boundaries, every invalid class, every split, the fast path.
class TestUtf8Validator final : public QObject {
    Q_OBJECT
private slots:
    void valid_data();
    void valid();
    void invalid_data();
    void invalid();
    void incompleteAtEnd();
    void failureSticksUntilReset();
    void asciiFastPathOffsets();
    void exhaustiveUpToThreeBytes();
    void fourByteLeads();
};

void TestUtf8Validator::valid_data() {
    QTest::addColumn<QByteArray>("input");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("ascii") << QByteArray("hello, world: 0123456789 abcdefghijklmnop");
    QTest::newRow("U+0000") << bytes({0x00});
    QTest::newRow("U+007F last 1-byte") << bytes({0x7F});
    QTest::newRow("U+0080 first 2-byte") << bytes({0xC2, 0x80});
    QTest::newRow("U+07FF last 2-byte") << bytes({0xDF, 0xBF});
    QTest::newRow("U+0800 first 3-byte") << bytes({0xE0, 0xA0, 0x80});
    QTest::newRow("U+D7FF below surrogates") << bytes({0xED, 0x9F, 0xBF});
    QTest::newRow("U+E000 above surrogates") << bytes({0xEE, 0x80, 0x80});
    QTest::newRow("U+FFFF last 3-byte") << bytes({0xEF, 0xBF, 0xBF});
    QTest::newRow("U+10000 first 4-byte") << bytes({0xF0, 0x90, 0x80, 0x80});
    QTest::newRow("U+10FFFF last code point") << bytes({0xF4, 0x8F, 0xBF, 0xBF});
    QTest::newRow("euro sign") << bytes({0xE2, 0x82, 0xAC});
    QTest::newRow("mixed") << QString::fromUtf8("héllo € 𝄞 一二三 abcdefgh").toUtf8();
    QTest::newRow("long ascii then 4-byte")
        << QByteArray(37, 'a') + bytes({0xF0, 0x9F, 0x98, 0x80});
}

void TestUtf8Validator::valid() {
    QFETCH(QByteArray, input);
    QVERIFY(Utf8Validator::isValid(input));
    QVERIFY(referenceValid(input));
    // Split in two at every position.
    for (qsizetype cut = 0; cut <= input.size(); ++cut) {
        Utf8Validator v;
        QVERIFY(v.feed(QByteArrayView(input).first(cut)));
        QVERIFY(v.feed(QByteArrayView(input).sliced(cut)));
        QVERIFY2(v.isComplete(), qPrintable(QString::number(cut)));
        QVERIFY(!v.failed());
    }
    // Byte by byte: complete exactly at character boundaries.
    Utf8Validator v;
    for (qsizetype i = 0; i < input.size(); ++i) {
        QVERIFY(v.feed(QByteArrayView(input).sliced(i, 1)));
        const bool boundary = i + 1 == input.size() || (quint8(input[i + 1]) & 0xC0) != 0x80;
        QCOMPARE(v.isComplete(), boundary);
    }
    QVERIFY(v.isComplete());
}

void TestUtf8Validator::invalid_data() {
    QTest::addColumn<QByteArray>("input");
    QTest::newRow("lone continuation 80") << bytes({0x80});
    QTest::newRow("lone continuation BF") << bytes({0xBF});
    QTest::newRow("continuation after ascii") << bytes({0x41, 0x80});
    QTest::newRow("overlong 2-byte C0 80 (U+0000)") << bytes({0xC0, 0x80});
    QTest::newRow("overlong 2-byte C1 BF (U+007F)") << bytes({0xC1, 0xBF});
    QTest::newRow("overlong 3-byte E0 80 80") << bytes({0xE0, 0x80, 0x80});
    QTest::newRow("overlong 3-byte E0 9F BF (U+07FF)") << bytes({0xE0, 0x9F, 0xBF});
    QTest::newRow("overlong 4-byte F0 80 80 80") << bytes({0xF0, 0x80, 0x80, 0x80});
    QTest::newRow("overlong 4-byte F0 8F BF BF (U+FFFF)") << bytes({0xF0, 0x8F, 0xBF, 0xBF});
    QTest::newRow("surrogate U+D800") << bytes({0xED, 0xA0, 0x80});
    QTest::newRow("surrogate U+DBFF") << bytes({0xED, 0xAF, 0xBF});
    QTest::newRow("surrogate U+DC00") << bytes({0xED, 0xB0, 0x80});
    QTest::newRow("surrogate U+DFFF") << bytes({0xED, 0xBF, 0xBF});
    QTest::newRow("surrogate pair (CESU-8)") << bytes({0xED, 0xA0, 0xBD, 0xED, 0xB2, 0xA9});
    QTest::newRow("U+110000 F4 90 80 80") << bytes({0xF4, 0x90, 0x80, 0x80});
    QTest::newRow("lead F5") << bytes({0xF5, 0x80, 0x80, 0x80});
    QTest::newRow("lead F7") << bytes({0xF7, 0xBF, 0xBF, 0xBF});
    QTest::newRow("lead F8 (5-byte)") << bytes({0xF8, 0x88, 0x80, 0x80, 0x80});
    QTest::newRow("lead FC (6-byte)") << bytes({0xFC, 0x84, 0x80, 0x80, 0x80, 0x80});
    QTest::newRow("FE") << bytes({0xFE});
    QTest::newRow("FF") << bytes({0xFF});
    QTest::newRow("2-byte cut by ascii") << bytes({0xC2, 0x41});
    QTest::newRow("3-byte cut by ascii") << bytes({0xE2, 0x82, 0x41});
    QTest::newRow("4-byte cut by ascii") << bytes({0xF0, 0x9F, 0x98, 0x41});
    QTest::newRow("lead after lead") << bytes({0xE2, 0xE2, 0x82, 0xAC});
    QTest::newRow("continuation C0 range") << bytes({0xC2, 0xC0});
    QTest::newRow("invalid after 16 ascii")
        << QByteArray(16, 'a') + bytes({0x80}) + QByteArray(8, 'a');
    QTest::newRow("invalid inside the 2nd word")
        << QByteArray(11, 'a') + bytes({0xFF}) + QByteArray(9, 'a');
}

void TestUtf8Validator::invalid() {
    QFETCH(QByteArray, input);
    QVERIFY(!referenceValid(input));
    QVERIFY(!Utf8Validator::isValid(input));
    {
        Utf8Validator v;
        QVERIFY(!v.feed(input));
        QVERIFY(v.failed());
        QVERIFY(!v.isComplete());
    }
    for (qsizetype cut = 0; cut <= input.size(); ++cut) {
        Utf8Validator v;
        const bool a = v.feed(QByteArrayView(input).first(cut));
        const bool b = v.feed(QByteArrayView(input).sliced(cut));
        QVERIFY(!(a && b));
        QVERIFY(v.failed());
    }
    Utf8Validator v;
    bool ok = true;
    for (qsizetype i = 0; i < input.size() && ok; ++i)
        ok = v.feed(QByteArrayView(input).sliced(i, 1));
    QVERIFY(!ok);
}

void TestUtf8Validator::incompleteAtEnd() {
    for (const QByteArray &s : {bytes({0xE2, 0x82}), bytes({0xC2}), bytes({0xF0, 0x9F, 0x98}),
                                QByteArray("ab") + bytes({0xF4})}) {
        Utf8Validator v;
        QVERIFY(v.feed(s));
        QVERIFY(!v.failed());
        QVERIFY(!v.isComplete());
        QVERIFY(!Utf8Validator::isValid(s));
    }
    Utf8Validator v;
    QVERIFY(v.feed(bytes({0xE2, 0x82})));
    QVERIFY(!v.isComplete());
    QVERIFY(v.feed(bytes({0xAC})));
    QVERIFY(v.isComplete());
}

void TestUtf8Validator::failureSticksUntilReset() {
    Utf8Validator v;
    QVERIFY(!v.feed(bytes({0xFF})));
    QVERIFY(!v.feed("plain ascii"));
    QVERIFY(v.failed());
    QVERIFY(!v.isComplete());
    v.reset();
    QVERIFY(!v.failed());
    QVERIFY(v.isComplete());
    QVERIFY(v.feed("plain ascii"));
    // reset() also forgets a character in progress.
    QVERIFY(v.feed(bytes({0xE2})));
    v.reset();
    QVERIFY(v.isComplete());
    QVERIFY(!v.feed(bytes({0x82})));
}

void TestUtf8Validator::asciiFastPathOffsets() {
    // A bad byte at every offset of a 40-byte ASCII run, and a good 2-byte one, so every
    // alignment of the word loop meets a high bit.
    for (int at = 0; at < 40; ++at) {
        QByteArray bad(40, 'x');
        bad[at] = char(0x80);
        QVERIFY2(!Utf8Validator::isValid(bad), qPrintable(QString::number(at)));
        QByteArray good(40, 'x');
        good.insert(at, bytes({0xC3, 0xA9}));
        QVERIFY2(Utf8Validator::isValid(good), qPrintable(QString::number(at)));
    }
}

void TestUtf8Validator::exhaustiveUpToThreeBytes() {
    // Every string of 1, 2 and 3 bytes against the reference decoder.
    QByteArray s(3, '\0');
    int mismatches = 0;
    for (int a = 0; a < 256; ++a) {
        const QByteArray one(1, char(a));
        mismatches += Utf8Validator::isValid(one) != referenceValid(one);
        for (int b = 0; b < 256; ++b) {
            const char two[2] = {char(a), char(b)};
            const QByteArrayView tv(two, 2);
            mismatches += Utf8Validator::isValid(tv) != referenceValid(tv.toByteArray());
            if (a < 0xE0 || a > 0xEF)
                continue; // 3-byte strings with other leads are decided by their first two
            for (int c = 0; c < 256; ++c) {
                s[0] = char(a);
                s[1] = char(b);
                s[2] = char(c);
                mismatches += Utf8Validator::isValid(s) != referenceValid(s);
            }
        }
    }
    QCOMPARE(mismatches, 0);
}

void TestUtf8Validator::fourByteLeads() {
    // Every lead F0..FF with every second byte and a fixed valid tail.
    int mismatches = 0;
    for (int a = 0xF0; a < 256; ++a) {
        for (int b = 0; b < 256; ++b) {
            const QByteArray s = bytes({a, b, 0x80, 0xBF});
            mismatches += Utf8Validator::isValid(s) != referenceValid(s);
        }
    }
    QCOMPARE(mismatches, 0);
}

WSGATE_TEST_MAIN(TestUtf8Validator)
#include "tst_utf8validator.moc"
