#pragma once

#include "observe/trafficentry.h"

#include <QAbstractTableModel>
#include <QVector>

#include <deque>

/// Traffic log rows: appended in batches (one insert per batch), trimmed at the front like the
/// core's ring; display text is built only for the rows a view asks for.
class TrafficLogModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Time, Kind, Client, Direction, Size, Status, Duration, Summary, ColumnCount };
    enum Role {
        RawValueRole = Qt::UserRole + 1, // sortable value of the cell
        EntryIdRole,
        KindRole,
        IsErrorRole,
        ClientIdRole,
        MarkRole, // int(TrafficMarks::Mark)
    };

    explicit TrafficLogModel(int capacity, QObject *parent = nullptr);

    int capacity() const { return m_capacity; }
    /// Shrinking drops the oldest rows at once.
    void setCapacity(int capacity);
    /// Appends entries (oldest first): one rowsInserted for the batch, and before it at most one
    /// rowsRemoved for the rows pushed out of the ring.
    void append(const QVector<TrafficEntry> &batch);
    void clear();

    const TrafficEntry &entry(int row) const { return m_rows[size_t(row)]; }
    /// Row of the entry with this id, -1 when not (or no longer) held.
    int rowOfId(quint64 id) const;
    quint64 lastId() const { return m_rows.empty() ? 0 : m_rows.back().id; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    static QString kindText(TrafficEntry::Kind kind);
    /// One line for the Summary column: error text, close reason, or a body preview.
    static QString summary(const TrafficEntry &entry);

private:
    void trimFront(int count);

    std::deque<TrafficEntry> m_rows;
    int m_capacity;
};
