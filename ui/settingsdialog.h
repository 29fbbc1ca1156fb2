#pragma once

#include "config/configuration.h"

#include <QDialog>
#include <QHash>
#include <QMetaType>

class QCheckBox;
class QLabel;
class QPushButton;
class QTabWidget;
class QTimer;

/// Every option of the command line as a form, grouped in tabs. Validated by the command
/// line's own parser (ConfigurationParser::applyOption + validate), so the GUI can never accept
/// what wsgated would refuse; errors name the option and point at its field. A FastCGI socket
/// that does not exist (yet) or may not be opened is flagged, not refused. Apply, and Apply &
/// restart, hand the configuration over without closing the dialog / restarting the gateway.
class SettingsDialog final : public QDialog {
    Q_OBJECT
public:
    explicit SettingsDialog(const Configuration &config, QWidget *parent = nullptr);

    /// Fills the fields from `config`.
    void setConfiguration(const Configuration &config);
    /// The validated configuration; call after a successful validateInput().
    Configuration configuration() const { return m_result; }

    /// Sets a field by option name as a user would type it ("listen", "fastcgi-pool" …);
    /// false when no field has that name.
    bool setOptionText(const QString &name, const QString &text);
    QString optionText(const QString &name) const;
    /// Runs the parser over the fields; empty on success (configuration() is then set),
    /// otherwise the error, also shown in the dialog.
    QString validateInput();
    QString errorText() const;

    /// The note under the push token field: where the token is kept.
    void setSecretStorageNote(const QString &text);
    /// What the FastCGI field's check says (empty: the socket answers, or not a unix socket).
    QString fastcgiWarning() const;
    QPushButton *applyButton() const { return m_apply; }
    QPushButton *restartButton() const { return m_restart; }
    /// Whether an option's value is a size ("16M") rather than a count.
    static bool isSizeOption(const QString &name);
    /// 16777216 → "16M", 1073741824 → "1G", 1000 → "1000".
    static QString sizeText(qint64 bytes);

    void accept() override;

Q_SIGNALS:
    /// Fires when the user applies valid settings; `restart`: restart the gateway with them.
    void applied(const Configuration &config, bool restart);

private:
    struct Field {
        QWidget *widget = nullptr;
        int tab = 0;
    };
    void addField(int tab, const QString &name, const QString &label, QWidget *widget);
    QWidget *makeField(const QString &name) const;
    QString fieldText(const QString &name) const;
    void showError(const QString &error);
    void checkPaths();
    bool apply(bool restart);

    QTabWidget *m_tabs;
    QLabel *m_error;
    QHash<QString, Field> m_fields;
    QStringList m_order; // the parser's order, so the first bad option is the one reported
    QHash<QString, QString> m_help;
    QCheckBox *m_eventOpen;
    QCheckBox *m_eventMessage;
    QCheckBox *m_eventClose;
    QLabel *m_fastcgiCheck;
    QLabel *m_scriptCheck;
    QLabel *m_secretNote;
    QPushButton *m_apply;
    QPushButton *m_restart;
    QTimer *m_checkTimer;
    Configuration m_result;
};

Q_DECLARE_METATYPE(Configuration)
