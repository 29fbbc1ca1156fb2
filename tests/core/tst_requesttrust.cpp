#include "http/requesttrust.h"
#include "testmain.h"

#include <QTest>

/// RequestTrust's parsing and matching rules, without a server.
class TestRequestTrust final : public QObject {
    Q_OBJECT
private slots:
    void parseHost_data();
    void parseHost();
    void normalizedOrigin_data();
    void normalizedOrigin();
    void hostMatching_data();
    void hostMatching();
    void headChecks();
};

void TestRequestTrust::parseHost_data() {
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<int>("port"); // -1: none
    QTest::newRow("name") << QByteArray("Example.COM") << true << QByteArray("example.com") << -1;
    QTest::newRow("name:port") << QByteArray("a.b:8081") << true << QByteArray("a.b") << 8081;
    QTest::newRow("port 0") << QByteArray("a:0") << true << QByteArray("a") << 0;
    QTest::newRow("port 65535") << QByteArray("a:65535") << true << QByteArray("a") << 65535;
    QTest::newRow("port 65536") << QByteArray("a:65536") << false << QByteArray() << -1;
    QTest::newRow("port 6 digits") << QByteArray("a:008081") << false << QByteArray() << -1;
    QTest::newRow("empty port") << QByteArray("a:") << false << QByteArray() << -1;
    QTest::newRow("port not digits") << QByteArray("a:80x") << false << QByteArray() << -1;
    QTest::newRow("IPv6") << QByteArray("[::1]:80") << true << QByteArray("[::1]") << 80;
    QTest::newRow("IPv6 upper") << QByteArray("[2001:DB8::1]") << true
                                << QByteArray("[2001:db8::1]") << -1;
    QTest::newRow("IPv6 unbracketed") << QByteArray("::1") << false << QByteArray() << -1;
    QTest::newRow("IPv6 not an address") << QByteArray("[evil]") << false << QByteArray() << -1;
    QTest::newRow("IPv6 zone") << QByteArray("[fe80::1%25eth0]") << false << QByteArray() << -1;
    QTest::newRow("IPv6 junk after") << QByteArray("[::1]x") << false << QByteArray() << -1;
    QTest::newRow("empty") << QByteArray() << false << QByteArray() << -1;
    QTest::newRow("userinfo") << QByteArray("u@a") << false << QByteArray() << -1;
    QTest::newRow("path") << QByteArray("a/b") << false << QByteArray() << -1;
    QTest::newRow("space") << QByteArray("a b") << false << QByteArray() << -1;
}

void TestRequestTrust::parseHost() {
    QFETCH(QByteArray, host);
    QFETCH(bool, valid);
    QFETCH(QByteArray, name);
    QFETCH(int, port);
    const auto parsed = RequestTrust::parseHost(host);
    QCOMPARE(parsed.has_value(), valid);
    if (!valid)
        return;
    QCOMPARE(parsed->name, name);
    QCOMPARE(parsed->port ? int(*parsed->port) : -1, port);
}

void TestRequestTrust::normalizedOrigin_data() {
    QTest::addColumn<QByteArray>("origin");
    QTest::addColumn<QByteArray>("normalized");
    QTest::newRow("plain") << QByteArray("https://app.example")
                           << QByteArray("https://app.example");
    QTest::newRow("case") << QByteArray("HTTPS://App.Example") << QByteArray("https://app.example");
    QTest::newRow("default https port")
        << QByteArray("https://app.example:443") << QByteArray("https://app.example");
    QTest::newRow("default http port")
        << QByteArray("http://app.example:80") << QByteArray("http://app.example");
    QTest::newRow("other port") << QByteArray("http://app.example:443")
                                << QByteArray("http://app.example:443");
    QTest::newRow("IPv6") << QByteArray("http://[::1]:8080") << QByteArray("http://[::1]:8080");
    QTest::newRow("null") << QByteArray("null") << QByteArray();
    QTest::newRow("path") << QByteArray("https://app.example/x") << QByteArray();
    QTest::newRow("no scheme") << QByteArray("app.example") << QByteArray();
    QTest::newRow("bad scheme") << QByteArray("1x://app.example") << QByteArray();
    QTest::newRow("userinfo") << QByteArray("https://u@app.example") << QByteArray();
}

void TestRequestTrust::normalizedOrigin() {
    QFETCH(QByteArray, origin);
    QFETCH(QByteArray, normalized);
    QCOMPARE(RequestTrust::normalizedOrigin(origin), normalized);
}

void TestRequestTrust::hostMatching_data() {
    QTest::addColumn<QStringList>("allowed");
    QTest::addColumn<bool>("anyIp");
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<int>("localPort");
    QTest::addColumn<bool>("ok");
    const QStringList lan{"wsgate.lan", "api.lan:9000", "[::1]"};
    QTest::newRow("entry without port, arrival port")
        << lan << false << QByteArray("wsgate.lan:8081") << 8081 << true;
    QTest::newRow("entry without port, other port")
        << lan << false << QByteArray("wsgate.lan:8082") << 8081 << false;
    QTest::newRow("entry without port, no port")
        << lan << false << QByteArray("wsgate.lan") << 8081 << true;
    QTest::newRow("arrival port unknown")
        << lan << false << QByteArray("wsgate.lan:8081") << 0 << false;
    QTest::newRow("entry with port, that port")
        << lan << false << QByteArray("api.lan:9000") << 8081 << true;
    QTest::newRow("entry with port, arrival port")
        << lan << false << QByteArray("api.lan:8081") << 8081 << false;
    QTest::newRow("entry with port, no port")
        << lan << false << QByteArray("api.lan") << 9000 << false;
    QTest::newRow("IPv6 entry") << lan << false << QByteArray("[::1]:8081") << 8081 << true;
    QTest::newRow("IPv4 literal, no flag")
        << lan << false << QByteArray("10.0.0.1:8081") << 8081 << false;
    QTest::newRow("IPv4 literal, flag")
        << lan << true << QByteArray("10.0.0.1:8081") << 8081 << true;
    QTest::newRow("IPv4 literal, flag, no port")
        << lan << true << QByteArray("10.0.0.1") << 8081 << true;
    QTest::newRow("IPv4 literal, flag, wrong port")
        << lan << true << QByteArray("10.0.0.1:1") << 8081 << false;
    QTest::newRow("short IPv4, flag") << lan << true << QByteArray("10.1:8081") << 8081 << false;
    QTest::newRow("IPv4 part > 255, flag")
        << lan << true << QByteArray("10.0.0.256:8081") << 8081 << false;
    QTest::newRow("digits name, flag")
        << lan << true << QByteArray("1.2.3.4.nip.io:8081") << 8081 << false;
    QTest::newRow("malformed entry ignored")
        << QStringList{"a b", "ok.lan"} << false << QByteArray("ok.lan") << 1 << true;
}

void TestRequestTrust::hostMatching() {
    QFETCH(QStringList, allowed);
    QFETCH(bool, anyIp);
    QFETCH(QByteArray, host);
    QFETCH(int, localPort);
    QFETCH(bool, ok);
    const RequestTrust trust(allowed, anyIp, {});
    QCOMPARE(trust.isHostAllowed(host, quint16(localPort)), ok);
}

void TestRequestTrust::headChecks() {
    const RequestTrust trust({"localhost"}, false, {"https://app.example"});
    HttpRequest r;
    r.localPort = 8081;
    QCOMPARE(trust.check(r).value_or(HttpResponse(0)).status(), 421); // no Host
    r.headers = {{"Host", "localhost:8081"}};
    QVERIFY(!trust.check(r));
    r.headers.append(HttpRequest::Header("host", "localhost:8081"));
    QCOMPARE(trust.check(r).value_or(HttpResponse(0)).status(), 421); // two
    r.headers = {{"Host", "localhost:8081"}, {"Origin", "https://app.example"}};
    QVERIFY(!trust.check(r));
    r.headers.append(HttpRequest::Header("Origin", "http://evil.example"));
    QCOMPARE(trust.check(r).value_or(HttpResponse(0)).status(), 403); // every Origin counts
    r.headers = {{"Host", "localhost:8081"}, {"Sec-Fetch-Site", "Cross-Site"}};
    QCOMPARE(trust.check(r).value_or(HttpResponse(0)).status(), 403);
    QVERIFY(RequestTrust().check(r)); // nothing allowed by default
}

WSGATE_TEST_MAIN(TestRequestTrust)
#include "tst_requesttrust.moc"
