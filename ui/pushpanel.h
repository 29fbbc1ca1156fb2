#pragma once

#include "enginecontroller.h"

#include <QHash>
#include <QWidget>

class ElidedLabel;
class QComboBox;
class QPlainTextEdit;
class QPushButton;
class QTreeWidget;
class QTreeWidgetItem;

/// Push to a client, a user, a group or everyone, as PHP would through the push API: text or
/// binary (hex/base64), a JSON check with pretty-print (key order kept), and a history of
/// results whose entries can be sent again.
class PushPanel final : public QWidget {
    Q_OBJECT
public:
    enum class Format { Text, Hex, Base64 };
    /// Roles of a history row's first column: what was sent, so it can be sent again.
    enum HistoryRole { TargetRole = Qt::UserRole + 1, NameRole, PayloadRole, FormatRole };

    explicit PushPanel(EngineController *controller, QWidget *parent = nullptr);

    /// Picks the target (the name need not be in the live lists yet).
    void setTarget(EngineController::Target target, const QString &name = {});
    EngineController::Target target() const;
    QString targetName() const;
    void setPayload(const QString &text, Format format = Format::Text);
    QString payloadText() const;
    /// Refreshes the pickers from a snapshot, keeping what is typed or selected.
    void setLiveLists(const QStringList &clientIds, const QStringList &users,
                      const QStringList &groups);
    /// Sends what is in the editor; the result lands in the history.
    void send();
    /// Sends history row `row` (0 = newest) again, to the same target; false when no such row.
    bool resend(int row);
    /// Puts history row `row` back into the target picker and the editor.
    bool edit(int row);
    void focusEditor();
    void prettyPrint();

    QTreeWidget *history() const { return m_history; }
    QPushButton *sendButton() const { return m_send; }
    QPushButton *resendButton() const { return m_resend; }
    QString checkText() const;

protected:
    void changeEvent(QEvent *event) override;

Q_SIGNALS:
    /// Fires when a push has an answer; `delivered` is -1 on error.
    void pushed(int delivered, const QString &error);

private:
    void onKindChanged();
    void fillTargetPicker(const QString &keep);
    void checkPayload();
    static bool payloadBytes(const QString &text, Format format, QByteArray *out, QString *error);
    void sendMessage(EngineController::Target target, const QString &name, const QString &text,
                     Format format);
    QTreeWidgetItem *addHistory(EngineController::Target target, const QString &name,
                                const QString &text, Format format, const QString &result, bool ok);
    void showHistoryMenu(const QPoint &pos);
    void updateHistoryActions();

    EngineController *m_controller;
    QComboBox *m_targetKind;
    QComboBox *m_targetName;
    QComboBox *m_format;
    QPlainTextEdit *m_editor;
    ElidedLabel *m_check;
    QPushButton *m_pretty;
    QPushButton *m_send;
    QPushButton *m_resend;
    QTreeWidget *m_history;
    QStringList m_clients;
    QStringList m_users;
    QStringList m_groups;
    QHash<int, QString> m_lastName; // per target kind: the name last used with it
    int m_kind = 0;                 // the kind the picker shows
};
