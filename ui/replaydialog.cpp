#include "replaydialog.h"

#include "bodyformatter.h"
#include "themecolors.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QVBoxLayout>

namespace {

enum Format { Text, Hex };

constexpr int MinBodyLines = 8;

QStringList splitGroups(const QString &text) {
    QStringList out;
    for (const QString &g : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString name = g.trimmed();
        if (!name.isEmpty() && !out.contains(name))
            out << name;
    }
    return out;
}

} // namespace

ReplayDialog::ReplayDialog(const Setup &setup, QWidget *parent)
    : QDialog(parent)
    , m_setup(setup)
    , m_format(new QComboBox(this))
    , m_body(new QPlainTextEdit(this))
    , m_binary(new QCheckBox(tr("Binary message"), this))
    , m_overrideUser(new QCheckBox(tr("User (WS_USER)"), this))
    , m_user(new QLineEdit(setup.user, this))
    , m_overrideGroups(new QCheckBox(tr("Groups (WS_GROUPS)"), this))
    , m_groups(new QLineEdit(setup.groups.join(QStringLiteral(", ")), this))
    , m_controlHeaders(new QCheckBox(
          tr("Apply the reply's control headers (X-WS-User/Join/Leave/Close) to the live "
             "session"),
          this))
    , m_xdebug(new QCheckBox(tr("With Xdebug (adds the trigger to this request only)"), this))
    , m_asClient(new QRadioButton(this))
    , m_asFresh(new QRadioButton(this))
    , m_url(new QLineEdit(setup.freshUrl, this))
    , m_problem(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this)) {
    setObjectName(QStringLiteral("replayDialog"));
    setWindowTitle(tr("Edit & replay #%1").arg(setup.request.entryId));
    const QString client = QString::fromLatin1(setup.clientId);

    auto *intro = new QLabel(
        tr("Sends the message of #%1 to PHP again with <tt>WS_REPLAY=1</tt>; the new exchange "
           "appears in the log as a replay of #%1.")
            .arg(setup.request.entryId),
        this);
    intro->setWordWrap(true);

    m_format->addItem(tr("Text"), Text);
    m_format->addItem(tr("Hex"), Hex);
    m_format->setObjectName(QStringLiteral("replayFormat"));
    m_body->setObjectName(QStringLiteral("replayBody"));
    m_body->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_body->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_body->setMinimumHeight(m_body->fontMetrics().lineSpacing() * MinBodyLines);
    m_binary->setChecked(setup.request.binary);
    // Text only when the bytes are text; anything else is edited as hex.
    const bool text = !setup.request.binary && BodyFormatter::isValidUtf8(setup.request.body);
    m_shownFormat = text ? Text : Hex;
    m_format->setCurrentIndex(m_shownFormat);
    m_body->setPlainText(text ? QString::fromUtf8(setup.request.body)
                              : QString::fromLatin1(setup.request.body.toHex(' ')));
    auto *bodyHeader = new QHBoxLayout;
    bodyHeader->addWidget(new QLabel(tr("<b>Message</b>"), this));
    bodyHeader->addStretch(1);
    bodyHeader->addWidget(m_binary);
    bodyHeader->addWidget(m_format);

    auto *identity = new QGroupBox(tr("Identity PHP is told"), this);
    auto *identityForm = new QFormLayout(identity);
    m_overrideUser->setObjectName(QStringLiteral("replayOverrideUser"));
    m_user->setObjectName(QStringLiteral("replayUser"));
    m_user->setPlaceholderText(tr("empty: no user"));
    m_overrideGroups->setObjectName(QStringLiteral("replayOverrideGroups"));
    m_groups->setObjectName(QStringLiteral("replayGroups"));
    m_groups->setPlaceholderText(tr("comma-separated; empty: none"));
    m_user->setEnabled(false);
    m_groups->setEnabled(false);
    connect(m_overrideUser, &QCheckBox::toggled, m_user, &QWidget::setEnabled);
    connect(m_overrideGroups, &QCheckBox::toggled, m_groups, &QWidget::setEnabled);
    identityForm->addRow(m_overrideUser, m_user);
    identityForm->addRow(m_overrideGroups, m_groups);
    auto *identityNote = new QLabel(
        ThemeColors::span(ThemeColors::Tone::Muted,
                          tr("Unticked: the session's own (the original exchange was sent as "
                             "user \"%1\", groups \"%2\").")
                              .arg(setup.user, setup.groups.join(QLatin1Char(',')))),
        identity);
    identityNote->setWordWrap(true);
    identityForm->addRow(identityNote);

    m_controlHeaders->setObjectName(QStringLiteral("replayControlHeaders"));
    m_controlHeaders->setToolTip(
        tr("Off: PHP's X-WS-User, X-WS-Join, X-WS-Leave and X-WS-Close in the replay's reply "
           "are logged but change nothing"));
    m_xdebug->setObjectName(QStringLiteral("replayXdebug"));
    if (setup.xdebugParams.isEmpty()) {
        m_xdebug->setEnabled(false);
        m_xdebug->setToolTip(setup.xdebugMissing.isEmpty()
                                 ? tr("Xdebug is not available for this PHP")
                                 : setup.xdebugMissing);
    } else {
        QStringList names;
        for (const auto &p : setup.xdebugParams)
            names << QString::fromLatin1(p.first);
        m_xdebug->setToolTip(tr("Adds %1 to this request's params").arg(names.join(u", ")));
    }

    auto *sender = new QGroupBox(tr("Send as"), this);
    auto *senderLayout = new QVBoxLayout(sender);
    m_asClient->setObjectName(QStringLiteral("replayAsClient"));
    m_asFresh->setObjectName(QStringLiteral("replayAsFresh"));
    m_asClient->setText(setup.clientConnected
                            ? tr("Client %1 (connected): the reply goes to it").arg(client)
                            : tr("Client %1 — it has left").arg(client));
    m_asClient->setEnabled(setup.clientConnected);
    m_asFresh->setText(tr("A fresh test client connecting to:"));
    m_url->setObjectName(QStringLiteral("replayUrl"));
    m_url->setPlaceholderText(QStringLiteral("ws://127.0.0.1:8080/ws"));
    auto *group = new QButtonGroup(this);
    group->addButton(m_asClient);
    group->addButton(m_asFresh);
    (setup.clientConnected ? m_asClient : m_asFresh)->setChecked(true);
    m_url->setEnabled(m_asFresh->isChecked());
    connect(m_asFresh, &QRadioButton::toggled, m_url, &QWidget::setEnabled);
    senderLayout->addWidget(m_asClient);
    senderLayout->addWidget(m_asFresh);
    senderLayout->addWidget(m_url);

    m_problem->setObjectName(QStringLiteral("replayProblem"));
    m_problem->setWordWrap(true);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("&Send"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(bodyHeader);
    layout->addWidget(m_body, 1);
    layout->addWidget(identity);
    layout->addWidget(m_controlHeaders);
    layout->addWidget(m_xdebug);
    layout->addWidget(sender);
    layout->addWidget(m_problem);
    layout->addWidget(m_buttons);

    connect(m_format, &QComboBox::currentIndexChanged, this, &ReplayDialog::reformat);
    connect(m_body, &QPlainTextEdit::textChanged, this, &ReplayDialog::validate);
    connect(m_asFresh, &QRadioButton::toggled, this, &ReplayDialog::validate);
    connect(m_url, &QLineEdit::textChanged, this, &ReplayDialog::validate);
    validate();
    resize(sizeHint().expandedTo(QSize(640, 560)));
}

bool ReplayDialog::parseBody(QByteArray *out, QString *error) const {
    if (m_shownFormat == Hex)
        return BodyFormatter::parseHex(m_body->toPlainText(), out, error);
    *out = m_body->toPlainText().toUtf8();
    return true;
}

void ReplayDialog::reformat() {
    const int wanted = m_format->currentData().toInt();
    if (wanted == m_shownFormat)
        return;
    QByteArray bytes;
    QString error;
    if (!parseBody(&bytes, &error)) {
        m_format->setCurrentIndex(m_shownFormat); // the text stays as typed, and says why
        validate();
        return;
    }
    if (wanted == Text && !BodyFormatter::isValidUtf8(bytes)) {
        m_format->setCurrentIndex(m_shownFormat);
        m_problem->setText(ThemeColors::span(ThemeColors::Tone::Error,
                                             tr("These bytes are not UTF-8 text; edit them "
                                                "as hex")));
        return;
    }
    m_shownFormat = wanted;
    m_body->setPlainText(wanted == Text ? QString::fromUtf8(bytes)
                                        : QString::fromLatin1(bytes.toHex(' ')));
}

QString ReplayDialog::problem() const {
    QByteArray bytes;
    QString error;
    if (!parseBody(&bytes, &error))
        return tr("Hex: %1").arg(error);
    if (m_asFresh->isChecked()) {
        const QString url = m_url->text().trimmed();
        if (!url.startsWith(QLatin1String("ws://")) && !url.startsWith(QLatin1String("wss://")))
            return tr("A fresh test client needs a ws:// or wss:// URL");
    }
    if (!m_asClient->isChecked() && !m_asFresh->isChecked())
        return tr("Choose who sends it");
    return {};
}

void ReplayDialog::validate() {
    const QString why = problem();
    m_problem->setText(why.isEmpty() ? QString()
                                     : ThemeColors::span(ThemeColors::Tone::Error, why));
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(why.isEmpty());
}

ReplayRequest ReplayDialog::request() const {
    ReplayRequest r = m_setup.request;
    QString error;
    parseBody(&r.body, &error);
    r.binary = m_binary->isChecked();
    r.applyControlHeaders = m_controlHeaders->isChecked();
    if (m_overrideUser->isChecked())
        r.user = m_user->text().trimmed();
    if (m_overrideGroups->isChecked())
        r.groups = splitGroups(m_groups->text());
    if (m_xdebug->isChecked())
        r.extraParams.append(m_setup.xdebugParams);
    return r;
}

bool ReplayDialog::asFreshClient() const {
    return m_asFresh->isChecked();
}

QString ReplayDialog::freshUrl() const {
    return m_url->text().trimmed();
}
