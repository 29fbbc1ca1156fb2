#pragma once

#include "fastcgiaddress.h"

/// Settings of a FastCgiPool. Keep maxConnections below FPM's pm.max_children: a kept-alive
/// connection pins an FPM worker even while idle.
struct FastCgiPoolOptions {
    FastCgiAddress address;
    int maxConnections = 8;
    int maxQueued = 4096; // requests waiting for a connection; beyond: Overloaded
    int connectTimeoutMs = 3000;
    int readTimeoutMs = 30000; // no byte moved for this long while a request is in flight
    int idleTimeoutMs = 2000;  // a kept-alive connection unused this long is closed
    qint64 maxResponseBytes = 64 * 1024 * 1024; // body bytes kept; the rest is dropped
    bool keepAlive = true;                      // FCGI_KEEP_CONN: ~2.4x the throughput
};
