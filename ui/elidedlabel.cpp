#include "elidedlabel.h"

#include <QResizeEvent>

namespace {

// Characters a label asks room for at most; beyond that it elides.
constexpr int PreferredChars = 24;

} // namespace

ElidedLabel::ElidedLabel(QWidget *parent)
    : QLabel(parent) {
    setTextFormat(Qt::PlainText);
    setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
}

void ElidedLabel::setFullText(const QString &text) {
    if (text == m_full)
        return;
    m_full = text;
    setToolTip(text);
    updateShown();
}

void ElidedLabel::setTextColor(const QColor &color) {
    if (!color.isValid()) {
        setPalette(QPalette()); // nothing resolved: the parent's palette again
        return;
    }
    QPalette p;
    p.setColor(QPalette::WindowText, color); // only this role resolved; the rest inherited
    setPalette(p);
}

QSize ElidedLabel::sizeHint() const {
    const QFontMetrics fm(font());
    return {fm.averageCharWidth() * PreferredChars, fm.height()};
}

QSize ElidedLabel::minimumSizeHint() const {
    return {0, QFontMetrics(font()).height()};
}

void ElidedLabel::resizeEvent(QResizeEvent *event) {
    QLabel::resizeEvent(event);
    updateShown();
}

void ElidedLabel::updateShown() {
    QString line = m_full;
    line.replace(QLatin1Char('\n'), QLatin1Char(' '));
    QLabel::setText(fontMetrics().elidedText(line, Qt::ElideRight, std::max(0, width())));
}
