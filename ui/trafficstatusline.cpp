#include "trafficstatusline.h"

#include "themecolors.h"

#include <QTextDocumentFragment>

namespace {

const QLatin1String AllClientsLink("all-clients");

} // namespace

TrafficStatusLine::TrafficStatusLine(QWidget *parent)
    : QLabel(parent) {
    setObjectName(QStringLiteral("trafficStatusLine"));
    setWordWrap(true);
    setTextFormat(Qt::RichText);
    setVisible(false);
    connect(this, &QLabel::linkActivated, this, [this](const QString &link) {
        if (link == AllClientsLink)
            Q_EMIT allClientsRequested();
    });
}

void TrafficStatusLine::setRingNote(const QString &text) {
    if (text == m_ringNote)
        return;
    m_ringNote = text;
    update();
}

void TrafficStatusLine::setCaptureClient(const QByteArray &clientId) {
    m_client = clientId;
    update();
}

void TrafficStatusLine::setNotice(const QString &text) {
    m_notice = text;
    update();
}

QString TrafficStatusLine::plainText() const {
    return QTextDocumentFragment::fromHtml(text()).toPlainText();
}

void TrafficStatusLine::update() {
    QStringList parts;
    if (!m_ringNote.isEmpty())
        parts << ThemeColors::span(ThemeColors::Tone::Warning, m_ringNote);
    if (!m_client.isEmpty())
        parts << tr("Keeping only client <tt>%1</tt>'s rows. <a href='%2'>Keep every "
                    "client's</a>")
                     .arg(QString::fromLatin1(m_client).toHtmlEscaped(), AllClientsLink);
    if (!m_notice.isEmpty())
        parts << m_notice.toHtmlEscaped();
    setText(parts.join(QStringLiteral(" &nbsp;·&nbsp; ")));
    setVisible(!parts.isEmpty());
}
