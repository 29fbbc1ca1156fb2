#include "statcard.h"

#include <QLabel>
#include <QVBoxLayout>

namespace {

constexpr double ValueFontScale = 1.7;

} // namespace

StatCard::StatCard(const QString &caption, QWidget *parent)
    : QFrame(parent)
    , m_value(new QLabel(QStringLiteral("–"), this))
    , m_caption(new QLabel(caption, this))
    , m_detail(new QLabel(this)) {
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    setBackgroundRole(QPalette::Base);
    QFont big = m_value->font();
    big.setPointSizeF(big.pointSizeF() * ValueFontScale);
    big.setBold(true);
    m_value->setFont(big);
    m_caption->setStyleSheet(QStringLiteral("color: #77767b;"));
    m_detail->setStyleSheet(QStringLiteral("color: #77767b; font-size: small;"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(10, 6, 10, 6);
    layout->setSpacing(0);
    layout->addWidget(m_caption);
    layout->addWidget(m_value);
    layout->addWidget(m_detail);
    setMinimumWidth(110);
}

void StatCard::setValue(const QString &value, const QString &detail) {
    m_value->setText(value);
    m_detail->setText(detail);
}

QString StatCard::value() const {
    return m_value->text();
}

void StatCard::setWarning(bool warning) {
    m_value->setStyleSheet(warning ? QStringLiteral("color: #c01c28;") : QString());
}
