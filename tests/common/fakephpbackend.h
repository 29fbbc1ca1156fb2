#pragma once

#include "php/fairqueue.h"
#include "php/phpbackend.h"

#include <QByteArrayView>
#include <QHash>
#include <QList>

#include <functional>

/// In-process PhpBackend for gateway logic tests: scripted replies, delays, failures, holds.
///
/// A request is "with PHP" (in flight) from the moment it starts until its reply is delivered;
/// with setMaxConcurrent(n) at most n are, and the rest wait in the same fair queue as
/// FastCgiPool's (FairQueue: owner by owner in turn, first come first served within an owner),
/// where cancel() can withdraw them. The script runs when the reply is delivered: after the
/// delay (or on the next event-loop turn), or, while held, on release(). Callbacks never run
/// inside submit(); those still outstanding when the backend is destroyed are dropped.
class FakePhpBackend final : public PhpBackend {
    Q_OBJECT
public:
    using Script = std::function<PhpResponse(const PhpRequest &)>;
    struct Record {
        PhpRequest request;
        Ticket ticket = 0;
        bool cancelled = false;
        bool answered = false;
    };

    explicit FakePhpBackend(QObject *parent = nullptr);
    ~FakePhpBackend() override;

    /// Default: reply(200, request.body), a text/plain echo.
    void setScript(Script script);
    /// Replies come this long after a request starts; 0 (default): on the next event-loop turn.
    void setDelayMs(int ms);
    /// While held, every reply due is kept until release(); setHeld(false) releases none.
    void setHeld(bool held);
    /// Delivers held replies, oldest first (-1: all held now), at once; returns how many.
    int release(int count = -1);
    /// At most n requests in flight, like a pool of n connections; 0 (default): no limit.
    void setMaxConcurrent(int n);

    /// Every submitted request, in order (ticket = index + 1).
    const QList<Record> &records() const { return m_records; }
    int submittedCount() const { return int(m_records.size()); }
    /// Started and not yet answered, held ones included.
    int inFlightCount() const { return int(m_inFlight.size()); }
    int cancelledCount() const { return m_cancelled; }
    int heldCount() const { return int(m_held.size()); }

    /// The first value of `name` in request.allParams(); null when absent.
    static QByteArray param(const PhpRequest &request, QByteArrayView name);
    /// A well-formed CGI reply; Content-Type comes first among the headers, as PHP sends it.
    static PhpResponse reply(int status, const QByteArray &body, PhpParams headers = {},
                             const QByteArray &contentType = "text/plain");
    static PhpResponse failure(PhpOutcome outcome, const QString &error);

    Ticket submit(PhpRequest request, Callback done) override;
    bool cancel(Ticket ticket) override;
    PhpBackendStats stats() const override;

signals:
    /// A request was submitted (direct).
    void submitted(const PhpRequest &request);

private:
    struct Job {
        Ticket ticket = 0;
        Callback done;
    };

    void pump();
    void start(Job job);
    void deliver(Ticket ticket, bool releasing);

    Script m_script;
    int m_delayMs = 0;
    bool m_holding = false;
    int m_maxConcurrent = 0;
    int m_cancelled = 0;
    QList<Record> m_records;
    FairQueue<Job> m_queue;
    QHash<Ticket, Callback> m_inFlight;
    QList<Ticket> m_held; // oldest first
};
