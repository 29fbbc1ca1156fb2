#include "fastcgi/cgiresponseparser.h"

#include <QTest>

using Headers = QList<QPair<QByteArray, QByteArray>>;

class TestCgiResponseParser : public QObject {
    Q_OBJECT
private slots:
    void wellFormed_data();
    void wellFormed();
    void everySplitPoint_data();
    void everySplitPoint();
    void malformed_data();
    void malformed();
    void headerBlockLimit_data();
    void headerBlockLimit();
    void bodyLimit_data();
    void bodyLimit();
    void resetReuses();
};

void TestCgiResponseParser::wellFormed_data() {
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("reason");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<QByteArray>("body");

    QTest::newRow("no Status: 200")
        << QByteArray("Content-type: text/html; charset=UTF-8\r\n\r\nhello") << 200 << QByteArray()
        << QByteArray("text/html; charset=UTF-8")
        << Headers{{"Content-type", "text/html; charset=UTF-8"}} << QByteArray("hello");
    QTest::newRow("Status with reason")
        << QByteArray("Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnope") << 404
        << QByteArray("Not Found") << QByteArray("text/plain")
        << Headers{{"Content-Type", "text/plain"}} << QByteArray("nope");
    QTest::newRow("Status without reason")
        << QByteArray("Status: 503\r\n\r\n") << 503 << QByteArray() << QByteArray() << Headers{}
        << QByteArray();
    QTest::newRow("status header name in lower case")
        << QByteArray("status: 201 Created\r\n\r\n") << 201 << QByteArray("Created") << QByteArray()
        << Headers{} << QByteArray();
    QTest::newRow("Location without Status: 302")
        << QByteArray("Location: /elsewhere\r\n\r\n") << 302 << QByteArray() << QByteArray()
        << Headers{{"Location", "/elsewhere"}} << QByteArray();
    QTest::newRow("Location with Status keeps Status")
        << QByteArray("Status: 301 Moved\r\nLocation: /x\r\n\r\n") << 301 << QByteArray("Moved")
        << QByteArray() << Headers{{"Location", "/x"}} << QByteArray();
    QTest::newRow("bare LF line endings")
        << QByteArray("Status: 500 Oops\nX-A: 1\n\nbody\r\n") << 500 << QByteArray("Oops")
        << QByteArray() << Headers{{"X-A", "1"}} << QByteArray("body\r\n");
    QTest::newRow("mixed line endings")
        << QByteArray("X-A: 1\nX-B: 2\r\n\nz") << 200 << QByteArray() << QByteArray()
        << Headers{{"X-A", "1"}, {"X-B", "2"}} << QByteArray("z");
    QTest::newRow("empty header block, body only")
        << QByteArray("\r\nraw") << 200 << QByteArray() << QByteArray() << Headers{}
        << QByteArray("raw");
    QTest::newRow("repeated headers kept in order, values trimmed")
        << QByteArray("Set-Cookie:  a=1 \r\nX-WS-Join: g1\r\nSet-Cookie:\tb=2\r\n\r\n") << 200
        << QByteArray() << QByteArray()
        << Headers{{"Set-Cookie", "a=1"}, {"X-WS-Join", "g1"}, {"Set-Cookie", "b=2"}}
        << QByteArray();
    QTest::newRow("empty header value") << QByteArray("X-Empty:\r\n\r\n") << 200 << QByteArray()
                                        << QByteArray() << Headers{{"X-Empty", ""}} << QByteArray();
    QTest::newRow("body containing blank lines and colons")
        << QByteArray("\n\r\n\r\na: b\r\n") << 200 << QByteArray() << QByteArray() << Headers{}
        << QByteArray("\r\n\r\na: b\r\n");
    QTest::newRow("binary body") << QByteArray("X: y\r\n\r\n\x00\xff\n", 11) << 200 << QByteArray()
                                 << QByteArray() << Headers{{"X", "y"}}
                                 << QByteArray("\x00\xff\n", 3);
}

void TestCgiResponseParser::wellFormed() {
    QFETCH(QByteArray, input);
    QFETCH(int, status);
    QFETCH(QByteArray, reason);
    QFETCH(QByteArray, contentType);
    QFETCH(Headers, headers);
    QFETCH(QByteArray, body);

    CgiResponseParser parser;
    QCOMPARE(parser.feed(input), CgiResponseParser::Status::Ok);
    QCOMPARE(parser.finish(), CgiResponseParser::Status::Ok);
    QVERIFY(parser.headersComplete());
    QCOMPARE(parser.status(), status);
    QCOMPARE(parser.reason(), reason);
    QCOMPARE(parser.contentType(), contentType);
    QCOMPARE(parser.headers(), headers);
    QCOMPARE(parser.body(), body);
    QVERIFY(!parser.bodyTruncated());
    QVERIFY(parser.errorString().isEmpty());
}

void TestCgiResponseParser::everySplitPoint_data() {
    QTest::addColumn<QByteArray>("input");
    QTest::newRow("CRLF") << QByteArray("Status: 418 I'm a teapot\r\nContent-Type: text/plain\r\n"
                                        "X-WS-User: 42\r\n\r\nbody bytes");
    QTest::newRow("LF") << QByteArray("Status: 418 I'm a teapot\nContent-Type: text/plain\n"
                                      "X-WS-User: 42\n\nbody bytes");
}

void TestCgiResponseParser::everySplitPoint() {
    QFETCH(QByteArray, input);
    const Headers expected{{"Content-Type", "text/plain"}, {"X-WS-User", "42"}};
    for (qsizetype a = 0; a <= input.size(); ++a) {
        for (qsizetype b = a; b <= input.size(); ++b) {
            CgiResponseParser parser;
            parser.feed(QByteArrayView(input).first(a));
            parser.feed(QByteArrayView(input).sliced(a, b - a));
            const auto last = parser.feed(QByteArrayView(input).sliced(b));
            QCOMPARE(last, CgiResponseParser::Status::Ok);
            QCOMPARE(parser.finish(), CgiResponseParser::Status::Ok);
            QCOMPARE(parser.status(), 418);
            QCOMPARE(parser.reason(), QByteArray("I'm a teapot"));
            QCOMPARE(parser.contentType(), QByteArray("text/plain"));
            QCOMPARE(parser.headers(), expected);
            QCOMPARE(parser.body(), QByteArray("body bytes"));
        }
    }
    // Byte by byte: Incomplete until the blank line, Ok from then on.
    CgiResponseParser parser;
    const qsizetype headerEnd =
        input.indexOf("\n\n") >= 0 ? input.indexOf("\n\n") + 2 : input.indexOf("\r\n\r\n") + 4;
    for (qsizetype i = 0; i < input.size(); ++i) {
        const auto s = parser.feed(QByteArrayView(input).sliced(i, 1));
        QCOMPARE(s, i + 1 < headerEnd ? CgiResponseParser::Status::Incomplete
                                      : CgiResponseParser::Status::Ok);
    }
    QCOMPARE(parser.body(), QByteArray("body bytes"));
}

void TestCgiResponseParser::malformed_data() {
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("errorContains");
    QTest::newRow("no colon") << QByteArray("garbage line\r\n\r\n") << "malformed CGI header line";
    QTest::newRow("empty name") << QByteArray(": value\r\n\r\n") << "malformed CGI header line";
    QTest::newRow("space in name") << QByteArray("Bad Name: v\r\n\r\n") << "header name";
    QTest::newRow("continuation line") << QByteArray("X-A: 1\r\n  more\r\n\r\n") << "continuation";
    QTest::newRow("control character in value") << QByteArray("X-A: a\x01"
                                                              "b\r\n\r\n",
                                                              12)
                                                << "control character";
    QTest::newRow("NUL in value") << QByteArray("X-A: a\x00"
                                                "b\r\n\r\n",
                                                12)
                                  << "control character";
    QTest::newRow("Status not a number") << QByteArray("Status: abc\r\n\r\n") << "Status";
    QTest::newRow("Status two digits") << QByteArray("Status: 20\r\n\r\n") << "Status";
    QTest::newRow("Status four digits") << QByteArray("Status: 2000\r\n\r\n") << "Status";
    QTest::newRow("Status below 100") << QByteArray("Status: 099 x\r\n\r\n") << "Status";
    QTest::newRow("Status empty") << QByteArray("Status:\r\n\r\n") << "Status";
    QTest::newRow("Status repeated")
        << QByteArray("Status: 200\r\nStatus: 500\r\n\r\n") << "repeated";
    QTest::newRow("HTML instead of headers")
        << QByteArray("<html><body>x</body></html>\n\n") << "malformed CGI header line";
    QTest::newRow("missing blank line at the end")
        << QByteArray("Status: 200\r\nX: y\r\n") << "header block";
    QTest::newRow("missing newline at the end") << QByteArray("Status: 200") << "header block";
    QTest::newRow("empty STDOUT") << QByteArray() << "empty";
}

void TestCgiResponseParser::malformed() {
    QFETCH(QByteArray, input);
    QFETCH(QString, errorContains);
    for (qsizetype chunk : {qsizetype(1), std::max<qsizetype>(input.size(), 1)}) {
        CgiResponseParser parser;
        CgiResponseParser::Status s = CgiResponseParser::Status::Incomplete;
        for (qsizetype i = 0; i < input.size() && s != CgiResponseParser::Status::Error; i += chunk)
            s = parser.feed(QByteArrayView(input).sliced(i, std::min(chunk, input.size() - i)));
        if (s != CgiResponseParser::Status::Error)
            s = parser.finish();
        QCOMPARE(s, CgiResponseParser::Status::Error);
        QVERIFY2(parser.errorString().contains(errorContains), qPrintable(parser.errorString()));
        // Sticky.
        QCOMPARE(parser.feed("\r\n"), CgiResponseParser::Status::Error);
        QCOMPARE(parser.finish(), CgiResponseParser::Status::Error);
    }
}

void TestCgiResponseParser::headerBlockLimit_data() {
    QTest::addColumn<int>("blockBytes");
    QTest::addColumn<bool>("ok");
    const int max = int(CgiResponseParser::maxHeaderBytes());
    QTest::newRow("exactly the limit") << max << true;
    QTest::newRow("one byte over") << max + 1 << false;
    QTest::newRow("one endless line") << 10 * max << false;
}

void TestCgiResponseParser::headerBlockLimit() {
    QFETCH(int, blockBytes);
    QFETCH(bool, ok);
    // "X: aaa...\r\n" + "\r\n" == blockBytes
    QByteArray block = "X: " + QByteArray(blockBytes - 3 - 2 - 2, 'a') + "\r\n\r\n";
    QCOMPARE(block.size(), qsizetype(blockBytes));
    for (qsizetype chunk : {qsizetype(1000), block.size()}) {
        CgiResponseParser parser;
        CgiResponseParser::Status s = CgiResponseParser::Status::Incomplete;
        for (qsizetype i = 0; i < block.size() && s == CgiResponseParser::Status::Incomplete;
             i += chunk)
            s = parser.feed(QByteArrayView(block).sliced(i, std::min(chunk, block.size() - i)));
        QCOMPARE(s, ok ? CgiResponseParser::Status::Ok : CgiResponseParser::Status::Error);
        if (!ok)
            QVERIFY2(parser.errorString().contains(QLatin1String("header block over")),
                     qPrintable(parser.errorString()));
    }
}

void TestCgiResponseParser::bodyLimit_data() {
    QTest::addColumn<int>("bodyBytes");
    QTest::addColumn<int>("maxBody");
    QTest::addColumn<bool>("truncated");
    QTest::newRow("under the limit") << 99 << 100 << false;
    QTest::newRow("exactly the limit") << 100 << 100 << false;
    QTest::newRow("one byte over") << 101 << 100 << true;
    QTest::newRow("far over") << 100000 << 100 << true;
    QTest::newRow("limit 0, empty body") << 0 << 0 << false;
    QTest::newRow("limit 0, one byte") << 1 << 0 << true;
}

void TestCgiResponseParser::bodyLimit() {
    QFETCH(int, bodyBytes);
    QFETCH(int, maxBody);
    QFETCH(bool, truncated);
    const QByteArray body(bodyBytes, 'b');
    for (qsizetype chunk : {qsizetype(7), qsizetype(1000000)}) {
        CgiResponseParser parser(maxBody);
        parser.feed("Content-Type: x\r\n\r\n");
        for (qsizetype i = 0; i < body.size(); i += chunk)
            QCOMPARE(parser.feed(QByteArrayView(body).sliced(i, std::min(chunk, body.size() - i))),
                     CgiResponseParser::Status::Ok);
        QCOMPARE(parser.finish(), CgiResponseParser::Status::Ok);
        QCOMPARE(parser.bodyTruncated(), truncated);
        QCOMPARE(parser.body(), body.left(maxBody));
    }
}

void TestCgiResponseParser::resetReuses() {
    CgiResponseParser parser;
    QCOMPARE(parser.feed("Status: 500\r\nLocation: /x\r\nbad line\r\n"),
             CgiResponseParser::Status::Error);
    parser.reset();
    QCOMPARE(parser.feed("X: 1\r\n\r\nb"), CgiResponseParser::Status::Ok);
    QCOMPARE(parser.status(), 200);
    QCOMPARE(parser.headers(), (Headers{{"X", "1"}}));
    QCOMPARE(parser.takeBody(), QByteArray("b"));
}

QTEST_APPLESS_MAIN(TestCgiResponseParser)
#include "tst_cgiresponseparser.moc"
