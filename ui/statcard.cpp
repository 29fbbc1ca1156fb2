#include "statcard.h"

#include "elidedlabel.h"
#include "themecolors.h"

#include <QEvent>
#include <QLabel>
#include <QVBoxLayout>

namespace {

constexpr double ValueFontScale = 1.7;
constexpr double DetailFontScale = 0.85;
constexpr int MinWidthChars = 12;

} // namespace

StatCard::StatCard(const QString &caption, QWidget *parent)
    : QFrame(parent)
    , m_value(new QLabel(QStringLiteral("–"), this))
    , m_caption(new QLabel(caption, this))
    , m_detail(new ElidedLabel(this)) {
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    setBackgroundRole(QPalette::Base);
    QFont big = m_value->font();
    big.setPointSizeF(big.pointSizeF() * ValueFontScale);
    big.setBold(true);
    m_value->setFont(big);
    QFont small = m_detail->font();
    small.setPointSizeF(small.pointSizeF() * DetailFontScale);
    m_detail->setFont(small);
    // Long details elide (whole in the tooltip) rather than widen the whole card row; the
    // caption sets the card's width.
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(10, 6, 10, 6);
    layout->setSpacing(0);
    layout->addWidget(m_caption);
    layout->addWidget(m_value);
    layout->addWidget(m_detail);
    setMinimumWidth(fontMetrics().averageCharWidth() * MinWidthChars);
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    applyColors();
}

void StatCard::setValue(const QString &value, const QString &detail) {
    m_value->setText(value);
    m_detail->setFullText(detail);
}

QString StatCard::value() const {
    return m_value->text();
}

QString StatCard::detail() const {
    return m_detail->fullText();
}

void StatCard::setWarning(bool warning) {
    if (warning == m_warning)
        return;
    m_warning = warning;
    applyColors();
}

void StatCard::applyColors() {
    const QPalette base = palette();
    QPalette muted;
    muted.setColor(QPalette::WindowText, ThemeColors::color(ThemeColors::Tone::Muted, base));
    m_caption->setPalette(muted);
    m_detail->setPalette(muted);
    if (m_warning) {
        QPalette warn;
        warn.setColor(QPalette::WindowText, ThemeColors::color(ThemeColors::Tone::Error, base));
        m_value->setPalette(warn);
    } else {
        m_value->setPalette(QPalette());
    }
}

void StatCard::changeEvent(QEvent *event) {
    QFrame::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        applyColors();
}
