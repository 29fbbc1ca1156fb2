#pragma once

#include <QHash>
#include <QString>

#include <optional>

/// Keeps the console's secrets (the push token) out of QSettings: in the platform keychain
/// (QtKeychain: Secret Service, KWallet, macOS Keychain, Windows Credential Store), or, where
/// none answers at run time, only in this object's memory for the session — and says which.
/// Never in clear on disk: QtKeychain's insecure fallback is off.
class SecretStore final {
public:
    enum class Backend { Keychain, Session };

    /// `service`: the keychain entry's service name (tests use their own).
    explicit SecretStore(const QString &service = QStringLiteral("wsgate"));

    /// Off: never asks the keychain (tests, or a platform known to have none).
    void setKeychainEnabled(bool enabled);
    /// Stores `secret`; false only when it could not be kept even for the session (never).
    bool write(const QString &key, const QString &secret);
    /// The secret, from the session first, then the keychain; nullopt when none is stored.
    std::optional<QString> read(const QString &key);
    void remove(const QString &key);

    /// Where secrets go now: Session once the keychain failed or is off.
    Backend backend() const;
    /// Why the keychain is not used; empty while it is (or has not been tried yet).
    QString keychainProblem() const { return m_problem; }
    /// Whether this build can use a keychain at all.
    static bool keychainBuiltIn();

private:
    enum class JobKind { Read, Write, Delete };
    /// Runs one keychain job to its end (bounded); false with m_problem set when the keychain
    /// is unavailable. `found` is false for a read of a missing entry.
    bool runJob(JobKind kind, const QString &key, QString *data, bool *found);

    QString m_service;
    bool m_keychainEnabled = true;
    bool m_keychainFailed = false;
    QString m_problem;
    QHash<QString, QString> m_session; // what this session knows; all there is without keychain
};
