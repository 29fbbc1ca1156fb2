// The one option table behind parsing, --help and toJson(): every option round-trips through
// the config file's form and as text, defaults agree with --help, secrets are masked.

#include "config/configuration.h"

#include <QFile>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

class TestConfigurationOptions final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void defaultTextsMatchTheDefaults();
    void helpListsEveryOption();
    void roundTripsEveryOption_data();
    void roundTripsEveryOption();
    void roundTripsEverythingAtOnce();
    void masksSecrets();
    void switchesTakeATextValue();
    void packagedConfigIsCompleteWithDefaults();

private:
    QTemporaryDir m_dir;
    QString m_tokenFile; // holds "file-token\n"
};

namespace {

/// A value other than the default for every option; an option missing here fails the round trip.
QHash<QString, QString> nonDefaults(const QString &tokenFile) {
    return {
        {"listen", "0.0.0.0:9001"},
        {"path", "/socket"},
        {"server-name", "ws.example.com"},
        {"reuse-port", "true"},
        {"threads", "4"},
        {"fastcgi", "tcp:127.0.0.1:9000"},
        {"script", "/srv/other/ws.php"},
        {"docroot", "/srv/app"},
        {"php-user", "www-data"},
        {"fastcgi-pool", "8"},
        {"mode", "form"},
        {"events", "open,message,close"},
        {"max-message", "1M"},
        {"queue-limit", "10"},
        {"queue-bytes", "8M"},
        {"inbound-budget", "64M"},
        {"send-buffer", "2M"},
        {"outbound-budget", "128M"},
        {"backpressure", "close"},
        {"on-php-error", "silent"},
        {"invalid-utf8", "binary"},
        {"fastcgi-connect-timeout", "1000"},
        {"fastcgi-timeout", "5000"},
        {"fastcgi-deadline", "0"},
        {"fastcgi-idle", "0"},
        {"fpm-status-path", "/status"},
        {"fpm-ping-path", "/ping"},
        {"push-listen", "127.0.0.1:9002"},
        {"push-token", "s3cret"},
        {"push-token-file", tokenFile},
        {"push-prefix", "/_wsgate"},
        {"push-allowed-origins", "https://app.example.com"},
        {"push-allowed-hosts", "gw.internal:8081"},
        {"push-tls-cert", "/etc/hostname"},
        {"push-tls-key", "/etc/hostname"},
        {"admin-read-token", "r3ader"},
        {"allowed-origins", "https://a.example,https://b.example"},
        {"max-connections", "50"},
        {"max-handshakes", "16"},
        {"max-handshakes-per-address", "2"},
        {"handshake-timeout", "2000"},
        {"fragment-timeout", "1000"},
        {"close-grace", "250"},
        {"ping-interval", "0"},
        {"open-rate", "0"},
        {"open-rate-per-address", "3"},
        {"tls-cert", "/etc/hostname"},
        {"tls-key", "/etc/hostname"},
        {"log-level", "debug"},
        {"traffic-log", "0"},
        {"traffic-body-cap", "1K"},
        {"cluster", "redis://:p%40ss@redis.internal:6380/1"},
        {"cluster-name", "prod-eu"},
        {"node-id", "node-7"},
        {"demo", "true"},
    };
}

/// "  --name VALUE    help [default: x]" lines of --help: name → default text.
QHash<QString, QString> helpDefaults(const QString &help) {
    QHash<QString, QString> out;
    static const QRegularExpression line(
        QStringLiteral("^\\s+--([a-z0-9-]+).*\\[default: (.*)\\]$"));
    for (const QString &l : help.split(QLatin1Char('\n'))) {
        const auto m = line.match(l);
        if (m.hasMatch())
            out.insert(m.captured(1), m.captured(2));
    }
    return out;
}

} // namespace

void TestConfigurationOptions::initTestCase() {
    QVERIFY(m_dir.isValid());
    m_tokenFile = m_dir.filePath(QStringLiteral("token"));
    QFile f(m_tokenFile);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QCOMPARE(f.write("file-token\n"), qint64(11));
}

void TestConfigurationOptions::defaultTextsMatchTheDefaults() {
    // Defaults --help can only describe in words.
    const QStringList described = {"docroot",
                                   "server-name",
                                   "php-user",
                                   "allowed-origins",
                                   "push-allowed-origins",
                                   "push-allowed-hosts",
                                   "cluster",
                                   "node-id"};
    const QHash<QString, QString> texts =
        helpDefaults(ConfigurationParser::helpText(QStringLiteral("wsgate")));
    QVERIFY(texts.size() > 30);
    for (auto it = texts.begin(); it != texts.end(); ++it) {
        if (described.contains(it.key()))
            continue;
        Configuration c;
        QString error;
        QVERIFY2(ConfigurationParser::applyOption(it.key(), it.value(), c, &error),
                 qPrintable(it.key() + QLatin1String(": ") + error));
        QVERIFY2(c.toJson() == Configuration().toJson(), qPrintable(it.key()));
    }
}

void TestConfigurationOptions::helpListsEveryOption() {
    const QString help = ConfigurationParser::helpText(QStringLiteral("wsgated"),
                                                       {{QStringLiteral("traffic-log"), "0"}});
    for (const QString &name : ConfigurationParser::optionNames())
        QVERIFY2(help.contains(QStringLiteral("\n  --%1 ").arg(name)), qPrintable(name));
    const QHash<QString, QString> texts = helpDefaults(help);
    QCOMPARE(texts.value("traffic-log"), QStringLiteral("0"));
    QCOMPARE(texts.value("queue-bytes"), QStringLiteral("32M"));
    QCOMPARE(texts.value("inbound-budget"), QStringLiteral("512M"));
    QCOMPARE(texts.value("outbound-budget"), QStringLiteral("1G"));
    QCOMPARE(texts.value("max-handshakes"), QStringLiteral("1024"));
    QCOMPARE(texts.value("cluster-name"), QStringLiteral("wsgate"));
    QVERIFY(texts.value("allowed-origins").contains(QLatin1String("same-origin")));
}

void TestConfigurationOptions::roundTripsEveryOption_data() {
    QTest::addColumn<QString>("option");
    for (const QString &name : ConfigurationParser::optionNames()) {
        if (name != QLatin1String("config"))
            QTest::newRow(qPrintable(name)) << name;
    }
}

void TestConfigurationOptions::roundTripsEveryOption() {
    QFETCH(QString, option);
    const QHash<QString, QString> values = nonDefaults(m_tokenFile);
    QVERIFY2(values.contains(option), "give this option a non-default value in nonDefaults()");

    Configuration c;
    QString error;
    QVERIFY2(ConfigurationParser::applyOption(option, values.value(option), c, &error),
             qPrintable(error));
    const QJsonObject json = c.toJson();
    QVERIFY2(json.value(option) != Configuration().toJson().value(option), "value unchanged");
    QCOMPARE(json.value(option), ConfigurationParser::optionValue(c, option));

    Configuration back;
    QVERIFY2(ConfigurationParser::applyJson(json, back, &error), qPrintable(error));
    QCOMPARE(back.toJson(), json);
    // And as text, the way the console's settings fields hand it back.
    Configuration fromText;
    QVERIFY2(ConfigurationParser::applyOption(option, ConfigurationParser::optionText(c, option),
                                              fromText, &error),
             qPrintable(error));
    QCOMPARE(fromText.toJson(), json);
}

void TestConfigurationOptions::roundTripsEverythingAtOnce() {
    QHash<QString, QString> values = nonDefaults(m_tokenFile);
    values.remove(QStringLiteral("push-token-file")); // the one option that excludes another
    QStringList args;
    for (auto it = values.begin(); it != values.end(); ++it)
        args << QStringLiteral("--%1=%2").arg(it.key(), it.value());
    args.replaceInStrings(QStringLiteral("--reuse-port=true"), QStringLiteral("--reuse-port"));
    args.replaceInStrings(QStringLiteral("--demo=true"), QStringLiteral("--demo"));
    const ConfigurationResult r = ConfigurationParser::parse(args);
    QCOMPARE(r.message, QString());

    const QJsonObject json = r.config.toJson();
    QStringList keys = ConfigurationParser::optionNames();
    keys.removeOne(QStringLiteral("config"));
    keys.sort();
    QCOMPARE(json.keys(), keys);
    for (const QString &key : json.keys()) {
        if (values.contains(key))
            QVERIFY2(json.value(key) != Configuration().toJson().value(key), qPrintable(key));
    }

    Configuration back;
    QString error;
    QVERIFY2(ConfigurationParser::applyJson(json, back, &error), qPrintable(error));
    QCOMPARE(back.toJson(), json);
    QCOMPARE(ConfigurationParser::validate(back), QString());
}

void TestConfigurationOptions::masksSecrets() {
    Configuration c;
    QString error;
    QVERIFY(ConfigurationParser::applyOption("push-token", "s3cret", c, &error));
    QVERIFY(ConfigurationParser::applyOption("cluster", "redis://:p%40ss@redis.internal:6380/1", c,
                                             &error));
    const QJsonObject plain = c.toJson();
    const QJsonObject masked = c.toJson(true);
    QCOMPARE(plain.value("push-token"), QJsonValue("s3cret"));
    QCOMPARE(masked.value("push-token"), QJsonValue("********"));
    QCOMPARE(plain.value("cluster"), QJsonValue("redis://:p%40ss@redis.internal:6380/1"));
    QCOMPARE(masked.value("cluster"), QJsonValue("redis://:********@redis.internal:6380/1"));
    QCOMPARE(ConfigurationParser::optionText(c, "push-token", true), QStringLiteral("********"));
    QVERIFY(ConfigurationParser::applyOption("admin-read-token", "r3ader", c, &error));
    QCOMPARE(c.toJson().value("admin-read-token"), QJsonValue("r3ader"));
    QCOMPARE(c.toJson(true).value("admin-read-token"), QJsonValue("********"));
    QVERIFY(!QJsonDocument(c.toJson(true)).toJson().contains("r3ader"));
    for (const QString &key : plain.keys()) {
        if (key != QLatin1String("push-token") && key != QLatin1String("cluster"))
            QCOMPARE(masked.value(key), plain.value(key));
    }
    const QByteArray text = QJsonDocument(masked).toJson();
    QVERIFY(!text.contains("s3cret"));
    QVERIFY(!text.contains("p%40ss"));

    // Nothing to hide: auto, a token file's token (the file is what is shown), no password.
    Configuration other;
    QVERIFY(ConfigurationParser::applyOption("push-token", "auto", other, &error));
    QVERIFY(ConfigurationParser::applyOption("cluster", "redis://redis.internal", other, &error));
    QCOMPARE(other.toJson(true).value("push-token"), QJsonValue("auto"));
    QCOMPARE(other.toJson(true).value("cluster"), QJsonValue("redis://redis.internal"));
    Configuration fromFile;
    QVERIFY(ConfigurationParser::applyOption("push-token-file", m_tokenFile, fromFile, &error));
    QCOMPARE(fromFile.pushToken, QStringLiteral("file-token"));
    QVERIFY(!QJsonDocument(fromFile.toJson(true)).toJson().contains("file-token"));
    QVERIFY(!QJsonDocument(fromFile.toJson()).toJson().contains("file-token"));
}

void TestConfigurationOptions::switchesTakeATextValue() {
    // The console's settings fields hand a switch back as "true"/"false".
    Configuration c;
    QString error;
    QVERIFY(ConfigurationParser::applyOption("reuse-port", "", c, &error));
    QCOMPARE(c.reusePort, true);
    QVERIFY(ConfigurationParser::applyOption("reuse-port", "false", c, &error));
    QCOMPARE(c.reusePort, false);
    QVERIFY(ConfigurationParser::applyOption("demo", "true", c, &error));
    QCOMPARE(c.demo, true);
    QVERIFY(ConfigurationParser::applyJson(QJsonObject{{"demo", false}}, c, &error));
    QCOMPARE(c.demo, false);
    QVERIFY(!ConfigurationParser::applyJson(QJsonObject{{"threads", true}}, c, &error));
    QCOMPARE(error, QStringLiteral("--threads: expected a N, got a boolean"));
}

void TestConfigurationOptions::packagedConfigIsCompleteWithDefaults() {
    QFile f(QStringLiteral(WSGATE_SOURCE_DIR "/packaging/wsgated.json"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject json = QJsonDocument::fromJson(f.readAll()).object();
    QStringList keys = ConfigurationParser::optionNames();
    keys.removeOne(QStringLiteral("config"));
    keys.sort();
    QCOMPARE(json.keys(), keys);

    Configuration packaged;
    QString error;
    QVERIFY2(ConfigurationParser::applyJson(json, packaged, &error), qPrintable(error));
    QCOMPARE(ConfigurationParser::validate(packaged), QString());
    // wsgated's own defaults, plus the example handler.
    Configuration expected;
    expected.trafficLogEntries = 0;
    expected.script = QStringLiteral("/var/www/ws/handler.php");
    expected.docroot = QStringLiteral("/var/www/ws");
    QCOMPARE(packaged.toJson(), expected.toJson());
}

QTEST_GUILESS_MAIN(TestConfigurationOptions)
#include "tst_configurationoptions.moc"
