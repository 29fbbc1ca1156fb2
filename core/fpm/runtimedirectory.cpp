#include "runtimedirectory.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#ifdef Q_OS_UNIX
#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#endif

namespace {
#ifdef Q_OS_UNIX
constexpr mode_t PrivateMode = 0700; // workers are us
constexpr mode_t SharedMode = 0710;  // workers' group may pass through, never list or write
constexpr mode_t ReadableMode = 0755;
constexpr mode_t WritableByOthers = S_IWGRP | S_IWOTH;
#endif

QString tr(const char *text) {
    return QCoreApplication::translate("RuntimeDirectory", text);
}

#ifdef Q_OS_UNIX
QString errnoText() {
    return QString::fromLocal8Bit(std::strerror(errno));
}

QString modeText(mode_t mode) {
    return QStringLiteral("0%1").arg(uint(mode & 07777), 3, 8, QLatin1Char('0'));
}

/// Whether an existing `path` may be trusted: anyone able to write to it could swap our config
/// or socket, or plant scripts the workers run.
bool trustable(const QByteArray &path, QString *error) {
    struct stat st {};
    if (::lstat(path.constData(), &st) != 0) {
        *error = tr("cannot inspect %1: %2").arg(QString::fromLocal8Bit(path), errnoText());
        return false;
    }
    const QString name = QString::fromLocal8Bit(path);
    if (S_ISLNK(st.st_mode)) {
        *error = tr("%1 is a symbolic link: give the directory itself").arg(name);
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        *error = tr("%1 exists and is not a directory").arg(name);
        return false;
    }
    if (st.st_uid != ::geteuid()) {
        *error = tr("%1 belongs to uid %2, not to us (uid %3): refusing a directory someone "
                    "else controls")
                     .arg(name)
                     .arg(uint(st.st_uid))
                     .arg(uint(::geteuid()));
        return false;
    }
    if (st.st_mode & WritableByOthers) {
        *error = tr("%1 is writable by %2 (mode %3): refusing it, as others could replace the "
                    "config, the socket or the scripts; make it writable by its owner only")
                     .arg(name, (st.st_mode & S_IWOTH) ? tr("every local user") : tr("its group"),
                          modeText(st.st_mode));
        return false;
    }
    return true;
}

/// mkdir() with `mode` exactly (the umask only narrows mkdir's mode, chmod sets it); an
/// existing `path` must pass trustable(). `created` tells which happened.
bool makeOrAccept(const QByteArray &path, mode_t mode, bool *created, QString *error) {
    *created = ::mkdir(path.constData(), mode) == 0;
    if (!*created && errno != EEXIST) {
        *error = tr("cannot create %1: %2").arg(QString::fromLocal8Bit(path), errnoText());
        return false;
    }
    return *created || trustable(path, error);
}

bool setMode(const QByteArray &path, mode_t mode, std::optional<uint> group, QString *error) {
    if (group && ::chown(path.constData(), uid_t(-1), gid_t(*group)) != 0) {
        *error = tr("cannot give %1 to group %2: %3")
                     .arg(QString::fromLocal8Bit(path))
                     .arg(*group)
                     .arg(errnoText());
        return false;
    }
    if (::chmod(path.constData(), mode) != 0) {
        *error = tr("cannot set mode %1 on %2: %3")
                     .arg(modeText(mode), QString::fromLocal8Bit(path), errnoText());
        return false;
    }
    return true;
}
#endif
} // namespace

bool RuntimeDirectory::prepare(const QString &path, std::optional<uint> workerGroup,
                               QString *error) {
#ifdef Q_OS_UNIX
    const QString parent = QFileInfo(path).absolutePath();
    if (!QDir().mkpath(parent)) {
        *error = tr("cannot create %1").arg(parent);
        return false;
    }
    bool created = false;
    if (!makeOrAccept(QFile::encodeName(path), PrivateMode, &created, error))
        return false;
    return applyLayout(path, workerGroup, error);
#else
    // Windows: a directory under the user's profile is private to the user by its ACL.
    Q_UNUSED(workerGroup)
    if (!QDir().mkpath(path)) {
        *error = tr("cannot create the runtime directory %1").arg(path);
        return false;
    }
    return true;
#endif
}

bool RuntimeDirectory::applyLayout(const QString &path, std::optional<uint> workerGroup,
                                   QString *error) {
#ifdef Q_OS_UNIX
    return setMode(QFile::encodeName(path), workerGroup ? SharedMode : PrivateMode, workerGroup,
                   error);
#else
    Q_UNUSED(path)
    Q_UNUSED(workerGroup)
    Q_UNUSED(error)
    return true;
#endif
}

bool RuntimeDirectory::prepareReadable(const QString &path, QString *error) {
#ifdef Q_OS_UNIX
    const QByteArray native = QFile::encodeName(path);
    bool created = false;
    return makeOrAccept(native, ReadableMode, &created, error) &&
           setMode(native, ReadableMode, std::nullopt, error);
#else
    if (!QDir().mkpath(path)) {
        *error = tr("cannot create %1").arg(path);
        return false;
    }
    return true;
#endif
}
