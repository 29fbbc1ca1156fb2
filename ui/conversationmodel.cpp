#include "conversationmodel.h"

#include "themecolors.h"

#include <QDateTime>
#include <QFontDatabase>

#include <algorithm>

namespace {

constexpr int DetailPreviewChars = 200;
constexpr int HexPreviewBytes = 32;

QString bodyPreview(const QByteArray &body, bool binary, bool truncated) {
    if (body.isEmpty())
        return {};
    if (binary)
        return QStringLiteral("[binary] ") +
               QString::fromLatin1(body.left(HexPreviewBytes).toHex(' ')) +
               (body.size() > HexPreviewBytes ? QStringLiteral(" …") : QString());
    QString text = QString::fromUtf8(body.left(DetailPreviewChars * 4)).left(DetailPreviewChars);
    for (QChar &c : text) {
        if (c.unicode() < 0x20)
            c = QChar(0x2424); // one line per row
    }
    if (truncated || text.size() < body.size())
        text += QStringLiteral(" …");
    return text;
}

/// "to group lobby: delivered 3 of 3" → "group lobby".
QString pushTarget(const QString &text) {
    QString t = text;
    if (t.startsWith(QLatin1String("to ")))
        t = t.mid(3);
    const int colon = int(t.indexOf(QLatin1Char(':')));
    return colon > 0 ? t.left(colon) : t;
}

} // namespace

ConversationModel::ConversationModel(const ConversationStore *store, QObject *parent)
    : QAbstractTableModel(parent)
    , m_store(store) {}

void ConversationModel::setClient(const QByteArray &clientId) {
    beginResetModel();
    m_clientId = clientId;
    m_rows.clear();
    if (const ConversationStore::Conversation *c = m_store->find(clientId))
        m_rows = c->entries;
    endResetModel();
}

void ConversationModel::refresh() {
    const ConversationStore::Conversation *c = m_store->find(m_clientId);
    if (!c) {
        if (!m_rows.isEmpty()) {
            beginResetModel();
            m_rows.clear();
            endResetModel();
        }
        return;
    }
    const QList<TrafficEntry> &kept = c->entries;
    // Rows the store let go leave from the top.
    const quint64 firstKept = kept.isEmpty() ? ~quint64(0) : kept.constFirst().id;
    int gone = 0;
    while (gone < m_rows.size() && m_rows.at(gone).id < firstKept)
        ++gone;
    if (gone > 0) {
        beginRemoveRows({}, 0, gone - 1);
        m_rows.remove(0, gone);
        endRemoveRows();
    }
    // New ones arrive at the bottom, in one insert.
    const quint64 lastShown = m_rows.isEmpty() ? 0 : m_rows.constLast().id;
    const auto from = std::upper_bound(kept.cbegin(), kept.cend(), lastShown,
                                       [](quint64 id, const TrafficEntry &e) { return id < e.id; });
    const int added = int(kept.cend() - from);
    if (added > 0) {
        beginInsertRows({}, int(m_rows.size()), int(m_rows.size()) + added - 1);
        for (auto it = from; it != kept.cend(); ++it)
            m_rows.append(*it);
        endInsertRows();
    }
}

int ConversationModel::rowOfEntry(quint64 id) const {
    const auto it =
        std::lower_bound(m_rows.cbegin(), m_rows.cend(), id,
                         [](const TrafficEntry &e, quint64 value) { return e.id < value; });
    return it != m_rows.cend() && it->id == id ? int(it - m_rows.cbegin()) : -1;
}

QString ConversationModel::eventText(const TrafficEntry &e) {
    switch (e.kind) {
    case TrafficEntry::Kind::Open:
        return tr("open");
    case TrafficEntry::Kind::MessageIn:
        return e.binary ? tr("◀ message in (binary)") : tr("◀ message in");
    case TrafficEntry::Kind::Php:
        return e.replayOf ? tr("PHP %1 (replay)").arg(e.status) : tr("PHP %1").arg(e.status);
    case TrafficEntry::Kind::ReplyOut:
        return tr("▶ reply");
    case TrafficEntry::Kind::Push:
        return e.clientId.isEmpty() ? tr("▶ push via %1").arg(pushTarget(e.text))
                                    : tr("▶ push to this client");
    case TrafficEntry::Kind::Close:
        return tr("close %1").arg(e.status);
    case TrafficEntry::Kind::Error:
        return tr("error");
    case TrafficEntry::Kind::PhpLog:
        return tr("PHP-FPM log");
    }
    return {};
}

QString ConversationModel::detailText(const TrafficEntry &e) {
    switch (e.kind) {
    case TrafficEntry::Kind::MessageIn:
    case TrafficEntry::Kind::ReplyOut:
    case TrafficEntry::Kind::Push:
        return bodyPreview(e.body, e.binary, e.bodyTruncated);
    case TrafficEntry::Kind::Php: {
        QString text = e.text;
        if (e.php && !e.php->responseBody.isEmpty())
            text = bodyPreview(e.php->responseBody, false, e.php->responseBodyTruncated) +
                   (e.text.isEmpty() ? QString() : QStringLiteral("  — ") + e.text);
        return text;
    }
    default:
        return e.text;
    }
}

int ConversationModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ConversationModel::columnCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ConversationModel::data(const QModelIndex &index, int role) const {
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const TrafficEntry &e = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Time:
            return QDateTime::fromMSecsSinceEpoch(e.timeMs).toString(
                QStringLiteral("HH:mm:ss.zzz"));
        case Event:
            return eventText(e);
        case Size:
            return e.kind == TrafficEntry::Kind::Open || e.kind == TrafficEntry::Kind::Close
                       ? QVariant()
                       : QVariant(e.size);
        case Status:
            if (e.kind == TrafficEntry::Kind::Php)
                return QStringLiteral("%1 ms").arg(double(e.durationUs) / 1000.0, 0, 'f', 1);
            return {};
        case Detail:
            return detailText(e);
        }
        return {};
    case Qt::ToolTipRole:
        if (index.column() == Detail || index.column() == Event)
            return e.text.isEmpty() ? detailText(e) : e.text;
        return {};
    case Qt::ForegroundRole:
        if (e.isError)
            return ThemeColors::color(ThemeColors::Tone::Error);
        if (index.column() == Event && e.kind == TrafficEntry::Kind::Push)
            return ThemeColors::color(ThemeColors::Tone::Accent);
        if (index.column() == Time)
            return ThemeColors::color(ThemeColors::Tone::Muted);
        return {};
    case Qt::FontRole:
        if (index.column() == Time || index.column() == Detail)
            return QFontDatabase::systemFont(QFontDatabase::FixedFont);
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == Size || index.column() == Status)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case EntryIdRole:
        return e.id;
    case RawValueRole:
        return index.column() == Size ? QVariant(e.size) : QVariant(e.id);
    }
    return {};
}

QVariant ConversationModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Time:
        return tr("Time");
    case Event:
        return tr("Event");
    case Size:
        return tr("Bytes");
    case Status:
        return tr("PHP time");
    case Detail:
        return tr("Content");
    }
    return {};
}
