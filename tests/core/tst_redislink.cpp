// RedisLink against a scripted Redis (a QTcpServer speaking RESP): faults a real redis-server
// does not produce on demand — a SUBSCRIBE answered late or never. A subscriber link is up only
// once Redis confirmed its channels (before that, a message published to them reaches nobody);
// an unconfirmed SUBSCRIBE is a timeout like an unanswered command. And replies no real Redis
// would send: past the link's reply limit (a string still arriving, an array's count, an array
// of small elements), each closes the link with the limit named. tst_cluster runs the link
// against a real redis-server.

#include "cluster/redislink.h"
#include "testmain.h"

#include <hiredis/hiredis.h>

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <algorithm>
#include <optional>

namespace {

/// RESP: a bulk string's header, and a whole bulk string.
QByteArray bulkHeader(qint64 size) {
    return '$' + QByteArray::number(size) + "\r\n";
}
QByteArray bulk(const QByteArray &s) {
    return bulkHeader(s.size()) + s + "\r\n";
}

/// A Redis that answers PING and PUBLISH and records the commands; SUBSCRIBE is confirmed only
/// when told to.
class ScriptedRedis final : public QObject {
public:
    ScriptedRedis() {
        m_server.listen(QHostAddress::LocalHost);
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                ++connections;
                m_socket = s;
                QObject::connect(s, &QTcpSocket::readyRead, this, [this, s] { read(s); });
            }
        });
    }
    quint16 port() const { return m_server.serverPort(); }

    void confirm(const QList<QByteArray> &channels) {
        int count = 0;
        for (const QByteArray &c : channels)
            m_socket->write("*3\r\n$9\r\nsubscribe\r\n" + bulk(c) + ':' +
                            QByteArray::number(++count) + "\r\n");
    }
    void publish(const QByteArray &channel, const QByteArray &payload) {
        m_socket->write("*3\r\n$7\r\nmessage\r\n" + bulk(channel) + bulk(payload));
    }
    void send(const QByteArray &raw) { m_socket->write(raw); }
    bool saw(const QByteArray &command) const {
        return std::any_of(commands.cbegin(), commands.cend(),
                           [&](const QList<QByteArray> &c) { return c.value(0) == command; });
    }

    int connections = 0;
    QList<QList<QByteArray>> commands;

private:
    void read(QTcpSocket *s) {
        m_buffer += s->readAll();
        for (;;) {
            // *N\r\n then N times $len\r\narg\r\n
            qsizetype pos = 0;
            const auto line = [&]() -> std::optional<QByteArray> {
                const qsizetype end = m_buffer.indexOf("\r\n", pos);
                if (end < 0)
                    return std::nullopt;
                QByteArray l = m_buffer.mid(pos, end - pos);
                pos = end + 2;
                return l;
            };
            const auto head = line();
            if (!head || !head->startsWith('*'))
                return;
            QList<QByteArray> args;
            const int n = head->mid(1).toInt();
            for (int i = 0; i < n; ++i) {
                const auto len = line();
                if (!len)
                    return;
                const int size = len->mid(1).toInt();
                if (m_buffer.size() < pos + size + 2)
                    return;
                args << m_buffer.mid(pos, size);
                pos += size + 2;
            }
            m_buffer.remove(0, pos);
            commands << args;
            if (args.value(0) == "PING")
                s->write("+PONG\r\n");
            else if (args.value(0) == "PUBLISH")
                s->write(":1\r\n");
        }
    }

    QTcpServer m_server;
    QTcpSocket *m_socket = nullptr;
    QByteArray m_buffer;
};

RedisAddress addressOf(const ScriptedRedis &redis) {
    RedisAddress a;
    a.host = QStringLiteral("127.0.0.1");
    a.port = redis.port();
    return a;
}

/// A command link up on `redis` with a GET outstanding; `answer` says what it got (null: failed).
struct GetOutstanding {
    explicit GetOutstanding(ScriptedRedis &redis)
        : link(addressOf(redis), QStringLiteral("commands"))
        , up(&link, &RedisLink::up)
        , down(&link, &RedisLink::down) {
        link.start();
        if (!QTest::qWaitFor([&] { return up.size() == 1; }, 5000))
            return;
        link.command({"GET", "k"}, [this](const redisReply *r) {
            answered = true;
            length = r && r->type == REDIS_REPLY_STRING ? qint64(r->len) : -1;
        });
        ready = QTest::qWaitFor([&] { return redis.saw("GET"); }, 5000);
    }
    RedisLink link;
    QSignalSpy up;
    QSignalSpy down;
    bool ready = false; // up, and the GET arrived
    bool answered = false;
    qint64 length = -1;
};

} // namespace

class TestRedisLink final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void aCommandLinkIsUpOnceConnected() {
        ScriptedRedis redis;
        RedisLink link(addressOf(redis), QStringLiteral("commands"));
        QSignalSpy up(&link, &RedisLink::up);
        link.start();
        QTRY_COMPARE(up.size(), 1);
        QVERIFY(link.isUp());
        bool answered = false;
        QVERIFY(link.command({"PUBLISH", "c", "x"}, [&](const redisReply *r) { answered = r; }));
        QTRY_VERIFY(answered);
    }

    void aSubscriberIsUpOnlyOnceItsChannelsAreConfirmed() {
        ScriptedRedis redis;
        RedisLink link(addressOf(redis), QStringLiteral("subscriber"));
        QList<QByteArray> heard;
        link.setMessageHandler([&](const QByteArray &channel, const QByteArray &payload) {
            heard << channel + payload;
        });
        link.subscribe({"node:a", "all"});
        QSignalSpy up(&link, &RedisLink::up);
        link.start();
        QTRY_VERIFY(redis.saw("SUBSCRIBE"));
        QTest::qWait(100);
        QCOMPARE(up.size(), 0);
        QVERIFY(!link.isUp());

        // A channel asked for in the meantime is subscribed at once, not held back.
        link.subscribe({"group:g"});
        QTRY_COMPARE(redis.commands.last(), (QList<QByteArray>{"SUBSCRIBE", "group:g"}));

        redis.confirm({"node:a"});
        QTest::qWait(50);
        QVERIFY(!link.isUp());
        redis.confirm({"all", "group:g"});
        QTRY_COMPARE(up.size(), 1);
        QVERIFY(link.isUp());
        redis.publish("node:a", "hello");
        QTRY_COMPARE(heard, QList<QByteArray>{"node:ahello"});
    }

    void stopDisconnectsForGood() {
        ScriptedRedis redis;
        RedisLink link(addressOf(redis), QStringLiteral("commands"));
        QSignalSpy up(&link, &RedisLink::up);
        QSignalSpy down(&link, &RedisLink::down);
        link.start();
        QTRY_COMPARE(up.size(), 1);
        bool called = false;
        QVERIFY(
            link.command({"GET", "k"}, [&](const redisReply *) { called = true; })); // unanswered
        link.stop();
        QVERIFY(!link.isUp());
        QVERIFY(!link.command({"PING"}, nullptr));
        QTest::qWait(800); // past the first reconnect delay (250 ms) and a sweep (500 ms)
        QCOMPARE(redis.connections, 1);
        QVERIFY(down.isEmpty());
        QVERIFY(!called); // dropped untold
    }

    void aSubscribeNeverConfirmedIsATimeout() {
        ScriptedRedis redis;
        RedisLink link(addressOf(redis), QStringLiteral("subscriber"));
        link.subscribe({"node:a"});
        QSignalSpy up(&link, &RedisLink::up);
        QSignalSpy down(&link, &RedisLink::down);
        link.start();
        QTRY_VERIFY(redis.saw("SUBSCRIBE"));
        QTRY_VERIFY_WITH_TIMEOUT(!down.isEmpty(), RedisLink::CommandTimeoutMs + 2000);
        QCOMPARE(up.size(), 0);
        QVERIFY(down.first().first().toString().contains(QLatin1String("no answer")));
        // and it tries again, on a new connection
        QTRY_COMPARE_WITH_TIMEOUT(redis.connections, 2, 3000);
    }

    void aReplyAtTheLimitIsDelivered() {
        ScriptedRedis redis;
        GetOutstanding get(redis);
        QVERIFY(get.ready);
        // the string and the reply object hiredis builds for it
        const qint64 size = RedisLink::MaxReplyBytes - qint64(sizeof(redisReply));
        redis.send(bulkHeader(size) + QByteArray(size, 'x') + "\r\n");
        QTRY_VERIFY_WITH_TIMEOUT(get.answered, 20000);
        QCOMPARE(get.length, size);
        QVERIFY(get.down.isEmpty());
    }

    void aStringPastTheLimitClosesTheLinkBeforeItIsAllIn() {
        ScriptedRedis redis;
        GetOutstanding get(redis);
        QVERIFY(get.ready);
        // Never finished: the link gives up once more than the limit waits in its buffer.
        redis.send(bulkHeader(4 * RedisLink::MaxReplyBytes) +
                   QByteArray(RedisLink::MaxReplyBytes + 64 * 1024, 'x'));
        QTRY_VERIFY_WITH_TIMEOUT(!get.down.isEmpty(), 20000);
        QVERIFY2(get.down.first().first().toString().contains(QLatin1String("limit")),
                 qPrintable(get.down.first().first().toString()));
        QVERIFY(get.answered);
        QCOMPARE(get.length, -1);       // told it failed
        QTRY_COMPARE(get.up.size(), 2); // and up again on a new connection
        QCOMPARE(redis.connections, 2);
    }

    void anArrayCountPastTheLimitIsRefusedBeforeItsElements() {
        ScriptedRedis redis;
        GetOutstanding get(redis);
        QVERIFY(get.ready);
        redis.send("*2000000000\r\n"); // 16 GB of element pointers, were it allocated
        QTRY_VERIFY(!get.down.isEmpty());
        QVERIFY(get.down.first().first().toString().contains(QLatin1String("limit")));
        QVERIFY(get.answered);
        QCOMPARE(get.length, -1);
    }

    void manySmallElementsPastTheLimitCloseTheLink() {
        ScriptedRedis redis;
        GetOutstanding get(redis);
        QVERIFY(get.ready);
        const qint64 elements = RedisLink::MaxReplyBytes / qint64(sizeof(redisReply)) + 1;
        QByteArray reply = '*' + QByteArray::number(elements) + "\r\n";
        for (qint64 i = 0; i < elements; ++i)
            reply += ":1\r\n";
        redis.send(reply);
        QTRY_VERIFY_WITH_TIMEOUT(!get.down.isEmpty(), 20000);
        QVERIFY(get.down.first().first().toString().contains(QLatin1String("limit")));
        QCOMPARE(get.length, -1);
    }
};

WSGATE_TEST_MAIN(TestRedisLink)
#include "tst_redislink.moc"
