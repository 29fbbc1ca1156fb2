#pragma once

#include "fastcgiaddress.h"

/// Settings of a FastCgiPool. Keep maxConnections below FPM's pm.max_children: a kept-alive
/// connection pins an FPM worker even while idle.
struct FastCgiPoolOptions {
    FastCgiAddress address;
    int maxConnections = 8;
    int maxQueued = 4096; // requests waiting for a connection; beyond: Overloaded
    qint64 maxQueuedBytes = 256 * 1024 * 1024; // their bodies, summed; beyond: Overloaded
    int connectTimeoutMs = 3000;
    int readTimeoutMs = 30000; // no byte moved for this long while a request is in flight
    int deadlineMs = 60000;   // no complete reply this long after the request's first byte; 0: none
    int idleTimeoutMs = 2000; // a kept-alive connection unused this long is closed
    qint64 maxResponseBytes = 64 * 1024 * 1024; // STDOUT per reply; beyond: BadResponse
    bool keepAlive = true;                      // FCGI_KEEP_CONN: ~2.4x the throughput
};
