#pragma once

#include "gateway/gatewaysnapshot.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QVector>

/// The live connections, one row each, updated in place from sampled snapshots so selection and
/// scroll position survive refreshes.
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
    enum Role { RawValueRole = Qt::UserRole + 1, ClientIdRole };

    explicit ConnectionsModel(QObject *parent = nullptr);

    /// Replaces the rows with `clients`: vanished ids are removed, known ones updated, new ones
    /// appended.
    void setClients(const QVector<ClientSnapshot> &clients);
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

    QVector<ClientSnapshot> m_rows;
    QHash<QByteArray, int> m_rowById;
    qint64 m_nowMs = 0;
};
