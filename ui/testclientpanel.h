#pragma once

#include <QAbstractSocket>
#include <QTimer>
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTextEdit;
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
    void send();
    void focusEditor();

    /// The conversation as plain text (for tests).
    QString conversationText() const;
    QPushButton *connectButton() const { return m_connect; }

Q_SIGNALS:
    /// Fires when the socket connected (handshake done).
    void connected();
    /// Fires for every message received.
    void messageReceived(const QByteArray &payload, bool binary);
    /// Fires when the socket closed or failed to connect.
    void disconnected();

private:
    void appendLine(const QString &who, const QString &color, const QString &text);
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
    QWebSocket *m_socket = nullptr;
    QTimer m_connectTimer; // connect, then close, timeout
    bool m_closing = false;
    QString m_defaultUrl;
    bool m_urlEdited = false;
};
