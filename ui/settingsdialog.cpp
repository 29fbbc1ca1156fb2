#include "settingsdialog.h"

#include "fpmpoolscanner.h"
#include "themecolors.h"

#include "config/configurationoptions.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QTabWidget>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace {

constexpr qint64 KiB = 1024;
constexpr qint64 MiB = 1024 * KiB;
constexpr qint64 GiB = 1024 * MiB;
constexpr int PathCheckDelayMs = 400; // after the last keystroke: a check opens the socket
constexpr int DialogWidthChars = 90;
constexpr int DialogHeightLines = 30;

struct Choice {
    const char *option;
    QStringList values;
};

const QList<Choice> &choices() {
    static const QList<Choice> all = {
        {"mode", {QStringLiteral("raw"), QStringLiteral("form")}},
        {"backpressure", {QStringLiteral("reject"), QStringLiteral("close")}},
        {"on-php-error",
         {QStringLiteral("message"), QStringLiteral("close"), QStringLiteral("silent")}},
        {"invalid-utf8", {QStringLiteral("error"), QStringLiteral("binary")}},
        {"log-level", {QStringLiteral("debug"), QStringLiteral("info"), QStringLiteral("warning")}},
    };
    return all;
}

bool isFileOption(const QString &name) {
    return name == QLatin1String("script") || name == QLatin1String("tls-cert") ||
           name == QLatin1String("tls-key") || name == QLatin1String("push-token-file") ||
           name == QLatin1String("push-tls-cert") || name == QLatin1String("push-tls-key");
}

bool isSwitchOption(const QString &name) {
    const ConfigurationOption *o = ConfigurationOption::find(name);
    return o && o->isSwitch();
}

/// "  --name VALUE    help [default: x]" lines of --help, keyed by option name.
QHash<QString, QString> parseHelp(const QString &help) {
    QHash<QString, QString> out;
    static const QRegularExpression line(
        QStringLiteral("^\\s+--([a-z0-9-]+)(?:\\s(\\S+))?\\s{2,}(.*)$"));
    for (const QString &l : help.split(QLatin1Char('\n'))) {
        const auto m = line.match(l);
        if (m.hasMatch())
            out.insert(m.captured(1), m.captured(3).trimmed());
    }
    return out;
}

QLabel *noteLabel(QWidget *parent, const QString &name) {
    auto *label = new QLabel(parent);
    label->setObjectName(name);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->hide();
    return label;
}

void setTone(QLabel *label, ThemeColors::Tone tone) {
    QPalette p;
    p.setColor(QPalette::WindowText, ThemeColors::color(tone, label->palette()));
    label->setPalette(p);
}

} // namespace

bool SettingsDialog::isSizeOption(const QString &name) {
    const ConfigurationOption *o = ConfigurationOption::find(name);
    return o && QLatin1String(o->valueName) == QLatin1String("BYTES");
}

QString SettingsDialog::sizeText(qint64 bytes) {
    if (bytes > 0 && bytes % GiB == 0)
        return QStringLiteral("%1G").arg(bytes / GiB);
    if (bytes > 0 && bytes % MiB == 0)
        return QStringLiteral("%1M").arg(bytes / MiB);
    if (bytes > 0 && bytes % KiB == 0)
        return QStringLiteral("%1K").arg(bytes / KiB);
    return QString::number(bytes);
}

SettingsDialog::SettingsDialog(const Configuration &config, QWidget *parent)
    : QDialog(parent)
    , m_tabs(new QTabWidget(this))
    , m_error(new QLabel(this))
    , m_eventOpen(nullptr)
    , m_eventMessage(nullptr)
    , m_eventClose(nullptr)
    , m_fastcgiCheck(nullptr)
    , m_scriptCheck(nullptr)
    , m_secretNote(nullptr)
    , m_apply(nullptr)
    , m_restart(nullptr)
    , m_checkTimer(new QTimer(this))
    , m_result(config) {
    setWindowTitle(tr("wsgate settings"));
    setObjectName(QStringLiteral("settingsDialog"));
    m_help = parseHelp(ConfigurationParser::helpText(QStringLiteral("wsgate")));

    const auto names = [](std::initializer_list<const char *> list) {
        QStringList out;
        for (const char *n : list)
            out << QLatin1String(n);
        return out;
    };
    const QList<QPair<QString, QStringList>> layout = {
        {tr("WebSocket"),
         names({"listen", "path", "server-name", "allowed-origins", "max-connections",
                "ping-interval", "tls-cert", "tls-key", "threads", "reuse-port"})},
        {tr("Handshakes"),
         names({"max-handshakes", "max-handshakes-per-address", "handshake-timeout",
                "fragment-timeout", "close-grace", "open-rate", "open-rate-per-address"})},
        {tr("PHP"), names({"demo", "fastcgi", "script", "docroot", "php-user", "mode", "events",
                           "on-php-error", "invalid-utf8", "fpm-status-path", "fpm-ping-path"})},
        {tr("FastCGI pool"), names({"fastcgi-pool", "fastcgi-connect-timeout", "fastcgi-timeout",
                                    "fastcgi-deadline", "fastcgi-idle"})},
        {tr("Limits && budgets"),
         names({"max-message", "queue-limit", "queue-bytes", "inbound-budget", "send-buffer",
                "outbound-budget", "backpressure"})},
        {tr("Push API"), names({"push-listen", "push-token", "push-token-file", "push-prefix",
                                "push-allowed-origins", "push-allowed-hosts", "push-tls-cert",
                                "push-tls-key", "admin-read-token"})},
        {tr("Logging"), names({"log-level", "traffic-log", "traffic-body-cap"})},
        {tr("Cluster"), names({"cluster", "cluster-name", "node-id"})},
    };
    const QStringList known = ConfigurationParser::optionNames();
    QStringList placed;
    const auto addPage = [this](const QString &title) {
        // Each page scrolls: at a large scale factor a long form must not be clipped.
        auto *scroll = new QScrollArea(m_tabs);
        scroll->setWidgetResizable(true);
        scroll->setFrameShape(QFrame::NoFrame);
        auto *page = new QWidget(scroll);
        auto *form = new QFormLayout(page);
        form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
        scroll->setWidget(page);
        return m_tabs->addTab(scroll, title);
    };
    for (const auto &group : layout) {
        const int t = addPage(group.first);
        for (const QString &name : group.second) {
            if (!known.contains(name))
                continue; // an option the parser dropped: nothing to edit
            addField(t, name, name, makeField(name));
            placed << name;
        }
    }
    // Options this dialog does not know yet still get a plain field: "every option" holds as
    // the parser grows.
    QStringList rest;
    for (const QString &name : known) {
        if (!placed.contains(name) && name != QLatin1String("config"))
            rest << name;
    }
    if (!rest.isEmpty()) {
        const int t = addPage(tr("Other"));
        for (const QString &name : rest)
            addField(t, name, name, makeField(name));
    }
    for (const QString &name : known) {
        if (m_fields.contains(name))
            m_order << name;
    }

    m_error->setWordWrap(true);
    m_error->setObjectName(QStringLiteral("settingsError"));
    setTone(m_error, ThemeColors::Tone::Error);
    auto *note = new QLabel(tr("Apply keeps the settings for the next start; Apply && restart "
                               "restarts a running gateway with them. Flags given on the command "
                               "line win over these settings."),
                            this);
    note->setWordWrap(true);
    setTone(note, ThemeColors::Tone::Muted);

    auto *buttons =
        new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel |
                                 QDialogButtonBox::Apply | QDialogButtonBox::RestoreDefaults,
                             this);
    m_apply = buttons->button(QDialogButtonBox::Apply);
    m_apply->setObjectName(QStringLiteral("settingsApply"));
    m_restart = buttons->addButton(tr("Apply && &restart"), QDialogButtonBox::ActionRole);
    m_restart->setObjectName(QStringLiteral("settingsRestart"));
    m_restart->setToolTip(tr("Apply, then restart the gateway with these settings"));
    connect(buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &SettingsDialog::reject);
    connect(m_apply, &QPushButton::clicked, this, [this] { apply(false); });
    connect(m_restart, &QPushButton::clicked, this, [this] {
        if (apply(true))
            QDialog::accept();
    });
    connect(buttons->button(QDialogButtonBox::RestoreDefaults), &QPushButton::clicked, this,
            [this] { setConfiguration(Configuration()); });

    m_checkTimer->setSingleShot(true);
    m_checkTimer->setInterval(PathCheckDelayMs);
    connect(m_checkTimer, &QTimer::timeout, this, &SettingsDialog::checkPaths);

    auto *main = new QVBoxLayout(this);
    main->addWidget(m_tabs, 1);
    main->addWidget(note);
    main->addWidget(m_error);
    main->addWidget(buttons);
    setConfiguration(config);
    const QFontMetrics fm(font());
    resize(fm.averageCharWidth() * DialogWidthChars, fm.lineSpacing() * DialogHeightLines);
}

QWidget *SettingsDialog::makeField(const QString &name) const {
    QWidget *parent = const_cast<SettingsDialog *>(this);
    for (const Choice &c : choices()) {
        if (name == QLatin1String(c.option)) {
            auto *combo = new QComboBox(parent);
            combo->addItems(c.values);
            return combo;
        }
    }
    if (name == QLatin1String("demo"))
        return new QCheckBox(tr("Managed PHP-FPM with the example chat handler"), parent);
    if (isSwitchOption(name))
        return new QCheckBox(m_help.value(name), parent);
    if (name == QLatin1String("events")) {
        auto *box = new QWidget(parent);
        auto *row = new QHBoxLayout(box);
        row->setContentsMargins(0, 0, 0, 0);
        auto *self = const_cast<SettingsDialog *>(this);
        self->m_eventOpen = new QCheckBox(QStringLiteral("open"), box);
        self->m_eventMessage = new QCheckBox(QStringLiteral("message"), box);
        self->m_eventClose = new QCheckBox(QStringLiteral("close"), box);
        row->addWidget(m_eventOpen);
        row->addWidget(m_eventMessage);
        row->addWidget(m_eventClose);
        row->addStretch(1);
        return box;
    }
    auto *edit = new QLineEdit(parent);
    if (name == QLatin1String("push-token") || name == QLatin1String("admin-read-token"))
        edit->setEchoMode(QLineEdit::PasswordEchoOnEdit);
    if (isSizeOption(name))
        edit->setPlaceholderText(tr("bytes, or with K, M, G: 64K, 16M, 1G"));
    auto *self = const_cast<SettingsDialog *>(this);
    const bool checked = name == QLatin1String("fastcgi") || name == QLatin1String("script");
    const bool file = isFileOption(name) || name == QLatin1String("docroot");
    const bool tokenNote = name == QLatin1String("push-token");
    if (!checked && !file && !tokenNote)
        return edit;
    auto *box = new QWidget(parent);
    auto *column = new QVBoxLayout(box);
    column->setContentsMargins(0, 0, 0, 0);
    column->setSpacing(2);
    auto *row = new QHBoxLayout;
    edit->setParent(box);
    row->addWidget(edit, 1);
    if (file) {
        auto *browse = new QToolButton(box);
        browse->setText(QStringLiteral("…"));
        browse->setToolTip(tr("Browse"));
        row->addWidget(browse);
        const bool dir = name == QLatin1String("docroot");
        connect(browse, &QToolButton::clicked, box, [edit, dir, box] {
            const QString picked =
                dir ? QFileDialog::getExistingDirectory(box, QString(), edit->text())
                    : QFileDialog::getOpenFileName(box, QString(), edit->text());
            if (!picked.isEmpty())
                edit->setText(picked);
        });
    }
    column->addLayout(row);
    if (name == QLatin1String("fastcgi")) {
        self->m_fastcgiCheck = noteLabel(box, QStringLiteral("fastcgiCheck"));
        column->addWidget(m_fastcgiCheck);
    } else if (name == QLatin1String("script")) {
        self->m_scriptCheck = noteLabel(box, QStringLiteral("scriptCheck"));
        column->addWidget(m_scriptCheck);
    } else if (tokenNote) {
        self->m_secretNote = noteLabel(box, QStringLiteral("secretNote"));
        column->addWidget(m_secretNote);
    }
    if (checked)
        connect(edit, &QLineEdit::textChanged, m_checkTimer, qOverload<>(&QTimer::start));
    box->setFocusProxy(edit);
    return box;
}

void SettingsDialog::addField(int tab, const QString &name, const QString &label, QWidget *widget) {
    auto *scroll = static_cast<QScrollArea *>(m_tabs->widget(tab));
    auto *form = static_cast<QFormLayout *>(scroll->widget()->layout());
    widget->setParent(scroll->widget());
    widget->setObjectName(name);
    const QString help = m_help.value(name);
    widget->setToolTip(help);
    auto *caption = new QLabel(QStringLiteral("--%1").arg(label), scroll->widget());
    caption->setToolTip(help);
    QFont mono = caption->font();
    mono.setFamily(QStringLiteral("monospace"));
    mono.setStyleHint(QFont::Monospace);
    caption->setFont(mono);
    form->addRow(caption, widget);
    m_fields.insert(name, {widget, tab});
}

bool SettingsDialog::setOptionText(const QString &name, const QString &text) {
    const auto it = m_fields.constFind(name);
    if (it == m_fields.constEnd())
        return false;
    QWidget *w = it->widget;
    if (auto *combo = qobject_cast<QComboBox *>(w)) {
        const int i = combo->findText(text, Qt::MatchFixedString);
        if (i < 0) {
            combo->setEditable(true); // shows (and submits) what the caller typed
            combo->setEditText(text);
        } else {
            combo->setCurrentIndex(i);
        }
    } else if (auto *check = qobject_cast<QCheckBox *>(w)) {
        check->setChecked(text == QLatin1String("true") || text == QLatin1String("1"));
    } else if (name == QLatin1String("events")) {
        const QStringList parts = text.split(QLatin1Char(','), Qt::SkipEmptyParts);
        m_eventOpen->setChecked(parts.contains(QLatin1String("open")));
        m_eventMessage->setChecked(parts.contains(QLatin1String("message")));
        m_eventClose->setChecked(parts.contains(QLatin1String("close")));
    } else if (auto *edit = qobject_cast<QLineEdit *>(w)) {
        edit->setText(text);
    } else if (auto *edit = w->findChild<QLineEdit *>()) {
        edit->setText(text);
    } else {
        return false;
    }
    return true;
}

QString SettingsDialog::fieldText(const QString &name) const {
    const auto it = m_fields.constFind(name);
    if (it == m_fields.constEnd())
        return {};
    QWidget *w = it->widget;
    if (auto *combo = qobject_cast<QComboBox *>(w))
        return combo->currentText();
    if (auto *check = qobject_cast<QCheckBox *>(w))
        return check->isChecked() ? QStringLiteral("true") : QStringLiteral("false");
    if (name == QLatin1String("events")) {
        QStringList parts;
        if (m_eventOpen->isChecked())
            parts << QStringLiteral("open");
        if (m_eventMessage->isChecked())
            parts << QStringLiteral("message");
        if (m_eventClose->isChecked())
            parts << QStringLiteral("close");
        return parts.join(QLatin1Char(','));
    }
    if (auto *edit = qobject_cast<QLineEdit *>(w))
        return edit->text().trimmed();
    if (auto *edit = w->findChild<QLineEdit *>())
        return edit->text().trimmed();
    return {};
}

QString SettingsDialog::optionText(const QString &name) const {
    return fieldText(name);
}

void SettingsDialog::setConfiguration(const Configuration &config) {
    const QJsonObject json = config.toJson();
    for (auto it = m_fields.constBegin(); it != m_fields.constEnd(); ++it) {
        const QJsonValue v = json.value(it.key());
        QString text;
        if (v.isBool())
            text = v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
        else if (v.isDouble())
            text = isSizeOption(it.key()) ? sizeText(qint64(v.toDouble()))
                                          : QString::number(qint64(v.toDouble()));
        else
            text = v.toString();
        setOptionText(it.key(), text);
    }
    showError({});
    checkPaths();
}

void SettingsDialog::setSecretStorageNote(const QString &text) {
    if (!m_secretNote)
        return;
    m_secretNote->setText(text);
    m_secretNote->setVisible(!text.isEmpty());
    setTone(m_secretNote, ThemeColors::Tone::Muted);
}

QString SettingsDialog::fastcgiWarning() const {
    return m_fastcgiCheck && !m_fastcgiCheck->isHidden() ? m_fastcgiCheck->text() : QString();
}

void SettingsDialog::checkPaths() {
    m_checkTimer->stop();
    const bool demo = fieldText(QStringLiteral("demo")) == QLatin1String("true");
    if (m_fastcgiCheck) {
        // Flagged, not refused: the socket may well appear once php-fpm starts.
        QString text;
        QString error;
        const auto address = FastCgiAddress::parse(fieldText(QStringLiteral("fastcgi")), &error);
        if (!demo && address && address->kind == FastCgiAddress::Kind::Unix) {
            const FpmPoolScanner::SocketCheck c = FpmPoolScanner::checkSocket(address->path);
            if (!c.connectable)
                text = c.fix.isEmpty() ? tr("⚠ %1").arg(c.problem)
                                       : tr("⚠ %1\nFix: %2").arg(c.problem, c.fix);
        }
        m_fastcgiCheck->setText(text);
        m_fastcgiCheck->setVisible(!text.isEmpty());
        setTone(m_fastcgiCheck, ThemeColors::Tone::Warning);
    }
    if (m_scriptCheck) {
        const QString script = fieldText(QStringLiteral("script"));
        QString text;
        if (!demo && script.isEmpty())
            text = tr("⚠ No handler script: the gateway cannot start without one (or the demo).");
        else if (!demo && !QFileInfo::exists(script))
            text = tr("⚠ %1 is not on this machine: fine if PHP-FPM runs elsewhere (a "
                      "container) and sees it there.")
                       .arg(script);
        m_scriptCheck->setText(text);
        m_scriptCheck->setVisible(!text.isEmpty());
        setTone(m_scriptCheck, ThemeColors::Tone::Warning);
    }
}

QString SettingsDialog::validateInput() {
    Configuration config;
    for (const QString &name : std::as_const(m_order)) {
        const QString text = fieldText(name);
        if (name == QLatin1String("demo")) {
            config.demo = text == QLatin1String("true");
            continue;
        }
        QString error;
        if (!ConfigurationParser::applyOption(name, text, config, &error)) {
            showError(error);
            return error;
        }
    }
    const QString invalid = ConfigurationParser::validate(config);
    if (!invalid.isEmpty()) {
        showError(invalid);
        return invalid;
    }
    showError({});
    m_result = config;
    return {};
}

QString SettingsDialog::errorText() const {
    return m_error->text();
}

void SettingsDialog::showError(const QString &error) {
    for (const Field &f : std::as_const(m_fields))
        f.widget->setStyleSheet(QString());
    m_error->setText(error);
    m_error->setVisible(!error.isEmpty());
    if (error.isEmpty())
        return;
    // The parser names the option ("--listen: …"): take the user to that field.
    static const QRegularExpression optionName(QStringLiteral("--([a-z0-9-]+)"));
    const auto m = optionName.match(error);
    if (!m.hasMatch())
        return;
    const auto it = m_fields.constFind(m.captured(1));
    if (it == m_fields.constEnd())
        return;
    m_tabs->setCurrentIndex(it->tab);
    QWidget *target = it->widget;
    if (auto *edit = target->findChild<QLineEdit *>())
        target = edit;
    target->setStyleSheet(
        QStringLiteral("background: %1;")
            .arg(ThemeColors::tint(ThemeColors::Tone::Error, target->palette()).name()));
    it->widget->setFocus();
}

bool SettingsDialog::apply(bool restart) {
    if (!validateInput().isEmpty())
        return false;
    Q_EMIT applied(m_result, restart);
    return true;
}

void SettingsDialog::accept() {
    if (apply(false))
        QDialog::accept();
}
