#include "conversationview.h"

#include "conversationmodel.h"
#include "plaintextdelegate.h"
#include "theme.h"
#include "themecolors.h"
#include "trafficdetailwidget.h"

#include <QDateTime>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QScrollBar>
#include <QSplitter>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace {

// A client missing from the snapshot with no close logged for this long is taken as gone.
constexpr qint64 MissingClientGraceMs = 3000;

QToolButton *button(QWidget *parent, const char *icon, const QString &text, const QString &tip) {
    auto *b = new QToolButton(parent);
    Theme::setIcon(b, QLatin1String(icon));
    b->setText(text);
    b->setToolTip(tip);
    b->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    return b;
}

QString clock(qint64 ms) {
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("HH:mm:ss"));
}

} // namespace

ConversationView::ConversationView(QWidget *parent)
    : QWidget(parent)
    , m_model(new ConversationModel(&m_store, this))
    , m_idEdit(new QLineEdit(this))
    , m_header(new QLabel(this))
    , m_notes(new QLabel(this))
    , m_traffic(button(this, "traffic", tr("In the traffic log"),
                       tr("Show this client's rows in the traffic log")))
    , m_push(button(this, "push", tr("Push…"), tr("Push a message to this client")))
    , m_table(new QTableView(this))
    , m_detail(new TrafficDetailWidget(this)) {
    setObjectName(QStringLiteral("conversationView"));
    m_idEdit->setPlaceholderText(tr("client id (double-click a connection, or paste one)"));
    m_idEdit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_idEdit->setClearButtonEnabled(true);
    connect(m_idEdit, &QLineEdit::returnPressed, this,
            [this] { showClient(m_idEdit->text().trimmed().toLatin1()); });
    m_header->setWordWrap(true);
    m_header->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_notes->setWordWrap(true);
    m_notes->hide();

    m_table->setModel(m_model);
    m_table->setItemDelegate(new PlainTextDelegate(m_table));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setHighlightSections(false);
    const QFontMetrics fixed(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_table->setColumnWidth(ConversationModel::Time,
                            fixed.horizontalAdvance(QStringLiteral("00:00:00.000")) + 16);
    m_table->setColumnWidth(
        ConversationModel::Event,
        m_table->fontMetrics().horizontalAdvance(QStringLiteral("▶ push via group lobby-room")) +
            16);
    m_table->setColumnWidth(ConversationModel::Size,
                            m_table->fontMetrics().horizontalAdvance(QStringLiteral("Bytes 9999")));
    m_table->setColumnWidth(ConversationModel::Status, m_table->fontMetrics().horizontalAdvance(
                                                           QStringLiteral("PHP time 99")));
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &ConversationView::onSelection);
    connect(m_traffic, &QToolButton::clicked, this, [this] {
        if (!clientId().isEmpty())
            Q_EMIT showTrafficRequested(clientId());
    });
    connect(m_push, &QToolButton::clicked, this, [this] {
        if (!clientId().isEmpty())
            Q_EMIT pushRequested(clientId());
    });

    auto *bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Client"), this));
    bar->addWidget(m_idEdit, 1);
    bar->addWidget(m_traffic);
    bar->addWidget(m_push);
    auto *top = new QWidget(this);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addLayout(bar);
    topLayout->addWidget(m_header);
    topLayout->addWidget(m_notes);
    topLayout->addWidget(m_table, 1);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(m_detail);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(split);
    updateHeader();
}

QByteArray ConversationView::clientId() const {
    return m_model->clientId();
}

QString ConversationView::headerText() const {
    return m_header->text();
}

void ConversationView::appendEntries(const QVector<TrafficEntry> &entries) {
    const QSet<QByteArray> changed = m_store.add(entries);
    const QByteArray shown = clientId();
    if (shown.isEmpty() || !changed.contains(shown))
        return;
    // Follow the newest rows only while the user is at the bottom.
    QScrollBar *bar = m_table->verticalScrollBar();
    const bool atBottom = bar->value() >= bar->maximum();
    m_model->refresh();
    if (atBottom)
        m_table->scrollToBottom();
    updateHeader();
}

void ConversationView::setClients(const QVector<ClientSnapshot> &clients, qint64 nowMs) {
    const QByteArray shown = clientId();
    QSet<QByteArray> live;
    live.reserve(clients.size());
    bool found = false;
    for (const ClientSnapshot &c : clients) {
        live.insert(c.id);
        if (!found && !shown.isEmpty() && c.id == shown) {
            m_info = c;
            found = true;
        }
    }
    const bool wasLive = m_live;
    m_live = found;
    m_store.closeMissing(live, nowMs, MissingClientGraceMs);
    if (!shown.isEmpty() && (found || wasLive != m_live))
        updateHeader();
}

void ConversationView::setStopped(qint64 nowMs) {
    m_store.closeAll(nowMs);
    m_live = false;
    updateHeader();
}

void ConversationView::showClient(const QByteArray &clientId,
                                  const std::optional<ClientInfo> &info) {
    if (clientId != this->clientId()) {
        m_info.reset();
        m_live = false;
    }
    if (info)
        m_info = info;
    m_idEdit->setText(QString::fromLatin1(clientId));
    m_model->setClient(clientId);
    m_detail->clear();
    m_table->scrollToBottom();
    updateHeader();
}

void ConversationView::onSelection() {
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    if (!current.isValid()) {
        m_detail->clear();
        return;
    }
    m_detail->setEntry(m_model->entry(current.row()));
}

void ConversationView::updateHeader() {
    const QByteArray id = clientId();
    m_traffic->setEnabled(!id.isEmpty());
    const ConversationStore::Conversation *c = id.isEmpty() ? nullptr : m_store.find(id);
    const bool closed = c ? c->closed : !m_live;
    m_push->setEnabled(!id.isEmpty() && !closed);
    if (id.isEmpty()) {
        m_header->setText(tr("Pick a client: double-click a connection, or \"Show this client's "
                             "conversation\" on any traffic row."));
        m_notes->hide();
        return;
    }
    QStringList parts;
    if (m_info) {
        const ClientInfo &i = *m_info;
        parts << i.peer.toHtmlEscaped();
        parts << (i.query.isEmpty() ? i.path : i.path + QLatin1Char('?') + i.query).toHtmlEscaped();
        if (!i.user.isEmpty())
            parts << tr("user <b>%1</b>").arg(i.user.toHtmlEscaped());
        if (!i.groups.isEmpty())
            parts
                << tr("groups <b>%1</b>").arg(i.groups.join(QStringLiteral(", ")).toHtmlEscaped());
        if (i.connectedMs > 0)
            parts << tr("connected %1").arg(clock(i.connectedMs));
    }
    if (c && c->closed)
        parts << ThemeColors::span(
            ThemeColors::Tone::Muted,
            c->closeCode ? tr("closed %1 (%2%3)")
                               .arg(clock(c->closedMs))
                               .arg(c->closeCode)
                               .arg(c->closeReason.isEmpty() ? QString()
                                                             : QStringLiteral(" ") + c->closeReason)
                         : tr("closed %1").arg(clock(c->closedMs)));
    else if (m_live)
        parts << ThemeColors::span(ThemeColors::Tone::Ok, tr("connected"));
    if (!c)
        parts << tr("nothing logged for this client (yet)");
    else
        parts << (c->entries.size() == 1 ? tr("1 entry") : tr("%1 entries").arg(c->entries.size()));
    m_header->setText(
        QStringLiteral("<b>%1</b> &nbsp; %2")
            .arg(QString::fromLatin1(id).toHtmlEscaped(), parts.join(QStringLiteral(" · "))));

    QStringList notes;
    if (c && c->dropped > 0)
        notes << tr("%1 older entries were let go to keep the console's memory bounded.")
                     .arg(c->dropped);
    if (c && c->uncertainPushes > 0)
        notes << tr("%1 push(es) to a user, group or everyone reached more than %2 clients; their "
                    "receiver lists were cut there, so this client may have got them too.")
                     .arg(c->uncertainPushes)
                     .arg(TrafficEntry::MaxReceivers);
    m_notes->setText(notes.join(QLatin1Char(' ')));
    m_notes->setVisible(!notes.isEmpty());
}
