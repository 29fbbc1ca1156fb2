#include "capturebanner.h"

#include "themecolors.h"

#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QTextDocumentFragment>

CaptureBanner::CaptureBanner(QWidget *parent)
    : QFrame(parent)
    , m_text(new QLabel(this)) {
    setObjectName(QStringLiteral("trafficCaptureBanner"));
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    m_text->setWordWrap(true);
    auto *back = new QPushButton(tr("Back to the live log"), this);
    back->setObjectName(QStringLiteral("trafficBackToLive"));
    connect(back, &QPushButton::clicked, this, &CaptureBanner::backToLiveRequested);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 8, 4);
    layout->addWidget(m_text, 1);
    layout->addWidget(back);
    setVisible(false);
}

void CaptureBanner::showCapture(const QString &fileName, int rows) {
    m_text->setText(tr("<b>Capture from %1</b> — %2, read-only: replay is off. The live log goes "
                       "on behind it.")
                        .arg(QFileInfo(fileName).fileName().toHtmlEscaped(),
                             rows == 1 ? tr("1 row") : tr("%1 rows").arg(rows)));
    m_text->setToolTip(QDir::toNativeSeparators(fileName));
    tint();
    setVisible(true);
}

QString CaptureBanner::plainText() const {
    return isHidden() ? QString() : QTextDocumentFragment::fromHtml(m_text->text()).toPlainText();
}

void CaptureBanner::changeEvent(QEvent *event) {
    QFrame::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        tint();
}

void CaptureBanner::tint() {
    // The window's palette with an info tint for the background: legible in either theme.
    QPalette p = parentWidget() ? parentWidget()->palette() : palette();
    const QColor background = ThemeColors::tint(ThemeColors::Tone::Info, p);
    if (palette().color(QPalette::Window) == background)
        return; // setPalette below comes back here as a PaletteChange
    p.setColor(QPalette::Window, background);
    setPalette(p);
}
