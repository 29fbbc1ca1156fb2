#include "websocket/websocketframeparser.h"

#include "websocket/utf8validator.h"

#include "testmain.h"

#include <QTest>

#include <limits>

using Event = WebSocketFrameParser::Event;
using Limits = WebSocketFrameParser::Limits;

namespace {

constexpr quint8 kFin = 0x80;
constexpr quint8 kText = 1, kBinary = 2, kCont = 0, kClose = 8, kPing = 9, kPong = 10;
const quint8 kKey[4] = {0x37, 0xfa, 0x21, 0x3d};

enum class LengthForm { Minimal, Force16, Force64 };

// A client frame: `b0` is FIN/RSV/opcode, the payload masked with kKey unless `masked` is false.
QByteArray frame(quint8 b0, const QByteArray &payload, bool masked = true,
                 LengthForm form = LengthForm::Minimal) {
    QByteArray out;
    out.append(char(b0));
    const quint64 n = quint64(payload.size());
    const quint8 maskBit = masked ? 0x80 : 0;
    if (form == LengthForm::Minimal && n <= 125) {
        out.append(char(maskBit | n));
    } else if (form != LengthForm::Force64 && n <= 0xFFFF) {
        out.append(char(maskBit | 126));
        out.append(char(n >> 8));
        out.append(char(n));
    } else {
        out.append(char(maskBit | 127));
        for (int i = 7; i >= 0; --i)
            out.append(char(n >> (8 * i)));
    }
    if (masked) {
        out.append(reinterpret_cast<const char *>(kKey), 4);
        QByteArray body = payload;
        for (qsizetype i = 0; i < body.size(); ++i)
            body[i] = char(body[i] ^ kKey[i % 4]);
        out.append(body);
    } else {
        out.append(payload);
    }
    return out;
}

QByteArray closeBody(int code, const QByteArray &reason = {}) {
    QByteArray p;
    p.append(char(code >> 8));
    p.append(char(code & 0xFF));
    return p + reason;
}

struct Seen {
    Event event;
    QByteArray payload; // message, or control payload
    bool binary = false;
    int code = 0; // close code or error code
};

// Feeds `input` in chunks of `chunk` bytes (0: whole), re-feeding after each event, and records
// every event. Stops at the first Error. Also checks the Result contract on the way.
QList<Seen> run(WebSocketFrameParser &parser, const QByteArray &input, qsizetype chunk = 0,
                qint64 *maxBuffered = nullptr) {
    QList<Seen> seen;
    const qsizetype step = chunk > 0 ? chunk : std::max<qsizetype>(1, input.size());
    for (qsizetype pos = 0; pos < input.size(); pos += step) {
        QByteArrayView view = QByteArrayView(input).sliced(pos, std::min(step, input.size() - pos));
        while (!view.isEmpty()) {
            const auto r = parser.feed(view);
            if (maxBuffered)
                *maxBuffered = std::max(*maxBuffered, parser.bufferedBytes());
            if (r.consumed < 0 || r.consumed > view.size())
                qFatal("consumed out of range");
            view = view.sliced(r.consumed);
            switch (r.event) {
            case Event::NeedMore:
                if (!view.isEmpty())
                    qFatal("NeedMore left bytes unconsumed");
                break;
            case Event::Message: {
                const bool binary = parser.messageIsBinary();
                seen.append({Event::Message, parser.takeMessage(), binary, 0});
                break;
            }
            case Event::Ping:
            case Event::Pong:
                seen.append({r.event, parser.controlPayload(), false, 0});
                break;
            case Event::Close:
                seen.append({Event::Close, parser.closeReason(), false, parser.closeCode()});
                break;
            case Event::Error:
                seen.append({Event::Error, parser.errorDetail(), false, parser.errorCode()});
                return seen;
            }
        }
    }
    return seen;
}

QList<Seen> run(const QByteArray &input, qsizetype chunk = 0, const Limits &limits = {}) {
    WebSocketFrameParser parser(limits);
    return run(parser, input, chunk);
}

QByteArray pattern(qsizetype n) {
    QByteArray out(n, Qt::Uninitialized);
    for (qsizetype i = 0; i < n; ++i)
        out[i] = char('a' + (i * 7) % 26);
    return out;
}

Limits limitOf(qint64 n) {
    Limits l;
    l.maxMessageBytes = n;
    return l;
}

} // namespace

/// Unit tests of WebSocketFrameParser: lengths, chunkings, fragments, limits, UTF-8, errors.
class TestWebSocketFrameParser final : public QObject {
    Q_OBJECT
private slots:
    void lengths_data();
    void lengths();
    void everySplitOfSmallFrames();
    void nonMinimalLengthsAccepted();
    void fragmentedWithInterleavedControl();
    void severalEventsInOneBuffer();
    void limit_data();
    void limit();
    void limitCheckedFromHeader();
    void bigCjkTextInFragmentsAgainstLimit();
    void utf8SplitAcrossFragments();
    void utf8Errors_data();
    void utf8Errors();
    void invalidUtf8ReportedBeforeFrameEnds();
    void errors_data();
    void errors();
    void errorIsSticky();
    void close_data();
    void close();
    void progressAccessors();
};

void TestWebSocketFrameParser::lengths_data() {
    QTest::addColumn<qsizetype>("length");
    QTest::addColumn<bool>("binary");
    QTest::addColumn<qsizetype>("chunk");
    for (qsizetype length : {0, 1, 125, 126, 127, 65535, 65536, 70001, 1 << 20}) {
        for (bool binary : {false, true}) {
            for (qsizetype chunk : {0, 1, 2, 3, 7, 13, 64, 1000, 65536}) {
                if (chunk == 1 && length > 70001)
                    continue; // byte by byte over 1 MiB adds time, not coverage
                QTest::addRow("%s %lld bytes, chunk %lld", binary ? "binary" : "text",
                              qlonglong(length), qlonglong(chunk))
                    << length << binary << chunk;
            }
        }
    }
}

void TestWebSocketFrameParser::lengths() {
    QFETCH(qsizetype, length);
    QFETCH(bool, binary);
    QFETCH(qsizetype, chunk);
    const QByteArray payload = pattern(length);
    const QByteArray input = frame(kFin | (binary ? kBinary : kText), payload);
    const auto seen = run(input, chunk);
    QCOMPARE(seen.size(), 1);
    QCOMPARE(seen[0].event, Event::Message);
    QCOMPARE(seen[0].binary, binary);
    QCOMPARE(seen[0].payload.size(), length);
    QVERIFY(seen[0].payload == payload);
}

void TestWebSocketFrameParser::everySplitOfSmallFrames() {
    // Two pieces, cut at every offset, for frames around the 7/16-bit boundary.
    for (qsizetype length : {0, 5, 125, 126, 130}) {
        const QByteArray payload = pattern(length);
        const QByteArray input = frame(kFin | kText, payload) + frame(kFin | kPing, "p");
        for (qsizetype cut = 0; cut <= input.size(); ++cut) {
            WebSocketFrameParser parser;
            QList<Seen> seen = run(parser, input.first(cut));
            seen += run(parser, input.sliced(cut));
            QCOMPARE(seen.size(), 2);
            QCOMPARE(seen[0].event, Event::Message);
            QVERIFY(seen[0].payload == payload);
            QCOMPARE(seen[1].event, Event::Ping);
            QCOMPARE(seen[1].payload, QByteArray("p"));
        }
    }
}

void TestWebSocketFrameParser::nonMinimalLengthsAccepted() {
    // RFC 6455 asks senders for the minimal form; we accept longer forms (as browsers' peers do).
    const auto a = run(frame(kFin | kText, "hi", true, LengthForm::Force16));
    QCOMPARE(a.size(), 1);
    QCOMPARE(a[0].payload, QByteArray("hi"));
    const auto b = run(frame(kFin | kBinary, "hey", true, LengthForm::Force64));
    QCOMPARE(b.size(), 1);
    QCOMPARE(b[0].payload, QByteArray("hey"));
}

void TestWebSocketFrameParser::fragmentedWithInterleavedControl() {
    const QByteArray input = frame(kText, "Hello, ") + frame(kFin | kPing, "ping-1") +
                             frame(kCont, "wor") + frame(kFin | kPong, "") +
                             frame(kFin | kPing, QByteArray(125, 'x')) + frame(kFin | kCont, "ld") +
                             frame(kBinary, "\x01\x02") + frame(kFin | kCont, "\x03");
    for (qsizetype chunk : {0, 1, 2, 5, 9}) {
        const auto seen = run(input, chunk);
        QCOMPARE(seen.size(), 5);
        QCOMPARE(seen[0].event, Event::Ping);
        QCOMPARE(seen[0].payload, QByteArray("ping-1"));
        QCOMPARE(seen[1].event, Event::Pong);
        QCOMPARE(seen[1].payload, QByteArray());
        QCOMPARE(seen[2].event, Event::Ping);
        QCOMPARE(seen[2].payload, QByteArray(125, 'x'));
        QCOMPARE(seen[3].event, Event::Message);
        QCOMPARE(seen[3].payload, QByteArray("Hello, world"));
        QVERIFY(!seen[3].binary);
        QCOMPARE(seen[4].event, Event::Message);
        QCOMPARE(seen[4].payload, QByteArray("\x01\x02\x03"));
        QVERIFY(seen[4].binary);
    }
}

void TestWebSocketFrameParser::severalEventsInOneBuffer() {
    const QByteArray a = frame(kFin | kText, "one");
    const QByteArray b = frame(kFin | kBinary, "two");
    const QByteArray c = frame(kFin | kClose, closeBody(1000, "bye"));
    const QByteArray all = a + b + c;
    WebSocketFrameParser parser;
    auto r = parser.feed(all);
    QCOMPARE(r.event, Event::Message);
    QCOMPARE(r.consumed, a.size());
    QCOMPARE(parser.takeMessage(), QByteArray("one"));
    r = parser.feed(QByteArrayView(all).sliced(a.size()));
    QCOMPARE(r.event, Event::Message);
    QCOMPARE(r.consumed, b.size());
    QVERIFY(parser.messageIsBinary());
    QCOMPARE(parser.takeMessage(), QByteArray("two"));
    r = parser.feed(QByteArrayView(all).sliced(a.size() + b.size()));
    QCOMPARE(r.event, Event::Close);
    QCOMPARE(r.consumed, c.size());
    QCOMPARE(parser.closeCode(), 1000);
    QCOMPARE(parser.closeReason(), QByteArray("bye"));
    r = parser.feed({});
    QCOMPARE(r.event, Event::NeedMore);
    QCOMPARE(r.consumed, 0);
}

void TestWebSocketFrameParser::limit_data() {
    QTest::addColumn<bool>("binary");
    QTest::addColumn<int>("fragments");
    QTest::addColumn<qint64>("size");
    QTest::addColumn<bool>("accepted");
    constexpr qint64 kLimit = 1000;
    for (bool binary : {false, true}) {
        for (int fragments : {1, 2, 7, 1000}) {
            for (qint64 size : {kLimit - 1, kLimit, kLimit + 1}) {
                QTest::addRow("%s in %d fragment(s), %lld bytes", binary ? "binary" : "text",
                              fragments, qlonglong(size))
                    << binary << fragments << size << (size <= kLimit);
            }
        }
    }
}

void TestWebSocketFrameParser::limit() {
    QFETCH(bool, binary);
    QFETCH(int, fragments);
    QFETCH(qint64, size);
    QFETCH(bool, accepted);
    const QByteArray payload = pattern(size);
    QByteArray input;
    qsizetype pos = 0;
    for (int i = 0; i < fragments; ++i) {
        const qsizetype end =
            i + 1 == fragments ? payload.size() : payload.size() * (i + 1) / fragments;
        const quint8 op = i == 0 ? (binary ? kBinary : kText) : kCont;
        input += frame((i + 1 == fragments ? kFin : 0) | op, payload.mid(pos, end - pos));
        pos = end;
    }
    for (qsizetype chunk : {0, 1, 100}) {
        WebSocketFrameParser parser(limitOf(1000));
        qint64 maxBuffered = 0;
        const auto seen = run(parser, input, chunk, &maxBuffered);
        QCOMPARE(seen.size(), 1);
        QVERIFY(maxBuffered <= 1000 + 14);
        if (accepted) {
            QCOMPARE(seen[0].event, Event::Message);
            QVERIFY(seen[0].payload == payload);
        } else {
            QCOMPARE(seen[0].event, Event::Error);
            QCOMPARE(seen[0].code, 1009);
        }
    }
}

void TestWebSocketFrameParser::limitCheckedFromHeader() {
    // The header of a frame over the limit is enough: no payload byte is needed or buffered.
    WebSocketFrameParser parser(limitOf(65535));
    const QByteArray input = frame(kFin | kBinary, QByteArray(65536, 'x'));
    const qsizetype headerBytes = 2 + 8 + 4;
    const auto r = parser.feed(QByteArrayView(input).first(headerBytes));
    QCOMPARE(r.event, Event::Error);
    QCOMPARE(r.consumed, headerBytes);
    QCOMPARE(parser.errorCode(), 1009);
    QCOMPARE(parser.bufferedBytes(), 0);
    // A continuation over the limit, likewise: first fragment 60000, next one announces 6000.
    WebSocketFrameParser p2(limitOf(65535));
    const QByteArray first = frame(kText, QByteArray(60000, 'a'));
    QCOMPARE(p2.feed(first).event, Event::NeedMore);
    const QByteArray next = frame(kFin | kCont, QByteArray(6000, 'b'));
    const auto r2 = p2.feed(QByteArrayView(next).first(4 + 4));
    QCOMPARE(r2.event, Event::Error);
    QCOMPARE(p2.errorCode(), 1009);
    // A continuation announcing 2^63 - 1 bytes after a 2-byte fragment (found by fuzz/short):
    // refused from its header, the detail naming both numbers without adding them.
    for (qint64 limit : {qint64(1) << 20, std::numeric_limits<qint64>::max()}) {
        WebSocketFrameParser p3(limitOf(limit));
        QCOMPARE(p3.feed(frame(kText, "ab")).event, Event::NeedMore);
        QByteArray huge;
        huge.append(char(kFin | kCont));
        huge.append(char(0x80 | 127));
        huge.append(char(0x7f));
        huge.append(7, char(0xff));
        huge.append(reinterpret_cast<const char *>(kKey), 4);
        const auto r3 = p3.feed(huge);
        QCOMPARE(r3.event, Event::Error);
        QCOMPARE(p3.errorCode(), 1009);
        QVERIFY2(p3.errorDetail().contains("9223372036854775807 bytes after 2 bytes"),
                 p3.errorDetail().constData());
        QVERIFY(p3.bufferedBytes() <= 2);
    }
}

void TestWebSocketFrameParser::bigCjkTextInFragmentsAgainstLimit() {
    // 3,000,000 bytes of 一 (E4 B8 80) in 1,000 fragments of 3,000 bytes against 1 MiB: the
    // limit counts bytes, so it fails at fragment 350 (350 × 3000 > 1,048,576), having held no
    // more than the limit.
    const QByteArray piece = QString(1000, QChar(0x4E00)).toUtf8();
    QCOMPARE(piece.size(), 3000);
    QByteArray input;
    for (int i = 0; i < 1000; ++i)
        input += frame((i == 999 ? kFin : 0) | (i == 0 ? kText : kCont), piece);
    WebSocketFrameParser parser(limitOf(1024 * 1024));
    qint64 maxBuffered = 0;
    qsizetype pos = 0;
    Event last = Event::NeedMore;
    qint64 bytesBeforeError = 0;
    while (pos < input.size()) {
        const qsizetype n = std::min<qsizetype>(4096, input.size() - pos);
        bytesBeforeError = parser.messageBytesSoFar();
        const auto r = parser.feed(QByteArrayView(input).sliced(pos, n));
        maxBuffered = std::max(maxBuffered, parser.bufferedBytes());
        pos += r.consumed;
        last = r.event;
        if (last != Event::NeedMore)
            break;
    }
    QCOMPARE(last, Event::Error);
    QCOMPARE(parser.errorCode(), 1009);
    QVERIFY2(maxBuffered <= 1024 * 1024 + 14, qPrintable(QString::number(maxBuffered)));
    QVERIFY(bytesBeforeError <= 349 * 3000);
    // The error came at the 350th fragment's header, not later.
    const qsizetype frameBytes = 2 + 2 + 4 + 3000;
    QVERIFY(pos <= 349 * frameBytes + 2 + 2 + 4);
    QVERIFY(pos > 349 * frameBytes);
}

void TestWebSocketFrameParser::utf8SplitAcrossFragments() {
    // "€" = E2 82 AC split across fragments is one valid character.
    const QByteArray input =
        frame(kText, "price: \xe2\x82") + frame(kFin | kPing, "") + frame(kFin | kCont, "\xac");
    for (qsizetype chunk : {0, 1}) {
        const auto seen = run(input, chunk);
        QCOMPARE(seen.size(), 2);
        QCOMPARE(seen[1].event, Event::Message);
        QCOMPARE(seen[1].payload, QByteArray("price: \xe2\x82\xac"));
    }
    // Split over three fragments, one byte each.
    const auto three =
        run(frame(kText, "\xe2") + frame(kCont, "\x82") + frame(kFin | kCont, "\xac"));
    QCOMPARE(three.size(), 1);
    QCOMPARE(three[0].event, Event::Message);
    QCOMPARE(three[0].payload, QByteArray("\xe2\x82\xac"));
}

void TestWebSocketFrameParser::utf8Errors_data() {
    QTest::addColumn<QByteArray>("input");
    QTest::newRow("invalid byte in a single frame") << frame(kFin | kText, "ab\xff");
    QTest::newRow("overlong in a single frame") << frame(kFin | kText, "\xc0\xaf");
    QTest::newRow("surrogate") << frame(kFin | kText, "\xed\xa0\x80");
    QTest::newRow("incomplete at the end of a single frame") << frame(kFin | kText, "\xe2\x82");
    QTest::newRow("incomplete at the final fragment")
        << frame(kText, "ok ") + frame(kFin | kCont, "\xe2\x82");
    QTest::newRow("invalid in the second fragment")
        << frame(kText, "\xe2\x82") + frame(kFin | kCont, "\x41");
    QTest::newRow("above U+10FFFF across fragments")
        << frame(kText, "\xf4") + frame(kFin | kCont, "\x90\x80\x80");
}

void TestWebSocketFrameParser::utf8Errors() {
    QFETCH(QByteArray, input);
    for (qsizetype chunk : {0, 1}) {
        const auto seen = run(input, chunk);
        QCOMPARE(seen.size(), 1);
        QCOMPARE(seen[0].event, Event::Error);
        QCOMPARE(seen[0].code, 1007);
    }
    // Binary is never validated.
    QByteArray asBinary = input;
    asBinary[0] = char((quint8(asBinary[0]) & 0xF0) | kBinary);
    const auto seen = run(asBinary);
    QCOMPARE(seen.size(), 1);
    QCOMPARE(seen[0].event, Event::Message);
}

void TestWebSocketFrameParser::invalidUtf8ReportedBeforeFrameEnds() {
    // The invalid byte comes first; the frame is 1000 bytes long: the error does not wait.
    const QByteArray input = frame(kFin | kText, "\xff" + QByteArray(999, 'a'));
    WebSocketFrameParser parser;
    const auto r = parser.feed(QByteArrayView(input).first(2 + 2 + 4 + 10));
    QCOMPARE(r.event, Event::Error);
    QCOMPARE(parser.errorCode(), 1007);
}

void TestWebSocketFrameParser::errors_data() {
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<int>("code");
    QTest::newRow("unmasked text") << frame(kFin | kText, "hi", false) << 1002;
    QTest::newRow("unmasked ping") << frame(kFin | kPing, "", false) << 1002;
    QTest::newRow("RSV1") << frame(kFin | 0x40 | kText, "hi") << 1002;
    QTest::newRow("RSV2") << frame(kFin | 0x20 | kText, "hi") << 1002;
    QTest::newRow("RSV3") << frame(kFin | 0x10 | kBinary, "hi") << 1002;
    for (int op : {3, 4, 5, 6, 7, 11, 12, 13, 14, 15})
        QTest::addRow("reserved opcode %d", op) << frame(kFin | op, "") << 1002;
    QTest::newRow("fragmented ping") << frame(kPing, "") << 1002;
    QTest::newRow("fragmented close") << frame(kClose, "") << 1002;
    QTest::newRow("ping of 126 bytes") << frame(kFin | kPing, QByteArray(126, 'p')) << 1002;
    QTest::newRow("pong of 126 bytes") << frame(kFin | kPong, QByteArray(126, 'p')) << 1002;
    QTest::newRow("close with a 16-bit length form")
        << frame(kFin | kClose, closeBody(1000), true, LengthForm::Force16) << 1002;
    QTest::newRow("continuation with nothing to continue") << frame(kFin | kCont, "x") << 1002;
    QTest::newRow("continuation after a complete message")
        << frame(kFin | kText, "a") + frame(kFin | kCont, "b") << 1002;
    QTest::newRow("text inside a fragmented message")
        << frame(kText, "a") + frame(kFin | kText, "b") << 1002;
    QTest::newRow("binary inside a fragmented message")
        << frame(kBinary, "a") + frame(kFin | kBinary, "b") << 1002;
    QTest::newRow("64-bit length with the top bit set")
        << QByteArray::fromHex("82ff8000000000000001") + QByteArray(4, '\0') << 1002;
    QTest::newRow("close with a 1-byte payload") << frame(kFin | kClose, "\x03") << 1002;
    for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535})
        QTest::addRow("close code %d", code) << frame(kFin | kClose, closeBody(code)) << 1002;
    QTest::newRow("close reason not UTF-8")
        << frame(kFin | kClose, closeBody(1000, "\xc3\x28")) << 1007;
    QTest::newRow("close reason cut inside a character")
        << frame(kFin | kClose, closeBody(1000, "\xe2\x82")) << 1007;
    QTest::newRow("text not UTF-8") << frame(kFin | kText, "\x80") << 1007;
    QTest::newRow("over the limit") << frame(kFin | kBinary, QByteArray(2000, 'x')) << 1009;
}

void TestWebSocketFrameParser::errors() {
    QFETCH(QByteArray, input);
    QFETCH(int, code);
    for (qsizetype chunk : {0, 1, 3}) {
        const auto seen = run(input, chunk, limitOf(1000));
        QVERIFY(!seen.isEmpty());
        QCOMPARE(seen.last().event, Event::Error);
        QCOMPARE(seen.last().code, code);
        QVERIFY(!seen.last().payload.isEmpty()); // errorDetail says what was wrong
    }
}

void TestWebSocketFrameParser::errorIsSticky() {
    WebSocketFrameParser parser;
    const auto r = parser.feed(frame(kFin | kText, "x", false));
    QCOMPARE(r.event, Event::Error);
    QVERIFY(r.consumed <= 2);
    for (int i = 0; i < 3; ++i) {
        const auto again = parser.feed(frame(kFin | kText, "valid"));
        QCOMPARE(again.event, Event::Error);
        QCOMPARE(again.consumed, 0);
    }
    QCOMPARE(parser.errorCode(), 1002);
    QCOMPARE(parser.errorDetail(), QByteArray("unmasked client frame"));
    QCOMPARE(parser.bufferedBytes(), 0);
    QVERIFY(!parser.messageInProgress());
}

void TestWebSocketFrameParser::close_data() {
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<int>("code");
    QTest::addColumn<QByteArray>("reason");
    QTest::newRow("no code") << QByteArray() << 1005 << QByteArray();
    for (int code :
         {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999})
        QTest::addRow("code %d", code) << closeBody(code) << code << QByteArray();
    QTest::newRow("code and reason")
        << closeBody(1001, "going away") << 1001 << QByteArray("going away");
    QTest::newRow("UTF-8 reason") << closeBody(4321, "tschüß €") << 4321 << QByteArray("tschüß €");
    QTest::newRow("123-byte reason")
        << closeBody(1000, QByteArray(123, 'r')) << 1000 << QByteArray(123, 'r');
}

void TestWebSocketFrameParser::close() {
    QFETCH(QByteArray, payload);
    QFETCH(int, code);
    QFETCH(QByteArray, reason);
    for (qsizetype chunk : {0, 1}) {
        WebSocketFrameParser parser;
        const auto seen = run(parser, frame(kFin | kClose, payload), chunk);
        QCOMPARE(seen.size(), 1);
        QCOMPARE(seen[0].event, Event::Close);
        QCOMPARE(seen[0].code, code);
        QCOMPARE(seen[0].payload, reason);
        QCOMPARE(parser.controlPayload(), payload);
    }
}

void TestWebSocketFrameParser::progressAccessors() {
    WebSocketFrameParser parser(limitOf(100));
    QCOMPARE(parser.limits().maxMessageBytes, qint64(100));
    QVERIFY(!parser.messageInProgress());
    const QByteArray first = frame(kText, "abcdef");
    // One header byte of a data frame: a message has begun.
    QCOMPARE(parser.feed(first.first(1)).event, Event::NeedMore);
    QVERIFY(parser.messageInProgress());
    QCOMPARE(parser.bufferedBytes(), 1);
    QCOMPARE(parser.feed(first.sliced(1, 5)).event, Event::NeedMore); // header + 0 payload
    QCOMPARE(parser.bufferedBytes(), 0);
    QCOMPARE(parser.feed(first.sliced(6)).event, Event::NeedMore);
    QCOMPARE(parser.messageBytesSoFar(), 6);
    QCOMPARE(parser.bufferedBytes(), 6);
    // A ping in between: not part of the message's bytes.
    QCOMPARE(parser.feed(frame(kFin | kPing, "12345")).event, Event::Ping);
    QCOMPARE(parser.messageBytesSoFar(), 6);
    QVERIFY(parser.messageInProgress());
    QCOMPARE(parser.feed(frame(kFin | kCont, "gh")).event, Event::Message);
    QVERIFY(!parser.messageInProgress());
    QCOMPARE(parser.messageBytesSoFar(), 0);
    QCOMPARE(parser.bufferedBytes(), 8); // until taken
    QCOMPARE(parser.takeMessage(), QByteArray("abcdefgh"));
    QCOMPARE(parser.bufferedBytes(), 0);
    // A control frame's partial header is not a message in progress.
    QCOMPARE(parser.feed(frame(kFin | kPing, "").first(1)).event, Event::NeedMore);
    QVERIFY(!parser.messageInProgress());
}

WSGATE_TEST_MAIN(TestWebSocketFrameParser)
#include "tst_websocketframeparser.moc"
