#include "trafficlogmodel.h"

#include "themecolors.h"
#include "trafficmarks.h"

#include <QBrush>
#include <QColor>
#include <QDateTime>
#include <QFontDatabase>
#include <QThreadPool>

#include <algorithm>
#include <iterator>
#include <memory>
#include <vector>

namespace {

constexpr int MinCapacityRows = 100;
constexpr int SummaryPreviewChars = 160;
constexpr int HexPreviewBytes = 48;
// Marks in the Status column: they show in any palette and need no icon painting.
const QChar ErrorMark(0x2716);   // ✖
const QChar WarningMark(0x26A0); // ⚠

QString preview(const TrafficEntry &entry) {
    if (entry.body.isEmpty())
        return {};
    if (entry.binary)
        return QStringLiteral("[binary] ") +
               QString::fromLatin1(entry.body.left(HexPreviewBytes).toHex(' ')) +
               (entry.body.size() > HexPreviewBytes ? QStringLiteral(" …") : QString());
    QString text =
        QString::fromUtf8(entry.body.left(SummaryPreviewChars * 4)).left(SummaryPreviewChars);
    // One line per row: control characters would break the table's row height.
    for (QChar &c : text) {
        if (c.unicode() < 0x20)
            c = QChar(0x2424); // ␤-like visible marker
    }
    if (entry.bodyTruncated || text.size() < entry.body.size())
        text += QStringLiteral(" …");
    return text;
}

QString formatSize(qint64 bytes) {
    if (bytes < 10 * 1024)
        return QString::number(bytes);
    if (bytes < 10 * 1024 * 1024)
        return QStringLiteral("%1 KiB").arg(bytes / 1024);
    return QStringLiteral("%1 MiB").arg(bytes / (1024 * 1024));
}

} // namespace

TrafficLogModel::TrafficLogModel(int capacity, QObject *parent)
    : QAbstractTableModel(parent)
    , m_capacity(std::max(capacity, MinCapacityRows)) {}

void TrafficLogModel::setCapacity(int capacity) {
    m_capacity = std::max(capacity, MinCapacityRows);
    if (int(m_rows.size()) > m_capacity)
        trimFront(int(m_rows.size()) - m_capacity);
}

void TrafficLogModel::trimFront(int count) {
    if (count <= 0)
        return;
    // The rows' bodies and PHP detail were allocated by the engine's thread; freeing a
    // thousand of them per tick was a sixth of the GUI thread's work under traffic. Moving
    // them out is cheap; a pool thread drops the last references.
    auto dropped = std::make_shared<std::vector<TrafficEntry>>(
        std::make_move_iterator(m_rows.begin()), std::make_move_iterator(m_rows.begin() + count));
    beginRemoveRows({}, 0, count - 1);
    m_rows.erase(m_rows.begin(), m_rows.begin() + count);
    endRemoveRows();
    // Moved in, so the pool thread holds the only reference whichever side finishes first.
    QThreadPool::globalInstance()->start(
        [dropped = std::move(dropped)]() mutable { dropped.reset(); });
}

void TrafficLogModel::append(const QVector<TrafficEntry> &batch) {
    if (batch.isEmpty())
        return;
    // A batch larger than the ring keeps only its newest part.
    const int skip = std::max(0, int(batch.size()) - m_capacity);
    const int incoming = int(batch.size()) - skip;
    const int overflow = int(m_rows.size()) + incoming - m_capacity;
    trimFront(std::min(overflow, int(m_rows.size())));

    const int first = int(m_rows.size());
    // `last` is inclusive: n new rows occupy first .. first + n - 1.
    beginInsertRows({}, first, first + incoming - 1);
    for (int i = skip; i < batch.size(); ++i)
        m_rows.push_back(batch.at(i));
    endInsertRows();
}

void TrafficLogModel::clear() {
    if (m_rows.empty())
        return;
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

int TrafficLogModel::rowOfId(quint64 id) const {
    // Ids increase strictly, so the rows are sorted by id.
    const auto it = std::lower_bound(m_rows.begin(), m_rows.end(), id,
                                     [](const TrafficEntry &e, quint64 v) { return e.id < v; });
    if (it == m_rows.end() || it->id != id)
        return -1;
    return int(it - m_rows.begin());
}

int TrafficLogModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TrafficLogModel::columnCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QString TrafficLogModel::kindText(TrafficEntry::Kind kind) {
    switch (kind) {
    case TrafficEntry::Kind::Open:
        return tr("open");
    case TrafficEntry::Kind::MessageIn:
        return tr("message in");
    case TrafficEntry::Kind::Php:
        return tr("PHP");
    case TrafficEntry::Kind::ReplyOut:
        return tr("reply out");
    case TrafficEntry::Kind::Push:
        return tr("push");
    case TrafficEntry::Kind::Close:
        return tr("close");
    case TrafficEntry::Kind::Error:
        return tr("error");
    case TrafficEntry::Kind::PhpLog:
        return tr("PHP log");
    }
    return {};
}

QString TrafficLogModel::summary(const TrafficEntry &entry) {
    switch (entry.kind) {
    case TrafficEntry::Kind::Php: {
        // The recorder already says "(replay of #N)" in the text; the summary says it first.
        QString s = entry.replayOf ? tr("↻ replay of #%1 · ").arg(entry.replayOf) : QString();
        if (entry.php && entry.php->outcome != QLatin1String("ok") && !entry.php->outcome.isEmpty())
            s += entry.php->outcome + QStringLiteral(": ") + entry.php->error;
        else if (entry.php)
            s += QStringLiteral("%1 → %2 bytes")
                     .arg(entry.php->status)
                     .arg(entry.php->responseBodySize);
        if (entry.php && !entry.php->stderrData.isEmpty()) {
            // The first message, without php-fpm's prefix: the one the developer looks for.
            const QList<PhpStderr::Message> messages =
                PhpStderr::split(entry.php->stderrData, false);
            const QString first = messages.isEmpty()
                                      ? QString()
                                      : messages.first().text.section(QLatin1Char('\n'), 0, 0);
            s += QStringLiteral("  [stderr%1: %2]")
                     .arg(messages.size() > 1 ? QStringLiteral(" ×%1").arg(messages.size())
                                              : QString(),
                          first.left(SummaryPreviewChars));
        }
        if (!entry.text.isEmpty() && !entry.php)
            s += entry.text;
        return s;
    }
    case TrafficEntry::Kind::Close:
        return entry.text.isEmpty() ? QString() : entry.text;
    case TrafficEntry::Kind::Error:
    case TrafficEntry::Kind::Open:
    case TrafficEntry::Kind::PhpLog:
        return entry.text.isEmpty() ? preview(entry) : entry.text;
    case TrafficEntry::Kind::Push:
        return entry.text.isEmpty() ? preview(entry)
                                    : entry.text + QStringLiteral(": ") + preview(entry);
    case TrafficEntry::Kind::MessageIn:
    case TrafficEntry::Kind::ReplyOut:
        return preview(entry);
    }
    return {};
}

QVariant TrafficLogModel::data(const QModelIndex &index, int role) const {
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const TrafficEntry &e = m_rows[size_t(index.row())];
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case Time:
            return QDateTime::fromMSecsSinceEpoch(e.timeMs).toString(
                QStringLiteral("HH:mm:ss.zzz"));
        case Kind:
            return kindText(e.kind);
        case Client:
            return QString::fromLatin1(e.clientId);
        case Direction:
            return e.direction == TrafficEntry::Direction::In    ? QStringLiteral("→ in")
                   : e.direction == TrafficEntry::Direction::Out ? QStringLiteral("← out")
                                                                 : QString();
        case Size:
            return e.size > 0 || e.kind == TrafficEntry::Kind::MessageIn ? formatSize(e.size)
                                                                         : QString();
        case Status: {
            const TrafficMarks::Mark mark = TrafficMarks::mark(e);
            QString status = e.status != 0 ? QString::number(e.status) : QString();
            if (e.kind != TrafficEntry::Kind::Php || mark == TrafficMarks::Mark::None)
                return status;
            const QChar glyph = mark == TrafficMarks::Mark::Error ? ErrorMark : WarningMark;
            return status.isEmpty() ? QString(glyph) : glyph + QLatin1Char(' ') + status;
        }
        case Duration:
            return e.kind == TrafficEntry::Kind::Php
                       ? QStringLiteral("%1 ms").arg(double(e.durationUs) / 1000.0, 0, 'f', 1)
                       : QString();
        case Summary:
            return summary(e);
        }
        return {};
    case RawValueRole:
        switch (column) {
        case Time:
            return e.id; // ids follow time, and break ties
        case Kind:
            return int(e.kind);
        case Client:
            return e.clientId;
        case Direction:
            return int(e.direction);
        case Size:
            return e.size;
        case Status:
            return e.status;
        case Duration:
            return e.durationUs;
        case Summary:
            return summary(e);
        }
        return {};
    case Qt::ToolTipRole:
        if (column == Summary || column == Client)
            return data(index, Qt::DisplayRole);
        if (column == Status && e.php) {
            const QString counts = TrafficMarks::stderrCounts(e.php->stderrData);
            const QString headline = TrafficMarks::phpHeadline(*e.php);
            return counts.isEmpty() ? headline : tr("%1\nSTDERR: %2").arg(headline, counts);
        }
        return {};
    case Qt::ForegroundRole:
        // A failed exchange is logged as an exchange (its error is its own row), and a 200 with
        // warnings in STDERR is not an error for the gateway; the developer should still see
        // both at a glance. The tones are chosen for the palette in use.
        switch (TrafficMarks::mark(e)) {
        case TrafficMarks::Mark::Error:
            return QBrush(ThemeColors::color(ThemeColors::Tone::Error));
        case TrafficMarks::Mark::Warning:
            return QBrush(ThemeColors::color(ThemeColors::Tone::Warning));
        case TrafficMarks::Mark::None:
            break;
        }
        if (e.kind == TrafficEntry::Kind::PhpLog)
            return QBrush(ThemeColors::color(ThemeColors::Tone::Warning));
        return {};
    case Qt::TextAlignmentRole:
        if (column == Size || column == Status || column == Duration)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::FontRole:
        if (column == Client || column == Summary)
            return QFontDatabase::systemFont(QFontDatabase::FixedFont);
        return {};
    case EntryIdRole:
        return e.id;
    case KindRole:
        return int(e.kind);
    case IsErrorRole:
        return e.isError;
    case ClientIdRole:
        return e.clientId;
    case MarkRole:
        return int(TrafficMarks::mark(e));
    }
    return {};
}

QVariant TrafficLogModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Time:
        return tr("Time");
    case Kind:
        return tr("Event");
    case Client:
        return tr("Client");
    case Direction:
        return tr("Dir");
    case Size:
        return tr("Size");
    case Status:
        return tr("Status");
    case Duration:
        return tr("PHP time");
    case Summary:
        return tr("Summary");
    }
    return {};
}
