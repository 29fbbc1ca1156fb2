#include "fastcgi/fastcgierrortext.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#endif

using Facts = FastCgiErrorText::PathFacts;
Q_DECLARE_METATYPE(FastCgiErrorText::PathFacts)
Q_DECLARE_METATYPE(QLocalSocket::LocalSocketError)

namespace {

const QString kDebianSocket = QStringLiteral("/run/php/php8.2-fpm.sock");

// Debian's pool socket (srw-rw---- www-data:www-data) seen by alice, who is in `groups`.
Facts debianSocket(const QStringList &groups, const QStringList &accountGroups = {}) {
    Facts f;
    f.socket.exists = true;
    f.socket.type = 's';
    f.socket.mode = 0660;
    f.socket.owner = QStringLiteral("www-data");
    f.socket.group = QStringLiteral("www-data");
    f.user = QStringLiteral("alice");
    f.processGroups = groups;
    f.accountGroups = accountGroups.isEmpty() ? groups : accountGroups;
    return f;
}

Facts withMode(Facts f, uint mode) {
    f.socket.mode = mode;
    return f;
}

Facts owned(Facts f, const QString &owner) {
    f.socket.owner = owner;
    return f;
}

} // namespace

class TestFastCgiErrorText : public QObject {
    Q_OBJECT
private slots:
    void unixText_data();
    void unixText();
    void tcpText_data();
    void tcpText();
    void timedOut_data();
    void timedOut();
    void modeString_data();
    void modeString();
    void serviceHint_data();
    void serviceHint();
    void probeMissingPath();
    void probeMissingDirectory();
    void probeRegularFile();
    void probeSocketAndSymlinks();
    void probeBlockedDirectory();
};

void TestFastCgiErrorText::unixText_data() {
    QTest::addColumn<QString>("path");
    QTest::addColumn<QLocalSocket::LocalSocketError>("error");
    QTest::addColumn<QString>("qtText");
    QTest::addColumn<Facts>("facts");
    QTest::addColumn<QString>("expected");

    const QString prefix = QStringLiteral("cannot connect to unix:/run/php/php8.2-fpm.sock: ");
    const QString invalidName = QStringLiteral("QLocalSocket::connectToServer: Invalid name");
    const QString refused = QStringLiteral("QLocalSocket::connectToServer: Connection refused");
    const QString access = QStringLiteral("QLocalSocket::connectToServer: Socket access error");
    const QStringList aliceOnly{QStringLiteral("alice")};
    const QStringList aliceWww{QStringLiteral("alice"), QStringLiteral("www-data")};

    Facts missing = debianSocket(aliceOnly);
    missing.socket = {};
    QTest::newRow("missing: Debian socket name gives the service")
        << kDebianSocket << QLocalSocket::ServerNotFoundError << invalidName << missing
        << prefix + "no such file (is php-fpm running? systemctl status php8.2-fpm)";
    QTest::newRow("missing: another name asks for the listen path")
        << "/srv/app/fpm.sock" << QLocalSocket::ServerNotFoundError << invalidName << missing
        << "cannot connect to unix:/srv/app/fpm.sock: no such file (is php-fpm running, and is "
           "this its pool's listen path?)";
    Facts noDir = missing;
    noDir.parentExists = false;
    QTest::newRow("missing with its directory")
        << kDebianSocket << QLocalSocket::ServerNotFoundError << invalidName << noDir
        << prefix + "no such file, and no directory /run/php (is php-fpm running? systemctl "
                    "status php8.2-fpm)";
    Facts dangling = missing;
    dangling.symlinkTarget = QStringLiteral("/run/php/php8.2-fpm.sock");
    QTest::newRow("dangling symlink names its target")
        << "/run/php/php-fpm.sock" << QLocalSocket::ServerNotFoundError << invalidName << dangling
        << "cannot connect to unix:/run/php/php-fpm.sock: no such file (a symlink to "
           "/run/php/php8.2-fpm.sock, which is not there: is php-fpm running? systemctl status "
           "php8.2-fpm)";

    QTest::newRow("refused: a socket nobody listens on")
        << kDebianSocket << QLocalSocket::ConnectionRefusedError << refused
        << debianSocket(aliceWww)
        << prefix + "connection refused (nothing listens: php-fpm stopped and left the socket "
                    "file behind? systemctl status php8.2-fpm)";
    Facts file = debianSocket(aliceOnly);
    file.socket.type = '-';
    file.socket.mode = 0644;
    file.socket.owner = file.socket.group = QStringLiteral("alice");
    QTest::newRow("refused: a regular file")
        << kDebianSocket << QLocalSocket::ConnectionRefusedError << refused << file
        << prefix + "not a socket (a regular file, -rw-r--r-- alice:alice; is this php-fpm's "
                    "listen path?)";

    QTest::newRow("denied: not in the group")
        << kDebianSocket << QLocalSocket::SocketAccessError << access << debianSocket(aliceOnly)
        << prefix + "permission denied (srw-rw---- www-data:www-data; the gateway runs as alice, "
                    "not in group www-data: sudo usermod -aG www-data alice, then log in again)";
    QTest::newRow("denied: in the group since after the login")
        << kDebianSocket << QLocalSocket::SocketAccessError << access
        << debianSocket(aliceOnly, aliceWww)
        << prefix + "permission denied (srw-rw---- www-data:www-data; alice is in group "
                    "www-data, but this process started before that: log in again, or restart "
                    "the gateway)";
    QTest::newRow("denied: in the group, group may not write")
        << kDebianSocket << QLocalSocket::SocketAccessError << access
        << withMode(debianSocket(aliceWww), 0640)
        << prefix + "permission denied (srw-r----- www-data:www-data; the gateway runs as "
                    "alice, in group www-data, and the mode gives the group no write access: set "
                    "listen.mode = 0660 in the pool's config)";
    QTest::newRow("denied: owner only")
        << kDebianSocket << QLocalSocket::SocketAccessError << access
        << withMode(debianSocket(aliceOnly), 0600)
        << prefix + "permission denied (srw------- www-data:www-data; only its owner www-data "
                    "may connect, and the gateway runs as alice: set listen.group and "
                    "listen.mode = 0660 in the pool's config, and put alice in that group)";
    QTest::newRow("denied: our own socket without write for the owner")
        << kDebianSocket << QLocalSocket::SocketAccessError << access
        << withMode(owned(debianSocket(aliceOnly), QStringLiteral("alice")), 0440)
        << prefix + "permission denied (sr--r----- alice:www-data; the gateway runs as alice, "
                    "its owner, and the mode gives the owner no write access: set listen.mode = "
                    "0660 in the pool's config)";
    QTest::newRow("denied although the mode allows: a sandbox")
        << kDebianSocket << QLocalSocket::SocketAccessError << access
        << withMode(debianSocket(aliceOnly), 0666)
        << prefix + "permission denied (srw-rw-rw- www-data:www-data; the mode lets alice in: a "
                    "security module or the service's sandbox refuses it?)";
    Facts root = debianSocket({QStringLiteral("root")});
    root.user = QStringLiteral("root");
    root.root = true;
    QTest::newRow("denied as root: a sandbox")
        << kDebianSocket << QLocalSocket::SocketAccessError << access << root
        << prefix + "permission denied (srw-rw---- www-data:www-data; the mode lets root in: a "
                    "security module or the service's sandbox refuses it?)";
    Facts blocked = debianSocket(aliceOnly);
    blocked.socket = {};
    blocked.blockedDirectory = QStringLiteral("/run/php");
    blocked.blockedDirectoryFacts = {true, 'd', 0750, QStringLiteral("www-data"),
                                     QStringLiteral("www-data")};
    QTest::newRow("denied: a directory on the way")
        << kDebianSocket << QLocalSocket::SocketAccessError << access << blocked
        << prefix + "permission denied (the gateway runs as alice, which may not enter the "
                    "directory /run/php: drwxr-x--- www-data:www-data)";
    Facts unknown = debianSocket(aliceOnly);
    unknown.socket = {};
    QTest::newRow("denied, nothing more known")
        << kDebianSocket << QLocalSocket::SocketAccessError << access << unknown
        << prefix + "permission denied";

    QTest::newRow("timeout: the listen queue")
        << kDebianSocket << QLocalSocket::SocketTimeoutError
        << "QLocalSocket::connectToServer: Socket operation timed out" << debianSocket(aliceWww)
        << prefix + "timed out (php-fpm accepts no more connections: its listen queue is full, "
                    "all its workers busy?)";
    QTest::newRow("other errors: Qt's text without its function name")
        << kDebianSocket << QLocalSocket::UnknownSocketError
        << "QLocalSocket::connectToServer: Unknown error 42" << debianSocket(aliceWww)
        << prefix + "unknown error 42";
}

void TestFastCgiErrorText::unixText() {
    QFETCH(QString, path);
    QFETCH(QLocalSocket::LocalSocketError, error);
    QFETCH(QString, qtText);
    QFETCH(Facts, facts);
    QFETCH(QString, expected);
    QCOMPARE(FastCgiErrorText::unixConnectFailed(path, error, qtText, facts), expected);
}

void TestFastCgiErrorText::tcpText_data() {
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QAbstractSocket::SocketError>("error");
    QTest::addColumn<QString>("qtText");
    QTest::addColumn<QString>("expected");
    QTest::newRow("refused") << "127.0.0.1" << 9000 << QAbstractSocket::ConnectionRefusedError
                             << "Connection refused"
                             << "cannot connect to tcp:127.0.0.1:9000: connection refused "
                                "(nothing listens on 127.0.0.1:9000: is php-fpm running, with "
                                "listen = 127.0.0.1:9000 in its pool?)";
    QTest::newRow("refused, IPv6 in brackets")
        << "::1" << 9000 << QAbstractSocket::ConnectionRefusedError << "Connection refused"
        << "cannot connect to tcp:[::1]:9000: connection refused (nothing listens on "
           "[::1]:9000: is php-fpm running, with listen = [::1]:9000 in its pool?)";
    QTest::newRow("host not found")
        << "fpm.lan" << 9000 << QAbstractSocket::HostNotFoundError << "Host not found"
        << "cannot connect to tcp:fpm.lan:9000: host not found (the name fpm.lan does not "
           "resolve)";
    QTest::newRow("host unreachable")
        << "192.0.2.7" << 9000 << QAbstractSocket::NetworkError << "Host unreachable"
        << "cannot connect to tcp:192.0.2.7:9000: host unreachable (no route to 192.0.2.7: is "
           "the host up, and the address right?)";
    QTest::newRow("network unreachable")
        << "192.0.2.7" << 9000 << QAbstractSocket::NetworkError << "Network unreachable"
        << "cannot connect to tcp:192.0.2.7:9000: network unreachable (no route to 192.0.2.7's "
           "network: is the address right?)";
    QTest::newRow("kernel timeout")
        << "192.0.2.7" << 9000 << QAbstractSocket::NetworkError << "Connection timed out"
        << "cannot connect to tcp:192.0.2.7:9000: timed out (no answer from 192.0.2.7:9000: is "
           "the host up, and does a firewall drop the packets?)";
    QTest::newRow("Qt's timeout")
        << "192.0.2.7" << 9000 << QAbstractSocket::SocketTimeoutError
        << "Socket operation timed out"
        << "cannot connect to tcp:192.0.2.7:9000: timed out (no answer from 192.0.2.7:9000: is "
           "the host up, and does a firewall drop the packets?)";
    QTest::newRow("access: a firewall or sandbox")
        << "192.0.2.7" << 9000 << QAbstractSocket::SocketAccessError << "Permission denied"
        << "cannot connect to tcp:192.0.2.7:9000: permission denied (a firewall rule or the "
           "service's sandbox refuses connections to 192.0.2.7:9000)";
    QTest::newRow("other network error: Qt's text")
        << "192.0.2.7" << 9000 << QAbstractSocket::NetworkError << "Broken pipe"
        << "cannot connect to tcp:192.0.2.7:9000: broken pipe";
}

void TestFastCgiErrorText::tcpText() {
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QAbstractSocket::SocketError, error);
    QFETCH(QString, qtText);
    QFETCH(QString, expected);
    QCOMPARE(FastCgiErrorText::tcpConnectFailed(host, quint16(port), error, qtText), expected);
}

void TestFastCgiErrorText::timedOut_data() {
    QTest::addColumn<QString>("address");
    QTest::addColumn<QString>("expected");
    QTest::newRow("unix") << "unix:/run/php/php8.2-fpm.sock"
                          << "cannot connect to unix:/run/php/php8.2-fpm.sock: timed out after "
                             "3000 ms (php-fpm accepts no more connections: its listen queue is "
                             "full, all its workers busy?)";
    QTest::newRow("tcp") << "10.1.2.3:9000"
                         << "cannot connect to tcp:10.1.2.3:9000: timed out after 3000 ms (no "
                            "answer from 10.1.2.3:9000: is the host up, and does a firewall drop "
                            "the packets?)";
}

void TestFastCgiErrorText::timedOut() {
    QFETCH(QString, address);
    QFETCH(QString, expected);
    QString error;
    const auto parsed = FastCgiAddress::parse(address, &error);
    QVERIFY2(parsed, qPrintable(error));
    QCOMPARE(FastCgiErrorText::connectTimedOut(*parsed, 3000), expected);
}

void TestFastCgiErrorText::modeString_data() {
    QTest::addColumn<QString>("type");
    QTest::addColumn<uint>("mode");
    QTest::addColumn<QString>("expected");
    QTest::newRow("Debian's pool socket") << "s" << 0660u << "srw-rw----";
    QTest::newRow("nothing") << "-" << 0u << "----------";
    QTest::newRow("everything") << "d" << 0777u << "drwxrwxrwx";
    QTest::newRow("sticky /tmp") << "d" << 01777u << "drwxrwxrwt";
    QTest::newRow("sticky without x") << "d" << 01776u << "drwxrwxrwT";
    QTest::newRow("setuid and setgid") << "-" << 06755u << "-rwsr-sr-x";
    QTest::newRow("setgid without x") << "-" << 02640u << "-rw-r-S---";
}

void TestFastCgiErrorText::modeString() {
    QFETCH(QString, type);
    QFETCH(uint, mode);
    QFETCH(QString, expected);
    QCOMPARE(FastCgiErrorText::modeString(type.at(0).toLatin1(), mode), expected);
}

void TestFastCgiErrorText::serviceHint_data() {
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("expected");
    QTest::newRow("Debian, versioned") << kDebianSocket << "systemctl status php8.2-fpm";
    QTest::newRow("Debian, the alternatives link") << "/run/php/php-fpm.sock"
                                                   << "systemctl status php-fpm";
    QTest::newRow("major version only") << "/run/php/php8-fpm.sock"
                                        << "systemctl status php8-fpm";
    QTest::newRow("any other name") << "/srv/app/www.sock"
                                    << "";
    QTest::newRow("a directory named like one") << "/run/php8.2-fpm.sock/x.sock"
                                                << "";
}

void TestFastCgiErrorText::serviceHint() {
    QFETCH(QString, path);
    QFETCH(QString, expected);
    QCOMPARE(FastCgiErrorText::serviceHint(path), expected);
}

#ifdef Q_OS_UNIX
// probe() asks the system; on unix only.

void TestFastCgiErrorText::probeMissingPath() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const Facts f = FastCgiErrorText::probe(dir.filePath(QStringLiteral("none.sock")));
    QVERIFY(!f.socket.exists);
    QVERIFY(f.parentExists);
    QVERIFY(f.symlinkTarget.isEmpty());
    QVERIFY(f.blockedDirectory.isEmpty());
    QVERIFY(!f.user.isEmpty());
    QVERIFY(!f.processGroups.isEmpty());
    QCOMPARE(f.root, ::geteuid() == 0);
}

void TestFastCgiErrorText::probeMissingDirectory() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const Facts f = FastCgiErrorText::probe(dir.filePath(QStringLiteral("no/dir/x.sock")));
    QVERIFY(!f.socket.exists);
    QVERIFY(!f.parentExists);
    QVERIFY(f.blockedDirectory.isEmpty());
}

void TestFastCgiErrorText::probeRegularFile() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile file(dir.filePath(QStringLiteral("file.sock")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();
    QVERIFY(file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup));
    const Facts f = FastCgiErrorText::probe(file.fileName());
    QVERIFY(f.socket.exists);
    QCOMPARE(f.socket.type, '-');
    QCOMPARE(f.socket.mode, 0640u);
    QCOMPARE(f.socket.owner, f.user); // we made it
    QVERIFY2(f.processGroups.contains(f.socket.group), qPrintable(f.socket.group));
}

void TestFastCgiErrorText::probeSocketAndSymlinks() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("s.sock"));
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    QVERIFY(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const QByteArray native = QFile::encodeName(path);
    QVERIFY(size_t(native.size()) < sizeof(addr.sun_path));
    std::memcpy(addr.sun_path, native.constData(), size_t(native.size()));
    const int bound = ::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr));
    ::close(fd);
    QCOMPARE(bound, 0);

    const QString link = dir.filePath(QStringLiteral("link.sock"));
    QVERIFY(QFile::link(path, link));
    Facts f = FastCgiErrorText::probe(link);
    QVERIFY(f.socket.exists);
    QCOMPARE(f.socket.type, 's');
    QCOMPARE(f.symlinkTarget, path);

    QVERIFY(QFile::remove(path));
    f = FastCgiErrorText::probe(link);
    QVERIFY(!f.socket.exists);
    QCOMPARE(f.symlinkTarget, path);
}

void TestFastCgiErrorText::probeBlockedDirectory() {
    if (::geteuid() == 0)
        QSKIP("root enters every directory");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString closed = dir.filePath(QStringLiteral("closed"));
    QVERIFY(QDir().mkdir(closed));
    QVERIFY(QFile::setPermissions(closed, QFile::ReadOwner | QFile::WriteOwner));
    const Facts f = FastCgiErrorText::probe(closed + QStringLiteral("/php.sock"));
    QFile::setPermissions(closed, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    QCOMPARE(f.blockedDirectory, closed);
    QCOMPARE(f.blockedDirectoryFacts.type, 'd');
    QCOMPARE(f.blockedDirectoryFacts.mode, 0600u);
}

#else
void TestFastCgiErrorText::probeMissingPath() {
    QSKIP("unix only");
}
void TestFastCgiErrorText::probeMissingDirectory() {
    QSKIP("unix only");
}
void TestFastCgiErrorText::probeRegularFile() {
    QSKIP("unix only");
}
void TestFastCgiErrorText::probeSocketAndSymlinks() {
    QSKIP("unix only");
}
void TestFastCgiErrorText::probeBlockedDirectory() {
    QSKIP("unix only");
}
#endif

QTEST_GUILESS_MAIN(TestFastCgiErrorText)
#include "tst_fastcgierrortext.moc"
