#pragma once

#include <QIcon>
#include <QString>

class QObject;

/// The console's light (the platform's own) and dark (Fusion with a dark palette) themes, and
/// its icons drawn for the palette in use: actions and buttons made with icon() are redrawn by
/// refreshIcons() when the theme changes.
class Theme final {
public:
    /// Switches the application to the dark theme, or back to the style and palette it
    /// started with.
    static void apply(bool dark);
    static bool isDark();
    /// ":/wsgate/ui/icons/<name>.svg" with its dark strokes and white fills recoloured for the
    /// palette in use.
    static QIcon icon(const QString &name);
    /// Sets `target`'s (a QAction or QAbstractButton) icon to icon(name) and remembers the
    /// name for refreshIcons().
    static void setIcon(QObject *target, const QString &name);
    /// Redraws the icons set with setIcon() under `root` (and root itself).
    static void refreshIcons(QObject *root);
};
