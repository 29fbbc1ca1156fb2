#pragma once

#include "gateway/phpbridge.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QRadioButton;

/// "Edit & replay": the logged message's body (text or hex), the user and groups PHP is told,
/// whether the reply's control headers act on the live session, an Xdebug trigger, and who
/// sends it: the original client while it is connected, else a fresh test client.
class ReplayDialog final : public QDialog {
    Q_OBJECT
public:
    struct Setup {
        ReplayRequest request; // the logged message: entryId, body, binary
        QByteArray clientId;
        bool clientConnected = false;
        QString user;           // WS_USER the original exchange was sent with
        QStringList groups;     // its WS_GROUPS
        QString freshUrl;       // where a fresh test client connects; empty: unknown
        PhpParams xdebugParams; // empty: Xdebug is not available
        QString xdebugMissing;  // why, when it is not
    };

    explicit ReplayDialog(const Setup &setup, QWidget *parent = nullptr);

    /// The request to send, with the edits; valid after accept().
    ReplayRequest request() const;
    bool asFreshClient() const;
    QString freshUrl() const;

    // For tests.
    QPlainTextEdit *bodyEdit() const { return m_body; }
    QComboBox *formatBox() const { return m_format; }
    QCheckBox *binaryBox() const { return m_binary; }
    QCheckBox *userBox() const { return m_overrideUser; }
    QLineEdit *userEdit() const { return m_user; }
    QCheckBox *groupsBox() const { return m_overrideGroups; }
    QLineEdit *groupsEdit() const { return m_groups; }
    QCheckBox *controlHeadersBox() const { return m_controlHeaders; }
    QCheckBox *xdebugBox() const { return m_xdebug; }
    QRadioButton *asClientButton() const { return m_asClient; }
    QRadioButton *asFreshButton() const { return m_asFresh; }
    QDialogButtonBox *buttons() const { return m_buttons; }
    QString problem() const;

private:
    void reformat();
    void validate();
    bool parseBody(QByteArray *out, QString *error) const;

    Setup m_setup;
    QComboBox *m_format;
    QPlainTextEdit *m_body;
    QCheckBox *m_binary;
    QCheckBox *m_overrideUser;
    QLineEdit *m_user;
    QCheckBox *m_overrideGroups;
    QLineEdit *m_groups;
    QCheckBox *m_controlHeaders;
    QCheckBox *m_xdebug;
    QRadioButton *m_asClient;
    QRadioButton *m_asFresh;
    QLineEdit *m_url;
    QLabel *m_problem;
    QDialogButtonBox *m_buttons;
    int m_shownFormat = 0; // the format m_body's text is in
};
