#include "startpage.h"

#include "theme.h"
#include "themecolors.h"

#include "fpm/fpmpoller.h"

#include <QApplication>
#include <QClipboard>
#include <QFileDialog>
#include <QFontDatabase>
#include <QFormLayout>
#include <QFrame>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace {

constexpr int CommandLines = 3; // height of the copyable command boxes
constexpr int MaxPageWidthChars = 140;
enum PoolColumn { NameColumn, VersionColumn, ListenColumn, AccessColumn, StatusPageColumn };

QPlainTextEdit *commandBox(QWidget *parent, const QString &name) {
    auto *box = new QPlainTextEdit(parent);
    box->setObjectName(name);
    box->setReadOnly(true);
    box->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    box->setLineWrapMode(QPlainTextEdit::NoWrap);
    box->setFixedHeight(box->fontMetrics().lineSpacing() * CommandLines + 2 * box->frameWidth() +
                        8);
    return box;
}

} // namespace

StartPage::StartPage(QWidget *parent)
    : QWidget(parent)
    , m_message(new QLabel(this))
    , m_demo(new QPushButton(tr("Start the &demo"), this))
    , m_poolList(new QTreeWidget(this))
    , m_check(new QLabel(this))
    , m_fix(commandBox(this, QStringLiteral("startFix")))
    , m_copyFix(new QPushButton(tr("Copy"), this))
    , m_statusLabel(new QLabel(this))
    , m_statusLines(commandBox(this, QStringLiteral("startStatusLines")))
    , m_copyStatus(new QPushButton(tr("Copy"), this))
    , m_script(new QLineEdit(this))
    , m_docroot(new QLineEdit(this))
    , m_use(new QPushButton(tr("&Use this pool and start"), this))
    , m_noPools(new QLabel(this)) {
    setObjectName(QStringLiteral("startPage"));
    Theme::setIcon(m_demo, QStringLiteral("start"));
    Theme::setIcon(m_copyFix, QStringLiteral("copy"));
    Theme::setIcon(m_copyStatus, QStringLiteral("copy"));
    Theme::setIcon(m_use, QStringLiteral("start"));
    m_message->setWordWrap(true);
    m_message->setObjectName(QStringLiteral("startMessage"));
    m_message->hide();

    auto *title = new QLabel(tr("<h2>wsgate — WebSockets for PHP-FPM</h2><p>Every WebSocket "
                                "event becomes an ordinary FastCGI request to PHP, and PHP's "
                                "answer goes back to the client. There is nothing to start "
                                "yet: pick one.</p>"),
                             this);
    title->setWordWrap(true);

    // 1. The demo.
    auto *demoBox = new QGroupBox(tr("1. Try it: the demo"), this);
    auto *demoText = new QLabel(tr("wsgate starts its own PHP-FPM with the example chat "
                                   "handler and serves a test page; the page opens in your "
                                   "browser. Nothing on this machine is changed."),
                                demoBox);
    demoText->setWordWrap(true);
    m_demo->setObjectName(QStringLiteral("startDemo"));
    m_demo->setDefault(true);
    auto *demoLayout = new QVBoxLayout(demoBox);
    demoLayout->addWidget(demoText);
    auto *demoRow = new QHBoxLayout;
    demoRow->addWidget(m_demo);
    demoRow->addStretch(1);
    demoLayout->addLayout(demoRow);

    // 2. The user's own pool.
    auto *fpmBox = new QGroupBox(tr("2. Use my PHP-FPM"), this);
    m_poolList->setObjectName(QStringLiteral("startPools"));
    m_poolList->setRootIsDecorated(false);
    m_poolList->setColumnCount(5);
    m_poolList->setHeaderLabels(
        {tr("Pool"), tr("PHP"), tr("Listens on"), tr("Can connect"), tr("Status page")});
    m_poolList->header()->setStretchLastSection(true);
    m_poolList->setColumnWidth(NameColumn, fontMetrics().averageCharWidth() * 14);
    m_poolList->setColumnWidth(VersionColumn, fontMetrics().averageCharWidth() * 6);
    m_poolList->setColumnWidth(ListenColumn, fontMetrics().averageCharWidth() * 34);
    m_poolList->setColumnWidth(AccessColumn, fontMetrics().averageCharWidth() * 16);
    m_poolList->setMaximumHeight(fontMetrics().lineSpacing() * 8);
    m_noPools->setWordWrap(true);
    m_noPools->hide();
    m_check->setWordWrap(true);
    m_check->setObjectName(QStringLiteral("startCheck"));
    m_check->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_statusLabel->setWordWrap(true);
    m_statusLabel->setText(tr("The pool's status page is off: the PHP-FPM tab shows its workers "
                              "once these two lines are in the pool's config (then reload "
                              "php-fpm):"));
    m_statusLines->setPlainText(FpmPoller::enableConfigLines().join(QLatin1Char('\n')));
    connect(m_copyFix, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(m_fix->toPlainText()); });
    connect(m_copyStatus, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(m_statusLines->toPlainText()); });

    m_script->setObjectName(QStringLiteral("startScript"));
    m_script->setPlaceholderText(tr("/var/www/app/ws.php — the handler, as PHP-FPM sees it"));
    m_docroot->setPlaceholderText(tr("optional; default: the script's directory"));
    auto *browse = new QToolButton(this);
    browse->setText(QStringLiteral("…"));
    browse->setToolTip(tr("Browse"));
    connect(browse, &QToolButton::clicked, this, [this] {
        const QString picked = QFileDialog::getOpenFileName(
            this, tr("Handler script"), m_script->text(), tr("PHP scripts (*.php);;All files (*)"));
        if (!picked.isEmpty())
            m_script->setText(picked);
    });
    connect(m_script, &QLineEdit::textChanged, this, &StartPage::updateUseButton);
    m_use->setObjectName(QStringLiteral("startUse"));
    connect(m_use, &QPushButton::clicked, this, [this] {
        const int i = m_poolList->indexOfTopLevelItem(m_poolList->currentItem());
        if (i < 0 || i >= m_pools.size() || m_script->text().trimmed().isEmpty())
            return;
        Q_EMIT useFpmRequested(m_pools.at(i).address, m_script->text().trimmed(),
                               m_docroot->text().trimmed());
    });
    connect(m_poolList, &QTreeWidget::currentItemChanged, this, &StartPage::showSelected);
    auto *rescanButton = new QPushButton(tr("Look again"), this);
    connect(rescanButton, &QPushButton::clicked, this, &StartPage::rescan);

    auto *fpmLayout = new QVBoxLayout(fpmBox);
    fpmLayout->addWidget(
        new QLabel(tr("Pools found in /etc/php/*/fpm/pool.d and /run/php:"), fpmBox));
    fpmLayout->addWidget(m_poolList);
    fpmLayout->addWidget(m_noPools);
    fpmLayout->addWidget(m_check);
    auto *fixRow = new QHBoxLayout;
    fixRow->addWidget(m_fix, 1);
    fixRow->addWidget(m_copyFix, 0, Qt::AlignTop);
    fpmLayout->addLayout(fixRow);
    fpmLayout->addWidget(m_statusLabel);
    auto *statusRow = new QHBoxLayout;
    statusRow->addWidget(m_statusLines, 1);
    statusRow->addWidget(m_copyStatus, 0, Qt::AlignTop);
    fpmLayout->addLayout(statusRow);
    auto *form = new QFormLayout;
    auto *scriptRow = new QHBoxLayout;
    scriptRow->addWidget(m_script, 1);
    scriptRow->addWidget(browse);
    form->addRow(tr("Handler script"), scriptRow);
    form->addRow(tr("Document root"), m_docroot);
    fpmLayout->addLayout(form);
    auto *useRow = new QHBoxLayout;
    useRow->addWidget(rescanButton);
    useRow->addStretch(1);
    useRow->addWidget(m_use);
    fpmLayout->addLayout(useRow);

    auto *attachBox = new QGroupBox(tr("3. Watch a wsgated that runs elsewhere"), this);
    auto *attachText = new QLabel(tr("The same views, for a headless wsgated on a server: "
                                     "through its admin API, with its push token or an admin "
                                     "read token."),
                                  attachBox);
    attachText->setWordWrap(true);
    m_attach = new QPushButton(tr("Connect to wsgated…"), attachBox);
    m_attach->setObjectName(QStringLiteral("startAttach"));
    auto *attachLayout = new QVBoxLayout(attachBox);
    attachLayout->addWidget(attachText);
    auto *attachRow = new QHBoxLayout;
    attachRow->addWidget(m_attach);
    attachRow->addStretch(1);
    attachLayout->addLayout(attachRow);
    connect(m_attach, &QPushButton::clicked, this, &StartPage::attachRequested);

    auto *content = new QWidget(this);
    content->setMaximumWidth(fontMetrics().averageCharWidth() * MaxPageWidthChars);
    auto *column = new QVBoxLayout(content);
    column->addWidget(title);
    column->addWidget(m_message);
    column->addWidget(demoBox);
    column->addWidget(fpmBox);
    column->addWidget(attachBox);
    column->addStretch(1);
    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto *centre = new QWidget(scroll);
    auto *centreLayout = new QHBoxLayout(centre);
    centreLayout->addStretch(1);
    centreLayout->addWidget(content, 100);
    centreLayout->addStretch(1);
    scroll->setWidget(centre);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(scroll);
    connect(m_demo, &QPushButton::clicked, this, &StartPage::demoRequested);
    rescan();
}

void StartPage::setMessage(const QString &text) {
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
    QPalette p;
    p.setColor(QPalette::WindowText, ThemeColors::color(ThemeColors::Tone::Warning, palette()));
    m_message->setPalette(p);
}

QString StartPage::messageText() const {
    return m_message->isHidden() ? QString() : m_message->text();
}

void StartPage::setScanRoots(const QString &etcRoot, const QString &runDir) {
    m_etcRoot = etcRoot;
    m_runDir = runDir;
    rescan();
}

void StartPage::rescan() {
    const FpmPoolScanner scanner(m_etcRoot, m_runDir);
    m_pools = scanner.pools();
    m_poolList->clear();
    for (const FpmPoolScanner::Pool &p : std::as_const(m_pools)) {
        auto *item = new QTreeWidgetItem(m_poolList);
        item->setText(NameColumn, p.name);
        item->setText(VersionColumn, p.phpVersion);
        item->setText(ListenColumn, p.listen);
        QString access = tr("TCP");
        ThemeColors::Tone tone = ThemeColors::Tone::Muted;
        if (p.address.startsWith(QLatin1String("unix:"))) {
            const FpmPoolScanner::SocketCheck c = FpmPoolScanner::checkSocket(p.address.mid(5));
            access = c.connectable ? tr("✓ yes") : !c.exists ? tr("✗ no socket") : tr("✗ no");
            tone = c.connectable ? ThemeColors::Tone::Ok : ThemeColors::Tone::Error;
        }
        item->setText(AccessColumn, access);
        item->setForeground(AccessColumn, ThemeColors::color(tone, palette()));
        item->setText(StatusPageColumn, !p.fromConfig            ? tr("unknown")
                                        : p.statusPath.isEmpty() ? tr("off")
                                                                 : p.statusPath);
    }
    const bool none = m_pools.isEmpty();
    m_poolList->setVisible(!none);
    m_noPools->setVisible(none);
    m_noPools->setText(
        scanner.fpmInstalled()
            ? tr("PHP-FPM is installed but no pool was found. Is it running? sudo systemctl "
                 "start php8.2-fpm")
            : tr("No PHP-FPM here. Install it with: sudo apt install php8.2-fpm — or start "
                 "the demo, which needs only the php-fpm binary."));
    if (!none)
        m_poolList->setCurrentItem(m_poolList->topLevelItem(0));
    showSelected();
}

void StartPage::selectPool(int index) {
    if (QTreeWidgetItem *item = m_poolList->topLevelItem(index))
        m_poolList->setCurrentItem(item);
}

void StartPage::setScript(const QString &script) {
    m_script->setText(script);
}

void StartPage::setCurrent(const QString &fastcgiAddress, const QString &script,
                           const QString &docroot) {
    for (int i = 0; i < m_pools.size(); ++i) {
        if (m_pools.at(i).address == fastcgiAddress)
            selectPool(i);
    }
    if (!script.isEmpty())
        m_script->setText(script);
    if (!docroot.isEmpty())
        m_docroot->setText(docroot);
}

QString StartPage::checkText() const {
    return m_check->text();
}

QString StartPage::fixText() const {
    return m_fix->isHidden() ? QString() : m_fix->toPlainText();
}

QString StartPage::statusPageText() const {
    return m_statusLines->isHidden() ? QString() : m_statusLines->toPlainText();
}

void StartPage::showSelected() {
    const int i = m_poolList->indexOfTopLevelItem(m_poolList->currentItem());
    const bool any = i >= 0 && i < m_pools.size();
    QString check;
    QString fix;
    bool statusOff = false;
    if (any) {
        const FpmPoolScanner::Pool &p = m_pools.at(i);
        statusOff = p.fromConfig && p.statusPath.isEmpty();
        if (p.address.startsWith(QLatin1String("unix:"))) {
            const FpmPoolScanner::SocketCheck c = FpmPoolScanner::checkSocket(p.address.mid(5));
            check = c.connectable ? tr("✓ %1 (%2:%3, mode %4): this user can connect.")
                                        .arg(c.path, c.owner, c.group, c.mode)
                                  : QStringLiteral("✗ ") + c.problem;
            fix = c.fix;
            QPalette pal;
            pal.setColor(
                QPalette::WindowText,
                ThemeColors::color(c.connectable ? ThemeColors::Tone::Ok : ThemeColors::Tone::Error,
                                   palette()));
            m_check->setPalette(pal);
        } else {
            check = tr("%1 is a TCP address: nothing to check until the gateway connects.")
                        .arg(p.listen);
            m_check->setPalette(QPalette());
        }
        if (!p.fromConfig)
            check += tr(" No pool config names this socket, so its status page is unknown.");
    }
    m_check->setText(check);
    m_check->setVisible(any);
    m_fix->setPlainText(fix);
    m_fix->setVisible(!fix.isEmpty());
    m_copyFix->setVisible(!fix.isEmpty());
    m_statusLabel->setVisible(statusOff);
    m_statusLines->setVisible(statusOff);
    m_copyStatus->setVisible(statusOff);
    updateUseButton();
}

void StartPage::updateUseButton() {
    const bool pool = m_poolList->currentItem() != nullptr;
    const bool script = !m_script->text().trimmed().isEmpty();
    m_use->setEnabled(pool && script);
    m_use->setToolTip(!pool     ? tr("Pick a pool first")
                      : !script ? tr("Name the handler script PHP-FPM runs")
                                : tr("Save these settings and start the gateway"));
}
