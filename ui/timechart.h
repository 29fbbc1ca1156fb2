#pragma once

#include <QColor>
#include <QPointF>
#include <QString>
#include <QVector>
#include <QWidget>

/// A small line chart over time drawn with QPainter: several named series, x = ms since the
/// epoch, y from 0 to a rounded maximum, the last value of each series in the legend.
class TimeChart final : public QWidget {
    Q_OBJECT
public:
    explicit TimeChart(const QString &title, QWidget *parent = nullptr);

    /// Adds a series and returns its index.
    int addSeries(const QString &name, const QColor &color);
    /// Recolours a series (the theme changed).
    void setSeriesColor(int series, const QColor &color);
    /// Replaces the points of a series (x ascending).
    void setPoints(int series, const QVector<QPointF> &points);
    /// Appends one point, keeping at most `maxPoints`.
    void appendPoint(int series, const QPointF &point, int maxPoints);
    /// Time span shown, ending at the newest point.
    void setWindowMs(qint64 ms) {
        m_windowMs = ms;
        update();
    }
    int seriesCount() const { return int(m_series.size()); }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    struct Series {
        QString name;
        QColor color;
        QVector<QPointF> points;
    };

    QString m_title;
    QVector<Series> m_series;
    qint64 m_windowMs = 5 * 60 * 1000;
};
