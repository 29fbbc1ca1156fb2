#pragma once

#include "conversationstore.h"

#include <QAbstractTableModel>
#include <QList>

/// One client's conversation as table rows, refreshed from the ConversationStore in place:
/// new entries appended, entries the store let go removed from the top, so selection and
/// scroll position survive.
class ConversationModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Time, Event, Size, Status, Detail, ColumnCount };
    enum Role { EntryIdRole = Qt::UserRole + 1, RawValueRole };

    explicit ConversationModel(const ConversationStore *store, QObject *parent = nullptr);

    /// Shows `clientId`'s conversation (empty: none).
    void setClient(const QByteArray &clientId);
    QByteArray clientId() const { return m_clientId; }
    /// Brings the rows in line with the store.
    void refresh();
    const TrafficEntry &entry(int row) const { return m_rows.at(row); }
    int rowOfEntry(quint64 id) const;

    /// "message in", "PHP 200", "push via group lobby"… for one entry, as seen by `clientId`.
    static QString eventText(const TrafficEntry &entry);
    static QString detailText(const TrafficEntry &entry);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    const ConversationStore *m_store;
    QByteArray m_clientId;
    QList<TrafficEntry> m_rows;
};
