#include "xdebugtrigger.h"

#include "enginecontroller.h"

#include <QDir>
#include <QFileInfo>
#include <QMessageBox>

#include <algorithm>

PhpParams XdebugTrigger::params() {
    return {{QByteArrayLiteral("XDEBUG_TRIGGER"), QByteArrayLiteral("1")},
            {QByteArrayLiteral("XDEBUG_SESSION"), QByteArrayLiteral("wsgate")}};
}

bool XdebugTrigger::installed(const QString &etcRoot) {
    const QDir etc(etcRoot);
    const QStringList versions = etc.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    return std::any_of(versions.cbegin(), versions.cend(), [&etc](const QString &v) {
        return QFileInfo::exists(etc.filePath(v + QStringLiteral("/mods-available/xdebug.ini")));
    });
}

QString XdebugTrigger::installHint() {
    return QStringLiteral("sudo apt install php8.2-xdebug\n"
                          "echo 'xdebug.mode=debug' | sudo tee -a "
                          "/etc/php/8.2/mods-available/xdebug.ini\n"
                          "sudo systemctl reload php8.2-fpm");
}

void XdebugTrigger::arm(EngineController *controller, const QByteArray &clientId, QWidget *window,
                        std::function<void(const QString &)> status) {
    if (controller->isAttached()) {
        status(QObject::tr("Debug next message works on the console's own gateway only: the "
                           "admin API of an attached wsgated has no such call. Use Replay with "
                           "Xdebug from a traffic row of a local gateway instead."));
        return;
    }
    const bool present = installed();
    controller->addToNextMessage(
        clientId, params(), window, [window, clientId, present, status](bool found) {
            const QString id = QString::fromLatin1(clientId);
            if (!found) {
                status(QObject::tr("%1 is not connected (to this engine thread)").arg(id));
                return;
            }
            if (present) {
                status(QObject::tr("The next message of %1 goes to PHP with XDEBUG_TRIGGER=1: "
                                   "your IDE (listening on 9003) gets the session when "
                                   "xdebug.mode=debug.")
                           .arg(id));
                return;
            }
            status(QObject::tr("The next message of %1 carries XDEBUG_TRIGGER=1; Xdebug is not "
                               "installed: %2")
                       .arg(id, installHint().section(QLatin1Char('\n'), 0, 0)));
            auto *box = new QMessageBox(
                QMessageBox::Information, QObject::tr("Debug next message"),
                QObject::tr("The next message of %1 carries XDEBUG_TRIGGER=1, but Xdebug is not "
                            "installed here, so PHP will not stop at your breakpoints.")
                    .arg(id),
                QMessageBox::Ok, window);
            box->setInformativeText(
                QObject::tr("Install it, enable step debugging and reload PHP-FPM:") +
                QStringLiteral("\n\n") + installHint());
            box->setTextInteractionFlags(Qt::TextSelectableByMouse);
            box->setAttribute(Qt::WA_DeleteOnClose);
            box->setObjectName(QStringLiteral("xdebugHintBox"));
            box->show();
        });
}
