// Parsing flags and the config file into one Configuration: the new options and their
// defaults, refusals that name the option, the cross-checks, where the push token comes from.

#include "config/configuration.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

class TestConfiguration final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void defaults();
    void newOptionsReachTheirFields();
    void parsesFlagsAndJson_data();
    void parsesFlagsAndJson();
    void refusesBadValues_data();
    void refusesBadValues();
    void crossChecks_data();
    void crossChecks();
    void pushTokenFile_data();
    void pushTokenFile();
    void pushTokenSources_data();
    void pushTokenSources();
    void effectiveServerName();

private:
    QString writeFile(const QString &name, const QByteArray &content);
    ConfigurationResult parse(const QStringList &args) const;

    QTemporaryDir m_dir;
    QString m_tokenFile; // holds "file-token\n"
};

namespace {

const QString Script = QStringLiteral("/srv/app/ws.php");

} // namespace

QString TestConfiguration::writeFile(const QString &name, const QByteArray &content) {
    const QString path = m_dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(content) != content.size())
        qFatal("cannot write %s", qPrintable(path));
    return path;
}

ConfigurationResult TestConfiguration::parse(const QStringList &args) const {
    return ConfigurationParser::parse(QStringList{QStringLiteral("--script"), Script} + args);
}

void TestConfiguration::initTestCase() {
    QVERIFY(m_dir.isValid());
    m_tokenFile = writeFile(QStringLiteral("token"), "file-token\n");
}

void TestConfiguration::defaults() {
    const Configuration c;
    QCOMPARE(c.serverName, QString());
    QCOMPARE(c.maxHandshakes, 1024);
    QCOMPARE(c.maxHandshakesPerAddress, 64);
    QCOMPARE(c.reusePort, false);
    QCOMPARE(c.queueBytes, qint64(32) << 20);
    QCOMPARE(c.inboundBudgetBytes, qint64(512) << 20);
    QCOMPARE(c.outboundBudgetBytes, qint64(1) << 30);
    QCOMPARE(c.invalidUtf8AsBinary, false);
    QCOMPARE(c.fastcgiDeadlineMs, 60000);
    QCOMPARE(c.fragmentTimeoutMs, 30000);
    QCOMPARE(c.closeGraceMs, 5000);
    QCOMPARE(c.openRate, 200);
    QCOMPARE(c.openRatePerAddress, 20);
    QCOMPARE(c.allowedOrigins, QStringList());
    QCOMPARE(c.pushAllowedOrigins, QStringList());
    QCOMPARE(c.pushAllowedHosts, QStringList());
    QCOMPARE(c.pushTokenAuto, false);
    QCOMPARE(c.pushTokenFile, QString());
    QCOMPARE(c.phpUser, QString());
    QCOMPARE(c.threads, 1);
    QCOMPARE(c.clusterUrl, QString());
    QVERIFY(!c.redisAddress());
    QCOMPARE(c.clusterName, QStringLiteral("wsgate"));
    QCOMPARE(c.nodeId, QString());
    // The defaults pass validation: nothing but a script is needed.
    QCOMPARE(parse({}).message, QString());
}

void TestConfiguration::newOptionsReachTheirFields() {
    const QStringList flags = {"--server-name=ws.example.com",
                               "--max-handshakes=9",
                               "--max-handshakes-per-address=3",
                               "--reuse-port",
                               "--queue-bytes=64M",
                               "--inbound-budget=2G",
                               "--outbound-budget=3G",
                               "--invalid-utf8=binary",
                               "--fastcgi-deadline=7000",
                               "--fragment-timeout=8000",
                               "--close-grace=900",
                               "--open-rate=11",
                               "--open-rate-per-address=4",
                               "--allowed-origins=*",
                               "--push-allowed-origins=https://app.example.com",
                               "--push-allowed-hosts=gw.internal,gw.internal:8081",
                               "--push-token=auto",
                               "--php-user=www-data",
                               "--threads=6",
                               "--cluster=redis://10.0.0.9:6390/4",
                               "--cluster-name=prod",
                               "--node-id=n1"};
    QJsonObject json;
    for (const QString &flag : flags) {
        const int eq = flag.indexOf(QLatin1Char('='));
        json[flag.mid(2, eq < 0 ? -1 : eq - 2)] =
            eq < 0 ? QJsonValue(true) : QJsonValue(flag.mid(eq + 1));
    }
    const QString file = writeFile(QStringLiteral("fields.json"), QJsonDocument(json).toJson());
    for (const QStringList &args : {flags, QStringList{QStringLiteral("--config"), file}}) {
        const ConfigurationResult r = parse(args);
        QCOMPARE(r.message, QString());
        const Configuration &c = r.config;
        QCOMPARE(c.serverName, QStringLiteral("ws.example.com"));
        QCOMPARE(c.maxHandshakes, 9);
        QCOMPARE(c.maxHandshakesPerAddress, 3);
        QCOMPARE(c.reusePort, true);
        QCOMPARE(c.queueBytes, qint64(64) << 20);
        QCOMPARE(c.inboundBudgetBytes, qint64(2) << 30);
        QCOMPARE(c.outboundBudgetBytes, qint64(3) << 30);
        QCOMPARE(c.invalidUtf8AsBinary, true);
        QCOMPARE(c.fastcgiDeadlineMs, 7000);
        QCOMPARE(c.fragmentTimeoutMs, 8000);
        QCOMPARE(c.closeGraceMs, 900);
        QCOMPARE(c.openRate, 11);
        QCOMPARE(c.openRatePerAddress, 4);
        QCOMPARE(c.allowedOrigins, QStringList{"*"});
        QCOMPARE(c.pushAllowedOrigins, QStringList{"https://app.example.com"});
        QCOMPARE(c.pushAllowedHosts, (QStringList{"gw.internal", "gw.internal:8081"}));
        QCOMPARE(c.pushTokenAuto, true);
        QCOMPARE(c.pushToken, QString());
        QCOMPARE(c.phpUser, QStringLiteral("www-data"));
        QCOMPARE(c.threads, 6);
        QCOMPARE(c.clusterUrl, QStringLiteral("redis://10.0.0.9:6390/4"));
        QCOMPARE(c.redisAddress()->port, quint16(6390));
        QCOMPARE(c.clusterName, QStringLiteral("prod"));
        QCOMPARE(c.nodeId, QStringLiteral("n1"));
    }
}

void TestConfiguration::parsesFlagsAndJson_data() {
    QTest::addColumn<QString>("option");
    QTest::addColumn<QJsonValue>("input"); // as the config file has it; flags get its text
    QTest::addColumn<QJsonValue>("expected");
    QTest::addColumn<QStringList>("also"); // flags a cross-check needs alongside

    auto row = [](const char *name, const char *option, QJsonValue input, QJsonValue expected,
                  QStringList also = {}) {
        QTest::newRow(name) << QString::fromLatin1(option) << input << expected << also;
    };
    row("server-name host", "server-name", "ws.example.com", "ws.example.com");
    row("server-name IPv6", "server-name", "::1", "::1");
    row("max-handshakes low", "max-handshakes", 1, 1);
    row("max-handshakes high", "max-handshakes", "1000000", 1000000);
    row("per-address high", "max-handshakes-per-address", 1000000, 1000000);
    row("reuse-port on", "reuse-port", true, true);
    row("reuse-port off", "reuse-port", false, false);
    row("queue-bytes low", "queue-bytes", "1K", 1024, {"--max-message=1K"});
    row("queue-bytes high", "queue-bytes", "4G", double(qint64(4) << 30), {"--inbound-budget=1G"});
    row("queue-bytes number", "queue-bytes", 2097152, 2097152, {"--max-message=2M"});
    row("inbound-budget low", "inbound-budget", "1M", 1 << 20,
        {"--queue-bytes=1M", "--max-message=1M"});
    row("inbound-budget high", "inbound-budget", "1024G", double(qint64(1) << 40));
    row("outbound-budget low", "outbound-budget", "1MiB", 1 << 20, {"--send-buffer=1M"});
    row("outbound-budget high", "outbound-budget", "1024g", double(qint64(1) << 40));
    row("invalid-utf8 binary", "invalid-utf8", "binary", "binary");
    row("invalid-utf8 any case", "invalid-utf8", "ERROR", "error");
    row("fastcgi-deadline none", "fastcgi-deadline", 0, 0);
    row("fastcgi-deadline max", "fastcgi-deadline", 86400000, 86400000);
    row("fragment-timeout none", "fragment-timeout", "0", 0);
    row("fragment-timeout max", "fragment-timeout", "86400000", 86400000);
    row("close-grace min", "close-grace", 100, 100);
    row("close-grace max", "close-grace", 86400000, 86400000);
    row("open-rate unlimited", "open-rate", 0, 0);
    row("open-rate max", "open-rate", 1000000, 1000000);
    row("open-rate-per-address unlimited", "open-rate-per-address", 0, 0);
    row("allowed-origins any", "allowed-origins", "*", "*");
    row("allowed-origins same-origin default", "allowed-origins", "", "");
    row("allowed-origins list", "allowed-origins", "https://a.example, https://b.example",
        "https://a.example,https://b.example");
    row("allowed-origins array", "allowed-origins",
        QJsonArray{"https://a.example", "https://b.example"},
        "https://a.example,https://b.example");
    row("push-allowed-origins any", "push-allowed-origins", "*", "*");
    row("push-allowed-origins one", "push-allowed-origins", "https://app.example.com",
        "https://app.example.com");
    row("push-allowed-origins slash and port", "push-allowed-origins",
        "https://app.example.com/,http://localhost:3000",
        "https://app.example.com/,http://localhost:3000");
    row("push-allowed-hosts forms", "push-allowed-hosts",
        "gw.internal,GW.Example.com:8081,10.0.0.5:8081,[::1]:8081,[::1],my_host",
        "gw.internal,gw.example.com:8081,10.0.0.5:8081,[::1]:8081,[::1],my_host");
    row("push-allowed-hosts array", "push-allowed-hosts", QJsonArray{"a.example", "b:1"},
        "a.example,b:1");
    row("push-token auto", "push-token", "auto", "auto");
    row("push-token plain", "push-token", "t0ken", "t0ken");
    row("php-user", "php-user", "www-data", "www-data");
    row("php-user samba style", "php-user", "host$", "host$");
    row("threads min", "threads", 1, 1);
    row("threads max", "threads", "64", 64);
    row("cluster redis", "cluster", "redis://127.0.0.1:6379/2", "redis://127.0.0.1:6379/2");
    row("cluster unix", "cluster", "unix:/run/redis/redis.sock?db=3",
        "unix:/run/redis/redis.sock?db=3");
    row("cluster off", "cluster", "", "");
    row("cluster-name", "cluster-name", "prod.eu-1_a", "prod.eu-1_a");
    row("cluster-name 64 chars", "cluster-name", QString(64, 'n'), QString(64, 'n'));
    row("node-id", "node-id", "node-7", "node-7");
    row("node-id random", "node-id", "", "");
}

void TestConfiguration::parsesFlagsAndJson() {
    QFETCH(QString, option);
    QFETCH(QJsonValue, input);
    QFETCH(QJsonValue, expected);
    QFETCH(QStringList, also);

    // Flags: a switch is given bare (or not at all), everything else as --name=text.
    QStringList flags = also;
    if (input.isBool()) {
        if (input.toBool())
            flags << QStringLiteral("--") + option;
    } else {
        const QString text = input.isDouble()  ? QString::number(input.toInteger())
                             : input.isArray() ? input.toVariant().toStringList().join(',')
                                               : input.toString();
        flags << QStringLiteral("--%1=%2").arg(option, text);
    }
    const ConfigurationResult fromFlags = parse(flags);
    QCOMPARE(fromFlags.message, QString());
    QCOMPARE(ConfigurationParser::optionValue(fromFlags.config, option), expected);

    QJsonObject json{{option, input}};
    for (const QString &flag : also) {
        const int eq = flag.indexOf(QLatin1Char('='));
        json[flag.mid(2, eq - 2)] = flag.mid(eq + 1);
    }
    const QString file = writeFile(QStringLiteral("row.json"), QJsonDocument(json).toJson());
    const ConfigurationResult fromJson = parse({QStringLiteral("--config"), file});
    QCOMPARE(fromJson.message, QString());
    QCOMPARE(ConfigurationParser::optionValue(fromJson.config, option), expected);
    QCOMPARE(fromJson.config.toJson(), fromFlags.config.toJson());
}

void TestConfiguration::refusesBadValues_data() {
    QTest::addColumn<QString>("option");
    QTest::addColumn<QString>("value");

    auto row = [](const char *option, const QString &value) {
        QTest::addRow("%s=%s", option, qPrintable(value)) << QString::fromLatin1(option) << value;
    };
    row("listen", "nope");
    row("fastcgi-pool", "0");
    row("mode", "json");
    for (const char *v : {"has space", "a/b", "x..y", "host:80"})
        row("server-name", v);
    for (const char *v : {"0", "1000001", "many", "1.5"})
        row("max-handshakes", v);
    for (const char *v : {"0", "1000001"})
        row("max-handshakes-per-address", v);
    row("reuse-port", "maybe");
    for (const char *v : {"1023", "4294967297", "lots", "-1K"})
        row("queue-bytes", v);
    for (const char *v : {"1048575", "1025G"})
        row("inbound-budget", v);
    for (const char *v : {"0", "1025G"})
        row("outbound-budget", v);
    row("invalid-utf8", "replace");
    for (const char *option : {"fastcgi-deadline", "fragment-timeout"}) {
        row(option, "-1");
        row(option, "86400001");
    }
    row("close-grace", "99");
    row("close-grace", "86400001");
    for (const char *option : {"open-rate", "open-rate-per-address"}) {
        row(option, "-1");
        row(option, "1000001");
    }
    row("allowed-origins", "example.com");
    for (const char *v : {"not an origin", "https://app.example.com/path", "https://u@app.example",
                          "https://app.example?x=1"})
        row("push-allowed-origins", v);
    for (const char *v :
         {"a b", "host:0", "host:65536", "host:", "host:80x", "::1", "[::1", "[::1]8081",
          "[fe80::1%eth0]", "[example.com]", "https://x", "a..b", "host:80:81"})
        row("push-allowed-hosts", v);
    row("push-token-file", "/nonexistent/wsgate-token");
    for (const char *v : {"a b", "root:x", "../x"})
        row("php-user", v);
    row("php-user", QString(33, 'u'));
    row("threads", "0");
    row("threads", "65");
    for (const char *v : {"http://x", "redis://host/16", "unix:relative.sock"})
        row("cluster", v); // every form: tst_redisaddress
    for (const char *v : {"", "has space", "a:b", "a/b"})
        row("cluster-name", v);
    row("cluster-name", QString(65, 'n'));
    row("node-id", "a b");
    row("node-id", QString(65, 'n'));
}

void TestConfiguration::refusesBadValues() {
    QFETCH(QString, option);
    QFETCH(QString, value);
    const QString named = QStringLiteral("--") + option;

    const ConfigurationResult fromFlags = parse({QStringLiteral("--%1=%2").arg(option, value)});
    QCOMPARE(int(fromFlags.action), int(ConfigurationResult::Action::Error));
    QVERIFY2(fromFlags.message.startsWith(named), qPrintable(fromFlags.message));

    Configuration c;
    QString error;
    QVERIFY(!ConfigurationParser::applyJson(QJsonObject{{option, value}}, c, &error));
    QVERIFY2(error.startsWith(named), qPrintable(error));
    if (option == QLatin1String("push-token-file"))
        QVERIFY2(error.contains(value), qPrintable(error)); // names the file too
}

void TestConfiguration::crossChecks_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("named"); // empty: valid

    QTest::newRow("max-message equal to queue-bytes")
        << QStringList{"--max-message=32M", "--queue-bytes=32M"} << QStringList{};
    QTest::newRow("max-message above queue-bytes")
        << QStringList{"--max-message=32M", "--queue-bytes=16M"}
        << QStringList{"--max-message", "--queue-bytes", "queued"};
    QTest::newRow("queue-bytes above inbound-budget")
        << QStringList{"--queue-bytes=64M", "--inbound-budget=32M"}
        << QStringList{"--inbound-budget", "--queue-limit", "--max-message", "--queue-bytes"};
    QTest::newRow("queue-bytes equal to inbound-budget")
        << QStringList{"--queue-bytes=512M", "--inbound-budget=512M"} << QStringList{};
    QTest::newRow("queue-limit x max-message is the lesser, equal")
        << QStringList{"--queue-limit=2", "--max-message=1M", "--queue-bytes=4G",
                       "--inbound-budget=2M"}
        << QStringList{};
    QTest::newRow("queue-limit x max-message is the lesser, above")
        << QStringList{"--queue-limit=3", "--max-message=1M", "--queue-bytes=4G",
                       "--inbound-budget=2M"}
        << QStringList{"--inbound-budget", "3145728"};
    QTest::newRow("send-buffer equal to outbound-budget")
        << QStringList{"--send-buffer=1M", "--outbound-budget=1M"} << QStringList{};
    QTest::newRow("send-buffer above outbound-budget")
        << QStringList{"--send-buffer=2M", "--outbound-budget=1M"}
        << QStringList{"--send-buffer", "--outbound-budget"};
    QTest::newRow("threads with demo") << QStringList{"--demo", "--threads=4"} << QStringList{};
    QTest::newRow("cluster-name and node-id without cluster")
        << QStringList{"--cluster-name=x", "--node-id=y"} << QStringList{};
    QTest::newRow("push beyond loopback, no token")
        << QStringList{"--push-listen=0.0.0.0:8081"} << QStringList{"--push-token"};
    QTest::newRow("push beyond loopback, auto token")
        << QStringList{"--push-listen=0.0.0.0:8081", "--push-token=auto"} << QStringList{};
    QTest::newRow("push prefix, no token")
        << QStringList{"--push-prefix=/_wsgate"} << QStringList{"--push-prefix"};
    QTest::newRow("push prefix, auto token")
        << QStringList{"--push-prefix=/_wsgate", "--push-token=auto"} << QStringList{};
    QTest::newRow("push TLS cert without key")
        << QStringList{"--push-tls-cert=/etc/hostname"}
        << QStringList{"--push-tls-cert", "--push-tls-key"};
    QTest::newRow("push TLS key without cert")
        << QStringList{"--push-tls-key=/etc/hostname"}
        << QStringList{"--push-tls-cert", "--push-tls-key"};
    QTest::newRow("push TLS, no such file")
        << QStringList{"--push-tls-cert=/nonexistent/c.pem", "--push-tls-key=/etc/hostname"}
        << QStringList{"--push-tls-cert", "/nonexistent/c.pem"};
    QTest::newRow("push TLS, listener off")
        << QStringList{"--push-tls-cert=/etc/hostname", "--push-tls-key=/etc/hostname",
                       "--push-listen=off"}
        << QStringList{"--push-tls-cert", "--push-listen off"};
    QTest::newRow("push TLS beyond loopback, no token")
        << QStringList{"--push-tls-cert=/etc/hostname", "--push-tls-key=/etc/hostname",
                       "--push-listen=0.0.0.0:8081"}
        << QStringList{"--push-token"};
    QTest::newRow("push TLS beyond loopback, token")
        << QStringList{"--push-tls-cert=/etc/hostname", "--push-tls-key=/etc/hostname",
                       "--push-listen=0.0.0.0:8081", "--push-token=t0ken"}
        << QStringList{};
    QTest::newRow("admin read token without push token")
        << QStringList{"--admin-read-token=r"} << QStringList{"--admin-read-token", "--push-token"};
    QTest::newRow("admin read token equal to push token")
        << QStringList{"--admin-read-token=same", "--push-token=same"}
        << QStringList{"--admin-read-token", "same as the push token"};
    QTest::newRow("admin read token with push token")
        << QStringList{"--admin-read-token=r", "--push-token=p"} << QStringList{};
    QTest::newRow("traffic-body-cap above max-message (kept)")
        << QStringList{"--max-message=64K", "--traffic-body-cap=128K"}
        << QStringList{"--traffic-body-cap"};
}

void TestConfiguration::crossChecks() {
    QFETCH(QStringList, args);
    QFETCH(QStringList, named);
    const ConfigurationResult r = parse(args);
    if (named.isEmpty()) {
        QCOMPARE(r.message, QString());
        QCOMPARE(int(r.action), int(ConfigurationResult::Action::Run));
        return;
    }
    QCOMPARE(int(r.action), int(ConfigurationResult::Action::Error));
    QVERIFY2(r.message.startsWith(named.first()), qPrintable(r.message));
    for (const QString &part : named)
        QVERIFY2(r.message.contains(part), qPrintable(r.message + QLatin1String(" / ") + part));
}

void TestConfiguration::pushTokenFile_data() {
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("token"); // empty: refused

    QTest::newRow("plain") << QByteArray("tok123") << "tok123";
    QTest::newRow("trailing newline") << QByteArray("tok123\n") << "tok123";
    QTest::newRow("whitespace around") << QByteArray("  tok 123 \r\n") << "tok 123";
    QTest::newRow("empty") << QByteArray() << "";
    QTest::newRow("only whitespace") << QByteArray("\n \n") << "";
}

void TestConfiguration::pushTokenFile() {
    QFETCH(QByteArray, content);
    QFETCH(QString, token);
    const QString file = writeFile(QStringLiteral("row-token"), content);
    const QString config = writeFile(
        QStringLiteral("row-token.json"),
        QJsonDocument(QJsonObject{{"push-token-file", file}, {"push-listen", "0.0.0.0:8081"}})
            .toJson());
    for (const QStringList &args :
         {QStringList{"--push-token-file", file, "--push-listen=0.0.0.0:8081"},
          QStringList{"--config", config}}) {
        const ConfigurationResult r = parse(args);
        if (token.isEmpty()) {
            QVERIFY2(r.message.contains("--push-token-file: ") && r.message.contains(file),
                     qPrintable(r.message));
            continue;
        }
        QCOMPARE(r.message, QString()); // a file's token counts beyond loopback
        QCOMPARE(r.config.pushToken, token);
        QCOMPARE(r.config.pushTokenFile, file);
        QCOMPARE(r.config.pushTokenAuto, false);
    }
}

void TestConfiguration::pushTokenSources_data() {
    QTest::addColumn<QStringList>("args"); // "FILE" stands for a readable token file
    QTest::addColumn<QString>("token");    // expected pushToken; "!" for an error
    QTest::addColumn<bool>("tokenAuto");

    QTest::newRow("explicit") << QStringList{"--push-token=x"} << "x" << false;
    QTest::newRow("auto") << QStringList{"--push-token=auto"} << "" << true;
    QTest::newRow("file") << QStringList{"--push-token-file=FILE"} << "file-token" << false;
    QTest::newRow("auto then explicit")
        << QStringList{"--push-token=auto", "--push-token=x"} << "x" << false;
    QTest::newRow("token then file")
        << QStringList{"--push-token=x", "--push-token-file=FILE"} << "!" << false;
    QTest::newRow("file then token")
        << QStringList{"--push-token-file=FILE", "--push-token=x"} << "!" << false;
    QTest::newRow("auto then file")
        << QStringList{"--push-token=auto", "--push-token-file=FILE"} << "!" << false;
    QTest::newRow("file then auto")
        << QStringList{"--push-token-file=FILE", "--push-token=auto"} << "!" << false;
    QTest::newRow("file, then an empty token leaves it")
        << QStringList{"--push-token-file=FILE", "--push-token="} << "file-token" << false;
    QTest::newRow("file, then no file clears it")
        << QStringList{"--push-token-file=FILE", "--push-token-file="} << "" << false;
}

void TestConfiguration::pushTokenSources() {
    QFETCH(QStringList, args);
    QFETCH(QString, token);
    QFETCH(bool, tokenAuto);
    args.replaceInStrings(QStringLiteral("FILE"), m_tokenFile);
    const ConfigurationResult r = parse(args);
    if (token == QLatin1String("!")) {
        QVERIFY2(r.message.contains("--push-token ") && r.message.contains("--push-token-file"),
                 qPrintable(r.message));
        return;
    }
    QCOMPARE(r.message, QString());
    QCOMPARE(r.config.pushToken, token);
    QCOMPARE(r.config.pushTokenAuto, tokenAuto);

    // The same through a config file (keys apply in name order: push-token, push-token-file).
    QJsonObject json;
    for (const QString &arg : std::as_const(args)) {
        const int eq = arg.indexOf(QLatin1Char('='));
        json[arg.mid(2, eq - 2)] = arg.mid(eq + 1);
    }
    if (args.size() == 1) {
        const QString file =
            writeFile(QStringLiteral("sources.json"), QJsonDocument(json).toJson());
        const ConfigurationResult fromJson = parse({QStringLiteral("--config"), file});
        QCOMPARE(fromJson.message, QString());
        QCOMPARE(fromJson.config.toJson(), r.config.toJson());
    }
}

void TestConfiguration::effectiveServerName() {
    Configuration c;
    QCOMPARE(c.effectiveServerName(), QStringLiteral("127.0.0.1"));
    QString error;
    QVERIFY(ConfigurationParser::applyOption("listen", "0.0.0.0:80", c, &error));
    QCOMPARE(c.effectiveServerName(), QStringLiteral("0.0.0.0"));
    QVERIFY(ConfigurationParser::applyOption("server-name", "ws.example.com", c, &error));
    QCOMPARE(c.effectiveServerName(), QStringLiteral("ws.example.com"));
}

QTEST_GUILESS_MAIN(TestConfiguration)
#include "tst_configuration.moc"
