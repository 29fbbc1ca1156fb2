#include "timechart.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace {

constexpr int MarginLeftPx = 36;
constexpr int MarginRightPx = 10;
constexpr int MarginTopPx = 22;
constexpr int MarginBottomPx = 18;
constexpr int GridLines = 4;
constexpr qint64 MinWindowMs = 10 * 1000;

/// 1, 2, 5 × 10^n at or above `v`, so axis labels stay round.
double niceCeiling(double v) {
    if (v <= 1)
        return 1;
    const double exp = std::pow(10.0, std::floor(std::log10(v)));
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
        if (m * exp >= v)
            return m * exp;
    }
    return 10 * exp;
}

} // namespace

TimeChart::TimeChart(const QString &title, QWidget *parent)
    : QWidget(parent)
    , m_title(title) {
    setAttribute(Qt::WA_OpaquePaintEvent);
}

int TimeChart::addSeries(const QString &name, const QColor &color) {
    m_series.append({name, color, {}});
    return int(m_series.size()) - 1;
}

void TimeChart::setSeriesColor(int series, const QColor &color) {
    if (series < 0 || series >= m_series.size())
        return;
    m_series[series].color = color;
    update();
}

void TimeChart::setPoints(int series, const QVector<QPointF> &points) {
    m_series[series].points = points;
    update();
}

void TimeChart::appendPoint(int series, const QPointF &point, int maxPoints) {
    QVector<QPointF> &p = m_series[series].points;
    p.append(point);
    if (p.size() > maxPoints)
        p.remove(0, p.size() - maxPoints);
    update();
}

QSize TimeChart::sizeHint() const {
    return {360, 170};
}

QSize TimeChart::minimumSizeHint() const {
    return {200, 110};
}

void TimeChart::paintEvent(QPaintEvent *) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = palette();
    p.fillRect(rect(), pal.base());
    p.setPen(pal.color(QPalette::Mid));
    p.drawRect(rect().adjusted(0, 0, -1, -1));

    const QRectF plot(MarginLeftPx, MarginTopPx, width() - MarginLeftPx - MarginRightPx,
                      height() - MarginTopPx - MarginBottomPx);

    // Title and legend with the latest values.
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.setPen(pal.color(QPalette::Text));
    p.drawText(QRectF(6, 2, width() - 12, MarginTopPx - 4), Qt::AlignLeft | Qt::AlignVCenter,
               m_title);
    p.setFont(font());
    qreal x = 6 + QFontMetrics(bold).horizontalAdvance(m_title) + 14;
    for (const Series &s : std::as_const(m_series)) {
        const QString label =
            s.points.isEmpty() ? s.name
                               : QStringLiteral("%1 %2").arg(s.name).arg(s.points.constLast().y());
        p.setPen(Qt::NoPen);
        p.setBrush(s.color);
        p.drawRoundedRect(QRectF(x, MarginTopPx / 2.0 - 4, 10, 8), 2, 2);
        p.setPen(pal.color(QPalette::Text));
        p.drawText(QPointF(x + 14, MarginTopPx / 2.0 + 4), label);
        x += 14 + fontMetrics().horizontalAdvance(label) + 12;
    }

    qint64 newest = 0;
    double maxY = 0;
    for (const Series &s : std::as_const(m_series)) {
        if (!s.points.isEmpty())
            newest = std::max<qint64>(newest, qint64(s.points.constLast().x()));
    }
    // Short histories fill the plot instead of hugging its right edge: the span grows from
    // MinWindowMs up to the configured window as data accumulates.
    qint64 first = newest;
    for (const Series &s : std::as_const(m_series)) {
        if (!s.points.isEmpty())
            first = std::min<qint64>(first, qint64(s.points.constFirst().x()));
    }
    const qint64 window = std::clamp<qint64>(newest - first, MinWindowMs, m_windowMs);
    const qint64 oldest = newest - window;
    for (const Series &s : std::as_const(m_series)) {
        for (const QPointF &pt : s.points) {
            if (pt.x() >= oldest)
                maxY = std::max(maxY, pt.y());
        }
    }
    const double top = niceCeiling(maxY * 1.1);

    // Grid and y labels.
    QPen grid(pal.color(QPalette::Midlight));
    grid.setStyle(Qt::DotLine);
    for (int i = 0; i <= GridLines; ++i) {
        const double y = plot.bottom() - plot.height() * i / GridLines;
        p.setPen(grid);
        p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y));
        p.setPen(pal.color(QPalette::PlaceholderText));
        const double value = top * i / GridLines;
        p.drawText(QRectF(0, y - 8, MarginLeftPx - 4, 16), Qt::AlignRight | Qt::AlignVCenter,
                   QString::number(value, 'g', 3));
    }
    p.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), MarginBottomPx - 2),
               Qt::AlignRight | Qt::AlignVCenter, tr("now"));
    if (newest == 0) {
        p.drawText(plot, Qt::AlignCenter, tr("no data yet"));
        return;
    }

    p.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), MarginBottomPx - 2),
               Qt::AlignLeft | Qt::AlignVCenter,
               window >= 120000 ? tr("−%1 min").arg(window / 60000)
                                : tr("−%1 s").arg(window / 1000));
    p.setClipRect(plot.adjusted(-1, -1, 1, 1));
    for (const Series &s : std::as_const(m_series)) {
        QPainterPath path;
        bool started = false;
        for (const QPointF &pt : s.points) {
            if (pt.x() < oldest)
                continue;
            const QPointF at(plot.left() + plot.width() * (pt.x() - oldest) / double(window),
                             plot.bottom() - plot.height() * pt.y() / top);
            if (!started) {
                path.moveTo(at);
                started = true;
            } else {
                path.lineTo(at);
            }
        }
        p.setPen(QPen(s.color, 1.8));
        p.setBrush(Qt::NoBrush);
        p.drawPath(path);
    }
}
