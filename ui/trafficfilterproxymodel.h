#pragma once

#include "trafficfilter.h"

#include <QSortFilterProxyModel>

class TrafficLogModel;

/// Shows the traffic rows a TrafficFilter accepts; keeps the source order (time).
class TrafficFilterProxyModel final : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit TrafficFilterProxyModel(TrafficLogModel *source, QObject *parent = nullptr);

    void setFilter(const TrafficFilter &filter);
    /// Shows another log's rows (the live log, or an opened capture).
    void setLogModel(TrafficLogModel *source);
    TrafficLogModel *logModel() const { return m_source; }
    const TrafficFilter &filter() const { return m_filter; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    TrafficLogModel *m_source;
    TrafficFilter m_filter;
};
