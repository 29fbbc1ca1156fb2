#include "stderrview.h"

#include "editorlauncher.h"
#include "themecolors.h"

#include <QEvent>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QTextBrowser>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

namespace {

const QLatin1String LinkScheme("wsgate-edit");

ThemeColors::Tone toneOf(PhpStderr::Severity s) {
    switch (s) {
    case PhpStderr::Severity::Error:
        return ThemeColors::Tone::Error;
    case PhpStderr::Severity::Warning:
        return ThemeColors::Tone::Warning;
    case PhpStderr::Severity::Notice:
    case PhpStderr::Severity::Deprecated:
        return ThemeColors::Tone::Info;
    case PhpStderr::Severity::Log:
    case PhpStderr::Severity::None:
        break;
    }
    return ThemeColors::Tone::Muted;
}

/// The message's text as HTML, its file:line references as links to message/location.
QString linkedHtml(const PhpStderr::Message &m, int index) {
    QString html;
    qsizetype at = 0;
    for (int i = 0; i < m.locations.size(); ++i) {
        const PhpStderr::Location &l = m.locations.at(i);
        html += m.text.mid(at, l.start - at).toHtmlEscaped();
        html += QStringLiteral("<a href='%1:%2/%3'>%4</a>")
                    .arg(LinkScheme)
                    .arg(index)
                    .arg(i)
                    .arg(m.text.mid(l.start, l.length).toHtmlEscaped());
        at = l.start + l.length;
    }
    html += m.text.mid(at).toHtmlEscaped();
    return html;
}

} // namespace

StderrView::StderrView(QWidget *parent)
    : QWidget(parent)
    , m_browser(new QTextBrowser(this))
    , m_editorLine(new QLabel(this))
    , m_editorButton(new QToolButton(this)) {
    m_browser->setObjectName(QStringLiteral("stderrBrowser"));
    m_browser->setOpenLinks(false);
    m_browser->setLineWrapMode(QTextEdit::WidgetWidth);
    m_browser->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_browser->setPlaceholderText(tr("PHP wrote nothing to STDERR"));
    connect(m_browser, &QTextBrowser::anchorClicked, this, [this](const QUrl &url) {
        if (url.scheme() != LinkScheme)
            return;
        const QStringList parts = url.path().split(QLatin1Char('/'));
        QString error;
        if (parts.size() == 2 && !openLocation(parts.at(0).toInt(), parts.at(1).toInt(), &error))
            Q_EMIT problem(error);
    });

    m_editorLine->setObjectName(QStringLiteral("stderrEditorLine"));
    m_editorLine->setTextFormat(Qt::RichText);
    m_editorLine->setWordWrap(true);
    m_editorButton->setObjectName(QStringLiteral("stderrEditorButton"));
    m_editorButton->setText(tr("Editor…"));
    m_editorButton->setToolTip(tr("The command that opens file:line links, e.g. code -g %f:%l"));
    connect(m_editorButton, &QToolButton::clicked, this, &StderrView::chooseEditor);

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(0, 0, 0, 0);
    bar->addWidget(m_editorLine, 1);
    bar->addWidget(m_editorButton);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_browser, 1);
    layout->addLayout(bar);
    updateEditorLine();
}

void StderrView::setEditorLauncher(EditorLauncher *launcher) {
    m_launcher = launcher;
    updateEditorLine();
}

void StderrView::setStderr(const QByteArray &data) {
    m_plain.clear();
    m_messages = PhpStderr::split(data);
    render();
}

void StderrView::setPlainText(const QString &text) {
    m_messages.clear();
    m_plain = text;
    render();
}

void StderrView::clear() {
    m_messages.clear();
    m_plain.clear();
    m_browser->clear();
}

QString StderrView::plainText() const {
    if (!m_plain.isEmpty())
        return m_plain;
    QStringList texts;
    for (const PhpStderr::Message &m : m_messages)
        texts << m.text;
    return texts.join(QLatin1Char('\n'));
}

void StderrView::changeEvent(QEvent *event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange && !m_messages.isEmpty())
        render();
}

void StderrView::render() {
    if (!m_plain.isEmpty()) {
        m_browser->setPlainText(m_plain);
        return;
    }
    if (m_messages.isEmpty()) {
        m_browser->clear();
        return;
    }
    // One row per message: the severity in its tone, the text wrapped (stack traces keep their
    // lines), errors and warnings on a tint so they stand out in a long list of log lines.
    QString html = QStringLiteral("<table width='100%' cellspacing='0' cellpadding='4'>");
    for (int i = 0; i < m_messages.size(); ++i) {
        const PhpStderr::Message &m = m_messages.at(i);
        const ThemeColors::Tone tone = toneOf(m.severity);
        const bool loud = m.severity >= PhpStderr::Severity::Warning;
        const QString background =
            loud ? QStringLiteral(" bgcolor='%1'")
                       .arg(ThemeColors::tint(tone, palette()).name(QColor::HexRgb))
                 : QString();
        html += QStringLiteral("<tr%1><td valign='top' style='color:%2; font-weight:bold; "
                               "white-space:nowrap'>%3</td><td style='white-space:pre-wrap'>%4"
                               "</td></tr>")
                    .arg(background, ThemeColors::css(tone),
                         PhpStderr::severityName(m.severity).toUpper(), linkedHtml(m, i));
    }
    html += QStringLiteral("</table>");
    m_browser->setHtml(html);
}

bool StderrView::openLocation(int message, int location, QString *error) {
    if (message < 0 || message >= m_messages.size() || location < 0 ||
        location >= m_messages.at(message).locations.size()) {
        *error = tr("no such reference");
        return false;
    }
    if (!m_launcher) {
        *error = tr("no editor is configured");
        return false;
    }
    const PhpStderr::Location &l = m_messages.at(message).locations.at(location);
    return m_launcher->open(l.file, l.line, error);
}

void StderrView::updateEditorLine() {
    const QString command = m_launcher ? m_launcher->command() : QString();
    m_editorLine->setText(
        command.isEmpty()
            ? tr("file:line links need an editor command: choose <b>Editor…</b> (e.g. "
                 "<tt>code -g %f:%l</tt> or <tt>phpstorm --line %l %f</tt>).")
            : tr("file:line links open with <tt>%1</tt>").arg(command.toHtmlEscaped()));
    m_editorButton->setEnabled(m_launcher != nullptr);
}

void StderrView::chooseEditor() {
    if (!m_launcher)
        return;
    bool ok = false;
    const QString command = QInputDialog::getText(
        this, tr("Editor command"),
        tr("Command that opens a file at a line; %f is the file, %l the line.\n"
           "Examples: code -g %f:%l · phpstorm --line %l %f · subl %f:%l · "
           "emacsclient -n +%l %f\nEmpty: the default (VS Code when code is installed)."),
        QLineEdit::Normal, m_launcher->command(), &ok);
    if (!ok)
        return;
    m_launcher->setCommand(command);
    updateEditorLine();
}
