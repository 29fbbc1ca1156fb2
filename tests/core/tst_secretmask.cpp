// SecretMask: which params are secrets and how each is shown masked.

#include "observe/secretmask.h"
#include "testmain.h"

#include <QTest>

class TestSecretMask final : public QObject {
    Q_OBJECT
private slots:
    void isSecret_data() {
        QTest::addColumn<QByteArray>("name");
        QTest::addColumn<bool>("secret");
        QTest::newRow("push token") << QByteArray("WS_PUSH_TOKEN") << true;
        QTest::newRow("cookie") << QByteArray("HTTP_COOKIE") << true;
        QTest::newRow("authorization") << QByteArray("HTTP_AUTHORIZATION") << true;
        QTest::newRow("proxy authorization") << QByteArray("HTTP_PROXY_AUTHORIZATION") << true;
        QTest::newRow("basic password") << QByteArray("PHP_AUTH_PW") << true;
        QTest::newRow("user is not") << QByteArray("WS_USER") << false;
        QTest::newRow("client id is not") << QByteArray("WS_CLIENT_ID") << false;
        QTest::newRow("query is not") << QByteArray("QUERY_STRING") << false;
        QTest::newRow("lower case is another name") << QByteArray("http_cookie") << false;
        QTest::newRow("prefix is not enough") << QByteArray("HTTP_COOKIE2") << false;
        QTest::newRow("empty") << QByteArray() << false;
    }
    void isSecret() {
        QFETCH(QByteArray, name);
        QFETCH(bool, secret);
        QCOMPARE(SecretMask::isSecret(name), secret);
    }

    void masked_data() {
        QTest::addColumn<QByteArray>("name");
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<QByteArray>("shown");
        QTest::newRow("token whole")
            << QByteArray("WS_PUSH_TOKEN") << QByteArray("s3cr3t-token") << QByteArray("********");
        QTest::newRow("one cookie keeps its name")
            << QByteArray("HTTP_COOKIE") << QByteArray("PHPSESSID=abc123")
            << QByteArray("PHPSESSID=********");
        QTest::newRow("cookies keep their names")
            << QByteArray("HTTP_COOKIE") << QByteArray("PHPSESSID=abc; theme=dark;lang=de")
            << QByteArray("PHPSESSID=********; theme=********; lang=********");
        QTest::newRow("cookie value with '='")
            << QByteArray("HTTP_COOKIE") << QByteArray("t=a=b==") << QByteArray("t=********");
        QTest::newRow("cookie without name")
            << QByteArray("HTTP_COOKIE") << QByteArray("justavalue") << QByteArray("********");
        QTest::newRow("cookie empty value")
            << QByteArray("HTTP_COOKIE") << QByteArray("a=") << QByteArray("a=********");
        QTest::newRow("bearer keeps scheme")
            << QByteArray("HTTP_AUTHORIZATION") << QByteArray("Bearer eyJhbGciOi.x.y")
            << QByteArray("Bearer ********");
        QTest::newRow("basic keeps scheme")
            << QByteArray("HTTP_AUTHORIZATION") << QByteArray("Basic dXNlcjpwYXNz")
            << QByteArray("Basic ********");
        QTest::newRow("credentials without scheme")
            << QByteArray("HTTP_AUTHORIZATION") << QByteArray("opaque") << QByteArray("********");
        QTest::newRow("proxy credentials")
            << QByteArray("HTTP_PROXY_AUTHORIZATION") << QByteArray("Basic Zm9v")
            << QByteArray("Basic ********");
        QTest::newRow("password") << QByteArray("PHP_AUTH_PW") << QByteArray("hunter2")
                                  << QByteArray("********");
        QTest::newRow("empty secret stays empty")
            << QByteArray("WS_PUSH_TOKEN") << QByteArray() << QByteArray();
        QTest::newRow("not secret unchanged")
            << QByteArray("QUERY_STRING") << QByteArray("token=abc") << QByteArray("token=abc");
    }
    void masked() {
        QFETCH(QByteArray, name);
        QFETCH(QByteArray, value);
        QFETCH(QByteArray, shown);
        QCOMPARE(SecretMask::masked(name, value), shown);
        // What is shown never contains the secret.
        if (SecretMask::isSecret(name) && value.size() > 8) {
            const QByteArray secretPart = value.mid(value.indexOf('=') + 1).trimmed();
            if (!secretPart.isEmpty() && !secretPart.contains(' '))
                QVERIFY(!SecretMask::masked(name, value).contains(secretPart));
        }
    }

    void maskedParamsKeepOrderAndNames() {
        const PhpParams params = {{"WS_CLIENT_ID", "c1"},
                                  {"HTTP_COOKIE", "PHPSESSID=abc"},
                                  {"WS_PUSH_TOKEN", "tok"},
                                  {"HTTP_AUTHORIZATION", "Bearer xyz"},
                                  {"WS_USER", "alice"}};
        const PhpParams expected = {{"WS_CLIENT_ID", "c1"},
                                    {"HTTP_COOKIE", "PHPSESSID=********"},
                                    {"WS_PUSH_TOKEN", "********"},
                                    {"HTTP_AUTHORIZATION", "Bearer ********"},
                                    {"WS_USER", "alice"}};
        QCOMPARE(SecretMask::masked(params), expected);
        QCOMPARE(SecretMask::masked(PhpParams{}), PhpParams{});
    }

    void setCookieHeader_data() {
        QTest::addColumn<QByteArray>("name");
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<QByteArray>("shown");
        QTest::newRow("attributes kept")
            << QByteArray("Set-Cookie") << QByteArray("PHPSESSID=abc; path=/; HttpOnly")
            << QByteArray("PHPSESSID=********; path=/; HttpOnly");
        QTest::newRow("any case") << QByteArray("set-cookie") << QByteArray("a=b")
                                  << QByteArray("a=********");
        QTest::newRow("other header")
            << QByteArray("Content-Type") << QByteArray("text/plain") << QByteArray("text/plain");
    }
    void setCookieHeader() {
        QFETCH(QByteArray, name);
        QFETCH(QByteArray, value);
        QFETCH(QByteArray, shown);
        QCOMPARE(SecretMask::maskedHeader(name, value), shown);
        const QList<QPair<QByteArray, QByteArray>> headers = {{name, value}};
        QCOMPARE(SecretMask::maskedHeaders(headers).at(0).second, shown);
    }
};

WSGATE_TEST_MAIN(TestSecretMask)
#include "tst_secretmask.moc"
