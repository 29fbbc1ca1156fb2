#include "mainwindow.h"

#include "connectionsview.h"
#include "conversationview.h"
#include "fpmpanel.h"
#include "pushpanel.h"
#include "remotebanner.h"
#include "secretstore.h"
#include "settingsdialog.h"
#include "settingsstore.h"
#include "setupflow.h"
#include "startpage.h"
#include "steadylabel.h"
#include "testclientpanel.h"
#include "theme.h"
#include "themecolors.h"
#include "trafficdetailwidget.h"
#include "trafficlogview.h"
#include "trafficreplay.h"
#include "xdebugtrigger.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDesktopServices>
#include <QDockWidget>
#include <QFileInfo>
#include <QFontDatabase>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>
#include <QVBoxLayout>

// Outside any namespace, as Q_INIT_RESOURCE requires; the call also makes the linker keep the
// icons, which live in a static library.
static void initUiResources() {
    Q_INIT_RESOURCE(ui);
}

namespace {

constexpr int DefaultWidthPx = 1440;
constexpr int DefaultHeightPx = 900;
// The default size takes at most this share of the screen's free area (a 1366×768 laptop).
constexpr qreal MaxScreenShare = 0.9;
constexpr int GatewayLogMaxLines = 5000;
constexpr int StatusMessageMs = 6000;
constexpr int WindowStateVersion = 1;
const char *const DarkThemeKey = "view/darkTheme";

QIcon icon(const char *name) {
    return Theme::icon(QLatin1String(name));
}

SteadyLabel *statusLabel(QWidget *parent) {
    auto *label = new SteadyLabel(parent);
    label->setContentsMargins(6, 0, 6, 0);
    return label;
}

} // namespace

MainWindow::MainWindow(const Configuration &config, QSettings *settings, QWidget *parent)
    : QMainWindow(parent)
    , m_settings(settings ? settings : new QSettings(this))
    , m_secrets(std::make_unique<SecretStore>())
    , m_controller(new EngineController(this))
    , m_central(new QStackedWidget(this))
    , m_startPage(new StartPage(this))
    , m_tabs(new QTabWidget(this))
    , m_traffic(new TrafficLogView(config.trafficLogEntries, this))
    , m_connections(new ConnectionsView(this))
    , m_conversation(new ConversationView(this))
    , m_fpm(new FpmPanel(this))
    , m_gatewayLog(new QPlainTextEdit(this))
    , m_push(new PushPanel(m_controller, this))
    , m_testClient(new TestClientPanel(this))
    , m_pushDock(new QDockWidget(tr("Push"), this))
    , m_testClientDock(new QDockWidget(tr("Test client"), this))
    , m_remoteBanner(new RemoteBanner(this))
    , m_stateLabel(statusLabel(this))
    , m_urlLabel(statusLabel(this))
    , m_connectionsLabel(statusLabel(this))
    , m_rateLabel(statusLabel(this))
    , m_fpmLabel(statusLabel(this))
    , m_clusterLabel(statusLabel(this))
    , m_demoLabel(new QLabel(this))
    , m_setup(new SetupFlow(m_controller, m_settings, m_secrets.get(), this)) {
    m_openUrl = [](const QUrl &url) { return QDesktopServices::openUrl(url); };
    initUiResources();
    if (m_settings->value(QLatin1String(DarkThemeKey)).toBool()) {
        Theme::apply(true);
        Theme::refreshIcons(this); // the views above were built with the light theme's
    }
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(QStringLiteral("wsgate"));
    setWindowIcon(icon("wsgate"));
    m_controller->setConfiguration(config);

    m_gatewayLog->setReadOnly(true);
    m_gatewayLog->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_gatewayLog->setMaximumBlockCount(GatewayLogMaxLines);
    m_gatewayLog->setLineWrapMode(QPlainTextEdit::NoWrap);

    m_tabs->setObjectName(QStringLiteral("mainTabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_traffic, icon(TabIcons[0]), tr("&Traffic"));
    m_tabs->addTab(m_connections, icon(TabIcons[1]), tr("C&onnections"));
    m_tabs->addTab(m_conversation, icon(TabIcons[2]), tr("Conversat&ion"));
    m_tabs->addTab(m_fpm, icon(TabIcons[3]), tr("&PHP-FPM"));
    m_tabs->addTab(m_gatewayLog, icon(TabIcons[4]), tr("&Gateway log"));
    m_central->addWidget(m_startPage);
    m_central->addWidget(m_tabs);
    // The banner above every view says which gateway they show when it is not our own.
    auto *centralBox = new QWidget(this);
    auto *centralLayout = new QVBoxLayout(centralBox);
    centralLayout->setContentsMargins(0, 0, 0, 0);
    centralLayout->setSpacing(0);
    centralLayout->addWidget(m_remoteBanner);
    centralLayout->addWidget(m_central, 1);
    setCentralWidget(centralBox);

    m_pushDock->setObjectName(QStringLiteral("pushDock"));
    m_pushDock->setWidget(m_push);
    m_testClientDock->setObjectName(QStringLiteral("testClientDock"));
    m_testClientDock->setWidget(m_testClient);
    addDockWidget(Qt::RightDockWidgetArea, m_pushDock);
    addDockWidget(Qt::RightDockWidgetArea, m_testClientDock);
    tabifyDockWidget(m_pushDock, m_testClientDock);
    m_pushDock->raise();
    resizeDocks({m_pushDock}, {480}, Qt::Horizontal);

    createActions();
    createStatusBar();

    connect(m_controller, &EngineController::stateChanged, this, &MainWindow::onStateChanged);
    connect(m_controller, &EngineController::sampled, this, &MainWindow::onSampled);
    connect(m_controller, &EngineController::fpmSampled, this, &MainWindow::onFpmSampled);
    connect(m_controller, &EngineController::entriesArrived, m_traffic,
            &TrafficLogView::appendEntries);
    connect(m_controller, &EngineController::entriesArrived, m_conversation,
            &ConversationView::appendEntries);
    connect(m_controller, &EngineController::logLines, this, [this](const QStringList &lines) {
        const QString time = QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss.zzz "));
        for (const QString &line : lines)
            m_gatewayLog->appendPlainText(time + line);
    });
    connect(m_controller, &EngineController::attachmentChanged, this,
            [this] { m_remoteBanner->showRemotes(m_controller->remotes()); });
    connect(m_remoteBanner, &RemoteBanner::disconnectRequested, m_controller,
            &EngineController::detach);
    connect(m_remoteBanner, &RemoteBanner::allNodesRequested, this, &MainWindow::attachToAllNodes);
    connect(m_remoteBanner, &RemoteBanner::nodeRequested, this, [this](const QUrl &url) {
        if (!m_controller->remote())
            return;
        RemoteTarget target = m_controller->remote()->target();
        target.url = url;
        attachTo(target, false);
    });
    connect(m_controller, &EngineController::startFailed, this, [this](const QString &error) {
        m_gatewayLog->appendPlainText(tr("start failed: %1").arg(error));
        statusBar()->showMessage(tr("Could not start: %1").arg(error), StatusMessageMs);
        // Not modal: a failed start must not block anything (nor an offscreen test).
        auto *box = new QMessageBox(QMessageBox::Warning, tr("wsgate"),
                                    tr("The gateway could not start."), QMessageBox::Ok, this);
        box->setInformativeText(error);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->setObjectName(QStringLiteral("startFailedBox"));
        box->show();
    });

    connect(m_connections, &ConnectionsView::pushRequested, this, &MainWindow::pushToClient);
    connect(m_connections, &ConnectionsView::showTrafficRequested, this,
            &MainWindow::showClientTraffic);
    connect(m_connections, &ConnectionsView::conversationRequested, this,
            &MainWindow::showConversation);
    connect(m_connections, &ConnectionsView::debugNextMessageRequested, this,
            &MainWindow::debugNextMessage);
    connect(m_conversation, &ConversationView::showTrafficRequested, this,
            &MainWindow::showClientTraffic);
    connect(m_conversation, &ConversationView::pushRequested, this, &MainWindow::pushToClient);
    connect(m_startPage, &StartPage::demoRequested, m_setup, &SetupFlow::startDemo);
    connect(m_startPage, &StartPage::useFpmRequested, m_setup, &SetupFlow::useOwnFpm);
    connect(m_startPage, &StartPage::attachRequested, this, &MainWindow::openAttachDialog);
    connect(m_setup, &SetupFlow::message, this,
            [this](const QString &text) { statusBar()->showMessage(text, StatusMessageMs); });
    connect(m_setup, &SetupFlow::problem, this, &MainWindow::showStartPage);
    connect(m_setup, &SetupFlow::configured, this, &MainWindow::showTabs);
    connect(m_setup, &SetupFlow::startRequested, this, [this](bool restart, bool openPage) {
        m_openDemoWhenRunning = openPage;
        if (restart)
            restartGateway();
        else
            startGateway();
    });
    connect(m_connections, &ConnectionsView::closeRequested, this,
            [this](const QByteArray &id, int code, const QString &reason) {
                m_controller->closeClient(
                    id, code, reason, this, [this, id, code](bool found, const QString &error) {
                        const QString client = QString::fromLatin1(id);
                        statusBar()->showMessage(
                            found             ? tr("Closed %1 with %2").arg(client).arg(code)
                            : error.isEmpty() ? tr("%1 is already gone").arg(client)
                                              : tr("Could not close %1: %2").arg(client, error),
                            StatusMessageMs);
                    });
            });
    // The traffic view replays from its own copy of each entry, through the controller; the
    // conversation's detail pane holds a copy too and replays the same way.
    m_traffic->setController(m_controller);
    m_traffic->setSettings(m_settings);
    connect(m_traffic, &TrafficLogView::statusMessage, this,
            [this](const QString &text) { statusBar()->showMessage(text, StatusMessageMs); });
    connect(m_conversation->detail(), &TrafficDetailWidget::replayRequested, this,
            [this] { m_traffic->replayer()->replay(m_conversation->detail()->entry()); });
    connect(m_conversation->detail(), &TrafficDetailWidget::editReplayRequested, this,
            [this] { m_traffic->editReplay(m_conversation->detail()->entry()); });

    QSize size(DefaultWidthPx, DefaultHeightPx);
    if (const QScreen *where = screen())
        size = size.boundedTo(where->availableGeometry().size() * MaxScreenShare);
    resize(size);
    restoreWindowState();
    if (SetupFlow::needsSetup(config)) {
        m_startPage->setCurrent(config.fastcgi.toString(), config.script, config.docroot);
        showStartPage({});
    } else {
        showTabs();
    }
    onStateChanged(m_controller->state());
}

MainWindow::~MainWindow() {
    // Stop the engine before the views it feeds go away.
    m_controller->shutdown();
}

void MainWindow::createStatusBar() {
    m_urlLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_urlLabel->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_demoLabel->setObjectName(QStringLiteral("demoLabel"));
    m_demoLabel->setContentsMargins(6, 0, 6, 0);
    m_demoLabel->setTextFormat(Qt::RichText);
    m_demoLabel->setToolTip(tr("The gateway's test page (Ctrl+D opens it)"));
    m_demoLabel->hide();
    connect(m_demoLabel, &QLabel::linkActivated, this,
            [this](const QString &link) { m_openUrl(QUrl(link)); });
    statusBar()->addPermanentWidget(m_stateLabel);
    statusBar()->addPermanentWidget(m_urlLabel);
    statusBar()->addPermanentWidget(m_demoLabel);
    statusBar()->addPermanentWidget(m_connectionsLabel);
    statusBar()->addPermanentWidget(m_rateLabel);
    statusBar()->addPermanentWidget(m_fpmLabel);
    m_clusterLabel->setObjectName(QStringLiteral("clusterLabel"));
    m_clusterLabel->hide();
    statusBar()->addPermanentWidget(m_clusterLabel);
}

QString MainWindow::statusText() const {
    return QStringList{m_stateLabel->text(),
                       m_urlLabel->text(),
                       m_demoLabel->isHidden() ? QString() : m_demoLabel->text(),
                       m_connectionsLabel->text(),
                       m_rateLabel->text(),
                       m_fpmLabel->text(),
                       m_clusterLabel->isHidden() ? QString() : m_clusterLabel->text()}
        .join(QStringLiteral(" | "));
}

void MainWindow::restoreWindowState() {
    m_settings->beginGroup(QStringLiteral("window"));
    if (m_settings->contains(QStringLiteral("geometry")))
        restoreGeometry(m_settings->value(QStringLiteral("geometry")).toByteArray());
    if (m_settings->contains(QStringLiteral("state")))
        restoreState(m_settings->value(QStringLiteral("state")).toByteArray(), WindowStateVersion);
    if (m_settings->contains(QStringLiteral("trafficSplitter")))
        m_traffic->splitter()->restoreState(
            m_settings->value(QStringLiteral("trafficSplitter")).toByteArray());
    m_tabs->setCurrentIndex(m_settings->value(QStringLiteral("tab"), 0).toInt());
    m_settings->endGroup();
}

void MainWindow::saveWindowState() {
    m_settings->beginGroup(QStringLiteral("window"));
    m_settings->setValue(QStringLiteral("geometry"), saveGeometry());
    m_settings->setValue(QStringLiteral("state"), saveState(WindowStateVersion));
    m_settings->setValue(QStringLiteral("trafficSplitter"), m_traffic->splitter()->saveState());
    m_settings->setValue(QStringLiteral("tab"), m_tabs->currentIndex());
    m_settings->endGroup();
    m_settings->sync();
}

void MainWindow::closeEvent(QCloseEvent *event) {
    saveWindowState();
    m_controller->shutdown();
    event->accept();
}

void MainWindow::startGateway() {
    const Configuration &c = m_controller->configuration();
    if (SetupFlow::needsSetup(c)) {
        // Starting would only fail on the first message: say what is missing instead.
        const QString missing = tr("Nothing to start yet: no handler script is set. Start the "
                                   "demo, or pick your PHP-FPM pool and the script it runs.");
        statusBar()->showMessage(missing, StatusMessageMs);
        showStartPage(missing);
        return;
    }
    if (!c.demo && c.fastcgi.kind == FastCgiAddress::Kind::Unix &&
        !QFileInfo::exists(c.fastcgi.path))
        statusBar()->showMessage(
            tr("Starting, but %1 does not exist (yet): is php-fpm running?").arg(c.fastcgi.path),
            StatusMessageMs);
    showTabs();
    m_traffic->setCapacity(c.trafficLogEntries);
    m_controller->start();
}

void MainWindow::restartGateway() {
    if (m_controller->state() == EngineController::State::Stopped) {
        startGateway();
        return;
    }
    // Once stopped, start again: one connection, gone after it fired.
    auto *once = new QObject(this);
    connect(m_controller, &EngineController::stateChanged, once,
            [this, once](EngineController::State state) {
                if (state != EngineController::State::Stopped)
                    return;
                once->deleteLater();
                startGateway();
            });
    m_controller->stop();
}

void MainWindow::stopGateway() {
    m_controller->stop();
}

void MainWindow::toggleGateway() {
    if (m_controller->state() == EngineController::State::Stopped)
        startGateway();
    else
        stopGateway();
}

void MainWindow::onStateChanged(EngineController::State state) {
    const bool stopped = state == EngineController::State::Stopped;
    const bool running = state == EngineController::State::Running;
    const bool attached = m_controller->isAttached();
    m_startStop->setText(stopped    ? tr("&Start gateway")
                         : attached ? tr("&Disconnect from wsgated")
                                    : tr("&Stop gateway"));
    Theme::setIcon(m_startStop, QLatin1String(stopped ? "start" : "stop"));
    m_startStop->setToolTip(stopped    ? tr("Start the gateway (F5)")
                            : attached ? tr("Disconnect from the attached wsgated (F5)")
                                       : tr("Stop the gateway (F5)"));
    m_startStop->setEnabled(state == EngineController::State::Stopped || running);
    m_stateLabel->setText(QStringLiteral("<b>%1</b>").arg(EngineController::stateText(state)));
    QPalette statePalette;
    if (running)
        statePalette.setColor(QPalette::WindowText, ThemeColors::color(ThemeColors::Tone::Ok));
    m_stateLabel->setPalette(running ? statePalette : QPalette());
    const QString url = m_controller->listenUrl();
    m_urlLabel->setText(url);
    const QUrl page = demoPageUrl();
    m_demoLabel->setText(
        page.isEmpty()
            ? QString()
            : tr("demo page: <a href=\"%1\">%1</a>").arg(page.toString().toHtmlEscaped()));
    m_demoLabel->setVisible(!page.isEmpty());
    m_openDemoAction->setVisible(!page.isEmpty());
    m_startStop->setProperty("wsgateIcon", QLatin1String(stopped ? "start" : "stop"));
    if (running && m_openDemoWhenRunning) {
        m_openDemoWhenRunning = false;
        if (!page.isEmpty())
            m_openUrl(page);
    }
    const QString now = QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss.zzz"));
    if (running && attached) {
        m_testClient->setDefaultUrl(url);
        const QString admin = m_controller->remote()->target().url.toDisplayString();
        m_gatewayLog->appendPlainText(
            tr("%1 attached to wsgated at %2; its clients connect to %3").arg(now, admin, url));
        statusBar()->showMessage(tr("Attached to %1").arg(admin), StatusMessageMs);
    } else if (running) {
        m_testClient->setDefaultUrl(url);
        m_gatewayLog->appendPlainText(tr("%1 listening on %2").arg(now, url));
        statusBar()->showMessage(tr("Gateway running on %1").arg(url), StatusMessageMs);
    }
    if (stopped) {
        m_openDemoWhenRunning = false;
        m_conversation->setStopped(QDateTime::currentMSecsSinceEpoch());
        m_connections->setClients({}, QDateTime::currentMSecsSinceEpoch());
        m_connectionsLabel->setText(tr("0 connections"));
        m_rateLabel->clear();
        m_fpmLabel->clear();
        for (SteadyLabel *label : {m_connectionsLabel, m_rateLabel, m_fpmLabel})
            label->resetSize();
        m_fpm->setStopped();
    }
    setWindowTitle(!running   ? QStringLiteral("wsgate")
                   : attached ? tr("wsgate — attached to %1")
                                    .arg(m_controller->remote()->target().url.toDisplayString())
                              : QStringLiteral("wsgate — %1").arg(url));
}

void MainWindow::onSampled(const EngineSample &sample) {
    if (!sample.snapshot)
        return;
    const GatewaySnapshot &snap = *sample.snapshot;
    m_connections->setClients(snap.clients, snap.timeMs);
    m_conversation->setClients(snap.clients, snap.timeMs);
    QStringList ids;
    ids.reserve(snap.clients.size());
    for (const ClientSnapshot &c : snap.clients)
        ids << QString::fromLatin1(c.id);
    m_push->setLiveLists(ids, snap.users, snap.groups);
    m_connectionsLabel->setSteadyText(tr("%n connection(s)", nullptr, int(sample.connections)));
    m_rateLabel->setSteadyText(
        tr("in %1/s · out %2/s")
            .arg(sample.messagesInPerSec, 0, 'f', sample.messagesInPerSec < 10 ? 1 : 0)
            .arg(sample.messagesOutPerSec, 0, 'f', sample.messagesOutPerSec < 10 ? 1 : 0));
    m_fpm->setEngineSample(sample);
    m_clusterLabel->setVisible(sample.cluster);
    if (sample.cluster)
        m_clusterLabel->setSteadyText(
            sample.clusterUp
                ? (sample.clusterNodes == 1 ? tr("cluster: 1 node")
                                            : tr("cluster: %1 nodes").arg(sample.clusterNodes))
                : ThemeColors::span(ThemeColors::Tone::Error, tr("cluster: Redis unreachable")));

    // PHP state from the gateway's own view, refined by the poller when it has spoken.
    QString php = m_fpmText;
    if (!snap.lastPhpError.isEmpty() && snap.lastPhpErrorMs > snap.lastPhpOkMs)
        php = ThemeColors::span(ThemeColors::Tone::Error, tr("PHP error"));
    m_fpmLabel->setSteadyText(php);
    m_fpmLabel->setToolTip(snap.lastPhpError.isEmpty()
                               ? QString()
                               : tr("Last PHP failure: %1").arg(snap.lastPhpError));
}

void MainWindow::onFpmSampled(const FpmSample &sample) {
    m_fpm->setFpmSample(sample);
    switch (sample.state) {
    case FpmPoller::State::Unknown:
        m_fpmText = tr("PHP-FPM: …");
        break;
    case FpmPoller::State::Ok:
        m_fpmText = sample.warnings.isEmpty()
                        ? tr("PHP-FPM: %1 (%2 workers)")
                              .arg(ThemeColors::span(ThemeColors::Tone::Ok, tr("ok")))
                              .arg(sample.status ? sample.status->totalProcesses : 0)
                        : tr("PHP-FPM: %1")
                              .arg(ThemeColors::span(
                                  ThemeColors::Tone::Warning,
                                  tr("%n warning(s)", nullptr, int(sample.warnings.size()))));
        break;
    case FpmPoller::State::NotEnabled:
        m_fpmText = tr("PHP-FPM: reachable, no status page");
        break;
    case FpmPoller::State::Unreachable:
        m_fpmText =
            tr("PHP-FPM: %1").arg(ThemeColors::span(ThemeColors::Tone::Error, tr("unreachable")));
        break;
    }
}

void MainWindow::openSettings() {
    m_setup->openSettings();
}

void MainWindow::showAbout() {
    QMessageBox::about(
        this, tr("About wsgate"),
        tr("<h3>wsgate</h3><p>%1</p><p>WebSockets for PHP-FPM applications: every WebSocket "
           "event becomes a FastCGI request to PHP-FPM, and PHP pushes back through a small HTTP "
           "API.</p>")
            .arg(ConfigurationParser::versionText(QStringLiteral("wsgate")).toHtmlEscaped()));
}

void MainWindow::pushToClient(const QByteArray &clientId) {
    m_push->setTarget(EngineController::Target::Client, QString::fromLatin1(clientId));
    m_pushDock->show();
    m_pushDock->raise();
    m_push->focusEditor();
}

void MainWindow::showClientTraffic(const QByteArray &clientId) {
    m_traffic->setClientFilter(clientId);
    m_tabs->setCurrentWidget(m_traffic);
}

void MainWindow::showConversation(const QByteArray &clientId) {
    m_conversation->showClient(clientId, m_connections->clientInfo(clientId));
    showTabs();
    m_tabs->setCurrentWidget(m_conversation);
}

void MainWindow::debugNextMessage(const QByteArray &clientId) {
    XdebugTrigger::arm(m_controller, clientId, this, [this](const QString &text) {
        statusBar()->showMessage(text, StatusMessageMs * 2);
    });
}

QUrl MainWindow::demoPageUrl() const {
    return m_setup->pageUrl();
}

bool MainWindow::showsStartPage() const {
    return m_central->currentWidget() == m_startPage;
}

void MainWindow::showStartPage(const QString &message) {
    m_startPage->setMessage(message);
    m_central->setCurrentWidget(m_startPage);
}

void MainWindow::showTabs() {
    m_central->setCurrentWidget(m_tabs);
}

void MainWindow::setDarkTheme(bool dark) {
    Theme::apply(dark);
    m_settings->setValue(QLatin1String(DarkThemeKey), dark);
    Theme::refreshIcons(this);
    for (int i = 0; i < m_tabs->count() && i < int(std::size(TabIcons)); ++i)
        m_tabs->setTabIcon(i, icon(TabIcons[i]));
    onStateChanged(m_controller->state()); // its colours
}

void MainWindow::focusFilter() {
    if (m_tabs->currentWidget() == m_connections) {
        m_connections->focusFilter();
        return;
    }
    m_tabs->setCurrentWidget(m_traffic);
    m_traffic->focusFilter();
}

void MainWindow::clearCurrent() {
    if (m_tabs->currentWidget() == m_gatewayLog)
        m_gatewayLog->clear();
    else
        m_traffic->clear();
}
