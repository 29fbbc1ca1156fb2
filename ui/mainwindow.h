#pragma once

#include "config/configuration.h"
#include "enginecontroller.h"

#include <QMainWindow>

class ConnectionsView;
class FpmPanel;
class PushPanel;
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
    QTabWidget *tabs() const { return m_tabs; }
    QDockWidget *pushDock() const { return m_pushDock; }
    QDockWidget *testClientDock() const { return m_testClientDock; }
    /// Status bar texts, for tests.
    QString statusText() const;

    void startGateway();
    void stopGateway();
    void toggleGateway();
    void openSettings();
    void showAbout();
    /// Targets the push panel at a client and brings it forward.
    void pushToClient(const QByteArray &clientId);
    void showClientTraffic(const QByteArray &clientId);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void createStatusBar();
    void restoreWindowState();
    void saveWindowState();
    void onStateChanged(EngineController::State state);
    void onSampled(const EngineSample &sample);
    void onFpmSampled(const FpmSample &sample);
    void focusFilter();
    void clearCurrent();

    QSettings *m_settings;
    EngineController *m_controller;
    QTabWidget *m_tabs;
    TrafficLogView *m_traffic;
    ConnectionsView *m_connections;
    FpmPanel *m_fpm;
    QPlainTextEdit *m_gatewayLog;
    PushPanel *m_push;
    TestClientPanel *m_testClient;
    QDockWidget *m_pushDock;
    QDockWidget *m_testClientDock;

    QAction *m_startStop = nullptr;
    QAction *m_settingsAction = nullptr;

    SteadyLabel *m_stateLabel;
    SteadyLabel *m_urlLabel;
    SteadyLabel *m_connectionsLabel;
    SteadyLabel *m_rateLabel;
    SteadyLabel *m_fpmLabel;
    QString m_fpmText;
};
