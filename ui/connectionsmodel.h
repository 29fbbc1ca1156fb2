#pragma once

#include "gateway/gatewaysnapshot.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QVector>

/// The live connections, one row each, updated in place from sampled snapshots so selection and
/// scroll position survive refreshes. A client that leaves stays a while as a greyed "closed"
/// row (bounded in time and number), so its conversation is still a double-click away.
class ConnectionsModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Id,
        Peer,
        Path,
        Origin,
        User,
        Groups,
        ConnectedSince,
        MessagesIn,
        MessagesOut,
        BytesIn,
        BytesOut,
        Queue,
        LastActivity,
        ColumnCount
    };
    enum Role { RawValueRole = Qt::UserRole + 1, ClientIdRole, ClosedRole };
    static constexpr qint64 DefaultClosedKeepMs = 3 * 60 * 1000;
    static constexpr int DefaultMaxClosedRows = 200;

    explicit ConnectionsModel(QObject *parent = nullptr);

    /// Replaces the rows with `clients`: known ones updated, new ones appended, vanished ones
    /// kept as closed rows until they are older than closedKeepMs() or too many.
    void setClients(const QVector<ClientSnapshot> &clients);
    /// How long a closed row stays, and how many at most.
    void setClosedRowLimits(qint64 keepMs, int maxRows);
    bool isClosed(int row) const { return m_closedMs.at(row) > 0; }
    int liveCount() const { return int(m_rows.size()) - m_closedCount; }
    int closedCount() const { return m_closedCount; }
    /// Drops every closed row at once.
    void clearClosed();
    /// "Now" for relative times; the snapshot's own time keeps tests deterministic.
    void setNowMs(qint64 nowMs) { m_nowMs = nowMs; }
    const ClientSnapshot &client(int row) const { return m_rows.at(row); }
    int rowOfId(const QByteArray &id) const { return m_rowById.value(id, -1); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    void reindex();
    /// Removes the rows `drop` says, contiguous runs in one call.
    template <typename Pred> void removeRows(Pred drop);
    qint64 now() const;

    QVector<ClientSnapshot> m_rows;
    QVector<qint64> m_closedMs; // per row: when it was seen gone; 0 while live
    int m_closedCount = 0;
    qint64 m_closedKeepMs = DefaultClosedKeepMs;
    int m_maxClosedRows = DefaultMaxClosedRows;
    QHash<QByteArray, int> m_rowById;
    qint64 m_nowMs = 0;
};
