#include "settingsdialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>

namespace {

const char *const ErrorStyle = "background: #fbe3e4;";
constexpr qint64 KiB = 1024;
constexpr qint64 MiB = 1024 * 1024;

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
        {"log-level", {QStringLiteral("debug"), QStringLiteral("info"), QStringLiteral("warning")}},
    };
    return all;
}

bool isBytesOption(const QString &name) {
    return name == QLatin1String("max-message") || name == QLatin1String("send-buffer") ||
           name == QLatin1String("traffic-body-cap");
}

bool isFileOption(const QString &name) {
    return name == QLatin1String("script") || name == QLatin1String("tls-cert") ||
           name == QLatin1String("tls-key");
}

QString bytesText(qint64 bytes) {
    if (bytes > 0 && bytes % MiB == 0)
        return QStringLiteral("%1M").arg(bytes / MiB);
    if (bytes > 0 && bytes % KiB == 0)
        return QStringLiteral("%1K").arg(bytes / KiB);
    return QString::number(bytes);
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

} // namespace

SettingsDialog::SettingsDialog(const Configuration &config, QWidget *parent)
    : QDialog(parent)
    , m_tabs(new QTabWidget(this))
    , m_error(new QLabel(this))
    , m_eventOpen(nullptr)
    , m_eventMessage(nullptr)
    , m_eventClose(nullptr)
    , m_result(config) {
    setWindowTitle(tr("wsgate settings"));
    setObjectName(QStringLiteral("settingsDialog"));
    m_help = parseHelp(ConfigurationParser::helpText(QStringLiteral("wsgate")));

    const QList<QPair<QString, QStringList>> layout = {
        {tr("WebSocket"),
         {QStringLiteral("listen"), QStringLiteral("path"), QStringLiteral("allowed-origins"),
          QStringLiteral("max-connections"), QStringLiteral("handshake-timeout"),
          QStringLiteral("ping-interval"), QStringLiteral("tls-cert"), QStringLiteral("tls-key")}},
        {tr("PHP"),
         {QStringLiteral("demo"), QStringLiteral("fastcgi"), QStringLiteral("script"),
          QStringLiteral("docroot"), QStringLiteral("fastcgi-pool"), QStringLiteral("mode"),
          QStringLiteral("events"), QStringLiteral("on-php-error"),
          QStringLiteral("fastcgi-connect-timeout"), QStringLiteral("fastcgi-timeout"),
          QStringLiteral("fastcgi-idle"), QStringLiteral("fpm-status-path"),
          QStringLiteral("fpm-ping-path")}},
        {tr("Limits"),
         {QStringLiteral("max-message"), QStringLiteral("queue-limit"),
          QStringLiteral("send-buffer"), QStringLiteral("backpressure")}},
        {tr("Push API"),
         {QStringLiteral("push-listen"), QStringLiteral("push-token"),
          QStringLiteral("push-prefix")}},
        {tr("Logging"),
         {QStringLiteral("log-level"), QStringLiteral("traffic-log"),
          QStringLiteral("traffic-body-cap")}},
    };
    const QStringList known = ConfigurationParser::optionNames();
    QStringList placed;
    for (int t = 0; t < layout.size(); ++t) {
        auto *page = new QWidget(m_tabs);
        new QFormLayout(page);
        m_tabs->addTab(page, layout.at(t).first);
        for (const QString &name : layout.at(t).second) {
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
        auto *page = new QWidget(m_tabs);
        new QFormLayout(page);
        const int t = m_tabs->addTab(page, tr("Other"));
        for (const QString &name : rest)
            addField(t, name, name, makeField(name));
    }
    for (const QString &name : known) {
        if (m_fields.contains(name))
            m_order << name;
    }

    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #c01c28;"));
    m_error->setObjectName(QStringLiteral("settingsError"));
    auto *note = new QLabel(tr("Changes apply the next time the gateway starts. Flags given on "
                               "the command line win over these settings."),
                            this);
    note->setWordWrap(true);
    note->setStyleSheet(QStringLiteral("color: #77767b;"));

    auto *buttons = new QDialogButtonBox(
        QDialogButtonBox::Ok | QDialogButtonBox::Cancel | QDialogButtonBox::RestoreDefaults, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &SettingsDialog::reject);
    connect(buttons->button(QDialogButtonBox::RestoreDefaults), &QPushButton::clicked, this,
            [this] { setConfiguration(Configuration()); });

    auto *main = new QVBoxLayout(this);
    main->addWidget(m_tabs, 1);
    main->addWidget(note);
    main->addWidget(m_error);
    main->addWidget(buttons);
    setConfiguration(config);
    resize(620, 520);
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
    if (name == QLatin1String("demo")) {
        auto *check = new QCheckBox(tr("Managed PHP-FPM with the example chat handler"), parent);
        return check;
    }
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
    if (name == QLatin1String("push-token"))
        edit->setEchoMode(QLineEdit::PasswordEchoOnEdit);
    if (isFileOption(name) || name == QLatin1String("docroot")) {
        auto *box = new QWidget(parent);
        auto *row = new QHBoxLayout(box);
        row->setContentsMargins(0, 0, 0, 0);
        edit->setParent(box);
        row->addWidget(edit, 1);
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
        box->setFocusProxy(edit);
        return box;
    }
    return edit;
}

void SettingsDialog::addField(int tab, const QString &name, const QString &label, QWidget *widget) {
    auto *form = static_cast<QFormLayout *>(m_tabs->widget(tab)->layout());
    widget->setObjectName(name);
    const QString help = m_help.value(name);
    widget->setToolTip(help);
    auto *caption = new QLabel(QStringLiteral("--%1").arg(label), m_tabs->widget(tab));
    caption->setToolTip(help);
    caption->setFont([] {
        QFont f;
        f.setFamily(QStringLiteral("monospace"));
        f.setStyleHint(QFont::Monospace);
        return f;
    }());
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
            text = isBytesOption(it.key()) ? bytesText(qint64(v.toDouble()))
                                           : QString::number(qint64(v.toDouble()));
        else
            text = v.toString();
        setOptionText(it.key(), text);
    }
    showError({});
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
    it->widget->setStyleSheet(QString::fromLatin1(ErrorStyle));
    it->widget->setFocus();
}

void SettingsDialog::accept() {
    if (validateInput().isEmpty())
        QDialog::accept();
}
