#pragma once

#include <QAbstractSocket>
#include <QColor>
#include <QTimer>
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTextEdit;
class QToolButton;
class QWebSocket;

/// A WebSocket client inside the console: any ws:// or wss:// URL (the gateway's by default),
/// optional subprotocol, headers and cookie; send text or binary; see the conversation.
class TestClientPanel final : public QWidget {
    Q_OBJECT
public:
    explicit TestClientPanel(QWidget *parent = nullptr);
    ~TestClientPanel() override;

    /// The URL used when the user has not typed one of their own.
    void setDefaultUrl(const QString &url);
    void setUrl(const QString &url);
    QString url() const;
    void setSubprotocol(const QString &protocol);
    /// "Name: value" lines.
    void setHeaders(const QString &lines);
    void setCookie(const QString &cookie);

    void connectToServer();
    void disconnectFromServer();
    bool isConnected() const;
    void setMessage(const QString &text, bool binaryHex = false);
    QString message() const;
    /// Sends the editor's message and clears the editor; the message joins the history.
    void send();
    void focusEditor();
    /// Messages sent, oldest first (at most MaxHistory; a repeat of the last is kept once).
    QStringList history() const { return m_history; }
    /// Up / Down in the editor, as in a shell or a chat client: the previous or next message
    /// sent; past the newest, what was being typed. Only from the first / last line, so
    /// moving inside a multi-line message still works.
    void historyBack();
    void historyForward();

    /// The conversation as plain text (for tests).
    QString conversationText() const;
    QPushButton *connectButton() const { return m_connect; }
    QPlainTextEdit *editor() const { return m_editor; }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

Q_SIGNALS:
    /// Fires when the socket connected (handshake done).
    void connected();
    /// Fires for every message received.
    void messageReceived(const QByteArray &payload, bool binary);
    /// Fires when the socket closed or failed to connect.
    void disconnected();

private:
    void appendLine(const QString &who, const QColor &color, const QString &text);
    void remember(const QString &text, bool binaryHex);
    void recall(int index);
    void updateHistoryMenu();
    void updateState();
    void onError(QAbstractSocket::SocketError error);

    QLineEdit *m_url;
    QLineEdit *m_protocol;
    QPlainTextEdit *m_headers;
    QLineEdit *m_cookie;
    QPushButton *m_connect;
    QLabel *m_state;
    QTextEdit *m_conversation;
    QComboBox *m_format;
    QPlainTextEdit *m_editor;
    QPushButton *m_send;
    QToolButton *m_historyButton;
    QWebSocket *m_socket = nullptr;
    QTimer m_connectTimer; // connect, then close, timeout
    bool m_closing = false;
    QString m_defaultUrl;
    bool m_urlEdited = false;
    QStringList m_history;
    QList<bool> m_historyBinary; // per entry: sent as hex
    int m_historyIndex = -1;     // the entry shown; -1: the draft
    QString m_draft;             // what was typed before going back in the history
};
