#pragma once

#include <QFrame>

class QLabel;

/// One number with a caption, as on a dashboard; can be flagged as a warning.
class StatCard final : public QFrame {
    Q_OBJECT
public:
    explicit StatCard(const QString &caption, QWidget *parent = nullptr);

    void setValue(const QString &value, const QString &detail = {});
    void setWarning(bool warning);
    QString value() const;

private:
    QLabel *m_value;
    QLabel *m_caption;
    QLabel *m_detail;
};
