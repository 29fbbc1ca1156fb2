// MainWindow attached to a wsgated elsewhere: the dialog, remembered servers and tokens.

#include "mainwindow.h"

#include "attachdialog.h"
#include "remotebanner.h"
#include "remotegateway.h"
#include "secretstore.h"

#include <QSettings>
#include <QStatusBar>

namespace {

constexpr int MaxRememberedServers = 10;
const char *const ServersKey = "remote/servers";
const char *const CertsKey = "remote/trustedCerts"; // url → SHA-256 (not a secret)
constexpr int StatusMessageMs = 6000;

QString tokenKey(const QString &url) {
    return QStringLiteral("remote-token ") + url;
}

} // namespace

QStringList MainWindow::rememberedServers() const {
    return m_settings->value(QLatin1String(ServersKey)).toStringList();
}

void MainWindow::rememberServer(const RemoteTarget &target, bool withToken) {
    const QString url = AttachDialog::canonical(target.url);
    QStringList servers = rememberedServers();
    servers.removeAll(url);
    servers.prepend(url);
    while (servers.size() > MaxRememberedServers)
        servers.removeLast();
    m_settings->setValue(QLatin1String(ServersKey), servers);
    QVariantMap certs = m_settings->value(QLatin1String(CertsKey)).toMap();
    if (target.trustedCertSha256.isEmpty())
        certs.remove(url);
    else
        certs.insert(url, QString::fromLatin1(target.trustedCertSha256));
    m_settings->setValue(QLatin1String(CertsKey), certs);
    if (withToken)
        m_secrets->write(tokenKey(url), QString::fromUtf8(target.token));
    else
        m_secrets->remove(tokenKey(url));
}

void MainWindow::openAttachDialog() {
    const QString note =
        m_secrets->backend() == SecretStore::Backend::Keychain
            ? QString()
            : tr("No keychain here: a remembered token is kept for this session only.");
    auto lookup = [this](const QString &url) -> std::optional<AttachDialog::Remembered> {
        AttachDialog::Remembered r;
        r.token = m_secrets->read(tokenKey(url)).value_or(QString());
        r.trustedCertSha256 =
            m_settings->value(QLatin1String(CertsKey)).toMap().value(url).toString();
        if (r.token.isEmpty() && r.trustedCertSha256.isEmpty())
            return std::nullopt; // nothing kept: what is typed stays
        return r;
    };
    auto *dialog = new AttachDialog(rememberedServers(), lookup, note, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this,
            [this, dialog] { attachTo(dialog->target(), dialog->rememberToken()); });
    dialog->open();
}

void MainWindow::attachTo(const RemoteTarget &target, bool remember) {
    if (remember)
        rememberServer(target, true);
    showTabs();
    m_controller->attach(target);
    statusBar()->showMessage(tr("Connecting to %1…").arg(target.url.toDisplayString()),
                             StatusMessageMs);
}

void MainWindow::attachToAllNodes() {
    const RemoteGateway *remote = m_controller->remote();
    if (!remote)
        return;
    const RemoteTarget base = remote->target();
    QList<RemoteTarget> targets{base}; // the node shown first: its FPM panel and node list
    for (const RemoteGateway::Member &m : remote->members()) {
        if (m.adminUrl.isEmpty() || m.adminUrl == base.url || m.attached)
            continue;
        RemoteTarget t = base;
        t.url = m.adminUrl;
        targets.append(t);
    }
    m_controller->attachAll(targets);
    statusBar()->showMessage(tr("Connecting to %n node(s)…", nullptr, int(targets.size())),
                             StatusMessageMs);
}
