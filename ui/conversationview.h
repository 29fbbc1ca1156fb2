#pragma once

#include "conversationstore.h"
#include "gateway/gatewaysnapshot.h"

#include <QWidget>

#include <optional>

class ConversationModel;
class QLabel;
class QLineEdit;
class QTableView;
class QToolButton;
class TrafficDetailWidget;

/// One client's conversation: everything it sent and received — messages, PHP exchanges,
/// replies, pushes to it and to its user, groups and everyone — errors and its close, in log
/// order, with the detail of the selected row. Fed with every batch of traffic entries; keeps
/// recently closed clients too (ConversationStore).
class ConversationView final : public QWidget {
    Q_OBJECT
public:
    explicit ConversationView(QWidget *parent = nullptr);

    /// Every batch of entries the engine logged (oldest first).
    void appendEntries(const QVector<TrafficEntry> &entries);
    /// The live clients, each tick: the header follows the shown one, and clients that went
    /// without a close entry are marked closed.
    void setClients(const QVector<ClientSnapshot> &clients, qint64 nowMs);
    /// The engine stopped: every conversation is closed.
    void setStopped(qint64 nowMs);
    /// Shows `clientId`'s conversation; `info` describes it when the caller knows more (a
    /// closed row of the connections table).
    void showClient(const QByteArray &clientId, const std::optional<ClientInfo> &info = {});
    QByteArray clientId() const;

    const ConversationStore &store() const { return m_store; }
    ConversationModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    TrafficDetailWidget *detail() const { return m_detail; }
    QString headerText() const;

Q_SIGNALS:
    /// Fires when the user wants this client's rows in the traffic log.
    void showTrafficRequested(const QByteArray &clientId);
    /// Fires when the user wants to push to this client.
    void pushRequested(const QByteArray &clientId);

private:
    void updateHeader();
    void onSelection();

    ConversationStore m_store;
    ConversationModel *m_model;
    QLineEdit *m_idEdit;
    QLabel *m_header;
    QLabel *m_notes;
    QToolButton *m_traffic;
    QToolButton *m_push;
    QTableView *m_table;
    TrafficDetailWidget *m_detail;
    std::optional<ClientInfo> m_info; // of the shown client, as last seen
    bool m_live = false;
};
