#pragma once

#include "observe/phpstderr.h"

#include <QWidget>

class EditorLauncher;
class QLabel;
class QTextBrowser;
class QToolButton;

/// PHP's STDERR of one exchange as its messages: each with its severity, wrapped, counted;
/// `file:line` references are links that open the developer's editor.
class StderrView final : public QWidget {
    Q_OBJECT
public:
    explicit StderrView(QWidget *parent = nullptr);

    /// `launcher` (not owned) opens the links; null: links say no editor is set.
    void setEditorLauncher(EditorLauncher *launcher);
    void setStderr(const QByteArray &stderrData);
    /// A PHP-FPM log line or any other text that is not one exchange's STDERR.
    void setPlainText(const QString &text);
    void clear();

    const QList<PhpStderr::Message> &messages() const { return m_messages; }
    /// The messages' text, one after the other (for tests and copy).
    QString plainText() const;
    QTextBrowser *browser() const { return m_browser; }
    /// Opens the `location`-th reference of message `message` as a click on its link would.
    bool openLocation(int message, int location, QString *error);

protected:
    /// Renders again when the palette changes: the severity tones follow it.
    void changeEvent(QEvent *event) override;

Q_SIGNALS:
    /// Fires when a link could not be opened; `text` says why (and how to set an editor).
    void problem(const QString &text);

private:
    void render();
    void updateEditorLine();
    void chooseEditor();

    QTextBrowser *m_browser;
    QLabel *m_editorLine;
    QToolButton *m_editorButton;
    EditorLauncher *m_launcher = nullptr;
    QList<PhpStderr::Message> m_messages;
    QString m_plain; // setPlainText()'s text, shown as is
};
