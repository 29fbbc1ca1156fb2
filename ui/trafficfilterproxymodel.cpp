#include "trafficfilterproxymodel.h"

#include "trafficlogmodel.h"

TrafficFilterProxyModel::TrafficFilterProxyModel(TrafficLogModel *source, QObject *parent)
    : QSortFilterProxyModel(parent)
    , m_source(source) {
    setSourceModel(source);
}

void TrafficFilterProxyModel::setFilter(const TrafficFilter &filter) {
    m_filter = filter;
    invalidateFilter();
}

void TrafficFilterProxyModel::setLogModel(TrafficLogModel *source) {
    if (source == m_source)
        return;
    m_source = source;
    setSourceModel(source);
}

bool TrafficFilterProxyModel::filterAcceptsRow(int sourceRow,
                                               const QModelIndex &sourceParent) const {
    if (sourceParent.isValid() || m_filter.isEmpty())
        return !sourceParent.isValid();
    return m_filter.accepts(m_source->entry(sourceRow));
}
