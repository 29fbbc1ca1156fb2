#pragma once

#include "config/configuration.h"

#include <QStringList>

#include <memory>

class QSettings;

/// Keeps the console's Configuration in QSettings, as the config file format (toJson), so the
/// same parser reads it back.
class SettingsStore final {
public:
    /// Uses `settings` (not owned); null: the application's default QSettings.
    explicit SettingsStore(QSettings *settings = nullptr);
    ~SettingsStore();

    bool hasConfiguration() const;
    /// The stored configuration applied over the defaults; defaults when none or unreadable.
    Configuration load(QString *error = nullptr) const;
    void save(const Configuration &config);
    /// The stored settings as command-line flags, so flags given after them win.
    QStringList storedArguments() const;

private:
    std::unique_ptr<QSettings> m_own; // when no QSettings was given
    QSettings *m_settings;
    QSettings *settings() const { return m_settings; }
};
