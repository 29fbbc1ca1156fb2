#include "fastcgi/fastcgiaddress.h"

#include <QTest>

class TestFastCgiAddress : public QObject {
    Q_OBJECT
private slots:
    void valid_data();
    void valid();
    void invalid_data();
    void invalid();
};

void TestFastCgiAddress::valid_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("isUnix");
    QTest::addColumn<QString>("pathOrHost");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("canonical");
    QTest::newRow("unix: prefix") << "unix:/run/php/fpm.sock" << true << "/run/php/fpm.sock" << 0
                                  << "unix:/run/php/fpm.sock";
    QTest::newRow("bare absolute path")
        << "/tmp/x.sock" << true << "/tmp/x.sock" << 0 << "unix:/tmp/x.sock";
    QTest::newRow("tcp: prefix") << "tcp:127.0.0.1:9000" << false << "127.0.0.1" << 9000
                                 << "tcp:127.0.0.1:9000";
    QTest::newRow("host:port") << "localhost:9001" << false << "localhost" << 9001
                               << "tcp:localhost:9001";
    QTest::newRow("bracketed IPv6") << "[::1]:9000" << false << "::1" << 9000 << "tcp:[::1]:9000";
    QTest::newRow("tcp: bracketed IPv6")
        << "tcp:[fe80::1]:65535" << false << "fe80::1" << 65535 << "tcp:[fe80::1]:65535";
    QTest::newRow("port 1") << "php:1" << false << "php" << 1 << "tcp:php:1";
    QTest::newRow("surrounding spaces")
        << "  fpm.internal:9000 " << false << "fpm.internal" << 9000 << "tcp:fpm.internal:9000";
}

void TestFastCgiAddress::valid() {
    QFETCH(QString, text);
    QFETCH(bool, isUnix);
    QFETCH(QString, pathOrHost);
    QFETCH(int, port);
    QFETCH(QString, canonical);
    QString error;
    const auto a = FastCgiAddress::parse(text, &error);
    QVERIFY2(a, qPrintable(error));
    QCOMPARE(a->kind == FastCgiAddress::Kind::Unix, isUnix);
    QCOMPARE(isUnix ? a->path : a->host, pathOrHost);
    QCOMPARE(int(a->port), port);
    QCOMPARE(a->toString(), canonical);
    const auto again = FastCgiAddress::parse(a->toString(), nullptr);
    QVERIFY(again);
    QCOMPARE(*again, *a);
}

void TestFastCgiAddress::invalid_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("errorContains");
    QTest::newRow("empty") << ""
                           << "empty address";
    QTest::newRow("unix: without path") << "unix:"
                                        << "missing socket path";
    QTest::newRow("relative unix path") << "unix:run/fpm.sock"
                                        << "must be absolute";
    QTest::newRow("no port") << "localhost"
                             << "expected unix:";
    QTest::newRow("empty port") << "localhost:"
                                << "port must be";
    QTest::newRow("port 0") << "localhost:0"
                            << "port must be";
    QTest::newRow("port 65536") << "localhost:65536"
                                << "port must be";
    QTest::newRow("port not a number") << "localhost:http"
                                       << "port must be";
    QTest::newRow("signed port") << "localhost:+80"
                                 << "port must be";
    QTest::newRow("missing host") << ":9000"
                                  << "missing host";
    QTest::newRow("IPv6 without brackets") << "::1:9000"
                                           << "in brackets";
    QTest::newRow("unclosed bracket") << "[::1:9000"
                                      << "missing ']'";
    QTest::newRow("bracket without port") << "[::1]"
                                          << "expected ':PORT'";
    QTest::newRow("IPv4 in brackets") << "[127.0.0.1]:9000"
                                      << "not an IPv6 address";
    QTest::newRow("host with a slash") << "tcp:a/b:9000"
                                       << "invalid host name";
}

void TestFastCgiAddress::invalid() {
    QFETCH(QString, text);
    QFETCH(QString, errorContains);
    QString error;
    QVERIFY(!FastCgiAddress::parse(text, &error));
    QVERIFY2(error.contains(errorContains), qPrintable(error));
    QVERIFY(!FastCgiAddress::parse(text, nullptr)); // a null error pointer is fine
}

QTEST_APPLESS_MAIN(TestFastCgiAddress)
#include "tst_fastcgiaddress.moc"
