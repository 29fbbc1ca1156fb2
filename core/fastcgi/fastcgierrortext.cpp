#include "fastcgierrortext.h"

#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

#ifdef Q_OS_UNIX
#include <cerrno>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <vector>

namespace {

#ifdef Q_OS_UNIX
// Supplementary groups looked up per process or user; Linux allows 65,536, real systems a few.
constexpr int kMaxGroups = 1024;
constexpr mode_t kPermissionBits = 07777;

// Room for one user or group database entry (the _r lookups: engine threads may fail at once).
constexpr size_t kEntryBufferBytes = 16 * 1024;

struct UserEntry {
    QString name;
    gid_t gid = 0;
    bool found = false;
};

UserEntry userEntry(uid_t uid) {
    std::vector<char> buffer(kEntryBufferBytes);
    passwd pw{};
    passwd *result = nullptr;
    if (::getpwuid_r(uid, &pw, buffer.data(), buffer.size(), &result) != 0 || !result)
        return {QString::number(uid), 0, false};
    return {QString::fromLocal8Bit(pw.pw_name), pw.pw_gid, true};
}

QString userName(uid_t uid) {
    return userEntry(uid).name;
}

QString groupName(gid_t gid) {
    std::vector<char> buffer(kEntryBufferBytes);
    group gr{};
    group *result = nullptr;
    if (::getgrgid_r(gid, &gr, buffer.data(), buffer.size(), &result) != 0 || !result)
        return QString::number(gid);
    return QString::fromLocal8Bit(gr.gr_name);
}

char typeLetter(mode_t mode) {
    if (S_ISSOCK(mode))
        return 's';
    if (S_ISREG(mode))
        return '-';
    if (S_ISDIR(mode))
        return 'd';
    if (S_ISLNK(mode))
        return 'l';
    if (S_ISFIFO(mode))
        return 'p';
    if (S_ISCHR(mode))
        return 'c';
    if (S_ISBLK(mode))
        return 'b';
    return '?';
}

FastCgiErrorText::FileFacts statFacts(const QByteArray &path) {
    FastCgiErrorText::FileFacts facts;
    struct stat st {};
    if (::stat(path.constData(), &st) != 0)
        return facts;
    facts.exists = true;
    facts.type = typeLetter(st.st_mode);
    facts.mode = uint(st.st_mode & kPermissionBits);
    facts.owner = userName(st.st_uid);
    facts.group = groupName(st.st_gid);
    return facts;
}

QStringList groupNames(const std::vector<gid_t> &gids) {
    QStringList names;
    for (gid_t gid : gids) {
        const QString name = groupName(gid);
        if (!names.contains(name))
            names.append(name);
    }
    return names;
}
#endif

QString kindOf(char type) {
    switch (type) {
    case '-':
        return QStringLiteral("a regular file");
    case 'd':
        return QStringLiteral("a directory");
    case 'p':
        return QStringLiteral("a named pipe");
    case 'c':
    case 'b':
        return QStringLiteral("a device");
    default:
        return QStringLiteral("some other kind of file");
    }
}

QString ownerText(const FastCgiErrorText::FileFacts &f) {
    return FastCgiErrorText::modeString(f.type, f.mode) + u' ' + f.owner + u':' + f.group;
}

// Qt's text without its "QLocalSocket::connectToServer: " prefix, first letter lower-cased.
QString plainQtText(const QString &qtText) {
    QString text = qtText;
    const qsizetype colon = text.lastIndexOf(QLatin1String(": "));
    if (colon >= 0 && text.left(colon).contains(QLatin1String("::")))
        text = text.mid(colon + 2);
    if (!text.isEmpty())
        text[0] = text[0].toLower();
    return text.isEmpty() ? QStringLiteral("unknown error") : text;
}

QString head(const QString &address) {
    return QStringLiteral("cannot connect to %1: ").arg(address);
}

// Why a socket file with these permissions refuses us, and the fix. connect() needs write
// permission on the socket; the owner's, the group's or the others' bits apply, the first
// class we are in.
QString accessDenied(const FastCgiErrorText::PathFacts &f) {
    const FastCgiErrorText::FileFacts &s = f.socket;
    const QString mode = ownerText(s);
    const QString &user = f.user;
    const QString notByMode = QStringLiteral("(%1; the mode lets %2 in: a security module or the "
                                             "service's sandbox refuses it?)")
                                  .arg(mode, f.root ? QStringLiteral("root") : user);
    if (f.root)
        return notByMode;
    if (s.owner == user) {
        if (s.mode & 0200)
            return notByMode;
        return QStringLiteral("(%1; the gateway runs as %2, its owner, and the mode gives the "
                              "owner no write access: set listen.mode = 0660 in the pool's "
                              "config)")
            .arg(mode, user);
    }
    if (f.processGroups.contains(s.group)) {
        if (s.mode & 0020)
            return notByMode;
        return QStringLiteral("(%1; the gateway runs as %2, in group %3, and the mode gives the "
                              "group no write access: set listen.mode = 0660 in the pool's "
                              "config)")
            .arg(mode, user, s.group);
    }
    if (s.mode & 0002)
        return notByMode;
    if (!(s.mode & 0020)) {
        return QStringLiteral("(%1; only its owner %2 may connect, and the gateway runs as %3: "
                              "set listen.group and listen.mode = 0660 in the pool's config, "
                              "and put %3 in that group)")
            .arg(mode, s.owner, user);
    }
    if (f.accountGroups.contains(s.group)) {
        return QStringLiteral("(%1; %2 is in group %3, but this process started before that: "
                              "log in again, or restart the gateway)")
            .arg(mode, user, s.group);
    }
    return QStringLiteral("(%1; the gateway runs as %2, not in group %3: sudo usermod -aG %3 "
                          "%2, then log in again)")
        .arg(mode, user, s.group);
}

QString whereFpm(const QString &path) {
    const QString service = FastCgiErrorText::serviceHint(path);
    return service.isEmpty() ? QStringLiteral("is php-fpm running, and is this its pool's listen "
                                              "path?")
                             : QStringLiteral("is php-fpm running? %1").arg(service);
}

} // namespace

FastCgiErrorText::PathFacts FastCgiErrorText::probe(const QString &path) {
    PathFacts facts;
#ifdef Q_OS_UNIX
    const QByteArray native = QFile::encodeName(path);
    const uid_t uid = ::geteuid();
    const UserEntry me = userEntry(uid);
    facts.user = me.name;
    facts.root = uid == 0;

    std::vector<gid_t> gids(kMaxGroups);
    const int n = ::getgroups(kMaxGroups, gids.data());
    gids.resize(size_t(std::max(0, n)));
    gids.insert(gids.begin(), ::getegid());
    facts.processGroups = groupNames(gids);
    if (me.found) {
        const QByteArray name = QFile::encodeName(me.name);
        std::vector<gid_t> account(kMaxGroups);
        int count = kMaxGroups;
        if (::getgrouplist(name.constData(), me.gid, account.data(), &count) >= 0) {
            account.resize(size_t(count));
            facts.accountGroups = groupNames(account);
        }
    }

    struct stat st {};
    if (::lstat(native.constData(), &st) == 0 && S_ISLNK(st.st_mode))
        facts.symlinkTarget = QFileInfo(path).symLinkTarget();
    facts.socket = statFacts(native);

    const QString parent = QFileInfo(path).absolutePath();
    facts.parentExists = QFileInfo::exists(parent);
    // connect() needs search permission on every directory on the way.
    QString dir;
    const QStringList parts = parent.split(u'/', Qt::SkipEmptyParts);
    for (const QString &part : parts) {
        dir += u'/' + part;
        const QByteArray d = QFile::encodeName(dir);
        if (::faccessat(AT_FDCWD, d.constData(), X_OK, AT_EACCESS) != 0) {
            if (errno == EACCES) {
                facts.blockedDirectory = dir;
                facts.blockedDirectoryFacts = statFacts(d);
            }
            break;
        }
    }
#else
    Q_UNUSED(path);
#endif
    return facts;
}

QString FastCgiErrorText::unixConnectFailed(const QString &path,
                                            QLocalSocket::LocalSocketError error,
                                            const QString &qtText, const PathFacts &facts) {
    const QString start = head(QStringLiteral("unix:") + path);
    switch (error) {
    case QLocalSocket::ServerNotFoundError:
        if (!facts.symlinkTarget.isEmpty() && !facts.socket.exists) {
            return start + QStringLiteral("no such file (a symlink to %1, which is not there: %2)")
                               .arg(facts.symlinkTarget, whereFpm(facts.symlinkTarget));
        }
        if (!facts.parentExists) {
            return start + QStringLiteral("no such file, and no directory %1 (%2)")
                               .arg(QFileInfo(path).absolutePath(), whereFpm(path));
        }
        return start + QStringLiteral("no such file (%1)").arg(whereFpm(path));
    case QLocalSocket::ConnectionRefusedError: {
        // Linux refuses a connect to a file that is not a socket, too.
        if (facts.socket.exists && facts.socket.type != 's') {
            return start + QStringLiteral("not a socket (%1, %2; is this php-fpm's listen path?)")
                               .arg(kindOf(facts.socket.type), ownerText(facts.socket));
        }
        const QString service = serviceHint(path);
        return start +
               QStringLiteral("connection refused (nothing listens: php-fpm stopped and "
                              "left the socket file behind? %1)")
                   .arg(service.isEmpty() ? QStringLiteral("is php-fpm running?") : service);
    }
    case QLocalSocket::SocketAccessError:
        if (!facts.blockedDirectory.isEmpty()) {
            return start + QStringLiteral("permission denied (the gateway runs as %1, which may "
                                          "not enter the directory %2: %3)")
                               .arg(facts.user, facts.blockedDirectory,
                                    ownerText(facts.blockedDirectoryFacts));
        }
        if (!facts.socket.exists || facts.user.isEmpty())
            return start + QStringLiteral("permission denied");
        return start + QStringLiteral("permission denied ") + accessDenied(facts);
    case QLocalSocket::SocketTimeoutError:
        return start + QStringLiteral("timed out (php-fpm accepts no more connections: its "
                                      "listen queue is full, all its workers busy?)");
    case QLocalSocket::SocketResourceError:
        return start + QStringLiteral("out of resources (%1: too many open files?)")
                           .arg(plainQtText(qtText));
    default:
        return start + plainQtText(qtText);
    }
}

QString FastCgiErrorText::tcpConnectFailed(const QString &host, quint16 port,
                                           QAbstractSocket::SocketError error,
                                           const QString &qtText) {
    FastCgiAddress address;
    address.kind = FastCgiAddress::Kind::Tcp;
    address.host = host;
    address.port = port;
    const QString where = address.toString().mid(4); // without "tcp:"
    const QString start = head(address.toString());
    const QString lower = qtText.toLower();
    switch (error) {
    case QAbstractSocket::ConnectionRefusedError:
        return start + QStringLiteral("connection refused (nothing listens on %1: is php-fpm "
                                      "running, with listen = %1 in its pool?)")
                           .arg(where);
    case QAbstractSocket::HostNotFoundError:
        return start + QStringLiteral("host not found (the name %1 does not resolve)").arg(host);
    case QAbstractSocket::SocketTimeoutError:
        return start + QStringLiteral("timed out (no answer from %1: is the host up, and does a "
                                      "firewall drop the packets?)")
                           .arg(where);
    case QAbstractSocket::SocketAccessError:
        return start + QStringLiteral("permission denied (a firewall rule or the service's "
                                      "sandbox refuses connections to %1)")
                           .arg(where);
    case QAbstractSocket::NetworkError:
        if (lower.contains(QLatin1String("host unreachable")))
            return start + QStringLiteral("host unreachable (no route to %1: is the host up, "
                                          "and the address right?)")
                               .arg(host);
        if (lower.contains(QLatin1String("network unreachable")))
            return start + QStringLiteral("network unreachable (no route to %1's network: is "
                                          "the address right?)")
                               .arg(host);
        if (lower.contains(QLatin1String("timed out")))
            return start + QStringLiteral("timed out (no answer from %1: is the host up, and "
                                          "does a firewall drop the packets?)")
                               .arg(where);
        return start + plainQtText(qtText);
    default:
        return start + plainQtText(qtText);
    }
}

QString FastCgiErrorText::connectTimedOut(const FastCgiAddress &address, qint64 ms) {
    const QString start = head(address.toString());
    if (address.kind == FastCgiAddress::Kind::Unix) {
        return start + QStringLiteral("timed out after %1 ms (php-fpm accepts no more "
                                      "connections: its listen queue is full, all its workers "
                                      "busy?)")
                           .arg(ms);
    }
    const QString where = address.toString().mid(4);
    return start + QStringLiteral("timed out after %1 ms (no answer from %2: is the host up, and "
                                  "does a firewall drop the packets?)")
                       .arg(ms)
                       .arg(where);
}

QString FastCgiErrorText::modeString(char type, uint mode) {
    QString s(10, u'-');
    s[0] = type == '-' ? u'-' : QChar::fromLatin1(type);
    static constexpr char kLetters[] = "rwxrwxrwx";
    for (int i = 0; i < 9; ++i) {
        if (mode & (0400u >> i))
            s[i + 1] = QChar::fromLatin1(kLetters[i]);
    }
    // setuid, setgid and sticky show in the x columns, as ls shows them.
    if (mode & 04000)
        s[3] = (mode & 0100) ? u's' : u'S';
    if (mode & 02000)
        s[6] = (mode & 0010) ? u's' : u'S';
    if (mode & 01000)
        s[9] = (mode & 0001) ? u't' : u'T';
    return s;
}

QString FastCgiErrorText::serviceHint(const QString &path) {
    static const QRegularExpression kFpmSocket(
        QStringLiteral("^(php[0-9]*(?:\\.[0-9]+)?-fpm)\\.sock$"));
    const QRegularExpressionMatch m = kFpmSocket.match(QFileInfo(path).fileName());
    if (!m.hasMatch())
        return {};
    return QStringLiteral("systemctl status %1").arg(m.captured(1));
}
