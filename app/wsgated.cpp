// wsgated: the headless gateway. Everything but the command line and signals is in core.

#include "config/configuration.h"
#include "engine/engine.h"
#include "loop/allocatortuning.h"
#include "loop/enginedispatcher.h"

#include <QAbstractEventDispatcher>
#include <QCoreApplication>
#include <QDateTime>
#include <QSocketNotifier>
#include <QTextStream>

#include <cstdio>

#ifdef Q_OS_UNIX
#include <csignal>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace {

int g_logLevel = 1; // 0 debug, 1 info, 2 warning

void writeLine(const QString &level, const QString &text) {
    const int rank = level == QLatin1String("debug") ? 0 : level == QLatin1String("info") ? 1 : 2;
    if (rank < g_logLevel)
        return;
    const QString line = QStringLiteral("%1 %2 %3\n")
                             .arg(QDateTime::currentDateTime().toString(Qt::ISODateWithMs),
                                  level.leftJustified(7), text);
    std::fputs(line.toLocal8Bit().constData(), stderr);
}

#ifdef Q_OS_UNIX
int g_signalPipe[2] = {-1, -1};

void onSignal(int) {
    const char c = 1;
    [[maybe_unused]] const auto n = ::write(g_signalPipe[1], &c, 1);
}
#endif

} // namespace

int main(int argc, char *argv[]) {
    tuneAllocatorForMessages(); // before anything is allocated: see allocatortuning.h
    // The engine runs on this thread: an epoll dispatcher, installed before the application
    // creates Qt's (which scans every socket notifier on every wakeup).
    if (QAbstractEventDispatcher *dispatcher = createEngineEventDispatcher())
        QCoreApplication::setEventDispatcher(dispatcher);
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("wsgated"));
    QCoreApplication::setOrganizationName(QStringLiteral("wsgate"));

    // No traffic log unless asked for: only the console reads it, and building and dropping
    // three entries per message cost the gateway ~15% of its CPU per message.
    Configuration defaults;
    defaults.trafficLogEntries = 0;
    const QHash<QString, QString> defaultTexts{
        {QStringLiteral("traffic-log"), QStringLiteral("0")}};
    const ConfigurationResult parsed = ConfigurationParser::parse(app.arguments().mid(1), defaults);
    switch (parsed.action) {
    case ConfigurationResult::Action::Help:
        std::fputs(ConfigurationParser::helpText(QStringLiteral("wsgated"), defaultTexts)
                       .toLocal8Bit()
                       .constData(),
                   stdout);
        return 0;
    case ConfigurationResult::Action::Version:
        std::fputs((ConfigurationParser::versionText(QStringLiteral("wsgated")) + QLatin1Char('\n'))
                       .toLocal8Bit()
                       .constData(),
                   stdout);
        return 0;
    case ConfigurationResult::Action::Error:
        std::fprintf(stderr, "wsgated: %s\n", parsed.message.toLocal8Bit().constData());
        return 2;
    case ConfigurationResult::Action::Run:
        break;
    }
    const Configuration &config = parsed.config;
    g_logLevel = config.logLevel == QLatin1String("debug")  ? 0
                 : config.logLevel == QLatin1String("info") ? 1
                                                            : 2;

    Engine engine(config);
    QObject::connect(&engine, &Engine::logLine, &app, &writeLine);
    QObject::connect(&engine, &Engine::stopped, &app, [] {
        writeLine(QStringLiteral("info"), QStringLiteral("stopped"));
        QCoreApplication::exit(0);
    });

#ifdef Q_OS_UNIX
    // Graceful shutdown on SIGINT/SIGTERM through a self-pipe: the handler only writes a byte.
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalPipe) == 0) {
        struct sigaction sa = {};
        sa.sa_handler = onSignal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        sigaction(SIGINT, &sa, nullptr);
        sigaction(SIGTERM, &sa, nullptr);
        std::signal(SIGPIPE, SIG_IGN);
        auto *notifier = new QSocketNotifier(g_signalPipe[0], QSocketNotifier::Read, &app);
        // Counted in the lambda itself: a local of this block, captured by reference, was
        // gone by the time a signal came, and its increment landed in main's next QString.
        QObject::connect(
            notifier, &QSocketNotifier::activated, &app, [&engine, signalCount = 0]() mutable {
                char c;
                [[maybe_unused]] const auto n = ::read(g_signalPipe[0], &c, 1);
                if (++signalCount > 1) {
                    writeLine(QStringLiteral("warning"),
                              QStringLiteral("second signal: exiting now"));
                    std::_Exit(1);
                }
                writeLine(
                    QStringLiteral("info"),
                    QStringLiteral("signal received: stopping (finishing in-flight requests)"));
                engine.stop();
            });
    }
#endif

    QString error;
    if (!engine.start(&error)) {
        std::fprintf(stderr, "wsgated: %s\n", error.toLocal8Bit().constData());
        return 1;
    }
    writeLine(
        QStringLiteral("info"),
        QStringLiteral("event dispatcher: %1")
            .arg(QLatin1String(engineEventDispatcherName(QAbstractEventDispatcher::instance()))));
    return app.exec();
}
