#include "attachdialog.h"

#include "themecolors.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

AttachDialog::AttachDialog(const QStringList &servers,
                           std::function<std::optional<Remembered>(const QString &)> lookup,
                           const QString &keychainNote, QWidget *parent)
    : QDialog(parent)
    , m_lookup(std::move(lookup))
    , m_server(new QComboBox(this))
    , m_token(new QLineEdit(this))
    , m_cert(new QLineEdit(this))
    , m_remember(new QCheckBox(tr("Remember the token for this server"), this))
    , m_error(new QLabel(this)) {
    setObjectName(QStringLiteral("attachDialog"));
    setWindowTitle(tr("Connect to wsgated"));
    m_server->setObjectName(QStringLiteral("attachServer"));
    m_server->setEditable(true);
    m_server->addItems(servers);
    m_server->setMinimumContentsLength(36);
    m_server->lineEdit()->setPlaceholderText(QStringLiteral("http://127.0.0.1:8081"));
    m_token->setObjectName(QStringLiteral("attachToken"));
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("the push token, or an --admin-read-token"));
    m_cert->setObjectName(QStringLiteral("attachCert"));
    m_cert->setPlaceholderText(tr("only for a self-signed https certificate"));
    m_remember->setObjectName(QStringLiteral("attachRemember"));
    m_remember->setChecked(true);
    m_error->setObjectName(QStringLiteral("attachError"));
    m_error->setWordWrap(true);
    m_error->setVisible(false);

    auto *intro = new QLabel(
        tr("The console shows a running <b>wsgated</b> through its admin API: the daemon's push "
           "listener (<code>--push-listen</code>, or the WebSocket port below "
           "<code>--push-prefix</code>). Its traffic needs <code>--traffic-log N</code>."),
        this);
    intro->setWordWrap(true);
    auto *form = new QFormLayout;
    form->addRow(tr("&Admin URL:"), m_server);
    form->addRow(tr("&Token:"), m_token);
    form->addRow(tr("Trusted certificate &SHA-256:"), m_cert);
    form->addRow(QString(), m_remember);
    if (!keychainNote.isEmpty()) {
        auto *note = new QLabel(keychainNote, this);
        note->setWordWrap(true);
        form->addRow(QString(), note);
    }
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("&Connect"));
    connect(buttons, &QDialogButtonBox::accepted, this, &AttachDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &AttachDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(buttons);

    connect(m_server, &QComboBox::currentTextChanged, this, &AttachDialog::fill);
    if (!servers.isEmpty())
        fill(servers.first());
}

QUrl AttachDialog::parseUrl(const QString &text) {
    QString t = text.trimmed();
    if (!t.isEmpty() && !t.contains(QLatin1String("://")))
        t.prepend(QLatin1String("http://"));
    QUrl url(t, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty() ||
        (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")) ||
        url.hasQuery() || url.hasFragment() || !url.userInfo().isEmpty())
        return {};
    return url;
}

QString AttachDialog::canonical(const QUrl &url) {
    QUrl u = url.adjusted(QUrl::StripTrailingSlash | QUrl::NormalizePathSegments);
    if (u.path() == QLatin1String("/"))
        u.setPath(QString()); // StripTrailingSlash keeps a lone "/"
    return u.toString(QUrl::FullyEncoded);
}

void AttachDialog::fill(const QString &url) {
    const QUrl parsed = parseUrl(url);
    if (!parsed.isValid() || !m_lookup)
        return;
    if (const std::optional<Remembered> r = m_lookup(canonical(parsed))) {
        m_token->setText(r->token);
        m_cert->setText(r->trustedCertSha256);
    }
}

RemoteTarget AttachDialog::target() const {
    RemoteTarget t;
    t.url = parseUrl(m_server->currentText());
    t.token = m_token->text().trimmed().toUtf8();
    t.trustedCertSha256 = m_cert->text().remove(QLatin1Char(':')).trimmed().toLatin1();
    return t;
}

bool AttachDialog::rememberToken() const {
    return m_remember->isChecked();
}

void AttachDialog::accept() {
    const RemoteTarget t = target();
    QString problem;
    if (!t.url.isValid())
        problem = tr("Give the daemon's admin URL as http://host:port or https://host:port, "
                     "with its --push-prefix path if it serves the API there.");
    else if (t.token.isEmpty())
        problem = tr("The admin API always needs a token: the daemon's --push-token, or its "
                     "--admin-read-token to watch only.");
    else if (!t.trustedCertSha256.isEmpty() &&
             (t.trustedCertSha256.size() != 64 ||
              QByteArray::fromHex(t.trustedCertSha256).toHex().size() != 64))
        problem = tr("A certificate's SHA-256 is 64 hex digits (colons allowed).");
    if (!problem.isEmpty()) {
        m_error->setText(ThemeColors::span(ThemeColors::Tone::Error, problem));
        m_error->setVisible(true);
        return;
    }
    QDialog::accept();
}
