#pragma once

#include "config/configuration.h"

#include <QDialog>
#include <QHash>

class QCheckBox;
class QLabel;
class QTabWidget;

/// Every option of the command line as a form. Validated by the command line's own parser
/// (ConfigurationParser::applyOption + validate), so the GUI can never accept what wsgated
/// would refuse; errors name the option and point at its field.
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

    void accept() override;

private:
    struct Field {
        QWidget *widget = nullptr;
        int tab = 0;
    };
    void addField(int tab, const QString &name, const QString &label, QWidget *widget);
    QWidget *makeField(const QString &name) const;
    QString fieldText(const QString &name) const;
    void showError(const QString &error);

    QTabWidget *m_tabs;
    QLabel *m_error;
    QHash<QString, Field> m_fields;
    QStringList m_order; // the parser's order, so the first bad option is the one reported
    QHash<QString, QString> m_help;
    QCheckBox *m_eventOpen;
    QCheckBox *m_eventMessage;
    QCheckBox *m_eventClose;
    Configuration m_result;
};
