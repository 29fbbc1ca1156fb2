// The settings dialog validates with the command line's own parser and names the option.

#include "settingsdialog.h"
#include "settingsstore.h"

#include <QLineEdit>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

class TestSettingsDialog final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void refusesBadValues_data();
    void refusesBadValues();
    void acceptsAValidConfiguration();
    void coversEveryOption();
    void storeRoundTripsAndFlagsWin();
};

namespace {

Configuration validBase() {
    Configuration c;
    c.script = QStringLiteral("/srv/app/ws.php");
    return c;
}

} // namespace

void TestSettingsDialog::refusesBadValues_data() {
    QTest::addColumn<QString>("option");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("named"); // the option the error must name

    QTest::newRow("listen not host:port") << "listen"
                                          << "nope"
                                          << "--listen";
    QTest::newRow("listen port too big") << "listen"
                                         << "127.0.0.1:70000"
                                         << "--listen";
    QTest::newRow("pool of zero") << "fastcgi-pool"
                                  << "0"
                                  << "--fastcgi-pool";
    QTest::newRow("pool not a number") << "fastcgi-pool"
                                       << "four"
                                       << "--fastcgi-pool";
    QTest::newRow("relative path") << "path"
                                   << "ws"
                                   << "--path";
    QTest::newRow("message size garbage") << "max-message"
                                          << "lots"
                                          << "--max-message";
    QTest::newRow("bad origin") << "allowed-origins"
                                << "not an origin"
                                << "--allowed-origins";
    QTest::newRow("no events") << "events"
                               << ""
                               << "--events";
    QTest::newRow("no script") << "script"
                               << ""
                               << "--script";
    QTest::newRow("public push without token") << "push-listen"
                                               << "0.0.0.0:8081"
                                               << "--push-token";
    QTest::newRow("cert without key") << "tls-cert"
                                      << "/etc/hostname"
                                      << "--tls-cert";
}

void TestSettingsDialog::refusesBadValues() {
    QFETCH(QString, option);
    QFETCH(QString, value);
    QFETCH(QString, named);

    SettingsDialog dialog(validBase());
    QVERIFY(dialog.validateInput().isEmpty());
    QVERIFY2(dialog.setOptionText(option, value), qPrintable(option));
    const QString error = dialog.validateInput();
    QVERIFY2(error.contains(named), qPrintable(error));
    QCOMPARE(dialog.errorText(), error);
    // accept() refuses too: the dialog stays open.
    dialog.show();
    dialog.accept();
    QVERIFY(dialog.isVisible());
    QCOMPARE(dialog.result(), int(QDialog::Rejected));
}

void TestSettingsDialog::acceptsAValidConfiguration() {
    SettingsDialog dialog(validBase());
    QVERIFY(dialog.setOptionText(QStringLiteral("listen"), QStringLiteral("0.0.0.0:9001")));
    QVERIFY(dialog.setOptionText(QStringLiteral("fastcgi-pool"), QStringLiteral("12")));
    QVERIFY(dialog.setOptionText(QStringLiteral("max-message"), QStringLiteral("2M")));
    QVERIFY(dialog.setOptionText(QStringLiteral("events"), QStringLiteral("open,message")));
    QVERIFY(dialog.setOptionText(QStringLiteral("mode"), QStringLiteral("form")));
    QCOMPARE(dialog.validateInput(), QString());
    const Configuration c = dialog.configuration();
    QCOMPARE(c.listenHost, QStringLiteral("0.0.0.0"));
    QCOMPARE(c.listenPort, quint16(9001));
    QCOMPARE(c.fastcgiPool, 12);
    QCOMPARE(c.maxMessageBytes, qint64(2 * 1024 * 1024));
    QVERIFY(c.eventOpen && c.eventMessage && !c.eventClose);
    QCOMPARE(c.mode, Configuration::BodyMode::Form);
    QCOMPARE(c.script, QStringLiteral("/srv/app/ws.php"));
}

void TestSettingsDialog::coversEveryOption() {
    SettingsDialog dialog(validBase());
    for (const QString &name : ConfigurationParser::optionNames()) {
        if (name == QLatin1String("config"))
            continue;
        QVERIFY2(dialog.findChild<QWidget *>(name), qPrintable(name));
    }
    // What the dialog shows reads back to the same configuration.
    QCOMPARE(dialog.validateInput(), QString());
    QCOMPARE(dialog.configuration().toJson(), validBase().toJson());
}

void TestSettingsDialog::storeRoundTripsAndFlagsWin() {
    QTemporaryDir dir;
    QSettings settings(dir.filePath(QStringLiteral("wsgate.ini")), QSettings::IniFormat);
    SettingsStore store(&settings);
    QVERIFY(!store.hasConfiguration());
    Configuration c = validBase();
    c.fastcgiPool = 9;
    c.listenPort = 9100;
    store.save(c);
    QVERIFY(store.hasConfiguration());
    QCOMPARE(store.load().toJson(), c.toJson());

    const ConfigurationResult merged = ConfigurationParser::parse(
        store.storedArguments() +
        QStringList{QStringLiteral("--fastcgi-pool"), QStringLiteral("3")});
    QCOMPARE(int(merged.action), int(ConfigurationResult::Action::Run));
    QCOMPARE(merged.config.fastcgiPool, 3);            // the flag wins
    QCOMPARE(merged.config.listenPort, quint16(9100)); // the stored setting stays
}

QTEST_MAIN(TestSettingsDialog)
#include "tst_settingsdialog.moc"
