#pragma once

#include <QLabel>

/// A label for text that changes every tick (counts, rates). It keeps a fixed size that only
/// grows, so a new value repaints the label alone. A label whose size may follow its text
/// invalidates its parent's layout on every setText(), and that relayout repainted the whole
/// window four times a second under traffic.
class SteadyLabel final : public QLabel {
    Q_OBJECT
public:
    using QLabel::QLabel;

    /// Sets the text; grows the fixed size when the text needs more room.
    void setSteadyText(const QString &text);
    /// Lets the label shrink back to its text (e.g. when the gateway stops).
    void resetSize();
};
