#include "redislink.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <QSocketNotifier>

#include <vector>

namespace {
constexpr int RetryMinMs = 250;
constexpr int RetryMaxMs = 5000;
constexpr int SweepIntervalMs = 500;
} // namespace

// Every reply hiredis builds for this link goes through these: what it would hold is counted
// (the objects and the strings) before hiredis allocates it, and refused past the limit, which
// hiredis reports as out of memory and we as the limit (onDisconnect). The count of an array's
// elements is what hiredis allocates first, so "*2000000000" is refused before its elements.
struct RedisLink::Replies {
    static RedisLink *link(const redisReadTask *task) {
        return static_cast<RedisLink *>(task->privdata);
    }
    static void *string(const redisReadTask *task, char *str, size_t len) {
        RedisLink *l = link(task);
        return l->admitReply(task, qint64(sizeof(redisReply)) + qint64(len))
                   ? l->m_hiredisReplies->createString(task, str, len)
                   : nullptr;
    }
    template <typename Count> // int in hiredis 0.14 (Debian 12), size_t from 1.0
    static void *array(const redisReadTask *task, Count elements) {
        RedisLink *l = link(task);
        const qint64 bytes = qint64(sizeof(redisReply)) + qint64(elements) * qint64(sizeof(void *));
        return l->admitReply(task, bytes) ? l->m_hiredisReplies->createArray(task, elements)
                                          : nullptr;
    }
    static void *integer(const redisReadTask *task, long long value) {
        RedisLink *l = link(task);
        return l->admitReply(task, qint64(sizeof(redisReply)))
                   ? l->m_hiredisReplies->createInteger(task, value)
                   : nullptr;
    }
    static void *nil(const redisReadTask *task) {
        RedisLink *l = link(task);
        return l->admitReply(task, qint64(sizeof(redisReply)))
                   ? l->m_hiredisReplies->createNil(task)
                   : nullptr;
    }
    /// hiredis's own, with the constructors above in place of its (any it has beyond these
    /// stay its own; freeing stays its own).
    static std::unique_ptr<redisReplyObjectFunctions>
    wrapping(const redisReplyObjectFunctions &own) {
        auto f = std::make_unique<redisReplyObjectFunctions>(own);
        f->createString = &string;
        f->createArray = &array;
        f->createInteger = &integer;
        f->createNil = &nil;
        return f;
    }
};

QString RedisLink::replyRefusedReason() {
    return QStringLiteral("a reply larger than the limit of %1 bytes").arg(MaxReplyBytes);
}

bool RedisLink::admitReply(const redisReadTask *task, qint64 bytes) {
    if (!task->parent)
        m_replyBytes = 0; // a reply begins
    m_replyBytes += bytes;
    if (m_replyBytes <= MaxReplyBytes)
        return true;
    m_replyRefused = true;
    return false;
}

void RedisLink::checkReplyBuffer() {
    // A string is built only once all of it is in; until then it is hiredis's buffer, beside
    // what the reply it belongs to holds already (r->reply: an array still being read).
    const redisReader *r = m_context->c.reader;
    const qint64 held = (r->reply ? m_replyBytes : 0) + qint64(r->len - r->pos);
    if (held <= MaxReplyBytes)
        return;
    freeContext(); // without a disconnect callback: the reason is given here
    lost(replyRefusedReason());
}

struct RedisLink::Pending {
    RedisLink *link = nullptr;
    Reply done;
    QElapsedTimer sent;
    qint64 bytes = 0;
};

RedisLink::RedisLink(const RedisAddress &address, const QString &name, QObject *parent)
    : QObject(parent)
    , m_address(address)
    , m_name(name)
    , m_backoffMs(RetryMinMs) {
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &RedisLink::connectNow);
    m_sweep.setInterval(SweepIntervalMs);
    connect(&m_sweep, &QTimer::timeout, this, &RedisLink::sweep);
}

RedisLink::~RedisLink() {
    m_handler = nullptr;
    stop();
    cleanup(this);
}

void RedisLink::freeContext() {
    if (!m_context)
        return;
    redisAsyncContext *dead = m_context;
    m_context = nullptr;
    dead->data = nullptr; // no disconnect callback into lost()
    redisAsyncFree(dead); // each pending reply called back empty
}

// hiredis asks for writability whenever it has something to send and drops it once sent: one
// notifier per descriptor and direction, toggled, not one made and deleted per command.
void RedisLink::watch(bool write, bool on) {
    QSocketNotifier *&n = write ? m_write : m_read;
    if (!on || !m_context) {
        if (n)
            n->setEnabled(false); // may be inside its own activation
        return;
    }
    if (!n) {
        n = new QSocketNotifier(qintptr(m_context->c.fd),
                                write ? QSocketNotifier::Write : QSocketNotifier::Read, this);
        connect(n, &QSocketNotifier::activated, this, [this, write] {
            if (!m_context)
                return;
            if (write) {
                redisAsyncHandleWrite(m_context);
                return;
            }
            redisAsyncHandleRead(m_context);
            if (m_context)
                checkReplyBuffer();
        });
    }
    n->setEnabled(true);
}

void RedisLink::addRead(void *link) {
    static_cast<RedisLink *>(link)->watch(false, true);
}

void RedisLink::delRead(void *link) {
    static_cast<RedisLink *>(link)->watch(false, false);
}

void RedisLink::addWrite(void *link) {
    static_cast<RedisLink *>(link)->watch(true, true);
}

void RedisLink::delWrite(void *link) {
    static_cast<RedisLink *>(link)->watch(true, false);
}

void RedisLink::cleanup(void *link) {
    auto *self = static_cast<RedisLink *>(link);
    // Disabled now: the descriptor is about to be closed.
    for (QSocketNotifier *n : {self->m_read, self->m_write}) {
        if (n) {
            n->setEnabled(false);
            n->deleteLater();
        }
    }
    self->m_read = self->m_write = nullptr;
}

void RedisLink::start() {
    m_stopped = false;
    m_sweep.start();
    connectNow();
}

void RedisLink::stop() {
    m_stopped = true;
    m_retry.stop();
    m_sweep.stop();
    for (Pending *p : m_pending)
        p->done = nullptr; // nobody to tell any more
    freeContext();
    for (Pending *p : m_pending) // any hiredis did not hold
        delete p;
    m_pending.clear();
    m_pendingBytes = 0;
    m_ready = m_up = m_connecting = false;
    m_unconfirmed = 0;
}

void RedisLink::connectNow() {
    if (m_context || m_connecting || m_stopped)
        return;
    redisAsyncContext *c =
        m_address.socketPath.isEmpty()
            ? redisAsyncConnect(m_address.host.toUtf8().constData(), m_address.port)
            : redisAsyncConnectUnix(m_address.socketPath.toUtf8().constData());
    if (!c || c->err) {
        const QString reason = c ? QString::fromUtf8(c->errstr) : QStringLiteral("out of memory");
        if (c)
            redisAsyncFree(c);
        lost(reason);
        return;
    }
    m_context = c;
    m_connecting = true;
    m_replyRefused = false;
    m_hiredisReplies = c->c.reader->fn; // the same static table for every context
    if (!m_replyFunctions)
        m_replyFunctions = Replies::wrapping(*m_hiredisReplies);
    c->c.reader->fn = m_replyFunctions.get();
    c->c.reader->privdata = this;
    c->data = this;
    c->ev.data = this;
    c->ev.addRead = &RedisLink::addRead;
    c->ev.delRead = &RedisLink::delRead;
    c->ev.addWrite = &RedisLink::addWrite;
    c->ev.delWrite = &RedisLink::delWrite;
    c->ev.cleanup = &RedisLink::cleanup;
    redisAsyncSetConnectCallback(c, &RedisLink::onConnect);
    redisAsyncSetDisconnectCallback(c, &RedisLink::onDisconnect);
}

void RedisLink::onConnect(const redisAsyncContext *c, int status) {
    auto *self = static_cast<RedisLink *>(c->data);
    if (!self)
        return;
    self->m_connecting = false;
    if (status != REDIS_OK) {
        // hiredis frees the context after this callback, without a disconnect callback.
        self->m_context = nullptr;
        self->lost(QString::fromUtf8(c->errstr));
        return;
    }
    // AUTH and SELECT first; the link is up once they answered.
    auto ready = std::make_shared<int>(0);
    const auto finish = [self, ready](const char *what, const redisReply *r) {
        if (!r || r->type == REDIS_REPLY_ERROR) {
            const QString detail =
                r ? QString::fromUtf8(r->str, int(r->len)) : QStringLiteral("no answer");
            QMetaObject::invokeMethod(
                self,
                [self, what, detail] {
                    self->freeContext();
                    self->lost(QStringLiteral("%1: %2").arg(QLatin1String(what), detail));
                },
                Qt::QueuedConnection);
            return;
        }
        if (--*ready > 0)
            return;
        self->m_ready = true;
        self->m_backoffMs = RetryMinMs;
        if (self->m_channels.isEmpty()) {
            self->m_up = true;
            Q_EMIT self->up();
            return;
        }
        // A subscriber is up once Redis confirmed its channels: before that, a message
        // published to them would reach nobody.
        self->m_unconfirmed = int(self->m_channels.size());
        self->m_subscribeSent.start();
        self->sendArgv(QList<QByteArray>{"SUBSCRIBE"} + self->m_channels,
                       &RedisLink::onSubscription, self);
    };
    QList<QList<QByteArray>> setup;
    if (!self->m_address.password.isEmpty())
        setup.append({"AUTH", self->m_address.password.toUtf8()});
    if (self->m_address.db != 0)
        setup.append({"SELECT", QByteArray::number(self->m_address.db)});
    if (setup.isEmpty())
        setup.append({"PING"});
    *ready = int(setup.size());
    for (const auto &args : setup) {
        const char *what = args.first() == "AUTH"     ? "AUTH"
                           : args.first() == "SELECT" ? "SELECT"
                                                      : "PING";
        auto *p =
            new Pending{self, [finish, what](const redisReply *r) { finish(what, r); }, {}, 0};
        p->sent.start();
        if (!self->sendArgv(args, &RedisLink::onReply, p)) {
            delete p;
            finish(what, nullptr); // never sent: the link goes down and retries
            return;
        }
        self->m_pending.push_back(p);
    }
}

void RedisLink::onDisconnect(const redisAsyncContext *c, int status) {
    auto *self = static_cast<RedisLink *>(c->data);
    if (!self)
        return;
    self->m_context = nullptr; // hiredis frees it after this callback
    self->lost(self->m_replyRefused ? replyRefusedReason()
               : status == REDIS_OK ? QStringLiteral("disconnected")
                                    : QString::fromUtf8(c->errstr));
}

void RedisLink::onReply(redisAsyncContext *, void *reply, void *privdata) {
    auto *p = static_cast<Pending *>(privdata);
    RedisLink *self = p->link;
    if (!self->m_pending.empty() && self->m_pending.front() == p)
        self->m_pending.pop_front();
    else
        self->m_pending.erase(std::find(self->m_pending.begin(), self->m_pending.end(), p));
    self->m_pendingBytes -= p->bytes;
    const Reply done = std::move(p->done);
    delete p;
    if (done)
        done(static_cast<const redisReply *>(reply));
}

void RedisLink::onSubscription(redisAsyncContext *, void *reply, void *privdata) {
    auto *self = static_cast<RedisLink *>(privdata);
    const auto *r = static_cast<const redisReply *>(reply);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3)
        return;
    const redisReply *kind = r->element[0];
    if (kind->type != REDIS_REPLY_STRING)
        return;
    if (qstrncmp(kind->str, "subscribe", 10) == 0) {
        // Redis confirms each channel in order: the first ones answer the SUBSCRIBE sent on
        // connecting.
        if (self->m_unconfirmed > 0 && --self->m_unconfirmed == 0) { // (only while ready)
            self->m_up = true;
            Q_EMIT self->up();
        }
        return;
    }
    if (qstrncmp(kind->str, "message", 8) != 0 || !self->m_handler)
        return; // unsubscribe confirmations
    const redisReply *channel = r->element[1];
    const redisReply *payload = r->element[2];
    self->m_handler(QByteArray(channel->str, qsizetype(channel->len)),
                    QByteArray(payload->str, qsizetype(payload->len)));
}

bool RedisLink::sendArgv(const QList<QByteArray> &args,
                         void (*fn)(redisAsyncContext *, void *, void *), void *privdata) {
    std::vector<const char *> argv;
    std::vector<size_t> lengths;
    argv.reserve(size_t(args.size()));
    lengths.reserve(size_t(args.size()));
    for (const QByteArray &a : args) {
        argv.push_back(a.constData());
        lengths.push_back(size_t(a.size()));
    }
    return redisAsyncCommandArgv(m_context, fn, privdata, int(argv.size()), argv.data(),
                                 lengths.data()) == REDIS_OK;
}

bool RedisLink::command(const QList<QByteArray> &args, Reply done) {
    if (!m_up || !m_context)
        return false;
    qint64 bytes = 0;
    for (const QByteArray &a : args)
        bytes += a.size();
    if (int(m_pending.size()) >= MaxPendingCommands || m_pendingBytes + bytes > MaxPendingBytes)
        return false;
    auto *p = new Pending{this, std::move(done), {}, bytes};
    p->sent.start();
    if (!sendArgv(args, &RedisLink::onReply, p)) {
        delete p;
        return false;
    }
    m_pending.push_back(p);
    m_pendingBytes += bytes;
    return true;
}

void RedisLink::subscribe(const QList<QByteArray> &channels) {
    QList<QByteArray> fresh;
    for (const QByteArray &c : channels) {
        if (!m_channels.contains(c)) {
            m_channels.append(c);
            fresh.append(c);
        }
    }
    if (!fresh.isEmpty() && m_ready && m_context)
        sendArgv(QList<QByteArray>{"SUBSCRIBE"} + fresh, &RedisLink::onSubscription, this);
}

void RedisLink::unsubscribe(const QList<QByteArray> &channels) {
    QList<QByteArray> gone;
    for (const QByteArray &c : channels) {
        if (m_channels.removeOne(c))
            gone.append(c);
    }
    if (!gone.isEmpty() && m_ready && m_context)
        sendArgv(QList<QByteArray>{"UNSUBSCRIBE"} + gone, &RedisLink::onSubscription, this);
}

void RedisLink::sweep() {
    if (!m_context)
        return;
    const bool commandLate =
        !m_pending.empty() && m_pending.front()->sent.elapsed() > CommandTimeoutMs;
    const bool subscribeLate = m_unconfirmed > 0 && m_subscribeSent.elapsed() > CommandTimeoutMs;
    if (!commandLate && !subscribeLate)
        return;
    // Redis does not answer in time: fail everything outstanding now, and reconnect.
    freeContext();
    lost(QStringLiteral("no answer in %1 ms").arg(CommandTimeoutMs));
}

void RedisLink::lost(const QString &reason) {
    const bool wasUp = m_up;
    m_up = false;
    m_ready = false;
    m_unconfirmed = 0;
    m_connecting = false;
    m_lastError = reason;
    // Whatever hiredis has not called back yet never will now.
    std::deque<Pending *> pending;
    pending.swap(m_pending);
    m_pendingBytes = 0;
    for (Pending *p : pending) {
        const Reply done = std::move(p->done);
        delete p;
        if (done)
            done(nullptr);
    }
    if (m_stopped)
        return; // a failure queued before stop(): nobody to tell, nothing to retry
    if (wasUp || !m_retry.isActive())
        Q_EMIT down(reason);
    m_retry.start(m_backoffMs);
    m_backoffMs = std::min(RetryMaxMs, m_backoffMs * 2);
}
