#pragma once

#include "clientinfo.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>

#include <functional>
#include <optional>

/// A message to deliver: text (UTF-8 bytes) or binary.
struct OutboundMessage {
    QByteArray payload;
    bool binary = false;
};

/// Who a push goes to.
struct PushTarget {
    enum class Kind { Client, User, Group, Everyone };
    Kind kind = Kind::Everyone;
    QByteArray name; // the client id, user or group (UTF-8); empty for Everyone

    /// "client 3f2a…", "user alice", "group lobby", "everyone": for logs.
    QString describe() const;
};

/// What a delivery did. Counts are exact for this gateway's own connections; deliveries that
/// went to other nodes (threads or cluster members) are counted in `nodes`, and their
/// connections are in matched/delivered only when the delivery waited for their answers
/// (`exact`).
struct DeliveryResult {
    int matched = 0;    // connections targeted
    int delivered = 0;  // connections that got the message queued
    int bufferFull = 0; // connections refused by the backpressure policy
    int nodes = 0;      // other nodes the message was handed to
    bool exact = true;  // matched/delivered/bufferFull cover every node reached
    QByteArray error;   // set when nothing could be attempted (e.g. "cluster_unavailable")

    /// Adds another part's counts (a node's, a thread's).
    void add(const DeliveryResult &other);
};

/// What looking a client up (or closing it, or changing its groups) found: the client, no such
/// client, or no way to ask its node (`error`: "cluster_unavailable", "node_unreachable"), when
/// it may well exist.
struct ClientLookup {
    ClientLookup() = default;
    explicit ClientLookup(bool found, QByteArray error = {}, std::optional<ClientInfo> info = {})
        : found(found)
        , error(std::move(error))
        , info(std::move(info)) {}

    bool found = false;
    QByteArray error;
    std::optional<ClientInfo> info; // client(): what it is, when found
};

/// "Deliver to these targets" and manage connections, wherever they are connected: the one
/// interface the push API, the console and the admin API use. Answers arrive through the
/// callbacks, possibly before the call returns (local) or later (other threads and nodes), on
/// the thread the implementation lives in; calls are made on that thread.
class Delivery {
public:
    using Done = std::function<void(const DeliveryResult &)>;
    using Found = std::function<void(const ClientLookup &)>;

    virtual ~Delivery() = default;

    /// `waitForAll`: gather exact counts from every node reached (bounded by a timeout).
    virtual void deliver(const PushTarget &target, const OutboundMessage &message, bool waitForAll,
                         Done done) = 0;
    /// Closes a client with exactly this code and reason (a code a server may send).
    virtual void closeClient(const QByteArray &clientId, int code, const QByteArray &reason,
                             Found done) = 0;
    virtual void setMembership(const QByteArray &clientId, const QString &group, bool join,
                               Found done) = 0;
    virtual void clients(std::function<void(const QList<ClientInfo> &)> done) = 0;
    virtual void client(const QByteArray &clientId, Found done) = 0;
    /// group → member ids.
    virtual void groups(std::function<void(const QHash<QString, QList<QByteArray>> &)> done) = 0;
};
