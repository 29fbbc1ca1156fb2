#include "trafficcontextmenu.h"

#include "trafficcopy.h"
#include "trafficdetailwidget.h"
#include "trafficlogmodel.h"
#include "trafficlogview.h"
#include "trafficreplay.h"

#include <QApplication>
#include <QClipboard>
#include <QMenu>

namespace {

// How far back the menu looks for another row of the client with its handshake params.
constexpr int ClientParamsScanRows = 100000;

void copy(TrafficLogView *view, const QString &text, const QString &what) {
    QApplication::clipboard()->setText(text);
    Q_EMIT view->statusMessage(TrafficContextMenu::tr("Copied %1").arg(what));
}

} // namespace

QByteArray TrafficContextMenu::body(const TrafficEntry &e, bool *binary) {
    if (e.php) {
        ReplayRequest r;
        QString error;
        // A form body carries the message in a field: copy the message, not the form.
        if (PhpBridge::messageOf(*e.php, &r, &error)) {
            *binary = r.binary;
            return r.body;
        }
        *binary = e.binary;
        return e.php->requestBody;
    }
    *binary = e.binary;
    return e.body;
}

PhpParams TrafficContextMenu::clientParams(const TrafficLogModel *model, const TrafficEntry &e) {
    if (e.php)
        return e.php->params();
    const int last = model->rowCount() - 1;
    for (int row = last; row >= 0 && row > last - ClientParamsScanRows; --row) {
        const TrafficEntry &other = model->entry(row);
        if (other.php && other.clientId == e.clientId)
            return other.php->params();
    }
    return {};
}

QString TrafficContextMenu::pushUrl(const TrafficLogModel *model) {
    const int last = model->rowCount() - 1;
    for (int row = last; row >= 0 && row > last - ClientParamsScanRows; --row) {
        const TrafficEntry &other = model->entry(row);
        if (!other.php)
            continue;
        const QByteArray url = TrafficCopy::paramValue(other.php->params(), "WS_PUSH_URL");
        if (!url.isEmpty())
            return QString::fromUtf8(url);
    }
    return QStringLiteral("http://127.0.0.1:8081"); // the default --push-listen
}

QString TrafficContextMenu::commandLine(const TrafficLogModel *model, const TrafficEntry &e,
                                        bool wscat, QString *error) {
    if (e.kind != TrafficEntry::Kind::MessageIn && e.kind != TrafficEntry::Kind::Php) {
        *error = tr("only a client's messages can be sent again");
        return {};
    }
    const QString url = TrafficCopy::clientUrl(clientParams(model, e));
    if (url.isEmpty()) {
        *error = tr("the log holds no request of client %1 that names its URL")
                     .arg(QString::fromLatin1(e.clientId));
        return {};
    }
    bool binary = false;
    const QByteArray message = body(e, &binary);
    const QString line = wscat ? TrafficCopy::wscatCommand(url, message, binary)
                               : TrafficCopy::websocatCommand(url, message, binary);
    if (line.isEmpty())
        *error = tr("wscat cannot send a binary message from its command line; copy it as "
                    "websocat");
    return line;
}

QMenu *TrafficContextMenu::create(TrafficLogView *view, const TrafficEntry &e, QWidget *parent) {
    auto *menu = new QMenu(parent);
    menu->setObjectName(QStringLiteral("trafficContextMenu"));
    const TrafficLogModel *model = view->model();
    bool binary = false;
    const QByteArray message = body(e, &binary);

    QAction *copyBody = menu->addAction(e.php ? tr("Copy request body") : tr("Copy body"));
    copyBody->setObjectName(QStringLiteral("copyBodyAction"));
    copyBody->setEnabled(!message.isEmpty());
    QObject::connect(copyBody, &QAction::triggered, menu, [view, message, binary] {
        copy(view, binary ? QString::fromLatin1(message.toHex(' ')) : QString::fromUtf8(message),
             binary ? tr("the body as hex") : tr("the body"));
    });
    if (e.php) {
        const QByteArray reply = e.php->responseBody;
        QAction *copyReply = menu->addAction(tr("Copy reply body"));
        copyReply->setEnabled(!reply.isEmpty());
        QObject::connect(copyReply, &QAction::triggered, menu, [view, reply] {
            copy(view, QString::fromUtf8(reply), tr("the reply body"));
        });
        const PhpParams params = e.php->params();
        QAction *copyParams = menu->addAction(tr("Copy params (secrets masked)"));
        copyParams->setObjectName(QStringLiteral("copyParamsAction"));
        QObject::connect(copyParams, &QAction::triggered, menu, [view, params] {
            copy(view, TrafficCopy::paramsText(params, false), tr("the params, secrets masked"));
        });
    }
    for (const bool wscat : {false, true}) {
        QString error;
        const QString line = commandLine(model, e, wscat, &error);
        QAction *a =
            menu->addAction(wscat ? tr("Copy as wscat command") : tr("Copy as websocat command"));
        a->setObjectName(wscat ? QStringLiteral("copyWscatAction")
                               : QStringLiteral("copyWebsocatAction"));
        a->setEnabled(!line.isEmpty());
        a->setToolTip(line.isEmpty() ? error : line);
        QObject::connect(a, &QAction::triggered, menu, [view, line] { copy(view, line, line); });
    }
    if (e.kind == TrafficEntry::Kind::Push) {
        const QString line = TrafficCopy::curlCommand(pushUrl(model), e.text, message, binary);
        QAction *curl = menu->addAction(tr("Copy as curl command"));
        curl->setObjectName(QStringLiteral("copyCurlAction"));
        curl->setEnabled(!line.isEmpty());
        curl->setToolTip(line.isEmpty() ? tr("a binary push cannot be written as one curl call")
                                        : line);
        QObject::connect(curl, &QAction::triggered, menu, [view, line] { copy(view, line, line); });
    }
    menu->setToolTipsVisible(true);
    menu->addSeparator();

    const TrafficEntry entry = e;
    QAction *replay = menu->addAction(tr("Edit && replay…"));
    replay->setObjectName(QStringLiteral("editReplayAction"));
    const bool replayable =
        e.kind == TrafficEntry::Kind::MessageIn || (e.kind == TrafficEntry::Kind::Php && e.php);
    replay->setEnabled(replayable && !view->isShowingCapture());
    if (view->isShowingCapture())
        replay->setToolTip(tr("A capture from a file is read-only"));
    QObject::connect(replay, &QAction::triggered, view, [view, entry] { view->editReplay(entry); });
    menu->addSeparator();

    const QByteArray client = e.clientId;
    QAction *rows = menu->addAction(tr("Show this client's rows"));
    rows->setObjectName(QStringLiteral("showClientRowsAction"));
    rows->setEnabled(!client.isEmpty());
    QObject::connect(rows, &QAction::triggered, view,
                     [view, client] { view->setClientFilter(client); });
    QAction *keep = menu->addAction(tr("Capture only this client"));
    keep->setEnabled(!client.isEmpty() && !view->isShowingCapture());
    QObject::connect(keep, &QAction::triggered, view,
                     [view, client] { view->setCaptureClient(client); });
    return menu;
}
