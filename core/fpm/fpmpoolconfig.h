#pragma once

#include "managedphp.h"

#include <QString>

#include <optional>
#include <utility>

/// The php-fpm.conf ManagedPhp writes: a [global] section and the one pool, from plain values.
class FpmPoolConfig final {
public:
    struct Inputs {
        QString pidFile;
        QString listen;                         // a socket path, or 127.0.0.1:PORT with options.tcp
        std::optional<PhpWorkerAccount> worker; // we are root: the pool's user and group
        std::pair<uint, uint> socketOwner{0, 0}; // with worker and a socket: listen.owner/group
    };

    FpmPoolConfig() = delete;

    static QString text(const ManagedPhp::Options &options, const Inputs &inputs);
    /// post_max_size for messages of up to `maxMessageBytes`, in raw and in form mode.
    static qint64 postMaxBytes(qint64 maxMessageBytes);
};
