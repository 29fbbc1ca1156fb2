#include "remotebanner.h"

#include "remotegateway.h"
#include "themecolors.h"

#include <QEvent>

#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QTextDocumentFragment>
#include <QToolButton>
#include <algorithm>

RemoteBanner::RemoteBanner(QWidget *parent)
    : QFrame(parent)
    , m_text(new QLabel(this))
    , m_nodes(new QToolButton(this)) {
    setObjectName(QStringLiteral("remoteBanner"));
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    m_text->setObjectName(QStringLiteral("remoteBannerText"));
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_nodes->setObjectName(QStringLiteral("remoteNodes"));
    m_nodes->setText(tr("Nodes"));
    m_nodes->setPopupMode(QToolButton::InstantPopup);
    m_nodes->setMenu(new QMenu(m_nodes));
    m_nodes->setVisible(false);
    auto *detach = new QPushButton(tr("Disconnect"), this);
    detach->setObjectName(QStringLiteral("remoteDisconnect"));
    connect(detach, &QPushButton::clicked, this, &RemoteBanner::disconnectRequested);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 8, 4);
    layout->addWidget(m_text, 1);
    layout->addWidget(m_nodes);
    layout->addWidget(detach);
    setVisible(false);
}

void RemoteBanner::showRemotes(const QList<RemoteGateway *> &remotes) {
    if (remotes.isEmpty()) {
        setVisible(false);
        return;
    }
    using Link = RemoteGateway::Link;
    const auto linkSpan = [](const RemoteGateway *remote) {
        const Link link = remote->link();
        const ThemeColors::Tone tone = link == Link::Live         ? ThemeColors::Tone::Ok
                                       : link == Link::Connecting ? ThemeColors::Tone::Muted
                                                                  : ThemeColors::Tone::Error;
        QString text = ThemeColors::span(tone, RemoteGateway::linkText(link));
        if (!remote->problem().isEmpty())
            text += QStringLiteral(": ") + remote->problem().toHtmlEscaped();
        return text;
    };
    const RemoteGateway *remote = remotes.first();
    m_live = std::all_of(remotes.begin(), remotes.end(),
                         [](const RemoteGateway *r) { return r->link() == Link::Live; });
    QString text;
    if (remotes.size() == 1) {
        text = tr("<b>Attached to wsgated at %1</b>")
                   .arg(remote->target().url.toDisplayString().toHtmlEscaped());
        if (!remote->version().isEmpty())
            text += tr(" (version %1)").arg(remote->version().toHtmlEscaped());
        if (!remote->instance().isEmpty())
            text +=
                tr(", instance %1").arg(QString::fromLatin1(remote->instance()).toHtmlEscaped());
        text += QStringLiteral(" — ") + linkSpan(remote);
    } else {
        QStringList nodes;
        for (const RemoteGateway *r : remotes)
            nodes << tr("%1 %2").arg(r->target().url.toDisplayString().toHtmlEscaped(),
                                     linkSpan(r));
        text = tr("<b>Attached to %1 nodes of a cluster</b>: %2")
                   .arg(remotes.size())
                   .arg(nodes.join(QLatin1String("; ")));
    }
    if (std::any_of(remotes.begin(), remotes.end(),
                    [](const RemoteGateway *r) { return r->readOnly(); }))
        text += tr(". <b>Read-only token</b>: push, close and replay are off");
    int restarts = 0;
    for (const RemoteGateway *r : remotes)
        restarts += r->restarts();
    if (restarts > 0)
        text += tr(". Restarted %n time(s) while attached", nullptr, restarts);
    m_text->setText(text);

    const QList<RemoteGateway::Member> members = remote->members();
    QMenu *menu = m_nodes->menu();
    menu->clear();
    bool anyUrl = false;
    for (const RemoteGateway::Member &m : members) {
        const bool shown =
            std::any_of(remotes.begin(), remotes.end(),
                        [&](const RemoteGateway *r) {
                            return !m.adminUrl.isEmpty() && r->target().url == m.adminUrl;
                        }) ||
            (remotes.size() == 1 && m.attached);
        const QString label = tr("%1 — %n connection(s)", nullptr, int(m.connections)).arg(m.node) +
                              (shown ? tr(" (shown)") : QString());
        QAction *a = menu->addAction(label);
        a->setEnabled(!shown && !m.adminUrl.isEmpty());
        a->setToolTip(m.adminUrl.isEmpty() ? tr("this node publishes no admin URL")
                                           : m.adminUrl.toDisplayString());
        anyUrl = anyUrl || !m.adminUrl.isEmpty();
        const QUrl url = m.adminUrl;
        connect(a, &QAction::triggered, this, [this, url] { Q_EMIT nodeRequested(url); });
    }
    if (members.size() > 1) {
        menu->addSeparator();
        QAction *all = menu->addAction(tr("All nodes at once"));
        all->setObjectName(QStringLiteral("remoteAllNodes"));
        all->setEnabled(anyUrl && remotes.size() < members.size());
        connect(all, &QAction::triggered, this, &RemoteBanner::allNodesRequested);
    }
    m_nodes->setText(tr("Nodes (%1)").arg(members.size()));
    m_nodes->setVisible(members.size() > 1); // one node: nothing to switch to
    tint();
    setVisible(true);
}

QString RemoteBanner::plainText() const {
    return isHidden() ? QString() : QTextDocumentFragment::fromHtml(m_text->text()).toPlainText();
}

void RemoteBanner::changeEvent(QEvent *event) {
    QFrame::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        tint();
}

void RemoteBanner::tint() {
    QPalette p = parentWidget() ? parentWidget()->palette() : palette();
    const QColor background =
        ThemeColors::tint(m_live ? ThemeColors::Tone::Info : ThemeColors::Tone::Warning, p);
    if (palette().color(QPalette::Window) == background)
        return; // setPalette below comes back here as a PaletteChange
    p.setColor(QPalette::Window, background);
    setPalette(p);
}
