#include "connectionsmodel.h"

#include <QDateTime>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QLocale>
#include <QPalette>
#include <QSet>

#include <algorithm>

namespace {

QString formatAgo(qint64 nowMs, qint64 thenMs) {
    if (thenMs <= 0)
        return {};
    const qint64 s = std::max<qint64>(0, (nowMs - thenMs) / 1000);
    if (s < 60)
        return QStringLiteral("%1 s ago").arg(s);
    if (s < 3600)
        return QStringLiteral("%1 min ago").arg(s / 60);
    return QStringLiteral("%1 h %2 min ago").arg(s / 3600).arg((s % 3600) / 60);
}

QString formatBytes(qint64 bytes) {
    return QLocale::system().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

} // namespace

ConnectionsModel::ConnectionsModel(QObject *parent)
    : QAbstractTableModel(parent) {}

void ConnectionsModel::reindex() {
    m_rowById.clear();
    for (int i = 0; i < m_rows.size(); ++i)
        m_rowById.insert(m_rows.at(i).id, i);
}

qint64 ConnectionsModel::now() const {
    return m_nowMs > 0 ? m_nowMs : QDateTime::currentMSecsSinceEpoch();
}

void ConnectionsModel::setClosedRowLimits(qint64 keepMs, int maxRows) {
    m_closedKeepMs = keepMs;
    m_maxClosedRows = maxRows;
}

template <typename Pred> void ConnectionsModel::removeRows(Pred drop) {
    // From the back so earlier row numbers stay valid; contiguous runs go in one call.
    for (int row = int(m_rows.size()) - 1; row >= 0;) {
        if (!drop(row)) {
            --row;
            continue;
        }
        int first = row;
        while (first > 0 && drop(first - 1))
            --first;
        beginRemoveRows({}, first, row);
        for (int r = first; r <= row; ++r)
            m_closedCount -= m_closedMs.at(r) > 0 ? 1 : 0;
        m_rows.remove(first, row - first + 1);
        m_closedMs.remove(first, row - first + 1);
        endRemoveRows();
        row = first - 1;
    }
    reindex();
}

void ConnectionsModel::clearClosed() {
    removeRows([this](int row) { return m_closedMs.at(row) > 0; });
}

void ConnectionsModel::setClients(const QVector<ClientSnapshot> &clients) {
    QSet<QByteArray> present;
    present.reserve(clients.size());
    for (const ClientSnapshot &c : clients)
        present.insert(c.id);

    // Who left since the last snapshot becomes a closed row.
    const qint64 nowMs = now();
    for (int row = 0; row < m_rows.size(); ++row) {
        if (m_closedMs.at(row) == 0 && !present.contains(m_rows.at(row).id)) {
            m_closedMs[row] = nowMs;
            m_rows[row].queueDepth = 0;
            m_rows[row].phpInFlight = false;
            m_rows[row].sendBufferBytes = 0;
            ++m_closedCount;
        }
    }
    // Closed rows go when old, and the oldest first beyond the row limit.
    qint64 cutoffMs = nowMs - m_closedKeepMs;
    if (m_closedCount > m_maxClosedRows) {
        QVector<qint64> times;
        times.reserve(m_closedCount);
        for (qint64 t : std::as_const(m_closedMs)) {
            if (t > 0)
                times.append(t);
        }
        std::sort(times.begin(), times.end());
        cutoffMs = std::max(cutoffMs, times.at(times.size() - m_maxClosedRows - 1));
    }
    removeRows([this, &present, cutoffMs](int row) {
        const qint64 closed = m_closedMs.at(row);
        return closed > 0 && (closed <= cutoffMs || present.contains(m_rows.at(row).id));
    });

    QVector<ClientSnapshot> added;
    for (const ClientSnapshot &c : clients) {
        const int row = m_rowById.value(c.id, -1);
        if (row >= 0)
            m_rows[row] = c;
        else
            added.append(c);
    }
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
    if (!added.isEmpty()) {
        const int first = int(m_rows.size());
        beginInsertRows({}, first, first + int(added.size()) - 1);
        m_rows += added;
        m_closedMs.resize(m_rows.size(), 0);
        endInsertRows();
        reindex();
    }
}

int ConnectionsModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : m_rows.size();
}

int ConnectionsModel::columnCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ConnectionsModel::data(const QModelIndex &index, int role) const {
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const ClientSnapshot &c = m_rows.at(index.row());
    const qint64 now = this->now();
    const qint64 closedMs = m_closedMs.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Id:
            return QString::fromLatin1(c.id);
        case Peer:
            return c.peer;
        case Path:
            return c.query.isEmpty() ? c.path : c.path + QLatin1Char('?') + c.query;
        case Origin:
            return c.origin;
        case User:
            return c.user;
        case Groups:
            return c.groups.join(QStringLiteral(", "));
        case ConnectedSince:
            return QDateTime::fromMSecsSinceEpoch(c.connectedMs)
                .toString(QStringLiteral("HH:mm:ss"));
        case MessagesIn:
            return c.messagesIn;
        case MessagesOut:
            return c.messagesOut;
        case BytesIn:
            return formatBytes(c.bytesIn);
        case BytesOut:
            return formatBytes(c.bytesOut);
        case Queue:
            return c.phpInFlight ? QStringLiteral("%1 + PHP").arg(c.queueDepth)
                                 : QString::number(c.queueDepth);
        case LastActivity:
            return closedMs > 0 ? tr("closed %1").arg(formatAgo(now, closedMs))
                                : formatAgo(now, c.lastActivityMs);
        }
        return {};
    case ClosedRole:
        return closedMs > 0;
    case Qt::ForegroundRole:
        // Greyed as the palette greys disabled text, in any theme.
        if (closedMs > 0)
            return QGuiApplication::palette().color(QPalette::Disabled, QPalette::Text);
        return {};
    case RawValueRole:
        switch (index.column()) {
        case Id:
            return c.id;
        case Peer:
            return c.peer;
        case Path:
            return c.path + QLatin1Char('?') + c.query;
        case Origin:
            return c.origin;
        case User:
            return c.user;
        case Groups:
            return c.groups.join(QLatin1Char(','));
        case ConnectedSince:
            return c.connectedMs;
        case MessagesIn:
            return c.messagesIn;
        case MessagesOut:
            return c.messagesOut;
        case BytesIn:
            return c.bytesIn;
        case BytesOut:
            return c.bytesOut;
        case Queue:
            return c.queueDepth * 2 + (c.phpInFlight ? 1 : 0);
        case LastActivity:
            return c.lastActivityMs;
        }
        return {};
    case ClientIdRole:
        return c.id;
    case Qt::ToolTipRole:
        if (closedMs > 0 && index.column() == LastActivity)
            return tr("Closed at %1; the row goes %2 min after that")
                .arg(QDateTime::fromMSecsSinceEpoch(closedMs).toString(QStringLiteral("HH:mm:ss")))
                .arg(m_closedKeepMs / 60000);
        if (index.column() == ConnectedSince)
            return QDateTime::fromMSecsSinceEpoch(c.connectedMs).toString(Qt::ISODateWithMs);
        if (index.column() == Queue)
            return tr("%1 messages waiting for PHP; %2 bytes waiting to be sent")
                .arg(c.queueDepth)
                .arg(c.sendBufferBytes);
        return data(index, Qt::DisplayRole);
    case Qt::FontRole:
        if (index.column() == Id)
            return QFontDatabase::systemFont(QFontDatabase::FixedFont);
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() >= MessagesIn && index.column() <= Queue)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    }
    return {};
}

QVariant ConnectionsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Id:
        return tr("Client id");
    case Peer:
        return tr("Peer");
    case Path:
        return tr("Path");
    case Origin:
        return tr("Origin");
    case User:
        return tr("User");
    case Groups:
        return tr("Groups");
    case ConnectedSince:
        return tr("Since");
    case MessagesIn:
        return tr("Msgs in");
    case MessagesOut:
        return tr("Msgs out");
    case BytesIn:
        return tr("Bytes in");
    case BytesOut:
        return tr("Bytes out");
    case Queue:
        return tr("Queue");
    case LastActivity:
        return tr("Last activity");
    }
    return {};
}
