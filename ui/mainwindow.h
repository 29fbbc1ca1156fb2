#pragma once

#include "config/configuration.h"
#include "enginecontroller.h"

#include <QMainWindow>

#include <QUrl>
#include <memory>

#include <functional>

class ConnectionsView;
class ConversationView;
class SecretStore;
class SetupFlow;
class StartPage;
class QStackedWidget;
class FpmPanel;
class PushPanel;
class RemoteBanner;
struct RemoteTarget;
class QAction;
class QDockWidget;
class QLabel;
class SteadyLabel;
class QPlainTextEdit;
class QSettings;
class QTabWidget;
class TestClientPanel;
class TrafficLogView;

/// The console: start/stop, status bar, and the views (traffic, connections, PHP-FPM, gateway
/// log as tabs; push and test client as docks), fed by one EngineController.
class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    /// `settings` (not owned) keeps window state and the configuration; null: the default.
    explicit MainWindow(const Configuration &config, QSettings *settings = nullptr,
                        QWidget *parent = nullptr);
    ~MainWindow() override;

    EngineController *controller() const { return m_controller; }
    ConnectionsView *connectionsView() const { return m_connections; }
    TrafficLogView *trafficView() const { return m_traffic; }
    PushPanel *pushPanel() const { return m_push; }
    TestClientPanel *testClient() const { return m_testClient; }
    FpmPanel *fpmPanel() const { return m_fpm; }
    ConversationView *conversationView() const { return m_conversation; }
    StartPage *startPage() const { return m_startPage; }
    SecretStore *secrets() const { return m_secrets.get(); }
    SetupFlow *setup() const { return m_setup; }
    /// Whether the first-run page is shown instead of the tabs.
    bool showsStartPage() const;
    QTabWidget *tabs() const { return m_tabs; }
    QDockWidget *pushDock() const { return m_pushDock; }
    QDockWidget *testClientDock() const { return m_testClientDock; }
    /// Status bar texts, for tests.
    QString statusText() const;
    RemoteBanner *remoteBanner() const { return m_remoteBanner; }
    QAction *attachAction() const { return m_attachAction; }

    /// "Connect to wsgated…": asks for the admin URL and token, then attaches.
    void openAttachDialog();
    /// Shows the wsgated at `target` instead of the console's own gateway (stopped first);
    /// `remember`: the server is offered next time, its token kept in the keychain.
    void attachTo(const RemoteTarget &target, bool remember);
    /// Every node of the attached daemon's cluster that publishes an admin URL, at once, with
    /// the same token.
    void attachToAllNodes();
    /// Servers attached to before, newest first.
    QStringList rememberedServers() const;

    /// Starts the engine; without a handler script (and not the demo) it says what is missing
    /// and shows the start page instead.
    void startGateway();
    /// Stops a running engine and starts it again with the current configuration.
    void restartGateway();
    void stopGateway();
    void toggleGateway();
    void openSettings();
    void showAbout();
    /// Targets the push panel at a client and brings it forward.
    void pushToClient(const QByteArray &clientId);
    void showClientTraffic(const QByteArray &clientId);
    /// How "Open demo page" opens a URL (default: QDesktopServices::openUrl; tests record it).
    void setUrlOpener(std::function<bool(const QUrl &)> opener) { m_openUrl = std::move(opener); }
    /// http://host:port/ of the running gateway's page; empty when it serves none.
    QUrl demoPageUrl() const;
    /// The client's next message carries an Xdebug trigger (or says how to get Xdebug).
    void debugNextMessage(const QByteArray &clientId);

public Q_SLOTS:
    /// Shows everything `clientId` sent and received (also for a recently closed client) in the
    /// Conversation tab. For any view that names a client, e.g. a traffic row's context menu.
    void showConversation(const QByteArray &clientId);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    /// The icon of each tab, in tab order (the View menu's actions show the same).
    static constexpr const char *TabIcons[] = {"traffic", "connections", "log", "fpm", "log"};

    void createActions();
    void createStatusBar();
    void restoreWindowState();
    void saveWindowState();
    void onStateChanged(EngineController::State state);
    void onSampled(const EngineSample &sample);
    void onFpmSampled(const FpmSample &sample);
    void focusFilter();
    void clearCurrent();
    void setDarkTheme(bool dark);
    void showStartPage(const QString &message);
    void showTabs();
    void rememberServer(const RemoteTarget &target, bool withToken);

    QSettings *m_settings;
    std::unique_ptr<SecretStore> m_secrets;
    EngineController *m_controller;
    QStackedWidget *m_central;
    StartPage *m_startPage;
    QTabWidget *m_tabs;
    TrafficLogView *m_traffic;
    ConnectionsView *m_connections;
    ConversationView *m_conversation;
    FpmPanel *m_fpm;
    QPlainTextEdit *m_gatewayLog;
    PushPanel *m_push;
    TestClientPanel *m_testClient;
    QDockWidget *m_pushDock;
    QDockWidget *m_testClientDock;

    QAction *m_startStop = nullptr;
    QAction *m_settingsAction = nullptr;
    QAction *m_openDemoAction = nullptr;
    QAction *m_darkAction = nullptr;
    QAction *m_attachAction = nullptr;
    RemoteBanner *m_remoteBanner;
    std::function<bool(const QUrl &)> m_openUrl;
    bool m_openDemoWhenRunning = false; // "Start the demo": open its page once it runs

    SteadyLabel *m_stateLabel;
    SteadyLabel *m_urlLabel;
    SteadyLabel *m_connectionsLabel;
    SteadyLabel *m_rateLabel;
    SteadyLabel *m_fpmLabel;
    SteadyLabel *m_clusterLabel; // shown with --cluster only
    QLabel *m_demoLabel;
    SetupFlow *m_setup;
    QString m_fpmText;
};
