// The console's work per sampling tick under heavy traffic, in GUI-thread CPU time.
//
//   guitick [--ticks N] [--rows-per-tick N] [--clients N] [--width W] [--height H]
//           [--paint-report]
//
// Builds the real MainWindow (gateway not started), then for each tick hands it what
// EngineController hands it at 18k msgs/s: a batch of traffic entries shaped like real ones
// (message in, PHP exchange with params and reply, reply out) and a gateway snapshot with live
// clients; lets the event loop paint; and reads the GUI thread's CPU clock around each step.
// Runs under QT_QPA_PLATFORM=offscreen unless a platform is set. Wall time under contention is
// what scripts/bench-gui.sh measures; this is the deterministic part to optimize against: on
// a CPU shared by PHP workers the GUI thread gets a fraction of a core, so every CPU ms here
// becomes several ms of event-loop stall there. --paint-report lists which widgets paint per
// tick and how many pixels: a widget that repaints without reason shows up there.

#include "enginecontroller.h"
#include "mainwindow.h"
#include "trafficlogview.h"

#include <QApplication>
#include <QDateTime>
#include <QPaintEvent>
#include <QSettings>
#include <QTemporaryDir>

#include <map>
#include <string>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <vector>

namespace {

double threadCpuMs() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

QByteArray clientId(int i) {
    return QByteArray::number(0x5eed0000u + unsigned(i), 16).rightJustified(32, '0');
}

QVector<TrafficEntry> makeBatch(int rows, int clients, quint64 *nextId) {
    static const auto baseParams = [] {
        auto block = std::make_shared<PhpParamBlock>();
        block->params = {
            {"GATEWAY_INTERFACE", "CGI/1.1"},  {"SERVER_SOFTWARE", "wsgate"},
            {"REQUEST_METHOD", "POST"},        {"SCRIPT_FILENAME", "/srv/app/ws.php"},
            {"REMOTE_ADDR", "127.0.0.1"},      {"REMOTE_PORT", "51234"},
            {"REQUEST_URI", "/ws?room=lobby"}, {"HTTP_HOST", "127.0.0.1:8080"},
            {"HTTP_USER_AGENT", "bench"},      {"CONTENT_TYPE", "application/octet-stream"}};
        return std::shared_ptr<const PhpParamBlock>(std::move(block));
    }();
    const QByteArray body =
        QByteArray("{\"type\":\"chat\",\"text\":\"") + QByteArray(32, 'x') + QByteArray("\"}");
    QVector<TrafficEntry> batch;
    batch.reserve(rows);
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (int i = 0; i < rows; ++i) {
        TrafficEntry e;
        e.id = (*nextId)++;
        e.timeMs = now;
        e.clientId = clientId(i % clients);
        e.body = body;
        e.size = body.size();
        switch (i % 3) {
        case 0:
            e.kind = TrafficEntry::Kind::MessageIn;
            e.direction = TrafficEntry::Direction::In;
            break;
        case 1: {
            e.kind = TrafficEntry::Kind::Php;
            e.status = 200;
            e.durationUs = 420;
            auto php = std::make_shared<PhpExchange>();
            php->base = baseParams;
            php->extraParams = {{"WS_EVENT", "message"}, {"WS_CLIENT_ID", e.clientId}};
            php->requestBody = body;
            php->requestBodySize = body.size();
            php->outcome = QStringLiteral("ok");
            php->status = 200;
            php->responseHeaders = {{"Content-Type", "application/json"}};
            php->responseBody = body;
            php->responseBodySize = body.size();
            php->phpUs = 420;
            e.php = std::move(php);
            break;
        }
        default:
            e.kind = TrafficEntry::Kind::ReplyOut;
            e.direction = TrafficEntry::Direction::Out;
            break;
        }
        batch.append(e);
    }
    return batch;
}

EngineSample makeSample(int clients, int tick) {
    auto snapshot = std::make_shared<GatewaySnapshot>();
    snapshot->timeMs = QDateTime::currentMSecsSinceEpoch();
    snapshot->listening = true;
    for (int i = 0; i < clients; ++i) {
        ClientSnapshot c;
        c.id = clientId(i);
        c.peer = QStringLiteral("127.0.0.1:%1").arg(40000 + i);
        c.path = QStringLiteral("/ws");
        c.query = QStringLiteral("room=lobby");
        c.connectedMs = snapshot->timeMs - 60000;
        c.lastActivityMs = snapshot->timeMs;
        c.messagesIn = c.messagesOut = 1000LL * tick + i;
        c.bytesIn = c.bytesOut = 64LL * c.messagesIn;
        snapshot->clients.append(c);
    }
    EngineSample sample;
    sample.snapshot = snapshot;
    sample.connections = clients;
    sample.messagesIn = sample.messagesOut = 4500LL * tick;
    sample.messagesInPerSec = sample.messagesOutPerSec = 18000;
    return sample;
}

/// --paint-report: which widgets paint per tick, and their CPU time (nested paints included).
class PaintReport final : public QObject {
public:
    bool eventFilter(QObject *watched, QEvent *event) override {
        if (event->type() != QEvent::Paint)
            return false;
        std::string name = watched->metaObject()->className();
        if (!watched->objectName().isEmpty())
            name += "#" + watched->objectName().toStdString();
        ++counts[name];
        const QRect r = static_cast<QPaintEvent *>(event)->rect();
        area[name] += double(r.width()) * r.height();
        return false;
    }
    std::map<std::string, int> counts;
    std::map<std::string, double> area;
};

struct Stats {
    std::vector<double> values;
    double median() {
        std::sort(values.begin(), values.end());
        return values.empty() ? 0 : values[values.size() / 2];
    }
    double max() const {
        return values.empty() ? 0 : *std::max_element(values.begin(), values.end());
    }
};

} // namespace

int main(int argc, char **argv) {
    int ticks = 40;
    int rowsPerTick = 1000;
    int clients = 16;
    int width = 1400;
    int height = 900;
    bool paintReport = false;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--paint-report")) {
            paintReport = true;
            for (int j = i; j + 1 < argc; ++j)
                argv[j] = argv[j + 1];
            --argc;
            break;
        }
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *flag = argv[i];
        const int value = std::atoi(argv[i + 1]);
        if (!std::strcmp(flag, "--ticks"))
            ticks = value;
        else if (!std::strcmp(flag, "--rows-per-tick"))
            rowsPerTick = value;
        else if (!std::strcmp(flag, "--clients"))
            clients = value;
        else if (!std::strcmp(flag, "--width"))
            width = value;
        else if (!std::strcmp(flag, "--height"))
            height = value;
        else {
            std::fprintf(stderr, "guitick: unknown flag %s\n", flag);
            return 2;
        }
    }
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QTemporaryDir home; // keep the user's stored window state out of it
    qputenv("XDG_CONFIG_HOME", home.path().toLocal8Bit());
    QApplication app(argc, argv);
    QSettings settings(home.filePath(QStringLiteral("bench.ini")), QSettings::IniFormat);

    Configuration config;
    MainWindow window(config, &settings);
    window.resize(width, height);
    window.show();
    QApplication::processEvents();

    PaintReport report;
    if (paintReport)
        app.installEventFilter(&report);
    quint64 nextId = 1;
    Stats append, sample, paint, total;
    for (int t = 0; t < ticks; ++t) {
        const QVector<TrafficEntry> batch = makeBatch(rowsPerTick, clients, &nextId);
        const EngineSample s = makeSample(clients, t);
        const double t0 = threadCpuMs();
        window.trafficView()->appendEntries(batch);
        const double t1 = threadCpuMs();
        Q_EMIT window.controller()->sampled(s);
        const double t2 = threadCpuMs();
        QApplication::processEvents(); // the posted update requests: layout and paint
        const double t3 = threadCpuMs();
        if (t < 3)
            continue; // the first ticks fill the ring and warm the font caches
        append.values.push_back(t1 - t0);
        sample.values.push_back(t2 - t1);
        paint.values.push_back(t3 - t2);
        total.values.push_back(t3 - t0);
    }
    std::printf("RESULT tool=guitick rows_per_tick=%d clients=%d ticks=%d append_ms=%.2f "
                "sample_ms=%.2f paint_ms=%.2f total_ms=%.2f total_max_ms=%.2f\n",
                rowsPerTick, clients, ticks, append.median(), sample.median(), paint.median(),
                total.median(), total.max());
    if (paintReport) {
        for (const auto &[name, count] : report.counts)
            std::printf("paints %-48s %6.1f per tick, %8.0f px per tick\n", name.c_str(),
                        double(count) / ticks, report.area[name] / ticks);
    }
    return 0;
}
