#pragma once

#include <QHostAddress>
#include <QObject>
#include <QString>

#include <functional>

class QSocketNotifier;

/// A listening TCP socket of our own: accepts in batches straight to descriptors (no
/// QTcpSocket per connection), with SO_REUSEPORT on request (several engine threads or
/// processes on one port), and accept errors survived: out of descriptors, it sheds the
/// connection with a descriptor kept in reserve for that, says so, and goes on accepting.
class SocketListener final : public QObject {
    Q_OBJECT
public:
    struct Options {
        QHostAddress address = QHostAddress::LocalHost; // Any / AnyIPv6: dual stack
        quint16 port = 0;
        bool reusePort = false;
        int backlog = 1024;
    };

    explicit SocketListener(QObject *parent = nullptr);
    ~SocketListener() override;

    /// Takes each accepted connection: a connected, non-blocking descriptor it now owns.
    void setAcceptHandler(std::function<void(qintptr descriptor)> handler) {
        m_handler = std::move(handler);
    }

    bool listen(const Options &options, QString *error);
    void close();
    bool isListening() const { return m_fd >= 0; }
    quint16 port() const { return m_port; }

Q_SIGNALS:
    /// accept() failed (out of descriptors, memory …); accepting goes on by itself. Queued.
    void acceptFailed(const QString &message, bool outOfDescriptors);

private:
    void onReadable();
    void resume();

    std::function<void(qintptr)> m_handler;
    QSocketNotifier *m_notifier = nullptr;
    int m_fd = -1;
    int m_reserveFd = -1; // closed to shed one connection when descriptors run out
    quint16 m_port = 0;
};
