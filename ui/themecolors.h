#pragma once

#include <QColor>
#include <QPalette>
#include <QString>

/// The console's status colours (ok, error, warning, info, muted), chosen for the palette in
/// use: the darker shade on a light base, the lighter one on a dark base, so text stays legible
/// in both themes. Nothing else in the console hard-codes a colour.
class ThemeColors final {
public:
    enum class Tone { Ok, Error, Warning, Info, Muted, Accent };

    /// The tone's colour for `palette` (default: the application's).
    static QColor color(Tone tone, const QPalette &palette);
    static QColor color(Tone tone);
    /// "#rrggbb" of color(tone), for rich text.
    static QString css(Tone tone);
    /// `text` HTML-escaped in a span of that colour.
    static QString span(Tone tone, const QString &text);
    /// A background that marks a warning or an error while keeping the palette's text legible.
    static QColor tint(Tone tone, const QPalette &palette);
    static bool isDark(const QPalette &palette);
};
