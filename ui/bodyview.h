#pragma once

#include "bodyformatter.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QPlainTextEdit;

/// Read-only view of a message body with a Text / JSON / Hex switch (Auto by default) and a
/// size line that says when the stored body was truncated.
class BodyView final : public QWidget {
    Q_OBJECT
public:
    explicit BodyView(const QString &title, QWidget *parent = nullptr);

    void setBody(const QByteArray &bytes, bool binary, qint64 fullSize, bool truncated);
    void clear();
    /// The text as currently shown (for tests and copy).
    QString text() const;

private:
    void render();

    QLabel *m_title;
    QLabel *m_info;
    QComboBox *m_format;
    QPlainTextEdit *m_text;
    QByteArray m_bytes;
    bool m_binary = false;
};
