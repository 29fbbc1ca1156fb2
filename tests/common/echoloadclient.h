#pragma once

#include <QByteArray>
#include <QMap>
#include <QQueue>
#include <QSet>
#include <QString>
#include <QWebSocket>

/// A client that keeps sending unique text messages to an echo handler and accounts for every
/// answer: the echo of the oldest unanswered message, or a gateway error object; on close, its
/// code and what was still unanswered.
class EchoLoadClient final : public QObject {
    Q_OBJECT
public:
    /// Message `n` of this client is "<name>.<n>."; the error codes that count as answers.
    EchoLoadClient(const QByteArray &name, const QSet<QString> &errorCodes,
                   QObject *parent = nullptr);
    ~EchoLoadClient() override;

    /// Connects and waits; false on failure or timeout.
    bool open(const QString &url, int timeoutMs = 5000);
    /// Sends until `window` messages are unanswered (nothing once the socket is gone).
    void topUp(int window);

    qint64 sent() const { return m_sent; }
    qint64 replied() const { return m_replied; }
    qint64 errored() const { return m_errored; }
    /// Answers that were neither the expected echo nor an error object with a listed code.
    qint64 mismatched() const { return m_mismatched; }
    qint64 unanswered() const { return m_expected.size(); }
    const QMap<QString, qint64> &errorsByCode() const { return m_errorsByCode; }
    bool isClosed() const { return m_closed; }
    /// The close code the server gave (-1 while open).
    int closeCode() const { return m_closeCode; }
    /// Messages still unanswered when the connection closed.
    qint64 unansweredAtClose() const { return m_unansweredAtClose; }
    /// The first mismatch, for the failure message.
    const QByteArray &firstMismatch() const { return m_firstMismatch; }

private:
    void onText(const QString &message);

    QWebSocket m_socket;
    QByteArray m_name;
    QSet<QString> m_errorCodes;
    QQueue<QByteArray> m_expected;
    qint64 m_seq = 0;
    qint64 m_sent = 0;
    qint64 m_replied = 0;
    qint64 m_errored = 0;
    qint64 m_mismatched = 0;
    QMap<QString, qint64> m_errorsByCode;
    bool m_closed = false;
    int m_closeCode = -1;
    qint64 m_unansweredAtClose = 0;
    QByteArray m_firstMismatch;
};
