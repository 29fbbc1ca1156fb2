#include "xdebugsupport.h"

#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>

namespace {
constexpr int ProbeTimeoutMs = 10 * 1000;
const QString ExtensionName = QStringLiteral("xdebug"); // PHP adds .so / php_….dll itself

/// Whether `binary args… -m` lists Xdebug among its Zend modules.
bool listsXdebug(const QString &binary, QStringList args) {
    QProcess php;
    args << QStringLiteral("-m");
    php.setProgram(binary);
    php.setArguments(args);
    // Warnings (a failed load, "already loaded") go to stderr; only the module list matters.
    php.setStandardErrorFile(QProcess::nullDevice());
    php.start();
    if (!php.waitForFinished(ProbeTimeoutMs)) {
        php.kill();
        php.waitForFinished();
        return false;
    }
    bool zendSection = false;
    const QList<QByteArray> lines = php.readAllStandardOutput().split('\n');
    for (QByteArray line : lines) {
        line = line.trimmed();
        if (line.startsWith('['))
            zendSection = line == "[Zend Modules]";
        else if (zendSection && line == "Xdebug")
            return true;
    }
    return false;
}
} // namespace

XdebugSupport XdebugSupport::detect(const QString &binary) {
    if (binary.isEmpty())
        return XdebugSupport();
    if (listsXdebug(binary, {}))
        return XdebugSupport(Availability::LoadedByIni);
    if (listsXdebug(binary,
                    {QStringLiteral("-d"), QStringLiteral("zend_extension=") + ExtensionName}))
        return XdebugSupport(Availability::Loadable);
    return XdebugSupport();
}

QList<QPair<QString, QString>> XdebugSupport::iniSettings(quint16 clientPort) const {
    QList<QPair<QString, QString>> out;
    if (!available())
        return out;
    // Loading it twice makes Xdebug complain on every start.
    if (m_availability == Availability::Loadable)
        out.append({QStringLiteral("zend_extension"), ExtensionName});
    out.append({QStringLiteral("xdebug.mode"), QStringLiteral("debug")});
    out.append({QStringLiteral("xdebug.start_with_request"), QStringLiteral("trigger")});
    out.append({QStringLiteral("xdebug.client_host"), QStringLiteral("127.0.0.1")});
    out.append({QStringLiteral("xdebug.client_port"), QString::number(clientPort)});
    // The one visible change for handlers: $_ENV holds the FastCGI params, as $_SERVER does.
    // Without "E" a trigger would have to ride in the query string or a cookie, i.e. replace
    // the client's own QUERY_STRING or HTTP_COOKIE; PHP_VALUE / PHP_ADMIN_VALUE would stick to
    // the worker for every later request (tried with php-fpm 8.2 and Xdebug 3.2).
    out.append({QStringLiteral("variables_order"), QStringLiteral("EGPCS")});
    return out;
}

PhpParams XdebugSupport::triggerParams() {
    return {{QByteArrayLiteral("XDEBUG_TRIGGER"), QByteArrayLiteral("1")}};
}

QString XdebugSupport::installHint(const QString &binary) {
#ifdef Q_OS_WIN
    Q_UNUSED(binary)
    return QStringLiteral("put php_xdebug.dll (xdebug.org/download) in PHP's ext folder");
#else
    // Debian and Ubuntu: php-fpm8.2 ↔ php8.2-xdebug; an unversioned php-fpm ↔ php-xdebug.
    static const QRegularExpression version(QStringLiteral("(\\d+\\.\\d+)$"));
    const QRegularExpressionMatch m = version.match(QFileInfo(binary).fileName());
    return QStringLiteral("apt install php%1-xdebug").arg(m.hasMatch() ? m.captured(1) : QString());
#endif
}
