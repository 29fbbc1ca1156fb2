#include "themecolors.h"

#include <QApplication>

namespace {

struct Shades {
    QRgb light; // on a light base (GNOME palette, darker shades)
    QRgb dark;  // on a dark base (the same hues, lighter)
};

Shades shades(ThemeColors::Tone tone) {
    switch (tone) {
    case ThemeColors::Tone::Ok:
        return {0x26a269, 0x57e389};
    case ThemeColors::Tone::Error:
        return {0xc01c28, 0xff7b63};
    case ThemeColors::Tone::Warning:
        return {0xc64600, 0xffa348};
    case ThemeColors::Tone::Info:
        return {0x1a5fb4, 0x99c1f1};
    case ThemeColors::Tone::Accent:
        return {0x813d9c, 0xdc8add};
    case ThemeColors::Tone::Muted:
        break;
    }
    return {0, 0};
}

// How much of the tone a tint mixes into the base colour.
constexpr double TintWeight = 0.18;

QColor mix(const QColor &a, const QColor &b, double weightOfB) {
    return QColor::fromRgbF(float(a.redF() * (1 - weightOfB) + b.redF() * weightOfB),
                            float(a.greenF() * (1 - weightOfB) + b.greenF() * weightOfB),
                            float(a.blueF() * (1 - weightOfB) + b.blueF() * weightOfB));
}

} // namespace

bool ThemeColors::isDark(const QPalette &palette) {
    return palette.color(QPalette::Base).lightness() < 128;
}

QColor ThemeColors::color(Tone tone, const QPalette &palette) {
    if (tone == Tone::Muted) // half-way between text and background, in any theme
        return mix(palette.color(QPalette::WindowText), palette.color(QPalette::Window), 0.45);
    const Shades s = shades(tone);
    return QColor(isDark(palette) ? s.dark : s.light);
}

QColor ThemeColors::color(Tone tone) {
    return color(tone, QApplication::palette());
}

QString ThemeColors::css(Tone tone) {
    return color(tone).name(QColor::HexRgb);
}

QString ThemeColors::span(Tone tone, const QString &text) {
    return QStringLiteral("<span style='color:%1'>%2</span>").arg(css(tone), text.toHtmlEscaped());
}

QColor ThemeColors::tint(Tone tone, const QPalette &palette) {
    return mix(palette.color(QPalette::Base), color(tone, palette), TintWeight);
}
