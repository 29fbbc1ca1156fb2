#pragma once

#include "config/redisaddress.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QTimer>

#include <deque>
#include <functional>
#include <memory>

class QSocketNotifier;
struct redisAsyncContext;
struct redisReadTask;
struct redisReply;
struct redisReplyObjectFunctions;

/// One hiredis async connection on the Qt event loop to the cluster's Redis: connects and
/// reconnects with backoff, AUTH and SELECT, commands with one deadline each and a bound on
/// what waits (past it, a command is refused at once: nothing queues without bound while Redis
/// is away), and every command still outstanding failed when the connection goes. A link in
/// subscriber mode delivers messages to its handler and resubscribes after a reconnect. What
/// Redis sends is bounded too: a reply (or a message delivered) that would hold more than
/// MaxReplyBytes closes the link with that reason, before hiredis buffers or allocates past it.
class RedisLink final : public QObject {
    Q_OBJECT
public:
    /// A command's answer; `reply` is null when it failed (timeout, connection lost).
    using Reply = std::function<void(const redisReply *reply)>;
    using MessageHandler =
        std::function<void(const QByteArray &channel, const QByteArray &payload)>;

    static constexpr int CommandTimeoutMs = 2000;
    static constexpr int MaxPendingCommands = 10000;
    static constexpr qint64 MaxPendingBytes = 64 * 1024 * 1024;
    /// Anything this link may send comes back within it (a PUBLISH heard by a subscriber).
    static constexpr qint64 MaxReplyBytes = MaxPendingBytes + 64 * 1024;

    RedisLink(const RedisAddress &address, const QString &name, QObject *parent = nullptr);
    ~RedisLink() override;

    /// Connects now and whenever the connection is lost (250 ms, doubling to 5 s).
    void start();
    /// Disconnects for good: no reconnect, no down(); what is outstanding is dropped untold.
    void stop();
    bool isUp() const { return m_up; }
    QString lastError() const { return m_lastError; }

    /// Sends a command; false (and `done` never called) when down or over the bound.
    bool command(const QList<QByteArray> &args, Reply done);

    /// Subscriber mode: messages of every channel subscribed go to `handler`.
    void setMessageHandler(MessageHandler handler) { m_handler = std::move(handler); }
    /// Subscribes now (if up) and again after every reconnect.
    void subscribe(const QList<QByteArray> &channels);
    void unsubscribe(const QList<QByteArray> &channels);
    int subscriptionCount() const { return int(m_channels.size()); }
    bool isSubscribed(const QByteArray &channel) const { return m_channels.contains(channel); }

Q_SIGNALS:
    /// Fires when the connection is up (authenticated, database selected, and in subscriber
    /// mode its channels subscribed).
    void up();
    /// Fires when the connection is lost or could not be made; reconnecting follows.
    void down(const QString &reason);

private:
    struct Pending;
    static void onConnect(const redisAsyncContext *context, int status);
    static void onDisconnect(const redisAsyncContext *context, int status);
    static void onReply(redisAsyncContext *context, void *reply, void *privdata);
    static void onSubscription(redisAsyncContext *context, void *reply, void *privdata);
    // hiredis's event hooks, on our own notifiers (its adapters/qt.h writes to a freed
    // context when its adapter outlives the context, and needs moc over a system header).
    static void addRead(void *link);
    static void delRead(void *link);
    static void addWrite(void *link);
    static void delWrite(void *link);
    static void cleanup(void *link);
    /// hiredis's reply constructors, each counted against MaxReplyBytes first.
    struct Replies;
    bool admitReply(const redisReadTask *task, qint64 bytes);
    /// After a read: a reply hiredis is still buffering may not pass MaxReplyBytes either.
    void checkReplyBuffer();
    static QString replyRefusedReason();
    /// The read or write notifier on the context's descriptor, made once, then toggled.
    void watch(bool write, bool on);

    void connectNow();
    /// Frees the context without a disconnect callback; hiredis calls each pending reply back
    /// empty.
    void freeContext();
    void lost(const QString &reason);
    void sweep();
    bool sendArgv(const QList<QByteArray> &args, void (*fn)(redisAsyncContext *, void *, void *),
                  void *privdata);

    RedisAddress m_address;
    QString m_name;
    redisAsyncContext *m_context = nullptr;
    const redisReplyObjectFunctions *m_hiredisReplies = nullptr; // the ones ours wrap
    std::unique_ptr<redisReplyObjectFunctions> m_replyFunctions; // the reader's: ours
    qint64 m_replyBytes = 0;     // what the reply being read holds so far
    bool m_replyRefused = false; // over MaxReplyBytes: the reason the link goes down
    QSocketNotifier *m_read = nullptr;
    QSocketNotifier *m_write = nullptr;
    bool m_ready = false;  // connected, authenticated, database selected
    bool m_up = false;     // ready, and a subscriber's channels confirmed
    int m_unconfirmed = 0; // channels of the SUBSCRIBE sent on connecting not confirmed yet
    QElapsedTimer m_subscribeSent;
    bool m_connecting = false;
    bool m_stopped = false; // stop() called: no reconnect until start()
    QString m_lastError;
    std::deque<Pending *> m_pending; // in send order: Redis answers in order
    qint64 m_pendingBytes = 0;
    QList<QByteArray> m_channels;
    MessageHandler m_handler;
    QTimer m_retry;
    QTimer m_sweep;
    int m_backoffMs;
};
