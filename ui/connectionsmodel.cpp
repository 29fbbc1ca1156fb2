#include "connectionsmodel.h"

#include <QDateTime>
#include <QFontDatabase>
#include <QLocale>
#include <QSet>

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

void ConnectionsModel::setClients(const QVector<ClientSnapshot> &clients) {
    QSet<QByteArray> present;
    present.reserve(clients.size());
    for (const ClientSnapshot &c : clients)
        present.insert(c.id);

    // Remove vanished rows from the back so earlier row numbers stay valid; contiguous runs
    // go in one call.
    for (int row = m_rows.size() - 1; row >= 0;) {
        if (present.contains(m_rows.at(row).id)) {
            --row;
            continue;
        }
        int first = row;
        while (first > 0 && !present.contains(m_rows.at(first - 1).id))
            --first;
        beginRemoveRows({}, first, row);
        m_rows.remove(first, row - first + 1);
        endRemoveRows();
        row = first - 1;
    }
    reindex();

    QVector<ClientSnapshot> added;
    for (const ClientSnapshot &c : clients) {
        const int row = m_rowById.value(c.id, -1);
        if (row >= 0)
            m_rows[row] = c;
        else
            added.append(c);
    }
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(m_rows.size() - 1, ColumnCount - 1));
    if (!added.isEmpty()) {
        const int first = m_rows.size();
        beginInsertRows({}, first, first + added.size() - 1);
        m_rows += added;
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
    const qint64 now = m_nowMs > 0 ? m_nowMs : QDateTime::currentMSecsSinceEpoch();
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
            return formatAgo(now, c.lastActivityMs);
        }
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
