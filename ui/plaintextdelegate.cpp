#include "plaintextdelegate.h"

#include <QApplication>
#include <QBrush>
#include <QPainter>
#include <QStyle>

namespace {

const QChar Ellipsis(0x2026);
constexpr qsizetype MaxLaidOutTexts = 2048;

} // namespace

PlainTextDelegate::Measure::Measure(const QFont &font)
    : m_font(font)
    , m_metrics(font)
    , m_ellipsis(m_metrics.horizontalAdvance(Ellipsis)) {
    for (int c = 0; c < 128; ++c)
        m_latin[c] = m_metrics.horizontalAdvance(QChar(c));
}

qreal PlainTextDelegate::Measure::advance(char16_t c) {
    if (c < 128)
        return m_latin[c];
    auto it = m_advances.constFind(c);
    if (it == m_advances.constEnd())
        it = m_advances.insert(c, m_metrics.horizontalAdvance(QChar(c)));
    return it.value();
}

QString PlainTextDelegate::Measure::elide(const QString &text, int width) {
    if (width <= 0)
        return {};
    qreal used = 0;
    qsizetype cut = -1; // characters that fit together with the ellipsis
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c.isSurrogate() || c.isMark())
            return QFontMetrics(m_font).elidedText(text, Qt::ElideRight, width);
        used += advance(c.unicode());
        if (cut < 0 && used + m_ellipsis > width)
            cut = i;
        if (used > width)
            return text.left(cut) + Ellipsis;
    }
    return text;
}

const QStaticText &PlainTextDelegate::Measure::laidOut(const QString &text) {
    auto it = m_laidOut.constFind(text);
    if (it != m_laidOut.constEnd())
        return it.value();
    // A visible screen holds a few hundred cells; starting over now and then keeps the cache
    // to what is on screen without bookkeeping per entry.
    if (m_laidOut.size() >= MaxLaidOutTexts)
        m_laidOut.clear();
    QStaticText laid(text);
    laid.setTextFormat(Qt::PlainText);
    laid.setPerformanceHint(QStaticText::AggressiveCaching);
    laid.prepare(QTransform(), m_font);
    return m_laidOut.insert(text, laid).value();
}

PlainTextDelegate::Measure &PlainTextDelegate::measure(const QFont &font) const {
    for (Measure &m : m_measures) {
        if (m.font() == font)
            return m;
    }
    Measure &slot = m_measures[m_nextSlot];
    m_nextSlot = (m_nextSlot + 1) % int(std::size(m_measures));
    slot = Measure(font);
    return slot;
}

QString PlainTextDelegate::elide(const QString &text, const QFont &font, int width) {
    return Measure(font).elide(text, width);
}

void PlainTextDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                              const QModelIndex &index) const {
    const bool enabled = option.state & QStyle::State_Enabled;
    const bool active = option.state & QStyle::State_Active;
    const QPalette::ColorGroup group =
        !enabled ? QPalette::Disabled : (active ? QPalette::Normal : QPalette::Inactive);
    const bool selected = option.state & QStyle::State_Selected;
    if (selected)
        painter->fillRect(option.rect, option.palette.brush(group, QPalette::Highlight));

    const QString text = index.data(Qt::DisplayRole).toString();
    if (text.isEmpty())
        return;
    const QVariant fontValue = index.data(Qt::FontRole);
    const QFont font =
        fontValue.isValid() ? qvariant_cast<QFont>(fontValue).resolve(option.font) : option.font;

    QColor color = option.palette.color(group, QPalette::Text);
    if (selected) {
        color = option.palette.color(group, QPalette::HighlightedText);
    } else {
        const QVariant foreground = index.data(Qt::ForegroundRole);
        if (foreground.isValid())
            color = qvariant_cast<QBrush>(foreground).color();
    }
    const QVariant alignValue = index.data(Qt::TextAlignmentRole);
    const Qt::Alignment align = alignValue.isValid()
                                    ? Qt::Alignment(alignValue.toInt())
                                    : Qt::Alignment(Qt::AlignLeft | Qt::AlignVCenter);

    // The same inner margin the style's item painting uses.
    const QWidget *widget = option.widget;
    const QStyle *style = widget ? widget->style() : QApplication::style();
    const int margin = style->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, widget) + 1;
    const QRect rect = option.rect.adjusted(margin, 0, -margin, 0);

    Measure &m = measure(font);
    const QStaticText &laid = m.laidOut(m.elide(text, rect.width()));
    const qreal width = laid.size().width();
    qreal x = rect.left();
    if (align & Qt::AlignRight)
        x = rect.right() + 1 - width;
    else if (align & Qt::AlignHCenter)
        x = rect.left() + (rect.width() - width) / 2;
    // Vertically centred like drawText(): the line box (ascent + descent) in the middle.
    const qreal y = rect.top() + (rect.height() - m.height()) / 2;
    painter->save();
    painter->setClipRect(rect, Qt::IntersectClip);
    painter->setFont(font);
    painter->setPen(color);
    painter->drawStaticText(QPointF(std::max(qreal(rect.left()), x), y), laid);
    painter->restore();
}
