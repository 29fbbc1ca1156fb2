#include "setupflow.h"

#include "enginecontroller.h"
#include "secretstore.h"
#include "settingsdialog.h"
#include "settingsstore.h"

SetupFlow::SetupFlow(EngineController *controller, QSettings *settings, SecretStore *secrets,
                     QWidget *window)
    : QObject(window)
    , m_controller(controller)
    , m_settings(settings)
    , m_secrets(secrets)
    , m_window(window) {}

bool SetupFlow::needsSetup(const Configuration &c) {
    return !c.demo && c.script.isEmpty();
}

QString SetupFlow::secretStorageNote() const {
    if (m_secrets->backend() == SecretStore::Backend::Keychain)
        return tr("Kept in the platform keychain, never in the settings file.");
    return tr("No keychain is available (%1): the token is kept for this session only, never "
              "in the settings file. Use --push-token-file for a lasting one.")
        .arg(m_secrets->keychainProblem());
}

void SetupFlow::openSettings() {
    SettingsDialog dialog(m_controller->configuration(), m_window);
    dialog.setSecretStorageNote(secretStorageNote());
    connect(&dialog, &SettingsDialog::applied, this, &SetupFlow::apply);
    dialog.exec();
}

void SetupFlow::save(const Configuration &config) {
    m_controller->setConfiguration(config);
    SettingsStore(m_settings, m_secrets).save(config);
}

void SetupFlow::apply(const Configuration &config, bool restart) {
    save(config);
    const bool stopped = m_controller->state() == EngineController::State::Stopped;
    if (restart) {
        Q_EMIT message(stopped ? tr("Settings saved; starting the gateway")
                               : tr("Settings saved; restarting the gateway"));
        Q_EMIT startRequested(true, false);
        return;
    }
    Q_EMIT message(stopped ? tr("Settings saved")
                           : tr("Settings saved; \"Apply & restart\" (or a restart) puts them "
                                "to work"));
    if (!needsSetup(config))
        Q_EMIT configured();
}

void SetupFlow::startDemo() {
    Configuration c = m_controller->configuration();
    c.demo = true;
    save(c);
    Q_EMIT message(tr("Starting the demo: wsgate's own PHP-FPM and the chat example"));
    Q_EMIT startRequested(false, true);
}

void SetupFlow::useOwnFpm(const QString &address, const QString &script, const QString &docroot) {
    Configuration c = m_controller->configuration();
    QString error;
    const auto parsed = FastCgiAddress::parse(address, &error);
    if (!parsed) {
        Q_EMIT problem(QStringLiteral("%1: %2").arg(address, error));
        return;
    }
    c.demo = false;
    c.fastcgi = *parsed;
    c.script = script;
    c.docroot = docroot;
    const QString invalid = ConfigurationParser::validate(c);
    if (!invalid.isEmpty()) {
        Q_EMIT problem(invalid);
        return;
    }
    save(c);
    Q_EMIT startRequested(false, false);
}

QUrl SetupFlow::pageUrl() const {
    if (m_controller->state() != EngineController::State::Running ||
        !m_controller->configuration().demo)
        return {};
    QUrl url(m_controller->listenUrl());
    url.setScheme(url.scheme() == QLatin1String("wss") ? QStringLiteral("https")
                                                       : QStringLiteral("http"));
    if (url.host() == QLatin1String("0.0.0.0") || url.host() == QLatin1String("::"))
        url.setHost(QStringLiteral("127.0.0.1"));
    url.setPath(QStringLiteral("/"));
    url.setQuery(QString());
    return url;
}
