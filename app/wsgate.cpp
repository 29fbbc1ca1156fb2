// wsgate: the desktop console. Same options as wsgated; flags win over the stored settings,
// and launching with flags (e.g. --demo) starts the gateway at once.

#include "config/configuration.h"
#include "loop/allocatortuning.h"
#include "mainwindow.h"
#include "settingsstore.h"
#include "stallmonitor.h"
#include "version.h"

#include <QApplication>
#include <QMessageBox>

#include <cstdio>

namespace {

QStringList arguments(int argc, char *argv[]) {
    QStringList args;
    for (int i = 1; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    return args;
}

} // namespace

int main(int argc, char *argv[]) {
    tuneAllocatorForMessages(); // the engine thread relays large messages: allocatortuning.h
    // --help, --version and bad flags are answered before QApplication, which needs a display.
    const QStringList args = arguments(argc, argv);
    const ConfigurationResult direct = ConfigurationParser::parse(args);
    switch (direct.action) {
    case ConfigurationResult::Action::Help:
        std::fputs(
            ConfigurationParser::helpText(QStringLiteral("wsgate")).toLocal8Bit().constData(),
            stdout);
        return 0;
    case ConfigurationResult::Action::Version:
        std::fputs((ConfigurationParser::versionText(QStringLiteral("wsgate")) + QLatin1Char('\n'))
                       .toLocal8Bit()
                       .constData(),
                   stdout);
        return 0;
    case ConfigurationResult::Action::Error:
    case ConfigurationResult::Action::Run:
        break;
    }
    // With no flags there is nothing to validate yet: the stored settings may lack a script,
    // which the user fixes in the settings dialog.
    if (direct.action == ConfigurationResult::Action::Error && !args.isEmpty())
        std::fprintf(stderr, "wsgate: %s\n", direct.message.toLocal8Bit().constData());

    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("wsgate"));
    QApplication::setOrganizationName(QStringLiteral("wsgate"));
    QApplication::setApplicationVersion(QStringLiteral(WSGATE_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/wsgate/ui/icons/wsgate.svg")));

    SettingsStore store;
    QString storeError;
    Configuration config = store.load(&storeError);
    if (!args.isEmpty()) {
        if (direct.action == ConfigurationResult::Action::Error) {
            QMessageBox::critical(nullptr, QStringLiteral("wsgate"),
                                  QObject::tr("Bad command line: %1").arg(direct.message));
            return 2;
        }
        // Stored settings first, flags after them: the flags win.
        const ConfigurationResult merged =
            ConfigurationParser::parse(store.storedArguments() + args);
        config = merged.action == ConfigurationResult::Action::Run ? merged.config : direct.config;
    }

    MainWindow window(config);
    window.show();
    if (!storeError.isEmpty())
        QMessageBox::warning(&window, QStringLiteral("wsgate"),
                             QObject::tr("Stored settings were ignored: %1").arg(storeError));
    if (!args.isEmpty())
        window.startGateway();
    // WSGATE_REPORT_STALLS=1: print the GUI's longest event-loop stall every 5 s (benchmarks).
    StallMonitor stalls;
    if (qEnvironmentVariableIsSet("WSGATE_REPORT_STALLS")) {
        stalls.start();
        stalls.reportToStderr(5000);
    }
    return app.exec();
}
