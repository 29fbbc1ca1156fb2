#pragma once

#include "php/phprequest.h"

#include <QList>
#include <QPair>
#include <QString>

/// Whether a PHP binary (php-fpm, php-cgi) can run Xdebug, and the ini settings that load it
/// for step debugging in trigger mode: inert until a request carries triggerParams().
class XdebugSupport final {
public:
    enum class Availability {
        Missing,     // not installed (or not loadable by this PHP)
        LoadedByIni, // PHP's own ini files load it (Debian's conf.d/20-xdebug.ini)
        Loadable,    // installed but not enabled: we load it with -d zend_extension=xdebug
    };

    XdebugSupport() = default;
    explicit XdebugSupport(Availability availability)
        : m_availability(availability) {}

    /// Asks `binary -m` for its modules, and when Xdebug is not among them, whether
    /// `binary -d zend_extension=xdebug -m` has it. Blocks while PHP runs (about 0.2 s each).
    static XdebugSupport detect(const QString &binary);

    Availability availability() const { return m_availability; }
    bool available() const { return m_availability != Availability::Missing; }

    /// The -d settings for PHP's command line (they must come before PHP's module startup:
    /// xdebug.mode is read there, so a pool's php_admin_value is too late). Empty when Xdebug is
    /// missing. The IDE listens on 127.0.0.1:`clientPort`.
    QList<QPair<QString, QString>> iniSettings(quint16 clientPort) const;

    /// FastCGI params that make one request start a debug session: XDEBUG_TRIGGER=1. Works
    /// with the settings above only: Xdebug looks for its trigger in $_ENV, $_GET, $_POST and
    /// $_COOKIE, and a FastCGI param reaches $_ENV only when variables_order has "E".
    static PhpParams triggerParams();

    /// How to install Xdebug for `binary` ("apt install php8.2-xdebug" for php-fpm8.2).
    static QString installHint(const QString &binary);

private:
    Availability m_availability = Availability::Missing;
};
