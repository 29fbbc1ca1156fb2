#include "trafficreplay.h"

#include "enginecontroller.h"
#include "replaydialog.h"
#include "trafficcopy.h"

#include <QHostAddress>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>

#include <algorithm>

namespace {

// A fresh test client waits this long for the gateway to list it (a sample is 250 ms).
constexpr int FreshListedTimeoutMs = 5000;
// And at most this long for PHP's answer: a replay with Xdebug may sit in a debugger.
constexpr int FreshAnswerTimeoutMs = 10 * 60 * 1000;
// After the answer is in the log: time for the reply frame to reach the socket.
constexpr int FreshLingerMs = 500;

QStringList groupsOf(const QByteArray &value) {
    QStringList out;
    for (const QByteArray &g : value.split(',')) {
        if (!g.trimmed().isEmpty())
            out << QString::fromUtf8(g.trimmed());
    }
    return out;
}

} // namespace

struct TrafficReplay::Fresh {
    std::unique_ptr<QWebSocket> socket;
    ReplayRequest request;
    QByteArray clientId; // once the gateway lists it
    QTimer deadline;
    bool sent = false;
};

TrafficReplay::TrafficReplay(QObject *parent)
    : QObject(parent) {}

TrafficReplay::~TrafficReplay() = default;

void TrafficReplay::setController(EngineController *controller) {
    if (m_controller)
        disconnect(m_controller, nullptr, this, nullptr);
    m_controller = controller;
    if (!controller)
        return;
    connect(controller, &EngineController::sampled, this, &TrafficReplay::onSampled);
    connect(controller, &EngineController::entriesArrived, this, &TrafficReplay::onEntries);
    connect(controller, &EngineController::stateChanged, this, [this](EngineController::State s) {
        if (s != EngineController::State::Running) {
            m_snapshot.reset();
            while (!m_fresh.empty())
                dropFresh(m_fresh.front().get());
        }
    });
}

void TrafficReplay::setXdebugParams(const PhpParams &params, const QString &missing) {
    m_xdebugParams = params;
    m_xdebugMissing = missing;
}

bool TrafficReplay::requestFor(const TrafficEntry &e, ReplayRequest *out, QString *error) {
    *out = ReplayRequest();
    out->entryId = e.id;
    if (e.kind == TrafficEntry::Kind::MessageIn) {
        if (e.bodyTruncated) {
            *error = tr("the logged message was truncated; it cannot be replayed exactly");
            return false;
        }
        out->body = e.body;
        out->binary = e.binary;
        return true;
    }
    if (e.kind != TrafficEntry::Kind::Php || !e.php) {
        *error = tr("#%1 is not a message or a PHP exchange").arg(e.id);
        return false;
    }
    return PhpBridge::messageOf(*e.php, out, error);
}

bool TrafficReplay::isConnected(const QByteArray &clientId) const {
    if (!m_snapshot)
        return false;
    return std::any_of(m_snapshot->clients.cbegin(), m_snapshot->clients.cend(),
                       [&clientId](const ClientSnapshot &c) { return c.id == clientId; });
}

QString TrafficReplay::freshUrl(const PhpParams &params) const {
    const QString original = TrafficCopy::clientUrl(params);
    const QString live = m_controller ? m_controller->listenUrl() : QString();
    if (live.isEmpty())
        return original;
    // The gateway may listen elsewhere now (a restart on port 0): its URL, the client's path.
    QUrl url(live);
    const QByteArray uri = TrafficCopy::paramValue(params, "REQUEST_URI");
    if (!uri.isEmpty()) {
        const QUrl relative = QUrl::fromEncoded(uri);
        url.setPath(relative.path());
        url.setQuery(relative.query(QUrl::FullyEncoded), QUrl::StrictMode);
    }
    return url.toString();
}

void TrafficReplay::replay(const TrafficEntry &entry) {
    ReplayRequest request;
    QString error;
    if (!requestFor(entry, &request, &error)) {
        Q_EMIT finished(false, tr("Replay of #%1 refused: %2").arg(entry.id).arg(error));
        return;
    }
    if (m_snapshot && !isConnected(entry.clientId)) {
        Q_EMIT finished(false, tr("Replay of #%1 refused: client %2 has left; \"Edit & "
                                  "replay…\" can send it as a fresh test client")
                                   .arg(entry.id)
                                   .arg(QString::fromLatin1(entry.clientId)));
        return;
    }
    send(entry.clientId, request);
}

void TrafficReplay::editAndReplay(const TrafficEntry &entry, const PhpParams &clientParams,
                                  QWidget *parent) {
    ReplayDialog::Setup setup;
    QString error;
    if (!requestFor(entry, &setup.request, &error)) {
        Q_EMIT finished(false, tr("Replay of #%1 refused: %2").arg(entry.id).arg(error));
        return;
    }
    const PhpParams params = entry.php ? entry.php->params() : clientParams;
    setup.clientId = entry.clientId;
    setup.clientConnected = isConnected(entry.clientId);
    setup.user = QString::fromUtf8(TrafficCopy::paramValue(params, "WS_USER"));
    setup.groups = groupsOf(TrafficCopy::paramValue(params, "WS_GROUPS"));
    setup.freshUrl = freshUrl(params);
    setup.xdebugParams = m_xdebugParams;
    setup.xdebugMissing = m_xdebugMissing;
    ReplayDialog dialog(setup, parent);
    if (dialog.exec() != QDialog::Accepted)
        return;
    if (dialog.asFreshClient())
        sendAsFreshClient(dialog.freshUrl(), dialog.request());
    else
        send(entry.clientId, dialog.request());
}

void TrafficReplay::send(const QByteArray &clientId, const ReplayRequest &request) {
    if (!m_controller) {
        Q_EMIT finished(false, tr("Replay of #%1 refused: no gateway").arg(request.entryId));
        return;
    }
    const quint64 id = request.entryId;
    m_controller->replay(
        clientId, request, this, [this, id, clientId](bool ok, const QString &error) {
            Q_EMIT finished(ok, ok ? tr("Replay of #%1 queued as client %2: the "
                                        "new exchange follows in the log")
                                         .arg(id)
                                         .arg(QString::fromLatin1(clientId))
                                   : tr("Replay of #%1 refused: %2").arg(id).arg(error));
        });
}

void TrafficReplay::sendAsFreshClient(const QString &url, const ReplayRequest &request) {
    if (!m_controller || m_controller->state() != EngineController::State::Running) {
        Q_EMIT finished(
            false, tr("Replay of #%1 refused: the gateway is not running").arg(request.entryId));
        return;
    }
    auto fresh = std::make_unique<Fresh>();
    Fresh *f = fresh.get();
    f->socket = std::make_unique<QWebSocket>();
    f->request = request;
    f->deadline.setSingleShot(true);
    f->deadline.setInterval(FreshListedTimeoutMs);
    connect(&f->deadline, &QTimer::timeout, this, [this, f] {
        Q_EMIT finished(false, f->sent
                                   ? tr("Replay of #%1: no answer from PHP in time; the test "
                                        "client is closed")
                                         .arg(f->request.entryId)
                                   : tr("Replay of #%1 failed: the gateway did not list the test "
                                        "client")
                                         .arg(f->request.entryId));
        dropFresh(f);
    });
    // Qt 6.4: error(); errorOccurred() came in 6.5.
    connect(f->socket.get(), QOverload<QAbstractSocket::SocketError>::of(&QWebSocket::error), this,
            [this, f] {
                if (f->sent)
                    return; // the close after the answer, or the gateway closing it: nothing to say
                Q_EMIT finished(false,
                                tr("Replay of #%1 failed: the test client could not connect: %2")
                                    .arg(f->request.entryId)
                                    .arg(f->socket->errorString()));
                QTimer::singleShot(0, this, [this, f] { dropFresh(f); });
            });
    m_fresh.push_back(std::move(fresh));
    f->deadline.start();
    f->socket->open(QUrl(url));
}

void TrafficReplay::onSampled(const EngineSample &sample) {
    m_snapshot = sample.snapshot;
    if (!m_snapshot)
        return;
    for (const auto &f : m_fresh) {
        if (f->sent || f->socket->state() != QAbstractSocket::ConnectedState)
            continue;
        const QString port = QLatin1Char(':') + QString::number(f->socket->localPort());
        for (const ClientSnapshot &c : m_snapshot->clients) {
            if (!c.peer.endsWith(port) || !QHostAddress(c.peer.chopped(port.size())).isLoopback())
                continue;
            f->clientId = c.id;
            f->sent = true;
            f->deadline.setInterval(FreshAnswerTimeoutMs);
            f->deadline.start();
            send(c.id, f->request);
            break;
        }
    }
}

void TrafficReplay::onEntries(const QVector<TrafficEntry> &entries) {
    if (m_fresh.empty())
        return;
    for (const TrafficEntry &e : entries) {
        if (e.kind != TrafficEntry::Kind::Php || !e.replayOf)
            continue;
        for (const auto &f : m_fresh) {
            if (f->sent && f->clientId == e.clientId && f->request.entryId == e.replayOf) {
                Fresh *done = f.get();
                done->deadline.stop();
                QTimer::singleShot(FreshLingerMs, this, [this, done] { dropFresh(done); });
            }
        }
    }
}

void TrafficReplay::dropFresh(Fresh *fresh) {
    const auto it = std::find_if(m_fresh.begin(), m_fresh.end(),
                                 [fresh](const auto &f) { return f.get() == fresh; });
    if (it == m_fresh.end())
        return;
    std::unique_ptr<Fresh> owned = std::move(*it);
    m_fresh.erase(it);
    owned->deadline.stop();
    owned->socket->disconnect(this);
    owned->socket->close();
    // Closing finishes on the event loop; the socket goes with it.
    owned->socket.release()->deleteLater();
}

int TrafficReplay::openFreshClients() const {
    return int(m_fresh.size());
}
