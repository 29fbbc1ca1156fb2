// MainWindow's menus, toolbar and shortcuts.

#include "mainwindow.h"

#include "connectionsview.h"
#include "conversationview.h"
#include "fpmpanel.h"
#include "pushpanel.h"
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
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>

void MainWindow::createActions() {
    m_startStop = new QAction(tr("&Start gateway"), this);
    Theme::setIcon(m_startStop, QStringLiteral("start"));
    m_startStop->setShortcut(Qt::Key_F5);
    m_startStop->setObjectName(QStringLiteral("startStopAction"));
    connect(m_startStop, &QAction::triggered, this, &MainWindow::toggleGateway);

    m_settingsAction = new QAction(tr("S&ettings…"), this);
    Theme::setIcon(m_settingsAction, QStringLiteral("settings"));
    m_settingsAction->setShortcuts(
        {QKeySequence(Qt::CTRL | Qt::Key_Comma), QKeySequence::Preferences});
    connect(m_settingsAction, &QAction::triggered, this, &MainWindow::openSettings);

    auto *pushAction = new QAction(tr("&Push…"), this);
    Theme::setIcon(pushAction, QStringLiteral("push"));
    pushAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    pushAction->setToolTip(tr("Push a message (Ctrl+K); targets the selected connection"));
    connect(pushAction, &QAction::triggered, this, [this] {
        const QByteArray id = m_connections->selectedClientId();
        if (!id.isEmpty() && m_tabs->currentWidget() == m_connections) {
            pushToClient(id);
            return;
        }
        m_pushDock->show();
        m_pushDock->raise();
        m_push->focusEditor();
    });

    auto *testClientAction = new QAction(tr("&Test client"), this);
    Theme::setIcon(testClientAction, QStringLiteral("connect"));
    testClientAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    connect(testClientAction, &QAction::triggered, this, [this] {
        m_testClientDock->show();
        m_testClientDock->raise();
        m_testClient->focusEditor();
    });

    auto *filterAction = new QAction(tr("&Filter"), this);
    Theme::setIcon(filterAction, QStringLiteral("filter"));
    filterAction->setShortcut(QKeySequence::Find);
    connect(filterAction, &QAction::triggered, this, &MainWindow::focusFilter);

    auto *clearAction = new QAction(tr("&Clear log"), this);
    Theme::setIcon(clearAction, QStringLiteral("clear"));
    clearAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    connect(clearAction, &QAction::triggered, this, &MainWindow::clearCurrent);

    auto *pauseAction = new QAction(tr("P&ause log"), this);
    Theme::setIcon(pauseAction, QStringLiteral("pause"));
    pauseAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_P));
    connect(pauseAction, &QAction::triggered, this,
            [this] { m_traffic->setPaused(!m_traffic->isPaused()); });

    auto *quitAction = new QAction(tr("&Quit"), this);
    quitAction->setShortcut(QKeySequence::Quit);
    connect(quitAction, &QAction::triggered, this, &QWidget::close);

    auto *aboutAction = new QAction(tr("&About wsgate"), this);
    Theme::setIcon(aboutAction, QStringLiteral("wsgate"));
    connect(aboutAction, &QAction::triggered, this, &MainWindow::showAbout);

    m_openDemoAction = new QAction(tr("Open &demo page"), this);
    Theme::setIcon(m_openDemoAction, QStringLiteral("connect"));
    m_openDemoAction->setObjectName(QStringLiteral("openDemoAction"));
    m_openDemoAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    m_openDemoAction->setVisible(false);
    connect(m_openDemoAction, &QAction::triggered, this, [this] {
        const QUrl url = demoPageUrl();
        if (!url.isEmpty())
            m_openUrl(url);
    });

    m_darkAction = new QAction(tr("&Dark theme"), this);
    m_darkAction->setObjectName(QStringLiteral("darkThemeAction"));
    m_darkAction->setCheckable(true);
    m_darkAction->setChecked(Theme::isDark());
    connect(m_darkAction, &QAction::toggled, this, &MainWindow::setDarkTheme);

    m_attachAction = new QAction(tr("&Connect to wsgated…"), this);
    Theme::setIcon(m_attachAction, QStringLiteral("connect"));
    m_attachAction->setObjectName(QStringLiteral("attachAction"));
    m_attachAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    m_attachAction->setToolTip(tr("Show a running wsgated through its admin API"));
    connect(m_attachAction, &QAction::triggered, this, &MainWindow::openAttachDialog);

    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_traffic->openCaptureAction());
    file->addSeparator();
    file->addAction(m_settingsAction);
    file->addSeparator();
    file->addAction(quitAction);
    QMenu *gateway = menuBar()->addMenu(tr("&Gateway"));
    gateway->addAction(m_startStop);
    gateway->addAction(m_attachAction);
    gateway->addAction(m_openDemoAction);
    gateway->addAction(pushAction);
    gateway->addAction(testClientAction);
    QMenu *log = menuBar()->addMenu(tr("&Log"));
    log->addAction(filterAction);
    log->addAction(pauseAction);
    log->addAction(clearAction);
    log->addSeparator();
    log->addAction(m_traffic->nextErrorAction());
    log->addAction(m_traffic->previousErrorAction());
    QMenu *view = menuBar()->addMenu(tr("&View"));
    for (int i = 0; i < m_tabs->count(); ++i) {
        auto *a = view->addAction(m_tabs->tabText(i).remove(QLatin1Char('&')));
        if (i < int(std::size(TabIcons)))
            Theme::setIcon(a, QLatin1String(TabIcons[i]));
        a->setShortcut(QKeySequence(Qt::ALT | Qt::Key(Qt::Key_1 + i)));
        connect(a, &QAction::triggered, this, [this, i] { m_tabs->setCurrentIndex(i); });
    }
    view->addSeparator();
    view->addAction(m_pushDock->toggleViewAction());
    view->addAction(m_testClientDock->toggleViewAction());
    view->addSeparator();
    view->addAction(m_darkAction);
    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(aboutAction);

    QToolBar *bar = addToolBar(tr("Main"));
    bar->setObjectName(QStringLiteral("mainToolBar"));
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->setMovable(false);
    bar->addAction(m_startStop);
    bar->addAction(m_settingsAction);
    bar->addAction(m_openDemoAction);
    bar->addSeparator();
    bar->addAction(pushAction);
    bar->addAction(testClientAction);
    bar->addSeparator();
    bar->addAction(filterAction);
    bar->addAction(clearAction);
}
