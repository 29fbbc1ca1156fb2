#pragma once
// Shared by the push API and HTTP server tests: a raw HTTP client over QTcpSocket that waits on
// the event loop only, and a fake Delivery answering now, later or never.

#include "gateway/delivery.h"
#include "http/httpserver.h"
#include "http/pushapi.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QObject>
#include <QSet>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <functional>
#include <memory>
#include <optional>
#include <tuple>

namespace pushtest {

struct Reply {
    int status = 0;
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;
    QByteArray header(QByteArrayView name) const {
        for (const auto &h : headers) {
            if (h.first.compare(name, Qt::CaseInsensitive) == 0)
                return h.second;
        }
        return {};
    }
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    QString error() const { return json().value("error").toString(); }
};

// One response off the front of `buffer`, or nullopt while incomplete.
inline std::optional<Reply> takeReply(QByteArray &buffer, bool head) {
    const qsizetype end = buffer.indexOf("\r\n\r\n");
    if (end < 0)
        return std::nullopt;
    Reply r;
    const QList<QByteArray> lines = buffer.left(end).split('\n');
    r.status = lines.first().split(' ').value(1).toInt();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        r.headers.append({line.left(colon), line.mid(colon + 1).trimmed()});
    }
    const qsizetype length = head ? 0 : r.header("Content-Length").toLongLong();
    if (buffer.size() < end + 4 + length)
        return std::nullopt;
    r.body = buffer.mid(end + 4, length);
    buffer.remove(0, end + 4 + length);
    return r;
}

/// A raw HTTP client over QTcpSocket, waiting on the event loop only.
class Client final {
public:
    explicit Client(quint16 port) { m_socket.connectToHost(QHostAddress::LocalHost, port); }
    bool connected() {
        return QTest::qWaitFor(
            [this] { return m_socket.state() == QAbstractSocket::ConnectedState; }, 5000);
    }
    void send(const QByteArray &bytes) { m_socket.write(bytes); }
    std::optional<Reply> reply(bool head = false, int timeoutMs = 5000) {
        std::optional<Reply> r;
        (void)QTest::qWaitFor(
            [&] {
                m_buffer += m_socket.readAll();
                r = takeReply(m_buffer, head);
                return r.has_value();
            },
            timeoutMs);
        return r;
    }
    bool waitClosed(int timeoutMs = 5000) {
        return QTest::qWaitFor(
            [this] {
                m_buffer += m_socket.readAll();
                return m_socket.state() == QAbstractSocket::UnconnectedState;
            },
            timeoutMs);
    }
    bool isOpen() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    QByteArray &buffer() { return m_buffer; }
    QTcpSocket &socket() { return m_socket; }

private:
    QTcpSocket m_socket;
    QByteArray m_buffer;
};

inline QByteArray request(const QByteArray &method, const QByteArray &target,
                          const QByteArray &body = {},
                          const QByteArray &contentType = "application/x-www-form-urlencoded",
                          const QByteArray &extra = {}, const QByteArray &host = "127.0.0.1") {
    QByteArray r = method + ' ' + target + " HTTP/1.1\r\n";
    if (!host.isEmpty())
        r += "Host: " + host + "\r\n";
    r += extra;
    if (!body.isEmpty() || method == "POST") {
        if (!contentType.isEmpty())
            r += "Content-Type: " + contentType + "\r\n";
        r += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    }
    return r + "\r\n" + body;
}

inline DeliveryResult result(int matched, int delivered, int bufferFull, int nodes = 0,
                             bool exact = true) {
    DeliveryResult r;
    r.matched = matched;
    r.delivered = delivered;
    r.bufferFull = bufferFull;
    r.nodes = nodes;
    r.exact = exact;
    return r;
}

inline QByteArray form(const QByteArray &body) {
    return request("POST", "/send", body);
}

/// Records every call; results configurable per test; answers now, later (a timer) or never.
class FakeDelivery final : public Delivery {
public:
    enum class Mode { Now, Later, Never };
    struct Send {
        QByteArray target; // "client:ID", "user:U", "group:G", "all"
        OutboundMessage message;
        bool waitForAll = false;
    };
    Mode mode = Mode::Now;
    int laterMs = 30;
    QSet<QByteArray> known{"c1", "c/2 x"};
    QSet<QByteArray> fullClients; // known, but their send buffer is full
    DeliveryResult userResult = result(2, 2, 0);
    DeliveryResult groupResult = result(3, 1, 2);
    DeliveryResult broadcastResult = result(5, 5, 0);
    std::optional<DeliveryResult> forced; // every deliver() answers this
    QByteArray lookupError; // every close, group change and lookup answers it (a node away)
    QList<Send> sends;
    QList<std::tuple<QByteArray, int, QByteArray>> closes;
    QList<std::tuple<QByteArray, QString, bool>> memberships;
    int calls = 0;                     // of any method
    QList<std::function<void()>> held; // Never: the answers not given yet

    void deliver(const PushTarget &target, const OutboundMessage &m, bool waitForAll,
                 Done done) override {
        ++calls;
        static const char *const kinds[] = {"client:", "user:", "group:", "all"};
        sends.append({kinds[int(target.kind)] + target.name, m, waitForAll});
        DeliveryResult r;
        switch (target.kind) {
        case PushTarget::Kind::Client:
            if (fullClients.contains(target.name))
                r = result(1, 0, 1);
            else if (known.contains(target.name))
                r = result(1, 1, 0);
            break;
        case PushTarget::Kind::User:
            r = userResult;
            break;
        case PushTarget::Kind::Group:
            r = groupResult;
            break;
        case PushTarget::Kind::Everyone:
            r = broadcastResult;
            break;
        }
        if (forced)
            r = *forced;
        answer([done, r] { done(r); });
    }
    void closeClient(const QByteArray &id, int code, const QByteArray &reason,
                     Found done) override {
        ++calls;
        closes.append({id, code, reason});
        answer([done, r = lookup(id)] { done(r); });
    }
    void setMembership(const QByteArray &id, const QString &group, bool join, Found done) override {
        ++calls;
        memberships.append({id, group, join});
        answer([done, r = lookup(id)] { done(r); });
    }
    void clients(std::function<void(const QList<ClientInfo> &)> done) override {
        ++calls;
        QList<ClientInfo> list;
        for (const char *id : {"c1", "c/2 x"})
            list.append(info(id));
        answer([done, list] { done(list); });
    }
    void client(const QByteArray &id, Found done) override {
        ++calls;
        ClientLookup r = lookup(id);
        if (r.found)
            r.info = info(id);
        answer([done, r] { done(r); });
    }
    void groups(std::function<void(const QHash<QString, QList<QByteArray>> &)> done) override {
        ++calls;
        const QHash<QString, QList<QByteArray>> g{{"room", {"c1"}}};
        answer([done, g] { done(g); });
    }

    static ClientInfo info(const QByteArray &id) {
        ClientInfo c;
        c.id = id;
        c.peer = "127.0.0.1:5000";
        c.user = id == "c1" ? "alice" : QString();
        c.groups = {"room"};
        return c;
    }

private:
    /// What a close, a group change or a lookup of `id` answers (a known id is found).
    ClientLookup lookup(const QByteArray &id) const {
        if (!lookupError.isEmpty())
            return ClientLookup{false, lookupError};
        return ClientLookup{known.contains(id)};
    }
    void answer(std::function<void()> f) {
        switch (mode) {
        case Mode::Now:
            f();
            break;
        case Mode::Later:
            QTimer::singleShot(laterMs, &m_context, f);
            break;
        case Mode::Never:
            held.append(f);
            break;
        }
    }
    QObject m_context; // later answers die with the fake
};

/// A PushApi over a FakeDelivery on a real HttpServer (loopback, port 0).
class PushApiFixture {
protected:
    void startApi(const HttpServer::Options &options = {}, const PushApiOptions &api = {},
                  const QByteArray &prefix = {}) {
        stopApi();
        m_delivery = std::make_unique<FakeDelivery>();
        m_server = std::make_unique<HttpServer>(options);
        m_api = std::make_unique<PushApi>(m_delivery.get(), api);
        m_api->attach(m_server.get(), prefix);
        QVERIFY(m_server->listen(QHostAddress::LocalHost, 0));
        QVERIFY(m_server->serverPort() != 0);
    }
    void stopApi() {
        m_api.reset();
        m_server.reset();
        m_delivery.reset();
    }
    quint16 port() const { return m_server->serverPort(); }
    /// "127.0.0.1:<the server's port>"
    QByteArray hostPort(const QByteArray &name = "127.0.0.1") const {
        return name + ':' + QByteArray::number(port());
    }
    Reply call(const QByteArray &bytes, bool head = false) {
        Client c(port());
        if (!c.connected())
            return {};
        c.send(bytes);
        return c.reply(head).value_or(Reply{});
    }

    std::unique_ptr<FakeDelivery> m_delivery;
    std::unique_ptr<HttpServer> m_server;
    std::unique_ptr<PushApi> m_api;
};

} // namespace pushtest
