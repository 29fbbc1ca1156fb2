#pragma once

#include <QFrame>

class ElidedLabel;
class QLabel;

/// One number with a caption, as on a dashboard; can be flagged as a warning. Colours follow
/// the palette (light or dark).
class StatCard final : public QFrame {
    Q_OBJECT
public:
    explicit StatCard(const QString &caption, QWidget *parent = nullptr);

    void setValue(const QString &value, const QString &detail = {});
    void setWarning(bool warning);
    bool isWarning() const { return m_warning; }
    QString value() const;
    QString detail() const;

protected:
    void changeEvent(QEvent *event) override;

private:
    void applyColors();

    QLabel *m_value;
    QLabel *m_caption;
    ElidedLabel *m_detail;
    bool m_warning = false;
};
