#pragma once

#include "remotegateway.h"

#include <QDialog>

#include <functional>
#include <optional>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;

/// "Connect to wsgated…": the admin API's URL (the daemon's push listener, or its
/// --push-prefix), its token, and an https certificate to trust although unverified; servers
/// used before are offered with their token (from the keychain) and certificate.
class AttachDialog final : public QDialog {
    Q_OBJECT
public:
    struct Remembered {
        QString token;
        QString trustedCertSha256;
    };
    /// `servers`: URLs used before, newest first; `lookup` gives what was kept for one.
    AttachDialog(const QStringList &servers,
                 std::function<std::optional<Remembered>(const QString &url)> lookup,
                 const QString &keychainNote, QWidget *parent = nullptr);

    /// What the user entered; url is invalid when the text is not an http(s) URL.
    RemoteTarget target() const;
    bool rememberToken() const;
    /// Validates and accepts; says what is wrong otherwise.
    void accept() override;
    /// The URL's canonical text: scheme, host, port, path without a trailing slash.
    static QString canonical(const QUrl &url);
    static QUrl parseUrl(const QString &text);

private:
    void fill(const QString &url);

    std::function<std::optional<Remembered>(const QString &)> m_lookup;
    QComboBox *m_server;
    QLineEdit *m_token;
    QLineEdit *m_cert;
    QCheckBox *m_remember;
    QLabel *m_error;
};
