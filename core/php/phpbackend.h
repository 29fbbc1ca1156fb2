#pragma once

#include "phprequest.h"
#include "phpresponse.h"

#include <QObject>

#include <functional>

/// Backend occupancy, sampled for metrics and the UI.
struct PhpBackendStats {
    int connections = 0; // open connections to PHP
    int busy = 0;        // connections with a request in flight
    int idle = 0;        // kept-alive connections waiting for work
    int queued = 0;      // requests waiting for a connection
    int maxConnections = 0;
    qint64 queuedBytes = 0; // bodies of queued requests
    int queuedOwners = 0;   // distinct owners with queued requests (each anonymous one counts)

    /// Sums another pool's figures into these (engine shards, a cluster's nodes).
    void add(const PhpBackendStats &o) {
        connections += o.connections;
        busy += o.busy;
        idle += o.idle;
        queued += o.queued;
        maxConnections += o.maxConnections;
        queuedBytes += o.queuedBytes;
        queuedOwners += o.queuedOwners;
    }
};

/// Where the gateway sends PHP requests: FastCgiPool, or an in-process fake in tests.
class PhpBackend : public QObject {
    Q_OBJECT
public:
    using Callback = std::function<void(const PhpResponse &)>;
    using Ticket = quint64;

    using QObject::QObject;
    ~PhpBackend() override = default;

    /// Queues a request; `done` is called exactly once, later, from this object's thread
    /// (never inside submit()) — unless cancel() withdrew it first.
    virtual Ticket submit(PhpRequest request, Callback done) = 0;
    /// Withdraws a request PHP has not been sent yet: true when withdrawn (its callback never
    /// runs); false when it is already with PHP or done (the callback runs / ran as usual).
    virtual bool cancel(Ticket ticket) = 0;
    virtual PhpBackendStats stats() const = 0;
};
