// EngineController attached to wsgated daemons elsewhere (RemoteGateway), one or a cluster's
// nodes at once.

#include "enginecontroller.h"

#include "remoteidbook.h"

#include <algorithm>

void EngineController::attachAll(const QList<RemoteTarget> &targets) {
    if (isAttached())
        detach();
    shutdown(); // the local engine, if any: one gateway (or one cluster) shown at a time
    if (targets.isEmpty())
        return;
    const quint64 lastId = lastShownId();
    disposeEngine();
    m_lastEntryId = lastId;
    m_remoteIds = std::make_unique<RemoteIdBook>(lastId);
    for (const RemoteTarget &target : targets) {
        auto *remote = new RemoteGateway(target, m_remoteIds.get(), this);
        const bool first = m_remotes.isEmpty();
        m_remotes.append(remote);
        connect(remote, &RemoteGateway::entriesArrived, this, &EngineController::entriesArrived);
        connect(remote, &RemoteGateway::sampled, this,
                [this, remote](const EngineSample &sample) { onRemoteSampled(remote, sample); });
        connect(remote, &RemoteGateway::logLines, this, [this, remote](const QStringList &lines) {
            if (m_remotes.size() == 1)
                return Q_EMIT logLines(lines);
            QStringList named;
            for (const QString &line : lines)
                named << remote->target().url.toDisplayString() + QStringLiteral(": ") + line;
            Q_EMIT logLines(named);
        });
        connect(remote, &RemoteGateway::linkChanged, this, &EngineController::onRemoteLink);
        if (first) { // one PHP-FPM panel, and the node list, from the first
            connect(remote, &RemoteGateway::fpmSampled, this, &EngineController::fpmSampled);
            connect(remote, &RemoteGateway::membersChanged, this,
                    &EngineController::attachmentChanged);
        }
    }
    setState(State::Starting);
    for (RemoteGateway *remote : std::as_const(m_remotes))
        remote->start();
    Q_EMIT attachmentChanged();
}

void EngineController::onRemoteLink() {
    if (!isAttached())
        return;
    for (RemoteGateway *remote : std::as_const(m_remotes)) {
        if (remote->link() != RemoteGateway::Link::Refused)
            continue;
        const QString error = tr("%1 refused the console: %2")
                                  .arg(remote->target().url.toDisplayString(), remote->problem());
        detach();
        Q_EMIT startFailed(error);
        return;
    }
    const bool live = std::any_of(m_remotes.begin(), m_remotes.end(), [](RemoteGateway *r) {
        return r->link() == RemoteGateway::Link::Live;
    });
    if (live && m_state == State::Starting)
        setState(State::Running);
    Q_EMIT attachmentChanged();
}

void EngineController::detach() {
    if (!isAttached())
        return;
    const QList<RemoteGateway *> remotes = std::exchange(m_remotes, {});
    m_lastEntryId = std::max(m_lastEntryId, m_remoteIds->lastId());
    for (RemoteGateway *remote : remotes) {
        remote->stop();
        remote->disconnect(this);
        remote->deleteLater();
    }
    m_remoteSamples.clear();
    // The book goes with the gateways: their last answers may still be on their way to them.
    QObject *holder = remotes.first();
    connect(holder, &QObject::destroyed, [book = m_remoteIds.release()] { delete book; });
    setState(State::Stopped);
    Q_EMIT attachmentChanged();
}

RemoteGateway *EngineController::remoteOf(quint64 consoleId) const {
    if (!m_remoteIds)
        return nullptr;
    const std::optional<RemoteIdBook::Origin> origin = m_remoteIds->origin(consoleId);
    if (!origin)
        return nullptr;
    for (RemoteGateway *remote : m_remotes) {
        if (remote->nodeKey() == origin->node)
            return remote;
    }
    return nullptr;
}

void EngineController::onRemoteSampled(RemoteGateway *from, const EngineSample &sample) {
    if (m_remotes.size() == 1)
        return Q_EMIT sampled(sample);
    m_remoteSamples.insert(from, sample);
    // The nodes' views as one: every node's clients, summed counters and pools.
    EngineSample all;
    auto merged = std::make_shared<GatewaySnapshot>();
    for (RemoteGateway *remote : std::as_const(m_remotes)) {
        const auto it = m_remoteSamples.constFind(remote);
        if (it == m_remoteSamples.constEnd() || !it->snapshot)
            continue;
        const EngineSample &s = *it;
        const GatewaySnapshot &n = *s.snapshot;
        all.connections += s.connections;
        all.messagesIn += s.messagesIn;
        all.messagesOut += s.messagesOut;
        all.messagesInPerSec += s.messagesInPerSec;
        all.messagesOutPerSec += s.messagesOutPerSec;
        all.queuedMessages += s.queuedMessages;
        all.phpFailures += s.phpFailures;
        all.cluster = all.cluster || s.cluster;
        all.clusterUp = all.clusterUp || s.clusterUp;
        all.clusterNodes = std::max(all.clusterNodes, s.clusterNodes);
        merged->timeMs = std::max(merged->timeMs, n.timeMs);
        merged->listening = merged->listening || n.listening;
        merged->clients += n.clients;
        merged->groups += n.groups;
        merged->users += n.users;
        merged->pool.add(n.pool);
        if (n.lastPhpErrorMs > merged->lastPhpErrorMs) {
            merged->lastPhpErrorMs = n.lastPhpErrorMs;
            merged->lastPhpError = n.lastPhpError;
        }
        merged->lastPhpOkMs = std::max(merged->lastPhpOkMs, n.lastPhpOkMs);
        merged->handshakes += n.handshakes;
        merged->inboundBytes += n.inboundBytes;
        merged->inboundBudget += n.inboundBudget;
        merged->outboundBytes += n.outboundBytes;
        merged->outboundBudget += n.outboundBudget;
    }
    merged->groups.sort();
    merged->groups.removeDuplicates();
    merged->users.sort();
    merged->users.removeDuplicates();
    all.snapshot = std::move(merged);
    Q_EMIT sampled(all);
}
