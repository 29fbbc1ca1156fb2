#pragma once

#include "observe/trafficentry.h"

#include <QCoreApplication>
#include <QString>

class QMenu;
class QWidget;
class TrafficLogModel;
class TrafficLogView;

/// The traffic table's context menu for one entry — copy the body, the params (secrets
/// masked), the message as a websocat or wscat command, a push as curl; replay it; show or keep
/// only this client's rows — and the texts it copies.
class TrafficContextMenu final {
    Q_DECLARE_TR_FUNCTIONS(TrafficContextMenu)

public:
    /// A new menu (owned by `parent`) acting on `entry` through `view`.
    static QMenu *create(TrafficLogView *view, const TrafficEntry &entry, QWidget *parent);
    /// The message a row is about: a message's or push's payload, an exchange's request body.
    static QByteArray body(const TrafficEntry &entry, bool *binary);
    /// The client's handshake params: the entry's own, or those of the client's newest PHP
    /// exchange in `model`; empty when the log holds none.
    static PhpParams clientParams(const TrafficLogModel *model, const TrafficEntry &entry);
    /// The push API's URL PHP was given (WS_PUSH_URL of a recent exchange), else the default.
    static QString pushUrl(const TrafficLogModel *model);
    /// The row's message as a command line (websocat, or wscat); empty with `error` when the
    /// URL or the message is not known.
    static QString commandLine(const TrafficLogModel *model, const TrafficEntry &entry, bool wscat,
                               QString *error);
};
