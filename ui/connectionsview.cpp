#include "connectionsview.h"

#include "connectionsmodel.h"
#include "plaintextdelegate.h"
#include "steadylabel.h"
#include "theme.h"
#include "themecolors.h"

#include "http/pushapi.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace {

constexpr int DefaultCloseCode = 1000;
constexpr int MinCloseCode = 1000;
constexpr int MaxCloseCode = 4999;
constexpr int MaxCloseReasonBytes = 123; // a close frame's payload is at most 125 bytes

QToolButton *makeButton(QWidget *parent, const QString &icon, const QString &text,
                        const QString &tip) {
    auto *b = new QToolButton(parent);
    Theme::setIcon(b, icon);
    b->setText(text);
    b->setToolTip(tip);
    b->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    b->setObjectName(QStringLiteral("connections_%1").arg(icon)); // for tests and scripting
    return b;
}

} // namespace

ConnectionsView::ConnectionsView(QWidget *parent)
    : QWidget(parent)
    , m_model(new ConnectionsModel(this))
    , m_proxy(new QSortFilterProxyModel(this))
    , m_filter(new QLineEdit(this))
    , m_count(new SteadyLabel(this))
    , m_table(new QTableView(this))
    , m_push(makeButton(this, QStringLiteral("push"), tr("Push…"),
                        tr("Push a message to this client (Ctrl+K)")))
    , m_close(makeButton(this, QStringLiteral("close"), tr("Close…"),
                         tr("Close this connection with a code")))
    , m_copy(makeButton(this, QStringLiteral("copy"), tr("Copy id"), tr("Copy the client id")))
    , m_traffic(makeButton(this, QStringLiteral("traffic"), tr("Traffic"),
                           tr("Show this client's rows in the traffic log")))
    , m_conversation(makeButton(this, QStringLiteral("log"), tr("Conversation"),
                                tr("Everything this client sent and received, pushes to its "
                                   "user, groups and everyone included (double-click)"))) {
    setObjectName(QStringLiteral("connectionsView"));
    m_conversation->setObjectName(QStringLiteral("connections_conversation"));
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(ConnectionsModel::RawValueRole);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setDynamicSortFilter(true);

    m_filter->setPlaceholderText(tr("Filter by id, peer, path, origin, user, group…"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, m_proxy,
            &QSortFilterProxyModel::setFilterFixedString);

    m_table->setModel(m_proxy);
    m_table->setItemDelegate(new PlainTextDelegate(m_table));
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(ConnectionsModel::ConnectedSince, Qt::AscendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setHighlightSections(false);
    m_table->setColumnWidth(ConnectionsModel::Id, 170);
    m_table->setColumnWidth(ConnectionsModel::Peer, 115);
    m_table->setColumnWidth(ConnectionsModel::Path, 120);
    m_table->setColumnWidth(ConnectionsModel::Origin, 90);
    m_table->setColumnWidth(ConnectionsModel::User, 65);
    m_table->setColumnWidth(ConnectionsModel::Groups, 70);
    for (int c = ConnectionsModel::ConnectedSince; c <= ConnectionsModel::Queue; ++c)
        m_table->setColumnWidth(c, 64);
    // "1023 bytes", "10.5 MB": wider than a count.
    const int bytesWidth =
        m_table->fontMetrics().horizontalAdvance(QStringLiteral("1023 bytes")) + 16;
    m_table->setColumnWidth(ConnectionsModel::BytesIn, bytesWidth);
    m_table->setColumnWidth(ConnectionsModel::BytesOut, bytesWidth);
    connect(m_table, &QTableView::customContextMenuRequested, this, &ConnectionsView::showMenu);
    connect(m_table, &QTableView::doubleClicked, this, [this] {
        const QByteArray id = selectedClientId();
        if (!id.isEmpty())
            Q_EMIT conversationRequested(id);
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &ConnectionsView::updateActions);

    connect(m_push, &QToolButton::clicked, this, [this] {
        const QByteArray id = selectedClientId();
        if (!id.isEmpty())
            Q_EMIT pushRequested(id);
    });
    connect(m_close, &QToolButton::clicked, this, &ConnectionsView::askClose);
    connect(m_copy, &QToolButton::clicked, this, &ConnectionsView::copyId);
    connect(m_traffic, &QToolButton::clicked, this, [this] {
        const QByteArray id = selectedClientId();
        if (!id.isEmpty())
            Q_EMIT showTrafficRequested(id);
    });
    connect(m_conversation, &QToolButton::clicked, this, [this] {
        const QByteArray id = selectedClientId();
        if (!id.isEmpty())
            Q_EMIT conversationRequested(id);
    });

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_filter, 1);
    bar->addWidget(m_conversation);
    bar->addWidget(m_push);
    bar->addWidget(m_close);
    bar->addWidget(m_copy);
    bar->addWidget(m_traffic);
    bar->addWidget(m_count);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(m_table, 1);
    updateActions();
}

void ConnectionsView::setClients(const QVector<ClientSnapshot> &clients, qint64 nowMs) {
    const QByteArray selected = selectedClientId();
    m_model->setNowMs(nowMs);
    m_model->setClients(clients);
    // When the selected client leaves, select nothing: Qt would move the selection to the
    // neighbouring row, and "Close…" would then aim at a client the user never picked.
    if (!selected.isEmpty() && selectedClientId() != selected) {
        m_table->selectionModel()->clearSelection();
        m_table->selectionModel()->setCurrentIndex({}, QItemSelectionModel::NoUpdate);
    }
    const int closed = m_model->closedCount();
    m_count->setSteadyText(
        closed > 0
            ? tr("%n connection(s), %1 recently closed", nullptr, int(clients.size())).arg(closed)
            : tr("%n connection(s)", nullptr, int(clients.size())));
    updateActions();
}

QByteArray ConnectionsView::selectedClientId() const {
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return {};
    return rows.first().data(ConnectionsModel::ClientIdRole).toByteArray();
}

bool ConnectionsView::selectedIsClosed() const {
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    return !rows.isEmpty() && rows.first().data(ConnectionsModel::ClosedRole).toBool();
}

std::optional<ClientSnapshot> ConnectionsView::clientInfo(const QByteArray &clientId) const {
    const int row = m_model->rowOfId(clientId);
    if (row < 0)
        return std::nullopt;
    return m_model->client(row);
}

void ConnectionsView::focusFilter() {
    m_filter->setFocus();
    m_filter->selectAll();
}

void ConnectionsView::updateActions() {
    const bool any = !selectedClientId().isEmpty();
    const bool live = any && !selectedIsClosed();
    m_push->setEnabled(live);
    m_close->setEnabled(live);
    m_copy->setEnabled(any);
    m_traffic->setEnabled(any);
    m_conversation->setEnabled(any);
}

void ConnectionsView::copyId() {
    const QByteArray id = selectedClientId();
    if (!id.isEmpty())
        QApplication::clipboard()->setText(QString::fromLatin1(id));
}

void ConnectionsView::askClose() {
    const QByteArray id = selectedClientId();
    if (id.isEmpty() || selectedIsClosed())
        return;
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Close connection"));
    auto *code = new QSpinBox(&dialog);
    code->setRange(MinCloseCode, MaxCloseCode);
    code->setValue(DefaultCloseCode);
    auto *presets = new QComboBox(&dialog);
    const QList<QPair<int, QString>> known = {
        {1000, tr("1000 normal closure")},   {1001, tr("1001 going away")},
        {1008, tr("1008 policy violation")}, {1011, tr("1011 internal error")},
        {1013, tr("1013 try again later")},  {4000, tr("4000 application defined")}};
    for (const auto &k : known)
        presets->addItem(k.second, k.first);
    connect(presets, &QComboBox::currentIndexChanged, code,
            [code, presets](int) { code->setValue(presets->currentData().toInt()); });
    auto *reason = new QLineEdit(&dialog);
    reason->setPlaceholderText(tr("optional, at most %1 bytes of UTF-8").arg(MaxCloseReasonBytes));
    auto *problem = new QLabel(&dialog);
    problem->setObjectName(QStringLiteral("closeProblem"));
    QPalette problemPalette = problem->palette();
    problemPalette.setColor(QPalette::WindowText,
                            ThemeColors::color(ThemeColors::Tone::Error, problem->palette()));
    problem->setPalette(problemPalette);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    // The same rule as the push API's /close: codes a server may send, a reason that fits the
    // close frame.
    const auto check = [code, reason, problem, buttons] {
        QString why;
        if (!PushApi::isValidCloseCode(code->value()))
            why =
                tr("%1 may not be sent: use 1000-1003, 1007-1014 or 3000-4999").arg(code->value());
        else if (reason->text().toUtf8().size() > MaxCloseReasonBytes)
            why = tr("The reason is %1 bytes of UTF-8; at most %2 fit in a close frame")
                      .arg(reason->text().toUtf8().size())
                      .arg(MaxCloseReasonBytes);
        problem->setText(why);
        problem->setVisible(!why.isEmpty());
        buttons->button(QDialogButtonBox::Ok)->setEnabled(why.isEmpty());
    };
    connect(code, &QSpinBox::valueChanged, &dialog, check);
    connect(reason, &QLineEdit::textChanged, &dialog, check);
    check();
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    auto *form = new QFormLayout(&dialog);
    form->addRow(tr("Client"), new QLabel(QString::fromLatin1(id), &dialog));
    form->addRow(tr("Preset"), presets);
    form->addRow(tr("Code"), code);
    form->addRow(tr("Reason"), reason);
    form->addRow(problem);
    form->addRow(buttons);
    if (dialog.exec() == QDialog::Accepted)
        Q_EMIT closeRequested(id, code->value(), reason->text());
}

void ConnectionsView::showMenu(const QPoint &pos) {
    const QModelIndex index = m_table->indexAt(pos);
    if (!index.isValid())
        return;
    m_table->selectRow(index.row());
    const bool live = !selectedIsClosed();
    QMenu menu(this);
    menu.addAction(m_conversation->icon(), tr("Conversation"), this,
                   [this] { Q_EMIT conversationRequested(selectedClientId()); });
    menu.addAction(m_traffic->icon(), tr("Show its rows in the traffic log"), this,
                   [this] { Q_EMIT showTrafficRequested(selectedClientId()); });
    menu.addSeparator();
    menu.addAction(m_push->icon(), tr("Push to this client…"), this,
                   [this] { Q_EMIT pushRequested(selectedClientId()); })
        ->setEnabled(live);
    menu.addAction(Theme::icon(QStringLiteral("replay")), tr("Debug next message (Xdebug)"), this,
                   [this] { Q_EMIT debugNextMessageRequested(selectedClientId()); })
        ->setEnabled(live);
    menu.addAction(m_close->icon(), tr("Close with code…"), this, &ConnectionsView::askClose)
        ->setEnabled(live);
    menu.addSeparator();
    menu.addAction(m_copy->icon(), tr("Copy id"), this, &ConnectionsView::copyId);
    menu.exec(m_table->viewport()->mapToGlobal(pos));
}
