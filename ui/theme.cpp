#include "theme.h"

#include "themecolors.h"

#include <QAbstractButton>
#include <QAction>
#include <QApplication>
#include <QBuffer>
#include <QFile>
#include <QImage>
#include <QImageReader>
#include <QPalette>
#include <QPixmap>
#include <QStyle>
#include <QStyleFactory>

namespace {

const char *const IconProperty = "wsgateIcon";
constexpr int IconSizes[] = {16, 22, 24, 32, 48};
// The icons' own ink and paper, replaced on a dark palette.
const QByteArray IconInk = QByteArrayLiteral("#3d3846");
const QByteArray IconPaper = QByteArrayLiteral("#ffffff");

struct Original {
    bool saved = false;
    QString styleName;
    QPalette palette;
};

Original &original() {
    static Original o; // the style and palette the application started with, once
    return o;
}

bool &darkState() {
    static bool dark = false;
    return dark;
}

QPalette darkPalette() {
    QPalette p;
    const QColor window(0x24, 0x24, 0x24);
    const QColor base(0x1e, 0x1e, 0x1e);
    const QColor alternate(0x2a, 0x2a, 0x2a);
    const QColor text(0xde, 0xdd, 0xda);
    const QColor button(0x30, 0x30, 0x30);
    const QColor highlight(0x35, 0x84, 0xe4);
    const QColor disabledText(0x7f, 0x7f, 0x7f);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, alternate);
    p.setColor(QPalette::ToolTipBase, window);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, disabledText);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, button);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, QColor(0xff, 0x7b, 0x63));
    p.setColor(QPalette::Light, QColor(0x45, 0x45, 0x45));
    p.setColor(QPalette::Midlight, QColor(0x3a, 0x3a, 0x3a));
    p.setColor(QPalette::Mid, QColor(0x2c, 0x2c, 0x2c));
    p.setColor(QPalette::Dark, QColor(0x18, 0x18, 0x18));
    p.setColor(QPalette::Shadow, QColor(0x0c, 0x0c, 0x0c));
    p.setColor(QPalette::Highlight, highlight);
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x99, 0xc1, 0xf1));
    p.setColor(QPalette::LinkVisited, QColor(0xdc, 0x8a, 0xdd));
    for (QPalette::ColorRole role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, disabledText);
    p.setColor(QPalette::Disabled, QPalette::Base, window);
    p.setColor(QPalette::Disabled, QPalette::Highlight, QColor(0x50, 0x50, 0x50));
    return p;
}

} // namespace

void Theme::apply(bool dark) {
    Original &o = original();
    if (!o.saved) {
        o.saved = true;
        o.styleName = QApplication::style() ? QApplication::style()->name() : QString();
        o.palette = QApplication::palette();
    }
    darkState() = dark;
    if (dark) {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QApplication::setPalette(darkPalette());
    } else {
        if (!o.styleName.isEmpty())
            QApplication::setStyle(QStyleFactory::create(o.styleName));
        QApplication::setPalette(o.palette);
    }
}

bool Theme::isDark() {
    return darkState();
}

QIcon Theme::icon(const QString &name) {
    const QString path = QStringLiteral(":/wsgate/ui/icons/%1.svg").arg(name);
    const QPalette palette = QApplication::palette();
    if (!ThemeColors::isDark(palette))
        return QIcon(path);
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return QIcon(path);
    QByteArray svg = file.readAll();
    if (!svg.contains(IconInk))
        return QIcon(path); // a picture (the logo), not a glyph drawn in ink: same on any theme
    svg.replace(IconInk, palette.color(QPalette::WindowText).name().toLatin1());
    svg.replace(IconPaper, palette.color(QPalette::Base).name().toLatin1());
    // Through the SVG image plugin (as QIcon itself draws them): no QtSvg API needed.
    QIcon out;
    const qreal dpr = qApp->devicePixelRatio();
    for (int size : IconSizes) {
        QBuffer buffer(&svg);
        buffer.open(QIODevice::ReadOnly);
        QImageReader reader(&buffer, "svg");
        reader.setScaledSize(QSize(size, size) * dpr);
        QImage image = reader.read();
        if (image.isNull())
            return QIcon(path);
        image.setDevicePixelRatio(dpr);
        out.addPixmap(QPixmap::fromImage(image));
    }
    return out;
}

void Theme::setIcon(QObject *target, const QString &name) {
    target->setProperty(IconProperty, name);
    if (auto *action = qobject_cast<QAction *>(target))
        action->setIcon(icon(name));
    else if (auto *button = qobject_cast<QAbstractButton *>(target))
        button->setIcon(icon(name));
}

void Theme::refreshIcons(QObject *root) {
    QList<QObject *> targets = root->findChildren<QObject *>();
    targets.prepend(root);
    for (QObject *o : std::as_const(targets)) {
        const QString name = o->property(IconProperty).toString();
        if (!name.isEmpty())
            setIcon(o, name);
    }
}
