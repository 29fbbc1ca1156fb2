#include "phpworkeraccount.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QStringList>

#ifdef Q_OS_UNIX
#include <cerrno>
#include <pwd.h>
#include <sys/types.h>
#include <unistd.h>
#endif

namespace {
// getpwnam_r's scratch when sysconf() gives no hint; ERANGE doubles it up to the maximum.
constexpr qsizetype PasswdBufferBytes = 16 * 1024;
constexpr qsizetype MaxPasswdBufferBytes = 1024 * 1024;

QString tr(const char *text) {
    return QCoreApplication::translate("PhpWorkerAccount", text);
}

#ifdef Q_OS_UNIX
std::optional<PhpWorkerAccount> lookUp(const QString &name) {
    const QByteArray key = name.toLocal8Bit();
    const long hint = ::sysconf(_SC_GETPW_R_SIZE_MAX);
    QByteArray buffer(hint > 0 ? qsizetype(hint) : PasswdBufferBytes, Qt::Uninitialized);
    for (;;) {
        passwd entry{};
        passwd *found = nullptr;
        const int rc =
            ::getpwnam_r(key.constData(), &entry, buffer.data(), size_t(buffer.size()), &found);
        if (rc == ERANGE && buffer.size() < MaxPasswdBufferBytes) {
            buffer.resize(buffer.size() * 2);
            continue;
        }
        if (rc != 0 || !found)
            return std::nullopt;
        return PhpWorkerAccount{QString::fromLocal8Bit(found->pw_name), uint(found->pw_uid),
                                uint(found->pw_gid)};
    }
}
#endif
} // namespace

std::optional<PhpWorkerAccount> PhpWorkerAccount::resolve(const QString &requested,
                                                          QString *error) {
#ifdef Q_OS_UNIX
    const QStringList candidates =
        requested.isEmpty() ? QStringList{QStringLiteral("www-data"), QStringLiteral("nobody")}
                            : QStringList{requested};
    for (const QString &name : candidates) {
        const auto account = lookUp(name);
        if (!account)
            continue;
        if (account->uid == 0 || account->gid == 0) {
            *error = tr("PHP's workers must not run as root, and \"%1\" is root (uid %2, group "
                        "%3): give --php-user an unprivileged account")
                         .arg(account->name)
                         .arg(account->uid)
                         .arg(account->gid);
            return std::nullopt;
        }
        return account;
    }
    *error = requested.isEmpty()
                 ? tr("running as root, PHP's workers need an unprivileged account, and neither "
                      "www-data nor nobody exists: name one with --php-user")
                 : tr("--php-user: no account named \"%1\"").arg(requested);
    return std::nullopt;
#else
    Q_UNUSED(requested)
    *error = tr("worker accounts exist only on POSIX systems");
    return std::nullopt;
#endif
}
