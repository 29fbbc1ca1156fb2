#include "echoloadclient.h"

#include <QDeadlineTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>

EchoLoadClient::EchoLoadClient(const QByteArray &name, const QSet<QString> &errorCodes,
                               QObject *parent)
    : QObject(parent)
    , m_name(name)
    , m_errorCodes(errorCodes) {
    connect(&m_socket, &QWebSocket::textMessageReceived, this, &EchoLoadClient::onText);
    connect(&m_socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &m) {
        ++m_mismatched;
        if (m_firstMismatch.isEmpty())
            m_firstMismatch = m_name + ": a binary message: " + m.left(100);
    });
    connect(&m_socket, &QWebSocket::disconnected, this, [this] {
        if (m_closed)
            return;
        m_closed = true;
        m_closeCode = int(m_socket.closeCode());
        m_unansweredAtClose = m_expected.size();
        m_expected.clear();
    });
}

EchoLoadClient::~EchoLoadClient() {
    m_socket.disconnect(this);
    m_socket.abort();
}

bool EchoLoadClient::open(const QString &url, int timeoutMs) {
    QSignalSpy connected(&m_socket, &QWebSocket::connected);
    m_socket.open(QUrl(url));
    QDeadlineTimer deadline(timeoutMs);
    while (connected.isEmpty() && !m_closed && !deadline.hasExpired())
        connected.wait(std::max<qint64>(1, std::min<qint64>(100, deadline.remainingTime())));
    return !connected.isEmpty();
}

void EchoLoadClient::topUp(int window) {
    if (m_closed || m_socket.state() != QAbstractSocket::ConnectedState)
        return;
    while (m_expected.size() < window) {
        const QByteArray m = m_name + '.' + QByteArray::number(m_seq++) + '.';
        m_socket.sendTextMessage(QString::fromLatin1(m));
        m_expected.enqueue(m);
        ++m_sent;
    }
}

void EchoLoadClient::onText(const QString &text) {
    const QByteArray m = text.toUtf8();
    if (m_expected.isEmpty()) {
        ++m_mismatched;
        if (m_firstMismatch.isEmpty())
            m_firstMismatch = m_name + ": nothing was unanswered, got: " + m.left(200);
        return;
    }
    // One request in flight per connection, in order: the answer is the oldest message's.
    const QByteArray want = m_expected.dequeue();
    if (m == want) {
        ++m_replied;
        return;
    }
    const QJsonObject error = QJsonDocument::fromJson(m).object();
    const QString code = error.value(QStringLiteral("error")).toString();
    if (m_errorCodes.contains(code) && error.value(QStringLiteral("message")).isString()) {
        ++m_errored;
        ++m_errorsByCode[code];
        return;
    }
    ++m_mismatched;
    if (m_firstMismatch.isEmpty())
        m_firstMismatch = m_name + ": expected " + want + ", got: " + m.left(200);
}
