#include "gateway/messagebody.h"
#include "http/httprequest.h"
#include "testmain.h"

#include <QTest>

class TestMessageBody final : public QObject {
    Q_OBJECT
private slots:
    void raw() {
        const QByteArray payload("héllo & bye");
        const MessageBody t = MessageBody::encode(MessageBody::Mode::Raw, payload, false, "id");
        QCOMPARE(t.body, payload);
        QCOMPARE(t.contentType, QByteArray("text/plain; charset=utf-8"));
        QVERIFY(t.body.isSharedWith(payload)); // STDIN is written from the message's buffer
        const MessageBody b = MessageBody::encode(MessageBody::Mode::Raw, "\x00\x01", true, "id");
        QCOMPARE(b.contentType, QByteArray("application/octet-stream"));
    }
    void form() {
        const MessageBody f =
            MessageBody::encode(MessageBody::Mode::Form, "a&b=c d%", false, "3f2a");
        QCOMPARE(f.body, QByteArray("type=server&message=a%26b%3Dc%20d%25&client_id=3f2a"));
        QCOMPARE(f.contentType, QByteArray("application/x-www-form-urlencoded"));
        const auto fields = HttpRequest::parseUrlEncoded(f.body);
        QVERIFY(fields);
    }
};

WSGATE_TEST_MAIN(TestMessageBody)
#include "tst_messagebody.moc"
