#pragma once

#include <QLabel>

/// A one-line plain-text label that never asks for more width than it has: long text is cut
/// with "…" (the whole of it in the tooltip), so a dock or a form keeps its width however long
/// the message.
class ElidedLabel final : public QLabel {
    Q_OBJECT
public:
    explicit ElidedLabel(QWidget *parent = nullptr);

    /// The whole text; what is shown is elided to the width.
    void setFullText(const QString &text);
    QString fullText() const { return m_full; }
    /// The text's colour, or an invalid colour for the palette's.
    void setTextColor(const QColor &color);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    void updateShown();

    QString m_full;
};
