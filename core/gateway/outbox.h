#pragma once

#include <QByteArray>

#include <functional>

class ClientSession;
class MemoryBudget;
class TrafficRecorder;

/// Everything that goes to a client goes through here: one backpressure check, the send, the
/// counters, and closing.
class Outbox final {
public:
    enum class Purpose {
        Reply, // PHP's answer to the client's own message: never dropped, the client is closed
        Push,  // from the push API: refused (or the client closed) by the backpressure policy
    };
    enum class Result {
        Sent,
        BufferFull, // refused: the client's send buffer (or the outbound budget) is full
        Closed,     // not sent: the client is closing, or was closed by the policy now
    };
    struct Settings {
        qint64 sendBufferBytes = 8 * 1024 * 1024; // per-client high-water mark
        bool closeSlowConsumers = false;          // --backpressure close: for pushes too
    };

    Outbox(const Settings &settings, TrafficRecorder *recorder, MemoryBudget *budget);

    /// Sends one message as a frame of its own (the payload is shared, not copied).
    Result send(ClientSession &session, const QByteArray &payload, bool binary, Purpose purpose);
    /// Sends a frame encoded once for many clients (WebSocketFrameWriter::frame()).
    Result sendFrame(ClientSession &session, const QByteArray &frame, qint64 payloadBytes,
                     Purpose purpose);
    /// Starts the closing handshake; the session is removed when the connection is over.
    void close(ClientSession &session, int code, const QByteArray &reason);

    const Settings &settings() const { return m_settings; }
    /// Told about every session close() starts closing (the sweep enforces the grace period).
    void setClosingWatcher(std::function<void(ClientSession &)> watcher) {
        m_closingWatcher = std::move(watcher);
    }
    /// Aborts a session from the event loop (a slow consumer's connection).
    void setAborter(std::function<void(ClientSession &)> aborter) {
        m_abortLater = std::move(aborter);
    }

private:
    Result admit(ClientSession &session, qint64 bytes, Purpose purpose);
    void counted(ClientSession &session, qint64 payloadBytes);

    Settings m_settings;
    TrafficRecorder *m_recorder;
    MemoryBudget *m_budget;
    std::function<void(ClientSession &)> m_closingWatcher;
    std::function<void(ClientSession &)> m_abortLater;
};
