#pragma once

#include <QFrame>
#include <QUrl>

class QLabel;
class QToolButton;
class RemoteGateway;

/// Above the views while the console is attached to a wsgated: which gateway is shown (URL,
/// version, instance), whether the link is live, read-only, the cluster's nodes to switch to,
/// and Disconnect. Hidden when the console shows its own gateway.
class RemoteBanner final : public QFrame {
    Q_OBJECT
public:
    explicit RemoteBanner(QWidget *parent = nullptr);

    /// Shows the attached daemons' state (the first one's node list); none hides the banner.
    void showRemotes(const QList<RemoteGateway *> &remotes);
    /// What it says, as plain text; empty when hidden.
    QString plainText() const;
    /// The node menu's button (for tests); hidden without a cluster.
    QToolButton *nodesButton() const { return m_nodes; }

Q_SIGNALS:
    /// Fires when the user asks to detach.
    void disconnectRequested();
    /// Fires when the user picks another node of the cluster.
    void nodeRequested(const QUrl &adminUrl);
    /// Fires when the user wants every node of the cluster at once.
    void allNodesRequested();

protected:
    void changeEvent(QEvent *event) override;

private:
    void tint();

    QLabel *m_text;
    QToolButton *m_nodes;
    bool m_live = false;
};
