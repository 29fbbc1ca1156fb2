#pragma once

#include <QFont>
#include <QFontMetricsF>
#include <QHash>
#include <QStaticText>
#include <QStyledItemDelegate>

/// Paints a cell as one line of plain text (display, font, foreground and alignment roles),
/// selection highlighted, elided on the right; editing, tooltips and size hints stay
/// QStyledItemDelegate's. The style's item painting lays every cell's text out three times
/// (size, elision, drawing); under heavy traffic the traffic table repaints all its visible
/// cells several times a second, and that layout was most of the GUI thread's work.
class PlainTextDelegate final : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;

    /// `text` cut to fit `width` pixels with a trailing ellipsis; untouched when it fits.
    static QString elide(const QString &text, const QFont &font, int width);

private:
    /// Per-character advances of one font, learnt as characters show up: text is measured
    /// and cut by adding advances, without laying it out. Kerning only narrows text, so a
    /// text that fits by this sum fits when drawn.
    class Measure {
    public:
        explicit Measure(const QFont &font = QFont());
        const QFont &font() const { return m_font; }
        /// Text cut to `width` pixels; falls back to a real layout for combining marks and
        /// characters outside the BMP.
        QString elide(const QString &text, int width);
        /// The text laid out once: kinds, statuses, sizes, client ids and repeated payloads
        /// recur from row to row, and drawing a laid-out text skips the shaping that was most
        /// of a repaint's cost.
        const QStaticText &laidOut(const QString &text);
        qreal ascent() const { return m_metrics.ascent(); }
        qreal height() const { return m_metrics.height(); }

    private:
        qreal advance(char16_t c);

        QFont m_font;
        QFontMetricsF m_metrics;
        qreal m_ellipsis;
        QHash<char16_t, qreal> m_advances;
        QHash<QString, QStaticText> m_laidOut;
        qreal m_latin[128];
    };
    Measure &measure(const QFont &font) const;

    mutable Measure m_measures[2]; // the view's font and one more (monospace columns)
    mutable int m_nextSlot = 0;
};
