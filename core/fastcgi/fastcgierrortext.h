#pragma once

#include "fastcgiaddress.h"

#include <QAbstractSocket>
#include <QLocalSocket>
#include <QString>
#include <QStringList>

/// The sentence for a FastCGI connect that failed: what happened, and what to do about it.
///
/// Qt says "QLocalSocket::connectToServer: Invalid name" for a socket file that is not there
/// and "Socket access error" for one we may not open; these texts name the address, the
/// socket file's mode and owner, who the gateway runs as, and the fix. The text builders are
/// pure (the facts come in as values, so every case is testable); probe() is the one part that
/// asks the system (stat, lstat, access, the user and group databases), and only after a
/// connect failed. Every text starts with "cannot connect to <address>: ".
class FastCgiErrorText final {
public:
    /// One file as stat() saw it.
    struct FileFacts {
        bool exists = false;
        char type = '?'; // as ls shows it: 's' socket, '-' regular file, 'd' directory, ...
        uint mode = 0;   // permission bits (07777)
        QString owner;   // user name, or the number when it has none
        QString group;   // group name, or the number
    };

    /// A unix socket path and the process that failed to connect to it.
    struct PathFacts {
        FileFacts socket;      // stat() of the path (through a symlink)
        QString symlinkTarget; // the path is a symlink to this; empty: not a symlink
        bool parentExists = true;
        QString blockedDirectory; // the first directory on the path we may not enter; empty: none
        FileFacts blockedDirectoryFacts;
        QString user;              // who the gateway runs as (effective user)
        bool root = false;         // effective uid 0: file permissions do not apply
        QStringList processGroups; // the groups this process has now
        QStringList accountGroups; // the groups the user database gives the user (maybe more:
                                   // added after this process started)
    };

    /// stat()s `path` and its directories and looks up who we are. Not pure; call it only
    /// after a connect failed. On a system without unix permissions the facts stay empty.
    static PathFacts probe(const QString &path);

    /// A connect to a unix socket failed with Qt's `error` (and its text, used when the error
    /// is none of the known ones).
    static QString unixConnectFailed(const QString &path, QLocalSocket::LocalSocketError error,
                                     const QString &qtText, const PathFacts &facts);
    /// A TCP connect failed with Qt's `error`; `qtText` tells the network errors apart
    /// (host/network unreachable, timed out).
    static QString tcpConnectFailed(const QString &host, quint16 port,
                                    QAbstractSocket::SocketError error, const QString &qtText);
    /// No connect within `ms` (the pool's --fastcgi-connect-timeout).
    static QString connectTimedOut(const FastCgiAddress &address, qint64 ms);

    /// "srw-rw----": the type letter and the permission bits as ls shows them.
    static QString modeString(char type, uint mode);
    /// "systemctl status php8.2-fpm" when the socket's name says which php-fpm it belongs to
    /// (Debian's php8.2-fpm.sock, php-fpm.sock); empty otherwise.
    static QString serviceHint(const QString &path);
};
