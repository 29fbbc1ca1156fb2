#pragma once

#include "fastcgipooloptions.h"
#include "php/fairqueue.h"
#include "php/phpbackend.h"

#include <QElapsedTimer>
#include <QTimer>

#include <optional>
#include <vector>

class FastCgiConnection;

/// PhpBackend over a bounded pool of FastCGI connections to PHP-FPM with a fair queue.
///
/// At most maxConnections are open; kept-alive connections are reused (most recently used
/// first) and closed after idleTimeoutMs; one sweep timer enforces every timeout and deadline.
/// Waiting requests are taken owner by owner in turn (FairQueue), so one owner's burst cannot
/// starve the others, and can be withdrawn with cancel() until they are on a connection. A
/// request whose connection failed before any byte of it was sent, on a reused connection, is
/// retried once on a fresh connection; once a byte was sent it is never retried (PHP may have
/// run it). Callbacks run from the event loop, never inside submit(); when the pool is
/// destroyed, callbacks still outstanding are dropped without being called.
class FastCgiPool final : public PhpBackend {
    Q_OBJECT
public:
    explicit FastCgiPool(FastCgiPoolOptions options, QObject *parent = nullptr);
    ~FastCgiPool() override;

    Ticket submit(PhpRequest request, Callback done) override;
    bool cancel(Ticket ticket) override;
    PhpBackendStats stats() const override;
    const FastCgiPoolOptions &options() const { return m_options; }

signals:
    /// A request failed on a connection (connect error, reset, malformed reply, timeout);
    /// one line for the log that names the address, emitted before that request's callback
    /// runs.
    void connectionError(const QString &message);

private:
    struct Job {
        PhpRequest request;
        Callback done;
        QElapsedTimer queued;
        qint64 queueWaitUs = 0;
        bool retried = false;
        Ticket ticket = 0;
    };
    struct Slot {
        FastCgiConnection *connection = nullptr;
        std::optional<Job> job;
    };

    void pump();
    FastCgiConnection *takeIdleConnection();
    FastCgiConnection *openConnection();
    bool closeOneIdle();
    void removeSlot(FastCgiConnection *connection);
    Slot *slotOf(FastCgiConnection *connection);
    void onFinished(FastCgiConnection *connection);
    void onClosed(FastCgiConnection *connection);
    void sweep();
    void updateSweepTimer();
    void replyLater(Callback done, PhpResponse response);

    FastCgiPoolOptions m_options;
    FairQueue<Job> m_queue;
    std::vector<Slot> m_slots; // small: at most maxConnections
    QTimer m_sweepTimer;
    int m_sweepIntervalMs = 0; // while any request runs; single waits while all are idle
    bool m_pumping = false;
    Ticket m_lastTicket = 0;
};
