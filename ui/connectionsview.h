#pragma once

#include "gateway/gatewaysnapshot.h"

#include <QWidget>

#include <optional>

class ConnectionsModel;
class QLabel;
class SteadyLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;
class QToolButton;

/// Live connections (and, greyed, the recently closed): sortable, filterable table with
/// per-client actions (conversation, push, close with a code, copy id, show traffic, debug the
/// next message).
class ConnectionsView final : public QWidget {
    Q_OBJECT
public:
    explicit ConnectionsView(QWidget *parent = nullptr);

    void setClients(const QVector<ClientSnapshot> &clients, qint64 nowMs);
    ConnectionsModel *model() const { return m_model; }
    QSortFilterProxyModel *proxy() const { return m_proxy; }
    QTableView *table() const { return m_table; }
    /// Id of the selected client; empty when none.
    QByteArray selectedClientId() const;
    /// Whether the selected row is a client that has closed.
    bool selectedIsClosed() const;
    /// The row's client as last seen (live or closed); nullopt when not in the table.
    std::optional<ClientSnapshot> clientInfo(const QByteArray &clientId) const;
    void focusFilter();

Q_SIGNALS:
    /// Fires when the user wants to push to this client.
    void pushRequested(const QByteArray &clientId);
    /// Fires when the user wants to see this client's traffic.
    void showTrafficRequested(const QByteArray &clientId);
    /// Fires when the user wants this client's conversation (double-click, "Conversation").
    void conversationRequested(const QByteArray &clientId);
    /// Fires when the user wants the client's next message to start a debugging session.
    void debugNextMessageRequested(const QByteArray &clientId);
    /// Fires when the user confirmed closing a client with this code and reason.
    void closeRequested(const QByteArray &clientId, int code, const QString &reason);

private:
    void showMenu(const QPoint &pos);
    void askClose();
    void copyId();
    void updateActions();

    ConnectionsModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QLineEdit *m_filter;
    SteadyLabel *m_count;
    QTableView *m_table;
    QToolButton *m_push;
    QToolButton *m_close;
    QToolButton *m_copy;
    QToolButton *m_traffic;
    QToolButton *m_conversation;
};
