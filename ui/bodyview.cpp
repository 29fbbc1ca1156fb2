#include "bodyview.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QVBoxLayout>

BodyView::BodyView(const QString &title, QWidget *parent)
    : QWidget(parent)
    , m_title(new QLabel(QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()), this))
    , m_info(new QLabel(this))
    , m_format(new QComboBox(this))
    , m_text(new QPlainTextEdit(this)) {
    m_format->addItem(tr("Auto"), int(BodyFormatter::Format::Auto));
    m_format->addItem(tr("Text"), int(BodyFormatter::Format::Text));
    m_format->addItem(tr("JSON"), int(BodyFormatter::Format::Json));
    m_format->addItem(tr("Hex"), int(BodyFormatter::Format::Hex));
    m_format->setToolTip(tr("Show the body as text, pretty-printed JSON or a hex dump"));
    m_text->setReadOnly(true);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_info->setStyleSheet(QStringLiteral("color: #77767b;"));

    auto *header = new QHBoxLayout;
    header->addWidget(m_title);
    header->addWidget(m_info, 1);
    header->addWidget(m_format);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(header);
    layout->addWidget(m_text);

    connect(m_format, &QComboBox::currentIndexChanged, this, &BodyView::render);
}

void BodyView::setBody(const QByteArray &bytes, bool binary, qint64 fullSize, bool truncated) {
    m_bytes = bytes;
    m_binary = binary;
    QString info = tr("%n byte(s)", nullptr, int(std::min<qint64>(fullSize, INT_MAX)));
    if (binary)
        info += tr(", binary");
    if (truncated)
        info += tr(" — stored truncated to %1 bytes").arg(bytes.size());
    m_info->setText(info);
    render();
}

void BodyView::clear() {
    m_bytes.clear();
    m_info->clear();
    m_text->clear();
}

QString BodyView::text() const {
    return m_text->toPlainText();
}

void BodyView::render() {
    const auto format = BodyFormatter::Format(m_format->currentData().toInt());
    if (m_bytes.isEmpty()) {
        m_text->setPlainText(QString());
        m_text->setPlaceholderText(tr("(empty)"));
        return;
    }
    m_text->setPlainText(BodyFormatter::format(m_bytes, format, m_binary));
}
