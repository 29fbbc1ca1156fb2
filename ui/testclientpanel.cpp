#include "testclientpanel.h"

#include "bodyformatter.h"
#include "theme.h"
#include "themecolors.h"

#include <QComboBox>
#include <QDateTime>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QNetworkRequest>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QTextBlock>
#include <QTextEdit>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>
#include <QWebSocket>
#include <QWebSocketHandshakeOptions>

namespace {

// Qt 6.4.2 leaves a socket that got a non-101 answer in ConnectingState forever.
constexpr int ConnectTimeoutMs = 10000;
// A server that never finishes the closing handshake must not leave the panel stuck.
constexpr int CloseTimeoutMs = 3000;
constexpr int MaxConversationBlocks = 5000;
constexpr int MaxShownChars = 4000;
constexpr qint64 MaxIncomingMessageBytes = 64 * 1024 * 1024;
constexpr int MaxHistory = 100;      // messages sent kept for Up/Down
constexpr int HistoryMenuItems = 20; // of them in the history button's menu
constexpr int HistoryMenuChars = 60;

QColor inColor() {
    return ThemeColors::color(ThemeColors::Tone::Info);
}
QColor outColor() {
    return ThemeColors::color(ThemeColors::Tone::Ok);
}
QColor infoColor() {
    return ThemeColors::color(ThemeColors::Tone::Muted);
}
QColor errorColor() {
    return ThemeColors::color(ThemeColors::Tone::Error);
}

} // namespace

TestClientPanel::TestClientPanel(QWidget *parent)
    : QWidget(parent)
    , m_url(new QLineEdit(this))
    , m_protocol(new QLineEdit(this))
    , m_headers(new QPlainTextEdit(this))
    , m_cookie(new QLineEdit(this))
    , m_connect(new QPushButton(tr("&Connect"), this))
    , m_state(new QLabel(this))
    , m_conversation(new QTextEdit(this))
    , m_format(new QComboBox(this))
    , m_editor(new QPlainTextEdit(this))
    , m_send(new QPushButton(tr("&Send"), this))
    , m_historyButton(new QToolButton(this)) {
    setObjectName(QStringLiteral("testClientPanel"));
    Theme::setIcon(m_send, QStringLiteral("send"));
    m_url->setPlaceholderText(tr("ws://host:port/path or wss://…"));
    m_url->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    connect(m_url, &QLineEdit::textEdited, this, [this] { m_urlEdited = true; });
    m_protocol->setPlaceholderText(tr("optional, e.g. chat.v1"));
    m_headers->setPlaceholderText(tr("optional, one per line: Authorization: Bearer …"));
    m_headers->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_headers->setMaximumHeight(m_headers->fontMetrics().height() * 4);
    m_headers->setTabChangesFocus(true);
    m_cookie->setPlaceholderText(tr("optional, e.g. PHPSESSID=…"));
    m_conversation->setReadOnly(true);
    m_conversation->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_conversation->document()->setMaximumBlockCount(MaxConversationBlocks);
    m_format->addItem(tr("Text"));
    m_format->addItem(tr("Binary, hex"));
    m_editor->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_editor->setPlaceholderText(tr("Message (Ctrl+Enter sends, Up/Down: history)"));
    m_editor->installEventFilter(this);
    m_historyButton->setText(tr("History"));
    m_historyButton->setToolTip(tr("Messages sent (Up/Down in the editor)"));
    m_historyButton->setPopupMode(QToolButton::InstantPopup);
    m_historyButton->setMenu(new QMenu(m_historyButton));
    m_historyButton->setObjectName(QStringLiteral("testClientHistory"));
    m_editor->setTabChangesFocus(true);
    // Room for a few lines at any scale; the conversation above takes the rest.
    m_editor->setMaximumHeight(m_editor->fontMetrics().lineSpacing() * 6 +
                               2 * m_editor->frameWidth() + 8);
    m_send->setToolTip(tr("Send (Ctrl+Enter)"));

    m_connectTimer.setSingleShot(true);
    connect(&m_connectTimer, &QTimer::timeout, this, [this] {
        if (m_socket && m_closing) {
            appendLine(tr("·"), infoColor(),
                       tr("no close answer within %1 s; dropped the connection")
                           .arg(CloseTimeoutMs / 1000));
            m_socket->abort();
            return;
        }
        if (m_socket && m_socket->state() == QAbstractSocket::ConnectingState) {
            appendLine(tr("error"), errorColor(),
                       tr("no handshake answer within %1 s (refused, or not a WebSocket endpoint)")
                           .arg(ConnectTimeoutMs / 1000));
            m_socket->abort();
        }
    });

    auto *urlRow = new QHBoxLayout;
    urlRow->addWidget(m_url, 1);
    urlRow->addWidget(m_connect);
    urlRow->addWidget(m_state);
    auto *form = new QFormLayout;
    form->addRow(tr("URL"), urlRow);
    form->addRow(tr("Subprotocol"), m_protocol);
    form->addRow(tr("Headers"), m_headers);
    form->addRow(tr("Cookie"), m_cookie);

    auto *sendRow = new QHBoxLayout;
    sendRow->addWidget(m_format);
    sendRow->addWidget(m_historyButton);
    sendRow->addStretch(1);
    sendRow->addWidget(m_send);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(form);
    layout->addWidget(m_conversation, 1);
    layout->addWidget(m_editor);
    layout->addLayout(sendRow);

    connect(m_connect, &QPushButton::clicked, this, [this] {
        if (m_socket)
            disconnectFromServer();
        else
            connectToServer();
    });
    connect(m_send, &QPushButton::clicked, this, &TestClientPanel::send);
    for (const QKeySequence &key :
         {QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)}) {
        auto *shortcut = new QShortcut(key, this);
        shortcut->setContext(Qt::WidgetWithChildrenShortcut);
        connect(shortcut, &QShortcut::activated, this, &TestClientPanel::send);
    }
    updateState();
    updateHistoryMenu();
}

TestClientPanel::~TestClientPanel() {
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
    }
}

void TestClientPanel::setDefaultUrl(const QString &url) {
    m_defaultUrl = url;
    if (!m_urlEdited && !url.isEmpty())
        m_url->setText(url);
}

void TestClientPanel::setUrl(const QString &url) {
    m_url->setText(url);
    m_urlEdited = true;
}

QString TestClientPanel::url() const {
    return m_url->text().trimmed();
}

void TestClientPanel::setSubprotocol(const QString &protocol) {
    m_protocol->setText(protocol);
}

void TestClientPanel::setHeaders(const QString &lines) {
    m_headers->setPlainText(lines);
}

void TestClientPanel::setCookie(const QString &cookie) {
    m_cookie->setText(cookie);
}

bool TestClientPanel::isConnected() const {
    return m_socket && m_socket->state() == QAbstractSocket::ConnectedState;
}

void TestClientPanel::focusEditor() {
    m_editor->setFocus();
}

QString TestClientPanel::conversationText() const {
    return m_conversation->toPlainText();
}

void TestClientPanel::setMessage(const QString &text, bool binaryHex) {
    m_format->setCurrentIndex(binaryHex ? 1 : 0);
    m_editor->setPlainText(text);
}

QString TestClientPanel::message() const {
    return m_editor->toPlainText();
}

void TestClientPanel::appendLine(const QString &who, const QColor &color, const QString &text) {
    const QString time = QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss.zzz"));
    QString shown = text.left(MaxShownChars);
    if (shown.size() < text.size())
        shown += tr(" … (%1 chars)").arg(text.size());
    m_conversation->append(
        QStringLiteral("<span style='color:%1'>%2</span> <b style='color:%3'>%4</b> "
                       "<span style='white-space:pre-wrap'>%5</span>")
            .arg(infoColor().name(), time, color.name(), who.toHtmlEscaped(),
                 shown.toHtmlEscaped()));
}

void TestClientPanel::connectToServer() {
    if (m_socket)
        return;
    const QUrl target = QUrl::fromUserInput(url().isEmpty() ? m_defaultUrl : url());
    if (!target.isValid() ||
        (target.scheme() != QLatin1String("ws") && target.scheme() != QLatin1String("wss"))) {
        appendLine(tr("error"), errorColor(), tr("not a ws:// or wss:// URL: %1").arg(this->url()));
        return;
    }
    QNetworkRequest request(target);
    const QStringList headerLines =
        m_headers->toPlainText().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (const QString &line : headerLines) {
        const int colon = line.indexOf(QLatin1Char(':'));
        if (colon <= 0) {
            appendLine(tr("error"), errorColor(),
                       tr("ignored header line without a colon: %1").arg(line));
            continue;
        }
        request.setRawHeader(line.left(colon).trimmed().toLatin1(),
                             line.mid(colon + 1).trimmed().toUtf8());
    }
    if (!m_cookie->text().trimmed().isEmpty())
        request.setRawHeader("Cookie", m_cookie->text().trimmed().toUtf8());
    QWebSocketHandshakeOptions options;
    const QString protocol = m_protocol->text().trimmed();
    if (!protocol.isEmpty())
        options.setSubprotocols(protocol.split(QLatin1Char(','), Qt::SkipEmptyParts));

    m_socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    m_socket->setMaxAllowedIncomingMessageSize(MaxIncomingMessageBytes);
    m_socket->setMaxAllowedIncomingFrameSize(MaxIncomingMessageBytes);
    connect(m_socket, &QWebSocket::connected, this, [this] {
        m_connectTimer.stop();
        QString info = tr("connected to %1").arg(m_socket->requestUrl().toString());
        if (!m_socket->subprotocol().isEmpty())
            info += tr(", subprotocol %1").arg(m_socket->subprotocol());
        appendLine(tr("·"), infoColor(), info);
        updateState();
        Q_EMIT connected();
    });
    connect(m_socket, &QWebSocket::disconnected, this, [this] {
        m_connectTimer.stop();
        QWebSocket *socket = m_socket;
        m_socket = nullptr;
        m_closing = false;
        if (socket) {
            appendLine(
                tr("·"), infoColor(),
                tr("closed: %1 %2").arg(int(socket->closeCode())).arg(socket->closeReason()));
            socket->deleteLater();
        }
        updateState();
        Q_EMIT disconnected();
    });
    connect(m_socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
        appendLine(tr("◀ in"), inColor(), text);
        Q_EMIT messageReceived(text.toUtf8(), false);
    });
    connect(m_socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &data) {
        appendLine(tr("◀ in"), inColor(),
                   tr("[binary %1 bytes] %2")
                       .arg(data.size())
                       .arg(QString::fromLatin1(data.left(256).toHex(' '))));
        Q_EMIT messageReceived(data, true);
    });
    connect(m_socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
            &TestClientPanel::onError);
    connect(m_socket, &QWebSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
        for (const QSslError &e : errors)
            appendLine(tr("tls"), errorColor(), e.errorString());
    });
    appendLine(tr("·"), infoColor(), tr("connecting to %1 …").arg(target.toString()));
    m_closing = false;
    m_connectTimer.start(ConnectTimeoutMs);
    m_socket->open(request, options);
    updateState();
}

void TestClientPanel::onError(QAbstractSocket::SocketError) {
    if (m_socket)
        appendLine(tr("error"), errorColor(), m_socket->errorString());
}

void TestClientPanel::disconnectFromServer() {
    if (!m_socket)
        return;
    if (m_socket->state() == QAbstractSocket::ConnectedState) {
        m_closing = true;
        m_connectTimer.start(CloseTimeoutMs);
        m_socket->close(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("bye"));
    } else {
        m_socket->abort();
    }
}

void TestClientPanel::send() {
    if (!isConnected()) {
        appendLine(tr("error"), errorColor(), tr("not connected"));
        return;
    }
    const QString text = m_editor->toPlainText();
    const bool hex = m_format->currentIndex() != 0;
    if (!hex) {
        m_socket->sendTextMessage(text);
        appendLine(tr("▶ out"), outColor(), text);
    } else {
        QByteArray bytes;
        QString error;
        if (!BodyFormatter::parseHex(text, &bytes, &error)) {
            appendLine(tr("error"), errorColor(), tr("hex: %1").arg(error));
            return;
        }
        m_socket->sendBinaryMessage(bytes);
        appendLine(tr("▶ out"), outColor(),
                   tr("[binary %1 bytes] %2")
                       .arg(bytes.size())
                       .arg(QString::fromLatin1(bytes.toHex(' '))));
    }
    // As a chat client does: the message is gone from the editor, and Up brings it back.
    remember(text, hex);
    m_editor->clear();
}

void TestClientPanel::remember(const QString &text, bool binaryHex) {
    if (text.isEmpty())
        return;
    if (m_history.isEmpty() || m_history.constLast() != text ||
        m_historyBinary.constLast() != binaryHex) {
        m_history.append(text);
        m_historyBinary.append(binaryHex);
    }
    while (m_history.size() > MaxHistory) {
        m_history.removeFirst();
        m_historyBinary.removeFirst();
    }
    m_historyIndex = -1;
    m_draft.clear();
    updateHistoryMenu();
}

void TestClientPanel::recall(int index) {
    if (index < 0) {
        m_historyIndex = -1;
        m_editor->setPlainText(m_draft);
    } else {
        m_historyIndex = index;
        m_format->setCurrentIndex(m_historyBinary.at(index) ? 1 : 0);
        m_editor->setPlainText(m_history.at(index));
    }
    m_editor->moveCursor(QTextCursor::End);
}

void TestClientPanel::historyBack() {
    if (m_history.isEmpty())
        return;
    if (m_historyIndex < 0) {
        m_draft = m_editor->toPlainText();
        recall(int(m_history.size()) - 1);
    } else if (m_historyIndex > 0) {
        recall(m_historyIndex - 1);
    }
}

void TestClientPanel::historyForward() {
    if (m_historyIndex < 0)
        return;
    recall(m_historyIndex + 1 < m_history.size() ? m_historyIndex + 1 : -1);
}

void TestClientPanel::updateHistoryMenu() {
    QMenu *menu = m_historyButton->menu();
    menu->clear();
    for (int i = int(m_history.size()) - 1; i >= 0 && i >= m_history.size() - HistoryMenuItems;
         --i) {
        QString label = m_history.at(i).simplified();
        if (label.size() > HistoryMenuChars)
            label = label.left(HistoryMenuChars) + QChar(0x2026);
        if (m_historyBinary.at(i))
            label = tr("[hex] %1").arg(label);
        menu->addAction(label.replace(QLatin1Char('&'), QStringLiteral("&&")), this,
                        [this, i] { recall(i); });
    }
    m_historyButton->setEnabled(!m_history.isEmpty());
}

bool TestClientPanel::eventFilter(QObject *watched, QEvent *event) {
    if (watched == m_editor && event->type() == QEvent::KeyPress) {
        const auto *key = static_cast<QKeyEvent *>(event);
        const QTextCursor cursor = m_editor->textCursor();
        const bool plain = (key->modifiers() & ~Qt::KeypadModifier) == Qt::NoModifier;
        if (plain && key->key() == Qt::Key_Up &&
            cursor.block() == m_editor->document()->firstBlock()) {
            historyBack();
            return true;
        }
        if (plain && key->key() == Qt::Key_Down &&
            cursor.block() == m_editor->document()->lastBlock() && m_historyIndex >= 0) {
            historyForward();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

void TestClientPanel::updateState() {
    const bool connectedNow = isConnected();
    const bool busy = m_socket != nullptr;
    m_connect->setText(busy ? tr("&Disconnect") : tr("&Connect"));
    Theme::setIcon(m_connect, busy ? QStringLiteral("disconnect") : QStringLiteral("connect"));
    m_state->setText(connectedNow ? tr("connected")
                     : busy       ? tr("connecting…")
                                  : tr("not connected"));
    m_send->setEnabled(connectedNow);
    m_url->setEnabled(!busy);
    m_protocol->setEnabled(!busy);
    m_headers->setEnabled(!busy);
    m_cookie->setEnabled(!busy);
}
