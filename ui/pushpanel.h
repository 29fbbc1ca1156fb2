#pragma once

#include "enginecontroller.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTreeWidget;

/// Push to a client, a user, a group or everyone, as PHP would through the push API: text or
/// binary (hex/base64), a JSON check with pretty-print, and a history of results.
class PushPanel final : public QWidget {
    Q_OBJECT
public:
    enum class Format { Text, Hex, Base64 };

    explicit PushPanel(EngineController *controller, QWidget *parent = nullptr);

    /// Picks the target (the name need not be in the live lists yet).
    void setTarget(EngineController::Target target, const QString &name = {});
    void setPayload(const QString &text, Format format = Format::Text);
    /// Refreshes the pickers from a snapshot, keeping what is typed or selected.
    void setLiveLists(const QStringList &clientIds, const QStringList &users,
                      const QStringList &groups);
    /// Sends what is in the editor; the result lands in the history.
    void send();
    void focusEditor();

    QTreeWidget *history() const { return m_history; }
    QPushButton *sendButton() const { return m_send; }

Q_SIGNALS:
    /// Fires when a push has an answer; `delivered` is -1 on error.
    void pushed(int delivered, const QString &error);

private:
    void updateTargetPicker();
    void checkPayload();
    void prettyPrint();
    bool payloadBytes(QByteArray *out, QString *error) const;
    void addHistory(const QString &target, qint64 size, const QString &result, bool ok);

    EngineController *m_controller;
    QComboBox *m_targetKind;
    QComboBox *m_targetName;
    QComboBox *m_format;
    QPlainTextEdit *m_editor;
    QLabel *m_check;
    QPushButton *m_pretty;
    QPushButton *m_send;
    QTreeWidget *m_history;
    QStringList m_clients;
    QStringList m_users;
    QStringList m_groups;
};
