#include "steadylabel.h"

void SteadyLabel::setSteadyText(const QString &text) {
    if (text == this->text())
        return;
    setText(text);
    const QSize needed = sizeHint();
    const bool fixed = minimumSize() == maximumSize();
    if (!fixed || needed.width() > width() || needed.height() > height())
        setFixedSize(fixed ? needed.expandedTo(size()) : needed);
}

void SteadyLabel::resetSize() {
    setMinimumSize(0, 0);
    setMaximumSize(QWIDGETSIZE_MAX, QWIDGETSIZE_MAX);
}
