#include "pushpanel.h"

#include "bodyformatter.h"
#include "elidedlabel.h"
#include "jsonindenter.h"
#include "theme.h"
#include "themecolors.h"

#include <QComboBox>
#include <QDateTime>
#include <QEvent>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace {

constexpr int MaxHistoryRows = 500;
constexpr int HistoryPreviewChars = 80;
constexpr int TargetNameMinChars = 12; // the picker's width does not follow its longest item
enum HistoryColumn { TimeColumn, TargetColumn, SizeColumn, ResultColumn, MessageColumn };

using Target = EngineController::Target;

QString targetText(Target target, const QString &name) {
    switch (target) {
    case Target::Client:
        return PushPanel::tr("client %1").arg(name);
    case Target::User:
        return PushPanel::tr("user %1").arg(name);
    case Target::Group:
        return PushPanel::tr("group %1").arg(name);
    case Target::Everyone:
        break;
    }
    return PushPanel::tr("everyone");
}

} // namespace

PushPanel::PushPanel(EngineController *controller, QWidget *parent)
    : QWidget(parent)
    , m_controller(controller)
    , m_targetKind(new QComboBox(this))
    , m_targetName(new QComboBox(this))
    , m_format(new QComboBox(this))
    , m_editor(new QPlainTextEdit(this))
    , m_check(new ElidedLabel(this))
    , m_pretty(new QPushButton(tr("Pretty JSON"), this))
    , m_send(new QPushButton(tr("&Send"), this))
    , m_resend(new QPushButton(tr("Send again"), this))
    , m_history(new QTreeWidget(this)) {
    setObjectName(QStringLiteral("pushPanel"));
    Theme::setIcon(m_send, QStringLiteral("send"));
    m_targetKind->addItem(tr("Client"), int(Target::Client));
    m_targetKind->addItem(tr("User"), int(Target::User));
    m_targetKind->addItem(tr("Group"), int(Target::Group));
    m_targetKind->addItem(tr("Everyone"), int(Target::Everyone));
    m_targetName->setEditable(true);
    m_targetName->setInsertPolicy(QComboBox::NoInsert);
    m_targetName->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_targetName->setMinimumContentsLength(TargetNameMinChars);
    m_targetName->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    m_targetName->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_targetName->lineEdit()->setPlaceholderText(tr("pick or type"));
    m_targetName->setObjectName(QStringLiteral("pushTargetName"));

    m_format->addItem(tr("Text"), int(Format::Text));
    m_format->addItem(tr("Binary, hex"), int(Format::Hex));
    m_format->addItem(tr("Binary, base64"), int(Format::Base64));

    m_editor->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_editor->setPlaceholderText(tr("Message to push (Ctrl+Enter sends)"));
    m_editor->setTabChangesFocus(true);
    m_editor->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_editor->setWordWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    m_pretty->setToolTip(tr("Indent the JSON; keys keep the order they were typed in"));
    m_check->setObjectName(QStringLiteral("pushCheck"));
    m_send->setToolTip(tr("Send (Ctrl+Enter)"));
    m_send->setDefault(true);
    m_resend->setToolTip(tr("Send the selected history entry again, to the same target "
                            "(or double-click it)"));
    m_resend->setObjectName(QStringLiteral("pushResend"));

    m_history->setColumnCount(5);
    m_history->setHeaderLabels({tr("Time"), tr("Target"), tr("Size"), tr("Result"), tr("Message")});
    m_history->setRootIsDecorated(false);
    m_history->setAlternatingRowColors(true);
    m_history->setUniformRowHeights(true);
    m_history->setTextElideMode(Qt::ElideRight);
    m_history->setContextMenuPolicy(Qt::CustomContextMenu);
    m_history->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Expanding);
    m_history->header()->setStretchLastSection(true);
    const QFontMetrics fm(m_history->font());
    m_history->setColumnWidth(TimeColumn,
                              fm.horizontalAdvance(QStringLiteral("00:00:00.000")) + 12);
    m_history->setColumnWidth(TargetColumn, fm.averageCharWidth() * 18);
    m_history->setColumnWidth(SizeColumn, fm.horizontalAdvance(QStringLiteral("99999")) + 12);
    m_history->setColumnWidth(ResultColumn, fm.averageCharWidth() * 22);

    auto *target = new QHBoxLayout;
    target->addWidget(m_targetKind);
    target->addWidget(m_targetName, 1);
    auto *formatRow = new QHBoxLayout;
    formatRow->addWidget(m_format);
    formatRow->addWidget(m_check, 1);
    auto *buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(m_pretty);
    buttons->addWidget(m_send);

    auto *top = new QWidget(this);
    auto *form = new QFormLayout(top);
    form->setContentsMargins(0, 0, 0, 0);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("Target"), target);
    form->addRow(tr("Payload"), formatRow);
    form->addRow(m_editor);
    form->addRow(buttons);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    auto *historyBox = new QWidget(split);
    auto *historyLayout = new QVBoxLayout(historyBox);
    historyLayout->setContentsMargins(0, 0, 0, 0);
    auto *historyBar = new QHBoxLayout;
    historyBar->addWidget(new QLabel(tr("<b>History</b>"), historyBox), 1);
    historyBar->addWidget(m_resend);
    historyLayout->addLayout(historyBar);
    historyLayout->addWidget(m_history);
    split->addWidget(historyBox);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(split);
    // Typed JSON, long ids or error texts never widen the dock: it keeps the width it was given.
    setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);

    connect(m_targetKind, &QComboBox::currentIndexChanged, this, &PushPanel::onKindChanged);
    connect(m_format, &QComboBox::currentIndexChanged, this, &PushPanel::checkPayload);
    connect(m_editor, &QPlainTextEdit::textChanged, this, &PushPanel::checkPayload);
    connect(m_pretty, &QPushButton::clicked, this, &PushPanel::prettyPrint);
    connect(m_send, &QPushButton::clicked, this, &PushPanel::send);
    connect(m_resend, &QPushButton::clicked, this, [this] {
        if (QTreeWidgetItem *item = m_history->currentItem())
            resend(m_history->indexOfTopLevelItem(item));
    });
    connect(m_history, &QTreeWidget::itemDoubleClicked, this,
            [this](QTreeWidgetItem *item) { resend(m_history->indexOfTopLevelItem(item)); });
    connect(m_history, &QTreeWidget::currentItemChanged, this, &PushPanel::updateHistoryActions);
    connect(m_history, &QTreeWidget::customContextMenuRequested, this, &PushPanel::showHistoryMenu);
    for (const QKeySequence &key :
         {QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)}) {
        auto *shortcut = new QShortcut(key, this);
        shortcut->setContext(Qt::WidgetWithChildrenShortcut);
        connect(shortcut, &QShortcut::activated, this, &PushPanel::send);
    }
    m_kind = m_targetKind->currentData().toInt();
    fillTargetPicker({});
    checkPayload();
    updateHistoryActions();
}

void PushPanel::setTarget(Target target, const QString &name) {
    m_targetKind->setCurrentIndex(m_targetKind->findData(int(target)));
    if (target != Target::Everyone)
        m_targetName->setCurrentText(name);
}

Target PushPanel::target() const {
    return Target(m_targetKind->currentData().toInt());
}

QString PushPanel::targetName() const {
    return target() == Target::Everyone ? QString() : m_targetName->currentText().trimmed();
}

void PushPanel::setPayload(const QString &text, Format format) {
    m_format->setCurrentIndex(m_format->findData(int(format)));
    m_editor->setPlainText(text);
}

QString PushPanel::payloadText() const {
    return m_editor->toPlainText();
}

QString PushPanel::checkText() const {
    return m_check->fullText();
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
    fillTargetPicker(m_targetName->currentText());
}

void PushPanel::onKindChanged() {
    // A client id is no group name: the name typed for one kind never carries over to
    // another. Each kind gets back the name it had, if still live, else its first live one.
    const QString typed = m_targetName->currentText().trimmed();
    if (!typed.isEmpty())
        m_lastName.insert(m_kind, typed);
    m_kind = m_targetKind->currentData().toInt();
    const auto kind = Target(m_kind);
    const QStringList &items = kind == Target::Client ? m_clients
                               : kind == Target::User ? m_users
                                                      : m_groups;
    QString name = m_lastName.value(m_kind);
    if (kind == Target::Client && !name.isEmpty() && !items.contains(name))
        name.clear(); // a client that has gone is no target any more
    if (name.isEmpty() && !items.isEmpty())
        name = items.first();
    fillTargetPicker(kind == Target::Everyone ? QString() : name);
}

void PushPanel::fillTargetPicker(const QString &keep) {
    const auto kind = Target(m_kind);
    const QStringList &items = kind == Target::Client ? m_clients
                               : kind == Target::User ? m_users
                                                      : m_groups;
    m_targetName->blockSignals(true);
    m_targetName->clear();
    if (kind != Target::Everyone)
        m_targetName->addItems(items);
    m_targetName->setCurrentText(kind == Target::Everyone ? QString() : keep);
    m_targetName->blockSignals(false);
    m_targetName->setEnabled(kind != Target::Everyone);
    m_targetName->lineEdit()->setPlaceholderText(kind == Target::Everyone ? tr("every client")
                                                 : kind == Target::Client ? tr("pick a client id")
                                                 : kind == Target::User   ? tr("pick a user")
                                                                          : tr("pick a group"));
}

bool PushPanel::payloadBytes(const QString &text, Format format, QByteArray *out, QString *error) {
    switch (format) {
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
    const bool ok = payloadBytes(m_editor->toPlainText(), format, &bytes, &error);
    m_pretty->setEnabled(false);
    if (!ok) {
        m_check->setFullText(error);
        m_check->setTextColor(ThemeColors::color(ThemeColors::Tone::Error, palette()));
        return;
    }
    m_check->setTextColor({});
    if (format != Format::Text) {
        m_check->setFullText(tr("%n byte(s), binary frame", nullptr, int(bytes.size())));
        return;
    }
    const QByteArray trimmed = bytes.trimmed();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
        QString jsonError;
        const bool valid = !JsonIndenter::compact(trimmed, &jsonError).isEmpty();
        m_pretty->setEnabled(valid);
        m_check->setFullText(valid ? tr("✓ valid JSON, %n byte(s)", nullptr, int(bytes.size()))
                                   : tr("✗ JSON: %1").arg(jsonError));
        m_check->setTextColor(ThemeColors::color(
            valid ? ThemeColors::Tone::Ok : ThemeColors::Tone::Error, palette()));
        return;
    }
    m_check->setFullText(tr("%n byte(s), text frame", nullptr, int(bytes.size())));
}

void PushPanel::prettyPrint() {
    const QString pretty = JsonIndenter::indent(m_editor->toPlainText().trimmed().toUtf8());
    if (!pretty.isEmpty())
        m_editor->setPlainText(pretty);
}

QTreeWidgetItem *PushPanel::addHistory(Target target, const QString &name, const QString &text,
                                       Format format, const QString &result, bool ok) {
    auto *item = new QTreeWidgetItem;
    item->setText(TimeColumn,
                  QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss.zzz")));
    item->setText(TargetColumn, targetText(target, name));
    QByteArray bytes;
    QString ignored;
    item->setText(SizeColumn, payloadBytes(text, format, &bytes, &ignored)
                                  ? QString::number(bytes.size())
                                  : QStringLiteral("–"));
    item->setText(ResultColumn, result);
    item->setToolTip(ResultColumn, result);
    item->setForeground(
        ResultColumn,
        ThemeColors::color(ok ? ThemeColors::Tone::Ok : ThemeColors::Tone::Error, palette()));
    item->setData(ResultColumn, Qt::UserRole, ok);
    item->setText(MessageColumn, text.simplified().left(HistoryPreviewChars));
    item->setToolTip(MessageColumn, text.left(4000));
    item->setData(TimeColumn, TargetRole, int(target));
    item->setData(TimeColumn, NameRole, name);
    item->setData(TimeColumn, PayloadRole, text);
    item->setData(TimeColumn, FormatRole, int(format));
    m_history->insertTopLevelItem(0, item);
    while (m_history->topLevelItemCount() > MaxHistoryRows)
        delete m_history->takeTopLevelItem(m_history->topLevelItemCount() - 1);
    updateHistoryActions();
    return item;
}

void PushPanel::send() {
    sendMessage(target(), targetName(), m_editor->toPlainText(),
                Format(m_format->currentData().toInt()));
}

bool PushPanel::resend(int row) {
    QTreeWidgetItem *item = m_history->topLevelItem(row);
    if (!item)
        return false;
    sendMessage(Target(item->data(TimeColumn, TargetRole).toInt()),
                item->data(TimeColumn, NameRole).toString(),
                item->data(TimeColumn, PayloadRole).toString(),
                Format(item->data(TimeColumn, FormatRole).toInt()));
    return true;
}

bool PushPanel::edit(int row) {
    QTreeWidgetItem *item = m_history->topLevelItem(row);
    if (!item)
        return false;
    setTarget(Target(item->data(TimeColumn, TargetRole).toInt()),
              item->data(TimeColumn, NameRole).toString());
    setPayload(item->data(TimeColumn, PayloadRole).toString(),
               Format(item->data(TimeColumn, FormatRole).toInt()));
    focusEditor();
    return true;
}

void PushPanel::sendMessage(Target target, const QString &name, const QString &text,
                            Format format) {
    QByteArray bytes;
    QString error;
    if (target != Target::Everyone && name.isEmpty())
        error = target == Target::Client ? tr("pick a client")
                : target == Target::User ? tr("pick a user")
                                         : tr("pick a group");
    else if (!payloadBytes(text, format, &bytes, &error))
        error = tr("payload: %1").arg(error);
    if (!error.isEmpty()) {
        addHistory(target, name, text, format, error, false);
        Q_EMIT pushed(-1, error);
        return;
    }
    OutboundMessage message;
    message.payload = bytes;
    message.binary = format != Format::Text;
    m_controller->push(
        target, name, message, this,
        [this, target, name, text, format](const DeliveryResult &r, const QString &error) {
            if (!error.isEmpty()) {
                addHistory(target, name, text, format, error, false);
                Q_EMIT pushed(-1, error);
                return;
            }
            QString result;
            if (r.matched == 0 && r.nodes == 0)
                result = tr("no such target (0 connections)");
            else
                result = tr("delivered to %1 of %2").arg(r.delivered).arg(r.matched);
            if (r.bufferFull > 0)
                result += tr(", %1 refused: send buffer full").arg(r.bufferFull);
            if (r.nodes > 0)
                result += tr(", handed to %n other node(s)", nullptr, r.nodes);
            const bool ok = (r.matched > 0 || r.nodes > 0) && r.delivered == r.matched;
            addHistory(target, name, text, format, result, ok);
            Q_EMIT pushed(r.delivered, ok ? QString() : result);
        });
}

void PushPanel::showHistoryMenu(const QPoint &pos) {
    QTreeWidgetItem *item = m_history->itemAt(pos);
    if (!item)
        return;
    m_history->setCurrentItem(item);
    const int row = m_history->indexOfTopLevelItem(item);
    QMenu menu(this);
    menu.addAction(m_send->icon(), tr("Send again"), this, [this, row] { resend(row); });
    menu.addAction(tr("Edit in the editor"), this, [this, row] { edit(row); });
    menu.exec(m_history->viewport()->mapToGlobal(pos));
}

void PushPanel::updateHistoryActions() {
    m_resend->setEnabled(m_history->currentItem() != nullptr);
}

void PushPanel::changeEvent(QEvent *event) {
    QWidget::changeEvent(event);
    if (event->type() != QEvent::PaletteChange)
        return;
    checkPayload(); // its colour follows the theme
    for (int i = 0; i < m_history->topLevelItemCount(); ++i) {
        QTreeWidgetItem *item = m_history->topLevelItem(i);
        item->setForeground(ResultColumn,
                            ThemeColors::color(item->data(ResultColumn, Qt::UserRole).toBool()
                                                   ? ThemeColors::Tone::Ok
                                                   : ThemeColors::Tone::Error,
                                               palette()));
    }
}
