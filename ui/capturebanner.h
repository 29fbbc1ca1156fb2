#pragma once

#include <QFrame>

class QLabel;

/// Above the traffic table while a capture from a file is shown: which file, how many rows,
/// that it is read-only, and the way back to the live log.
class CaptureBanner final : public QFrame {
    Q_OBJECT
public:
    explicit CaptureBanner(QWidget *parent = nullptr);

    /// Shows the banner for `fileName` with `rows` rows.
    void showCapture(const QString &fileName, int rows);
    /// What it says, as plain text; empty when hidden.
    QString plainText() const;

Q_SIGNALS:
    /// Fires when the user asks for the live log again.
    void backToLiveRequested();

protected:
    void changeEvent(QEvent *event) override;

private:
    void tint();

    QLabel *m_text;
};
