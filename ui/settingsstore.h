#pragma once

#include "config/configuration.h"

#include <QStringList>

#include <memory>

class QSettings;
class SecretStore;

/// Keeps the console's Configuration in QSettings, as the config file format (toJson), so the
/// same parser reads it back — all of it but the push token, which goes to the SecretStore
/// (the platform keychain, or this session's memory) and never into QSettings.
class SettingsStore final {
public:
    /// Uses `settings` and `secrets` (neither owned); null: the application's default
    /// QSettings, a SecretStore of its own.
    explicit SettingsStore(QSettings *settings = nullptr, SecretStore *secrets = nullptr);
    ~SettingsStore();

    bool hasConfiguration() const;
    /// The stored configuration applied over the defaults; defaults when none or unreadable.
    /// A token stored in clear by an older version moves to the secret store here.
    Configuration load(QString *error = nullptr) const;
    void save(const Configuration &config);
    /// The stored settings as command-line flags, so flags given after them win.
    QStringList storedArguments() const;
    SecretStore *secrets() const { return m_secrets; }

    /// The key the push token is kept under in the secret store.
    static QString pushTokenKey();

private:
    /// The stored JSON, with a clear-text token moved out of it first.
    QJsonObject storedObject() const;
    /// Fills in, from the secret store, the secret options the object leaves empty.
    void addSecrets(QJsonObject &object) const;

    std::unique_ptr<QSettings> m_own; // when no QSettings was given
    std::unique_ptr<SecretStore> m_ownSecrets;
    QSettings *m_settings;
    SecretStore *m_secrets;
    QSettings *settings() const { return m_settings; }
};
