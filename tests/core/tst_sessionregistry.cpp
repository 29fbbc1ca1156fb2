#include "gateway/clientsession.h"
#include "gateway/sessionregistry.h"
#include "testmain.h"

#include <QTest>

namespace {

struct NoEvents final : SessionEvents {
    void sessionMessage(ClientSession *, QByteArray, bool) override {}
    void sessionPong(ClientSession *, qint64) override {}
    void sessionClosing(ClientSession *, int, const QByteArray &) override {}
    void sessionDrained(ClientSession *) override {}
    void sessionClosed(ClientSession *, const WebSocketCloseInfo &) override {}
};

std::unique_ptr<ClientSession> session(const QByteArray &id, SessionEvents *events) {
    auto cgi = std::make_shared<PhpParamBlock>();
    cgi->params = {{"DOCUMENT_URI", "/w%73"}, {"QUERY_STRING", "a=1"}, {"HTTP_ORIGIN", "http://x"}};
    return std::make_unique<ClientSession>(id, cgi, events);
}

} // namespace

class TestSessionRegistry final : public QObject {
    Q_OBJECT
private slots:
    void indexesAndMembership() {
        NoEvents events;
        SessionRegistry r;
        QStringList changes;
        r.setMembershipListener([&](bool isGroup, const QString &name, bool present) {
            changes << QStringLiteral("%1 %2 %3")
                           .arg(isGroup ? "group" : "user", name, present ? "+" : "-");
        });
        auto a = session("a", &events);
        ClientSession *pa = a.get();
        r.setUser(pa, "alice"); // before add: indexed by add()
        r.join(pa, "lobby");
        r.add(std::move(a));
        auto b = session("b", &events);
        ClientSession *pb = b.get();
        r.add(std::move(b));
        r.join(pb, "lobby");
        r.join(pb, "room");
        QVERIFY(!r.join(pb, "room"));
        r.setUser(pb, "alice");
        QCOMPARE(r.size(), 2);
        QCOMPARE(r.find("a"), pa);
        QCOMPARE(r.usersSessions("alice").size(), 2);
        QCOMPARE(r.groupSessions("lobby").size(), 2);
        QCOMPARE(pb->groups(), (QStringList{"lobby", "room"}));
        QCOMPARE(pb->groupsParam(), QByteArray("lobby,room"));
        QCOMPARE(pb->userParam(), QByteArray("alice"));
        QCOMPARE(changes, (QStringList{"user alice +", "group lobby +", "group room +"}));
        changes.clear();
        QVERIFY(r.leave(pb, "room"));
        QVERIFY(!r.leave(pb, "room"));
        r.setUser(pb, "");
        QCOMPARE(pb->userParam(), QByteArray());
        QCOMPARE(changes, QStringList{"group room -"});
        changes.clear();
        std::unique_ptr<ClientSession> gone = r.remove(pa);
        QCOMPARE(gone.get(), pa);
        QCOMPARE(changes, QStringList{"user alice -"});
        QCOMPARE(r.groupSessions("lobby"), QList<ClientSession *>{pb});
        QCOMPARE(r.groupMembers().value("lobby"), QList<QByteArray>{"b"});
        QVERIFY(!r.remove(pa));
        QVERIFY(!r.find("a"));
    }

    void projection() {
        NoEvents events;
        auto s = session("id1", &events);
        s->messagesIn = 3;
        s->queue.append({"x", 0, false, nullptr, {}});
        s->queuedBytes = 1;
        const ClientInfo info = SessionRegistry::info(*s);
        QCOMPARE(info.id, QByteArray("id1"));
        QCOMPARE(info.path, QStringLiteral("/ws"));
        QCOMPARE(info.query, QStringLiteral("a=1"));
        QCOMPARE(info.origin, QStringLiteral("http://x"));
        QCOMPARE(info.messagesIn, 3);
        QCOMPARE(info.queueDepth, 1);
        const QJsonObject json = info.toJson();
        QCOMPARE(json.value("id").toString(), QStringLiteral("id1"));
        QVERIFY(json.value("user").isNull());
        QCOMPARE(json.value("queue_depth").toInt(), 1);
    }
};

WSGATE_TEST_MAIN(TestSessionRegistry)
#include "tst_sessionregistry.moc"
