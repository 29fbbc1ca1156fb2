#include "gateway/cgiparams.h"
#include "testmain.h"

#include <QTest>

namespace {

HttpRequest head(QList<HttpRequest::Header> headers, const QByteArray &target = "/ws?a=1") {
    HttpRequest r;
    r.method = "GET";
    r.target = target;
    const qsizetype q = target.indexOf('?');
    r.path = q < 0 ? target : target.left(q);
    r.query = q < 0 ? QByteArray() : target.mid(q + 1);
    r.headers = std::move(headers);
    return r;
}

QByteArray value(const PhpParams &p, QByteArrayView name) {
    for (const auto &[n, v] : p) {
        if (n == name)
            return v;
    }
    return "<absent>";
}

int count(const PhpParams &p, QByteArrayView name) {
    return int(
        std::count_if(p.begin(), p.end(), [&](const PhpParam &x) { return x.first == name; }));
}

CgiParams::Endpoints endpoints() {
    return {QHostAddress("::ffff:10.0.0.7"), 51000, QHostAddress("127.0.0.1"), 8080};
}

} // namespace

class TestCgiParams final : public QObject {
    Q_OBJECT
private slots:
    void fixedParams() {
        CgiParams::Settings s;
        s.script = "/var/www/app/ws.php";
        s.docroot = "/var/www/app";
        s.serverName = "ws.example.org";
        s.https = true;
        s.extra = {{"WS_PUSH_URL", "http://127.0.0.1:8081"}};
        const PhpParams p = CgiParams::build(s, endpoints(), head({{"Host", "evil.example"}}));
        QCOMPARE(value(p, "REQUEST_METHOD"), QByteArray("POST"));
        QCOMPARE(value(p, "SCRIPT_FILENAME"), QByteArray("/var/www/app/ws.php"));
        QCOMPARE(value(p, "SCRIPT_NAME"), QByteArray("/ws.php"));
        QCOMPARE(value(p, "DOCUMENT_ROOT"), QByteArray("/var/www/app"));
        QCOMPARE(value(p, "REQUEST_URI"), QByteArray("/ws?a=1"));
        QCOMPARE(value(p, "DOCUMENT_URI"), QByteArray("/ws"));
        QCOMPARE(value(p, "QUERY_STRING"), QByteArray("a=1"));
        QCOMPARE(value(p, "REMOTE_ADDR"), QByteArray("10.0.0.7")); // not ::ffff:10.0.0.7
        QCOMPARE(value(p, "REMOTE_PORT"), QByteArray("51000"));
        QCOMPARE(value(p, "SERVER_PORT"), QByteArray("8080"));
        // From configuration, never the client's Host (which stays in HTTP_HOST).
        QCOMPARE(value(p, "SERVER_NAME"), QByteArray("ws.example.org"));
        QCOMPARE(value(p, "HTTP_HOST"), QByteArray("evil.example"));
        QCOMPARE(value(p, "HTTPS"), QByteArray("on"));
        QCOMPARE(value(p, "WS_PUSH_URL"), QByteArray("http://127.0.0.1:8081"));
    }

    void scriptOutsideDocroot() {
        QCOMPARE(CgiParams::scriptName("/srv/ws.php", "/var/www"), QByteArray("/ws.php"));
        QCOMPARE(CgiParams::scriptName("/var/www/sub/ws.php", "/var/www"),
                 QByteArray("/sub/ws.php"));
        QCOMPARE(CgiParams::scriptName("/var/wwwx/ws.php", "/var/www"), QByteArray("/ws.php"));
    }

    void headers_data() {
        QTest::addColumn<QByteArray>("name");
        QTest::addColumn<QByteArray>("param");
        QTest::newRow("cookie") << QByteArray("Cookie") << QByteArray("HTTP_COOKIE");
        QTest::newRow("dash") << QByteArray("X-Forwarded-For")
                              << QByteArray("HTTP_X_FORWARDED_FOR");
        QTest::newRow("lower") << QByteArray("user-agent") << QByteArray("HTTP_USER_AGENT");
        QTest::newRow("underscore") << QByteArray("X_Forwarded_For") << QByteArray();
        QTest::newRow("proxy") << QByteArray("Proxy") << QByteArray();
        QTest::newRow("connection") << QByteArray("Connection") << QByteArray();
        QTest::newRow("upgrade") << QByteArray("Upgrade") << QByteArray();
        QTest::newRow("content-type") << QByteArray("Content-Type") << QByteArray();
        QTest::newRow("content-length") << QByteArray("Content-Length") << QByteArray();
        QTest::newRow("te") << QByteArray("TE") << QByteArray();
        QTest::newRow("dot") << QByteArray("X.Y") << QByteArray();
        QTest::newRow("digits") << QByteArray("X-1") << QByteArray("HTTP_X_1");
    }
    void headers() {
        QFETCH(QByteArray, name);
        QFETCH(QByteArray, param);
        QCOMPARE(CgiParams::headerParamName(name), param);
    }

    void repeatedHeadersJoined() {
        const PhpParams p = CgiParams::build(
            {}, endpoints(),
            head({{"Cookie", "a=1"}, {"Accept", "x"}, {"Cookie", "b=2"}, {"accept", "y"}}));
        QCOMPARE(value(p, "HTTP_COOKIE"), QByteArray("a=1; b=2"));
        QCOMPARE(value(p, "HTTP_ACCEPT"), QByteArray("x, y"));
        QCOMPARE(count(p, "HTTP_COOKIE"), 1);
    }

    void clientCannotSetOurParams() {
        const PhpParams p = CgiParams::build({}, endpoints(),
                                             head({{"PHP_VALUE", "auto_prepend_file=/etc/passwd"},
                                                   {"SCRIPT-FILENAME", "/tmp/x.php"},
                                                   {"WS-User", "admin"}}));
        QCOMPARE(count(p, "PHP_VALUE"), 0);
        QCOMPARE(count(p, "SCRIPT_FILENAME"), 1);
        QCOMPARE(value(p, "HTTP_SCRIPT_FILENAME"), QByteArray("/tmp/x.php"));
        QCOMPARE(count(p, "WS_USER"), 0);
        for (const auto &[n, v] : p)
            QVERIFY2(!n.startsWith("HTTP_") || n.size() > 5, n.constData());
    }
};

WSGATE_TEST_MAIN(TestCgiParams)
#include "tst_cgiparams.moc"
