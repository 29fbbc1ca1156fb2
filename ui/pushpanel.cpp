#include "pushpanel.h"

#include "bodyformatter.h"

#include <QComboBox>
#include <QDateTime>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace {

constexpr int MaxHistoryRows = 500;
constexpr int HistoryPreviewChars = 80;
const char *const OkColor = "#26a269";
const char *const ErrorColor = "#c01c28";

} // namespace

PushPanel::PushPanel(EngineController *controller, QWidget *parent)
    : QWidget(parent)
    , m_controller(controller)
    , m_targetKind(new QComboBox(this))
    , m_targetName(new QComboBox(this))
    , m_format(new QComboBox(this))
    , m_editor(new QPlainTextEdit(this))
    , m_check(new QLabel(this))
    , m_pretty(new QPushButton(tr("Pretty-print JSON"), this))
    , m_send(
          new QPushButton(QIcon(QStringLiteral(":/wsgate/ui/icons/send.svg")), tr("&Send"), this))
    , m_history(new QTreeWidget(this)) {
    setObjectName(QStringLiteral("pushPanel"));
    m_targetKind->addItem(tr("Client"), int(EngineController::Target::Client));
    m_targetKind->addItem(tr("User"), int(EngineController::Target::User));
    m_targetKind->addItem(tr("Group"), int(EngineController::Target::Group));
    m_targetKind->addItem(tr("Everyone"), int(EngineController::Target::Everyone));
    m_targetName->setEditable(true);
    m_targetName->setInsertPolicy(QComboBox::NoInsert);
    m_targetName->setMinimumWidth(280);
    m_targetName->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_targetName->lineEdit()->setPlaceholderText(tr("pick or type"));

    m_format->addItem(tr("Text"), int(Format::Text));
    m_format->addItem(tr("Binary, hex"), int(Format::Hex));
    m_format->addItem(tr("Binary, base64"), int(Format::Base64));

    m_editor->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_editor->setPlaceholderText(tr("Message to push (Ctrl+Enter sends)"));
    m_editor->setTabChangesFocus(true);
    m_send->setToolTip(tr("Send (Ctrl+Enter)"));
    m_send->setDefault(true);

    m_history->setColumnCount(5);
    m_history->setHeaderLabels({tr("Time"), tr("Target"), tr("Size"), tr("Result"), tr("Message")});
    m_history->setRootIsDecorated(false);
    m_history->setAlternatingRowColors(true);
    m_history->header()->setStretchLastSection(true);
    m_history->setColumnWidth(0, 90);
    m_history->setColumnWidth(1, 170);
    m_history->setColumnWidth(2, 44);
    m_history->setColumnWidth(3, 200);

    auto *target = new QHBoxLayout;
    target->addWidget(m_targetKind);
    target->addWidget(m_targetName, 1);
    auto *formatRow = new QHBoxLayout;
    formatRow->addWidget(m_format);
    formatRow->addWidget(m_check, 1);
    formatRow->addWidget(m_pretty);
    formatRow->addWidget(m_send);

    auto *top = new QWidget(this);
    auto *form = new QFormLayout(top);
    form->setContentsMargins(0, 0, 0, 0);
    form->addRow(tr("Target"), target);
    form->addRow(tr("Payload"), formatRow);
    form->addRow(m_editor);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    auto *historyBox = new QWidget(split);
    auto *historyLayout = new QVBoxLayout(historyBox);
    historyLayout->setContentsMargins(0, 0, 0, 0);
    historyLayout->addWidget(new QLabel(tr("<b>History</b>"), historyBox));
    historyLayout->addWidget(m_history);
    split->addWidget(historyBox);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(split);

    connect(m_targetKind, &QComboBox::currentIndexChanged, this, &PushPanel::updateTargetPicker);
    connect(m_format, &QComboBox::currentIndexChanged, this, &PushPanel::checkPayload);
    connect(m_editor, &QPlainTextEdit::textChanged, this, &PushPanel::checkPayload);
    connect(m_pretty, &QPushButton::clicked, this, &PushPanel::prettyPrint);
    connect(m_send, &QPushButton::clicked, this, &PushPanel::send);
    auto *sendShortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), this);
    sendShortcut->setContext(Qt::WidgetWithChildrenShortcut);
    connect(sendShortcut, &QShortcut::activated, this, &PushPanel::send);
    auto *sendShortcut2 = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Enter), this);
    sendShortcut2->setContext(Qt::WidgetWithChildrenShortcut);
    connect(sendShortcut2, &QShortcut::activated, this, &PushPanel::send);
    updateTargetPicker();
    checkPayload();
}

void PushPanel::setTarget(EngineController::Target target, const QString &name) {
    m_targetKind->setCurrentIndex(m_targetKind->findData(int(target)));
    updateTargetPicker();
    m_targetName->setCurrentText(name);
}

void PushPanel::setPayload(const QString &text, Format format) {
    m_format->setCurrentIndex(m_format->findData(int(format)));
    m_editor->setPlainText(text);
}

void PushPanel::focusEditor() {
    m_editor->setFocus();
}

void PushPanel::setLiveLists(const QStringList &clientIds, const QStringList &users,
                             const QStringList &groups) {
    if (clientIds == m_clients && users == m_users && groups == m_groups)
        return;
    m_clients = clientIds;
    m_users = users;
    m_groups = groups;
    updateTargetPicker();
}

void PushPanel::updateTargetPicker() {
    const auto target = EngineController::Target(m_targetKind->currentData().toInt());
    const QString typed = m_targetName->currentText();
    const QStringList &items = target == EngineController::Target::Client ? m_clients
                               : target == EngineController::Target::User ? m_users
                                                                          : m_groups;
    m_targetName->blockSignals(true);
    m_targetName->clear();
    if (target != EngineController::Target::Everyone)
        m_targetName->addItems(items);
    m_targetName->setCurrentText(target == EngineController::Target::Everyone ? QString() : typed);
    m_targetName->blockSignals(false);
    m_targetName->setEnabled(target != EngineController::Target::Everyone);
}

bool PushPanel::payloadBytes(QByteArray *out, QString *error) const {
    const QString text = m_editor->toPlainText();
    switch (Format(m_format->currentData().toInt())) {
    case Format::Text:
        *out = text.toUtf8();
        return true;
    case Format::Hex:
        return BodyFormatter::parseHex(text, out, error);
    case Format::Base64:
        return BodyFormatter::parseBase64(text, out, error);
    }
    return false;
}

void PushPanel::checkPayload() {
    const auto format = Format(m_format->currentData().toInt());
    QByteArray bytes;
    QString error;
    const bool ok = payloadBytes(&bytes, &error);
    m_pretty->setEnabled(false);
    if (!ok) {
        m_check->setText(QStringLiteral("<span style='color:%1'>%2</span>")
                             .arg(QLatin1String(ErrorColor), error.toHtmlEscaped()));
        return;
    }
    if (format != Format::Text) {
        m_check->setText(tr("%n byte(s), binary frame", nullptr, int(bytes.size())));
        return;
    }
    const QByteArray trimmed = bytes.trimmed();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
        QString jsonError;
        const bool valid = !BodyFormatter::prettyJson(trimmed, &jsonError).isEmpty();
        m_pretty->setEnabled(valid);
        m_check->setText(valid ? QStringLiteral("<span style='color:%1'>✓ %2</span>")
                                     .arg(QLatin1String(OkColor),
                                          tr("valid JSON, %n byte(s)", nullptr, int(bytes.size())))
                               : QStringLiteral("<span style='color:%1'>✗ %2</span>")
                                     .arg(QLatin1String(ErrorColor),
                                          tr("JSON: %1").arg(jsonError).toHtmlEscaped()));
        return;
    }
    m_check->setText(tr("%n byte(s), text frame", nullptr, int(bytes.size())));
}

void PushPanel::prettyPrint() {
    const QString pretty = BodyFormatter::prettyJson(m_editor->toPlainText().toUtf8());
    if (!pretty.isEmpty())
        m_editor->setPlainText(pretty);
}

void PushPanel::addHistory(const QString &target, qint64 size, const QString &result, bool ok) {
    auto *item = new QTreeWidgetItem;
    item->setText(0, QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss.zzz")));
    item->setText(1, target);
    item->setText(2, QString::number(size));
    item->setText(3, result);
    item->setForeground(3, QColor(QLatin1String(ok ? OkColor : ErrorColor)));
    const QString preview = m_editor->toPlainText().simplified().left(HistoryPreviewChars);
    item->setText(4, preview);
    item->setToolTip(4, m_editor->toPlainText());
    m_history->insertTopLevelItem(0, item);
    while (m_history->topLevelItemCount() > MaxHistoryRows)
        delete m_history->takeTopLevelItem(m_history->topLevelItemCount() - 1);
}

void PushPanel::send() {
    const auto target = EngineController::Target(m_targetKind->currentData().toInt());
    const QString name = m_targetName->currentText().trimmed();
    QString targetText =
        target == EngineController::Target::Everyone
            ? tr("everyone")
            : QStringLiteral("%1 %2").arg(m_targetKind->currentText().toLower(), name);
    QByteArray bytes;
    QString error;
    if (target != EngineController::Target::Everyone && name.isEmpty())
        error = tr("pick a %1").arg(m_targetKind->currentText().toLower());
    else if (!payloadBytes(&bytes, &error))
        error = tr("payload: %1").arg(error);
    if (!error.isEmpty()) {
        addHistory(targetText, 0, error, false);
        Q_EMIT pushed(-1, error);
        return;
    }
    OutboundMessage message;
    message.payload = bytes;
    message.binary = Format(m_format->currentData().toInt()) != Format::Text;
    const qint64 size = bytes.size();
    m_controller->push(target, name, message, this,
                       [this, targetText, size](const DeliveryResult &r, const QString &error) {
                           if (!error.isEmpty()) {
                               addHistory(targetText, size, error, false);
                               Q_EMIT pushed(-1, error);
                               return;
                           }
                           QString text;
                           if (r.matched == 0)
                               text = tr("no such target (0 connections)");
                           else
                               text = tr("delivered to %1 of %2").arg(r.delivered).arg(r.matched);
                           if (r.bufferFull > 0)
                               text += tr(", %1 refused: send buffer full").arg(r.bufferFull);
                           const bool ok = r.matched > 0 && r.delivered == r.matched;
                           addHistory(targetText, size, text, ok);
                           Q_EMIT pushed(r.delivered, ok ? QString() : text);
                       });
}
