// The settings dialog validates with the command line's own parser and names the option.

#include "secretstore.h"
#include "settingsdialog.h"
#include "settingsstore.h"

#include <QFile>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QLocalServer>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTabWidget>
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
    void sizesAreShownAsSizes_data();
    void sizesAreShownAsSizes();
    void optionsAreGroupedInTabs();
    void missingSocketIsFlaggedNotRefused_data();
    void missingSocketIsFlaggedNotRefused();
    void applyButtonsHandTheConfigurationOver();
    void pushTokenNeverLandsInQSettings_data();
    void pushTokenNeverLandsInQSettings();
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

void TestSettingsDialog::sizesAreShownAsSizes_data() {
    QTest::addColumn<QString>("option");
    QTest::addColumn<QString>("shown");
    QTest::newRow("inbound budget") << "inbound-budget"
                                    << "512M";
    QTest::newRow("outbound budget") << "outbound-budget"
                                     << "1G";
    QTest::newRow("queue bytes") << "queue-bytes"
                                 << "32M";
    QTest::newRow("max message") << "max-message"
                                 << "16M";
    QTest::newRow("body cap") << "traffic-body-cap"
                              << "64K";
    QTest::newRow("a count stays a count") << "max-connections"
                                           << "10000";
}

void TestSettingsDialog::sizesAreShownAsSizes() {
    QFETCH(QString, option);
    QFETCH(QString, shown);
    SettingsDialog dialog(validBase());
    QCOMPARE(dialog.optionText(option), shown);
    QCOMPARE(SettingsDialog::isSizeOption(option), shown != QLatin1String("10000"));
    QCOMPARE(dialog.validateInput(), QString()); // and reads back as the same value
    QCOMPARE(dialog.configuration().toJson(), validBase().toJson());
}

void TestSettingsDialog::optionsAreGroupedInTabs() {
    SettingsDialog dialog(validBase());
    auto *tabs = dialog.findChild<QTabWidget *>();
    QVERIFY(tabs);
    QStringList titles;
    for (int i = 0; i < tabs->count(); ++i)
        titles << tabs->tabText(i);
    QVERIFY2(!titles.contains(QStringLiteral("Other")), qPrintable(titles.join(", ")));
    const auto tabOf = [tabs, &dialog](const char *option) {
        QWidget *field = dialog.findChild<QWidget *>(QLatin1String(option));
        for (int i = 0; field && i < tabs->count(); ++i) {
            if (tabs->widget(i)->isAncestorOf(field))
                return tabs->tabText(i);
        }
        return QString();
    };
    QCOMPARE(tabOf("inbound-budget"), tabOf("outbound-budget"));
    QCOMPARE(tabOf("inbound-budget"), tabOf("max-message"));
    QCOMPARE(tabOf("fastcgi-deadline"), tabOf("fastcgi-idle"));
    QCOMPARE(tabOf("open-rate"), tabOf("max-handshakes"));
    QCOMPARE(tabOf("push-allowed-origins"), tabOf("push-token"));
    QCOMPARE(tabOf("cluster"), tabOf("node-id"));
    QVERIFY(tabOf("threads") == tabOf("listen"));
}

void TestSettingsDialog::missingSocketIsFlaggedNotRefused_data() {
    QTest::addColumn<bool>("listening");
    QTest::newRow("no such socket") << false;
    QTest::newRow("a socket that answers") << true;
}

void TestSettingsDialog::missingSocketIsFlaggedNotRefused() {
    QFETCH(bool, listening);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("php-fpm.sock"));
    QLocalServer server;
    if (listening)
        QVERIFY(server.listen(path));
    SettingsDialog dialog(validBase());
    QVERIFY(dialog.setOptionText(QStringLiteral("fastcgi"), QStringLiteral("unix:") + path));
    // The check runs shortly after typing stops.
    if (listening) {
        QTRY_COMPARE(dialog.fastcgiWarning(), QString());
    } else {
        QTRY_VERIFY(dialog.fastcgiWarning().contains(path));
        QVERIFY(dialog.fastcgiWarning().contains(QStringLiteral("does not exist")));
        QVERIFY(dialog.fastcgiWarning().contains(QStringLiteral("systemctl start")));
    }
    QCOMPARE(dialog.validateInput(), QString()); // flagged, not refused: it may appear later
    QCOMPARE(dialog.configuration().fastcgi.path, path);
}

void TestSettingsDialog::applyButtonsHandTheConfigurationOver() {
    SettingsDialog dialog(validBase());
    dialog.show();
    QSignalSpy applied(&dialog, &SettingsDialog::applied);
    QVERIFY(dialog.setOptionText(QStringLiteral("path"), QStringLiteral("/ws2")));
    QTest::mouseClick(dialog.applyButton(), Qt::LeftButton);
    QCOMPARE(applied.count(), 1);
    QCOMPARE(applied.at(0).at(0).value<Configuration>().path, QStringLiteral("/ws2"));
    QCOMPARE(applied.at(0).at(1).toBool(), false);
    QVERIFY(dialog.isVisible()); // Apply keeps the dialog open
    // A bad value is applied by neither button.
    QVERIFY(dialog.setOptionText(QStringLiteral("path"), QStringLiteral("nope")));
    QTest::mouseClick(dialog.restartButton(), Qt::LeftButton);
    QCOMPARE(applied.count(), 1);
    QVERIFY(dialog.isVisible());
    QVERIFY(dialog.setOptionText(QStringLiteral("path"), QStringLiteral("/ws3")));
    QTest::mouseClick(dialog.restartButton(), Qt::LeftButton);
    QCOMPARE(applied.count(), 2);
    QCOMPARE(applied.at(1).at(0).value<Configuration>().path, QStringLiteral("/ws3"));
    QCOMPARE(applied.at(1).at(1).toBool(), true);
    QVERIFY(!dialog.isVisible()); // Apply & restart closes it
}

void TestSettingsDialog::pushTokenNeverLandsInQSettings_data() {
    QTest::addColumn<bool>("keychain");
    QTest::newRow("session fallback") << false;
    // The platform's keychain when there is one; without one (CI) the store falls back.
    QTest::newRow("keychain or its fallback") << true;
}

void TestSettingsDialog::pushTokenNeverLandsInQSettings() {
    // The admin read token as well: both live in the secret store only.
    QFETCH(bool, keychain);
    const QString token = QStringLiteral("s3cr3t-%1").arg(QCoreApplication::applicationPid());
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("wsgate.ini"));
    SecretStore secrets(QStringLiteral("wsgate-test-%1").arg(QCoreApplication::applicationPid()));
    secrets.setKeychainEnabled(keychain);
    {
        QSettings settings(file, QSettings::IniFormat);
        // An older console wrote it in clear: the first load moves it out.
        Configuration legacy = validBase();
        legacy.pushToken = token;
        settings.setValue(QStringLiteral("engine/config"),
                          QJsonDocument(legacy.toJson()).toJson(QJsonDocument::Compact));
        settings.sync();
        SettingsStore store(&settings, &secrets);
        QCOMPARE(store.load().pushToken, token);
        Configuration c = validBase();
        c.pushToken = token;
        c.adminReadToken = token + QStringLiteral("-read");
        c.fastcgiPool = 7;
        store.save(c);
        QCOMPARE(store.load().pushToken, token);
        QCOMPARE(store.load().adminReadToken, token + QStringLiteral("-read"));
        QCOMPARE(store.load().fastcgiPool, 7);
        QVERIFY(store.storedArguments().contains(QStringLiteral("--push-token=") + token));
    }
    QFile raw(file);
    QVERIFY(raw.open(QIODevice::ReadOnly));
    const QByteArray bytes = raw.readAll();
    QVERIFY(bytes.contains("fastcgi-pool"));
    QVERIFY2(!bytes.contains(token.toUtf8()), bytes.constData());
    if (!keychain)
        QCOMPARE(secrets.backend(), SecretStore::Backend::Session);
    if (secrets.backend() == SecretStore::Backend::Session)
        QVERIFY(!secrets.keychainProblem().isEmpty()); // the dialog says why
    // "auto" is a mode, not a secret: it stays in the settings.
    QSettings settings(file, QSettings::IniFormat);
    SettingsStore store(&settings, &secrets);
    Configuration autoToken = validBase();
    autoToken.pushTokenAuto = true;
    store.save(autoToken);
    QVERIFY(store.load().pushTokenAuto);
    QVERIFY(!secrets.read(SettingsStore::pushTokenKey()).has_value());
    secrets.remove(SettingsStore::pushTokenKey());
    secrets.remove(QStringLiteral("admin-read-token"));
}

QTEST_MAIN(TestSettingsDialog)
#include "tst_settingsdialog.moc"
