#pragma once

#include "config/configuration.h"

#include <QObject>
#include <QUrl>

class EngineController;
class QSettings;
class QWidget;
class SecretStore;

/// Where the console's configuration changes: the settings dialog (OK, Apply, Apply &
/// restart) and the first run's "Start the demo" and "Use my PHP-FPM". Every change is saved
/// (the push token to the SecretStore, the rest to QSettings) and handed to the controller;
/// the window is asked to start or restart.
class SetupFlow final : public QObject {
    Q_OBJECT
public:
    /// None owned; `window` parents the settings dialog.
    SetupFlow(EngineController *controller, QSettings *settings, SecretStore *secrets,
              QWidget *window);

    /// Nothing to start: no handler script, and not the demo.
    static bool needsSetup(const Configuration &config);

    /// The settings dialog, modal; its Apply buttons call apply().
    void openSettings();
    /// Takes `config` as the console's configuration; `restart`: (re)start the gateway.
    void apply(const Configuration &config, bool restart);
    /// The demo: managed PHP and the example handler.
    void startDemo();
    /// The user's own pool at `address` (a --fastcgi value) running `script`.
    void useOwnFpm(const QString &address, const QString &script, const QString &docroot);
    /// http://host:port/ of the running gateway's page (the demo serves one); empty when none.
    QUrl pageUrl() const;
    /// Where the push token is kept, for the settings dialog.
    QString secretStorageNote() const;

Q_SIGNALS:
    /// Fires when the configuration is ready to run: start it, or restart a running gateway.
    /// `openPage`: open the gateway's page in the browser once it runs (the demo).
    void startRequested(bool restart, bool openPage);
    /// Fires with a line for the status bar.
    void message(const QString &text);
    /// Fires when a first-run choice cannot be used as it is; the start page shows why.
    void problem(const QString &text);
    /// Fires when settings were applied without a start: the window may leave the start page.
    void configured();

private:
    void save(const Configuration &config);

    EngineController *m_controller;
    QSettings *m_settings;
    SecretStore *m_secrets;
    QWidget *m_window;
};
