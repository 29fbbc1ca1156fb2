#pragma once

#include "gateway/gatewaysnapshot.h"

#include <memory>

/// What the console shows of a running engine at one tick: the gateway snapshot plus rates
/// computed from the core's counters.
struct EngineSample {
    std::shared_ptr<const GatewaySnapshot> snapshot; // null when the gateway is not running
    qint64 connections = 0;
    double messagesInPerSec = 0;
    double messagesOutPerSec = 0;
    qint64 messagesIn = 0;
    qint64 messagesOut = 0;
    qint64 queuedMessages = 0; // all clients, waiting for PHP
    qint64 phpFailures = 0;    // every outcome but ok, since start
    bool cluster = false;      // --cluster given
    bool clusterUp = false;    // its Redis reachable
    int clusterNodes = 0;      // live nodes, this one included
};
