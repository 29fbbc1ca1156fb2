#pragma once

#include <QString>

#include <optional>

/// The unprivileged account managed PHP's workers run as when wsgate itself runs as root.
struct PhpWorkerAccount {
    QString name;
    uint uid = 0;
    uint gid = 0; // the account's primary group: the pool's `group`

    /// `requested` when given (it must exist), else the first of www-data, nobody that exists.
    /// Refuses an account whose uid or primary gid is 0: the workers must never be root.
    /// POSIX only; elsewhere it always fails.
    static std::optional<PhpWorkerAccount> resolve(const QString &requested, QString *error);
};
