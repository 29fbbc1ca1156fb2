#pragma once

#include "php/phprequest.h"

#include <QByteArray>
#include <QString>

#include <functional>

class EngineController;
class QWidget;

/// "Debug next message": what it adds to a client's next PHP request so Xdebug starts a step
/// debugging session, and how to get Xdebug when this machine has none.
class XdebugTrigger final {
public:
    /// XDEBUG_TRIGGER (Xdebug 3) and XDEBUG_SESSION (its older name), as FastCGI params.
    static PhpParams params();
    /// Whether Debian's Xdebug package is installed for some PHP version under `etcRoot`.
    static bool installed(const QString &etcRoot = QStringLiteral("/etc/php"));
    /// The commands that install and enable it.
    static QString installHint();
    /// Arms the client's next message; `status` gets the outcome in a line, and without
    /// Xdebug a (non-modal) box on `window` says how to install it.
    static void arm(EngineController *controller, const QByteArray &clientId, QWidget *window,
                    std::function<void(const QString &)> status);
};
