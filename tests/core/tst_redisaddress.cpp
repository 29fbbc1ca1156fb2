// The --cluster URL: redis://[:password@]host[:port][/db] and unix:/path.sock[?db=N], parsed,
// printed back, its password masked; anything else refused.

#include "config/configuration.h"
#include "config/redisaddress.h"

#include <QTest>

class TestRedisAddress final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parsesForms_data();
    void parsesForms();
    void refusesOtherForms_data();
    void refusesOtherForms();
    void masksThePassword();
};

void TestRedisAddress::parsesForms_data() {
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("socketPath");
    QTest::addColumn<QString>("password");
    QTest::addColumn<int>("db");

    QTest::newRow("host only") << "redis://127.0.0.1"
                               << "127.0.0.1" << 6379 << ""
                               << "" << 0;
    QTest::newRow("port") << "redis://redis.internal:6380"
                          << "redis.internal" << 6380 << ""
                          << "" << 0;
    QTest::newRow("db") << "redis://redis.internal/3"
                        << "redis.internal" << 6379 << ""
                        << "" << 3;
    QTest::newRow("port and db 15") << "redis://redis.internal:6380/15"
                                    << "redis.internal" << 6380 << ""
                                    << "" << 15;
    QTest::newRow("trailing slash") << "redis://redis.internal/"
                                    << "redis.internal" << 6379 << ""
                                    << "" << 0;
    QTest::newRow("password") << "redis://:secret@redis.internal"
                              << "redis.internal" << 6379 << ""
                              << "secret" << 0;
    QTest::newRow("encoded password, port, db") << "redis://:p%40ss%2Fw@redis.internal:6380/1"
                                                << "redis.internal" << 6380 << ""
                                                << "p@ss/w" << 1;
    QTest::newRow("IPv6") << "redis://[::1]:6379/2"
                          << "::1" << 6379 << ""
                          << "" << 2;
    QTest::newRow("scheme in capitals") << "REDIS://redis.internal"
                                        << "redis.internal" << 6379 << ""
                                        << "" << 0;
    QTest::newRow("unix") << "unix:/run/redis/redis.sock"
                          << "" << 0 << "/run/redis/redis.sock"
                          << "" << 0;
    QTest::newRow("unix with db") << "unix:/run/redis/redis.sock?db=5"
                                  << "" << 0 << "/run/redis/redis.sock"
                                  << "" << 5;
}

void TestRedisAddress::parsesForms() {
    QFETCH(QString, url);
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QString, socketPath);
    QFETCH(QString, password);
    QFETCH(int, db);

    const ConfigurationResult r = ConfigurationParser::parse(
        {QStringLiteral("--script=/srv/ws.php"), QStringLiteral("--cluster"), url});
    QCOMPARE(r.message, QString());
    const std::optional<RedisAddress> a = r.config.redisAddress();
    QVERIFY(a);
    QCOMPARE(a->host, host);
    QCOMPARE(int(a->port), port);
    QCOMPARE(a->socketPath, socketPath);
    QCOMPARE(a->password, password);
    QCOMPARE(a->db, db);

    // The canonical form parses back to the same address.
    QString error;
    const std::optional<RedisAddress> again = RedisAddress::parse(a->toString(), &error);
    QVERIFY2(again, qPrintable(error));
    QCOMPARE(again->host, a->host);
    QCOMPARE(again->port, a->port);
    QCOMPARE(again->socketPath, a->socketPath);
    QCOMPARE(again->password, a->password);
    QCOMPARE(again->db, a->db);
    QCOMPARE(a->toString(true).contains(QLatin1String("********")), !password.isEmpty());
}

void TestRedisAddress::refusesOtherForms_data() {
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("says"); // part of the message

    QTest::newRow("http") << "http://x"
                          << "expected redis://";
    QTest::newRow("tcp form") << "tcp:127.0.0.1:6379"
                              << "expected redis://";
    QTest::newRow("bare host") << "127.0.0.1:6379"
                               << "expected redis://";
    QTest::newRow("no host") << "redis://"
                             << "host";
    QTest::newRow("port 0") << "redis://host:0"
                            << "port";
    QTest::newRow("port too big") << "redis://host:70000"
                                  << "redis://host:70000";
    QTest::newRow("db 16") << "redis://host/16"
                           << "0 to 15";
    QTest::newRow("db not a number") << "redis://host/x"
                                     << "0 to 15";
    QTest::newRow("db with a sign") << "redis://host/+1"
                                    << "0 to 15";
    QTest::newRow("deeper path") << "redis://host/1/2"
                                 << "0 to 15";
    QTest::newRow("user name") << "redis://user:pw@host"
                               << "user names";
    QTest::newRow("query") << "redis://host?db=1"
                           << "expected redis://";
    QTest::newRow("fragment") << "redis://host#x"
                              << "expected redis://";
    QTest::newRow("unix relative") << "unix:relative.sock"
                                   << "absolute";
    QTest::newRow("unix empty") << "unix:"
                                << "absolute";
    QTest::newRow("unix db 16") << "unix:/x.sock?db=16"
                                << "db=N";
    QTest::newRow("unix other query") << "unix:/x.sock?foo=1"
                                      << "db=N";
    QTest::newRow("unix empty db") << "unix:/x.sock?db="
                                   << "db=N";
}

void TestRedisAddress::refusesOtherForms() {
    QFETCH(QString, url);
    QFETCH(QString, says);
    QString error;
    QVERIFY(!RedisAddress::parse(url, &error));
    QVERIFY2(error.contains(says), qPrintable(error));

    Configuration c;
    QVERIFY(!ConfigurationParser::applyOption(QStringLiteral("cluster"), url, c, &error));
    QVERIFY2(error.startsWith(QLatin1String("--cluster: ")), qPrintable(error));
    QCOMPARE(c.clusterUrl, QString());
}

void TestRedisAddress::masksThePassword() {
    QString error;
    const auto a = RedisAddress::parse(QStringLiteral("redis://:p%40ss@[::1]:6380/2"), &error);
    QVERIFY2(a, qPrintable(error));
    QCOMPARE(a->toString(), QStringLiteral("redis://:p%40ss@[::1]:6380/2"));
    QCOMPARE(a->toString(true), QStringLiteral("redis://:********@[::1]:6380/2"));
    const auto plain = RedisAddress::parse(QStringLiteral("redis://h"), &error);
    QCOMPARE(plain->toString(true), QStringLiteral("redis://h:6379"));
    const auto socket = RedisAddress::parse(QStringLiteral("unix:/r.sock?db=0"), &error);
    QCOMPARE(socket->toString(true), QStringLiteral("unix:/r.sock"));
}

QTEST_GUILESS_MAIN(TestRedisAddress)
#include "tst_redisaddress.moc"
