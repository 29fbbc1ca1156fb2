#pragma once

#include <QByteArray>
#include <QList>

#include <memory>
#include <utility>

using PhpParam = std::pair<QByteArray, QByteArray>;
using PhpParams = QList<PhpParam>;

/// Params fixed for one connection (CGI and the handshake's HTTP_*), shared by all its requests.
struct PhpParamBlock {
    PhpParams params;
    /// Opaque to all but the backend that filled it: lets it encode a connection's params once
    /// (the FastCGI pool keeps their encoded bytes here). Touched on the owning thread only.
    mutable QByteArray backendCache;
};

/// One request to PHP: the connection's params, then its own, then the body.
struct PhpRequest {
    std::shared_ptr<const PhpParamBlock> base; // may be null
    PhpParams params;                          // sent after base's
    QByteArray body;
    /// Fairness key: queued work is taken owner by owner in turn (the gateway uses the client
    /// id). Empty: a turn of its own.
    QByteArray owner;

    /// base's params then params, in wire order (logs, replays).
    PhpParams allParams() const;
};
