// FastCgiConnection over a connected descriptor (FdStream), the transport the pool uses for
// unix sockets: the test plays PHP-FPM on the other end of a socketpair, byte for byte, so
// every fault a real FPM cannot produce on demand is reachable.

#include "fastcgi/fastcgicodec.h"
#include "fastcgi/fastcgiconnection.h"
#include "fastcgi/fastcgirecordparser.h"
#include "testmain.h"
#include "websocket/fdstream.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

#include <cerrno>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

Q_DECLARE_METATYPE(PhpOutcome)

namespace {

constexpr quint16 kId = 1; // the connection's request id

PhpRequest request(const QByteArray &body) {
    PhpRequest r;
    r.params = {{"REQUEST_METHOD", "POST"},
                {"SCRIPT_FILENAME", "/srv/handler.php"},
                {"CONTENT_LENGTH", QByteArray::number(body.size())}};
    r.body = body;
    return r;
}

QByteArray pattern(qsizetype size) {
    QByteArray b(size, Qt::Uninitialized);
    for (qsizetype i = 0; i < size; ++i)
        b[i] = char('a' + (i * 7) % 26);
    return b;
}

QByteArray endRequest(quint8 protocolStatus = FastCgi::RequestComplete) {
    QByteArray out;
    const char body[8] = {0, 0, 0, 0, char(protocolStatus), 0, 0, 0};
    FastCgiCodec::appendRecord(out, FastCgi::EndRequest, kId, QByteArrayView(body, 8));
    return out;
}

QByteArray reply(const QByteArray &body) {
    QByteArray out;
    FastCgiCodec::appendStream(out, FastCgi::Stdout, kId,
                               "Content-Type: text/plain\r\n\r\n" + body);
    return out + endRequest();
}

// What the fake FPM read of one request.
struct ReadRequest {
    bool complete = false; // the empty STDIN record arrived
    QByteArray stdinData;
    int stdinRecords = 0; // the terminating empty one included
    int paramsRecords = 0;
};

// Both ends of a socketpair: the gateway's as a FastCgiConnection, the other non-blocking.
class Pair {
public:
    Pair() {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
            return;
        ::fcntl(fds[1], F_SETFL, ::fcntl(fds[1], F_GETFL) | O_NONBLOCK);
        m_php = fds[1];
        connection = std::make_unique<FastCgiConnection>(FdStream::adopt(fds[0]));
    }
    ~Pair() { closePhp(); }

    bool ok() const { return connection && m_php >= 0; }
    void closePhp() {
        if (m_php >= 0)
            ::close(m_php);
        m_php = -1;
    }
    void send(const QByteArray &bytes) const {
        qsizetype done = 0;
        QElapsedTimer timer;
        timer.start();
        while (done < bytes.size() && timer.elapsed() < 10000) {
            const ssize_t n =
                ::send(m_php, bytes.constData() + done, size_t(bytes.size() - done), MSG_NOSIGNAL);
            if (n > 0)
                done += n;
            else
                QCoreApplication::processEvents();
        }
    }
    // Reads (running the event loop, so the gateway's queued bytes flow) until one request is
    // whole or `ms` pass.
    ReadRequest readRequest(int ms = 10000) {
        ReadRequest out;
        QElapsedTimer timer;
        timer.start();
        char chunk[16384];
        while (!out.complete && timer.elapsed() < ms) {
            const ssize_t n = ::recv(m_php, chunk, sizeof chunk, 0);
            if (n <= 0) {
                QCoreApplication::processEvents();
                continue;
            }
            m_pending.append(chunk, n);
            QByteArrayView data(m_pending);
            while (!data.isEmpty() && !out.complete) {
                const auto result = m_parser.parse(data);
                data = data.sliced(result.consumed);
                if (result.status != FastCgiRecordParser::Status::Ok)
                    break;
                if (m_parser.type() == FastCgi::Params)
                    ++out.paramsRecords;
                if (m_parser.type() == FastCgi::Stdin) {
                    ++out.stdinRecords;
                    out.stdinData += m_parser.content().toByteArray();
                    out.complete = m_parser.content().isEmpty();
                }
            }
            m_pending = data.toByteArray();
        }
        return out;
    }

    ssize_t recvSome(char *out, size_t size) const { return ::recv(m_php, out, size, 0); }

    std::unique_ptr<FastCgiConnection> connection;

private:
    int m_php = -1;
    QByteArray m_pending;
    FastCgiRecordParser m_parser;
};

} // namespace

class TestFastCgiStream final : public QObject {
    Q_OBJECT
private slots:
    void echoesEveryBodySize_data() {
        QTest::addColumn<int>("size");
        QTest::addColumn<int>("stdinRecords");
        QTest::newRow("empty") << 0 << 1;
        QTest::newRow("inline with the params") << 11 << 2;
        QTest::newRow("by reference, one record") << 4097 << 2;
        QTest::newRow("65535: the largest single record") << 65535 << 2;
        QTest::newRow("65536: two records") << 65536 << 3;
        QTest::newRow("1 MiB: more than the socket buffer takes") << 1024 * 1024 << 18;
        QTest::newRow("16 MiB: more parts than one sendmsg takes") << 16 * 1024 * 1024 << 258;
    }
    void echoesEveryBodySize() {
        QFETCH(int, size);
        QFETCH(int, stdinRecords);
        Pair pair;
        QVERIFY(pair.ok());
        FastCgiConnection &c = *pair.connection;
        QVERIFY(c.overStream());
        QCOMPARE(c.state(), FastCgiConnection::State::Idle);
        QSignalSpy finished(&c, &FastCgiConnection::finished);
        const QByteArray body = pattern(size);
        // The request's own copy of the body is gone once start() returns (as a message's is
        // when the gateway moves on): what the kernel did not take must not point into it.
        QVERIFY(c.start(request(pattern(size)), true));
        QCOMPARE(c.state(), FastCgiConnection::State::Busy);
        const ReadRequest got = pair.readRequest();
        QVERIFY(got.complete);
        QCOMPARE(got.stdinData.size(), body.size());
        QVERIFY(got.stdinData == body);
        QCOMPARE(got.stdinRecords, stdinRecords);
        QVERIFY(c.sentAnyBytes());
        pair.send(reply(body));
        QTRY_COMPARE(finished.count(), 1);
        const PhpResponse r = c.takeResponse();
        QVERIFY2(r.outcome == PhpOutcome::Ok, qPrintable(r.error));
        QCOMPARE(r.body.size(), body.size());
        QVERIFY(r.body == body);
        QCOMPARE(c.state(), FastCgiConnection::State::Idle);
        QVERIFY(c.isIdleAndAlive());
    }

    void aReplyCutIntoSingleBytes() {
        Pair pair;
        QVERIFY(pair.ok());
        FastCgiConnection &c = *pair.connection;
        QSignalSpy finished(&c, &FastCgiConnection::finished);
        QVERIFY(c.start(request("ping"), true));
        QVERIFY(pair.readRequest().complete);
        QByteArray bytes;
        FastCgiCodec::appendStream(bytes, FastCgi::Stdout, kId,
                                   "Content-Type: text/plain\r\n\r\npong");
        FastCgiCodec::appendStream(bytes, FastCgi::Stderr, kId, "a warning");
        bytes += endRequest();
        for (char ch : std::as_const(bytes)) {
            pair.send(QByteArray(1, ch));
            QCoreApplication::processEvents();
        }
        QTRY_COMPARE(finished.count(), 1);
        const PhpResponse r = c.takeResponse();
        QVERIFY2(r.outcome == PhpOutcome::Ok, qPrintable(r.error));
        QCOMPARE(r.body, QByteArray("pong"));
        QVERIFY(r.stderrData.contains("a warning"));
    }

    void keptConnectionCarriesTheNextRequest() {
        Pair pair;
        QVERIFY(pair.ok());
        FastCgiConnection &c = *pair.connection;
        QSignalSpy finished(&c, &FastCgiConnection::finished);
        for (int i = 1; i <= 3; ++i) {
            const QByteArray body = "message " + QByteArray::number(i);
            QVERIFY(c.start(request(body), true));
            QCOMPARE(pair.readRequest().stdinData, body);
            pair.send(reply(body));
            QTRY_COMPARE(finished.count(), i);
            QCOMPARE(c.takeResponse().body, body);
        }
        QCOMPARE(c.requestCount(), 3);
    }

    void aCloseWhileIdleRefusesTheNextRequestWithNothingSent() {
        Pair pair;
        QVERIFY(pair.ok());
        FastCgiConnection &c = *pair.connection;
        QSignalSpy finished(&c, &FastCgiConnection::finished);
        QVERIFY(c.start(request("first"), true));
        QCOMPARE(pair.readRequest().stdinData, QByteArray("first"));
        pair.send(reply("first"));
        QTRY_COMPARE(finished.count(), 1);
        QCOMPARE(c.takeResponse().outcome, PhpOutcome::Ok);

        // PHP closes the kept connection; the next request comes before the event loop has
        // delivered that. No system call looks first: the write is refused instead.
        pair.closePhp();
        QVERIFY(c.isIdleAndAlive());
        QVERIFY(c.start(request("second"), true));
        QVERIFY(!c.sentAnyBytes());
        QVERIFY(c.wasGoneBeforeRequest()); // the pool retries it quietly on a fresh one
        QTRY_COMPARE(finished.count(), 2);
        const PhpResponse r = c.takeResponse();
        QCOMPARE(r.outcome, PhpOutcome::Unavailable);
        QVERIFY2(r.error.contains("before the request was sent"), qPrintable(r.error));
        QCOMPARE(c.state(), FastCgiConnection::State::Closed);
    }

    void aCloseWhileIdleWithNoRequestIsReported() {
        Pair pair;
        QVERIFY(pair.ok());
        FastCgiConnection &c = *pair.connection;
        QSignalSpy closed(&c, &FastCgiConnection::closed);
        pair.closePhp();
        QTRY_COMPARE(closed.count(), 1);
        QVERIFY(!c.isIdleAndAlive()); // the pool then opens a fresh one instead
        QCOMPARE(c.state(), FastCgiConnection::State::Closed);
    }

    void bytesWhileIdleClose() {
        Pair pair;
        QVERIFY(pair.ok());
        FastCgiConnection &c = *pair.connection;
        QSignalSpy closed(&c, &FastCgiConnection::closed);
        pair.send("unasked");
        QTRY_COMPARE(closed.count(), 1);
        QVERIFY(closed.at(0).at(0).toString().contains("unexpected bytes"));
        QVERIFY(!c.isIdleAndAlive());
        QCOMPARE(c.state(), FastCgiConnection::State::Closed);
    }

    void faults_data() {
        QTest::addColumn<QByteArray>("answer");
        QTest::addColumn<bool>("closeAfter");
        QTest::addColumn<PhpOutcome>("outcome");
        QTest::addColumn<QString>("errorContains");
        QTest::newRow("garbage") << QByteArray("HTTP/1.1 200 OK\r\n\r\n") << false
                                 << PhpOutcome::BadResponse << "malformed FastCGI record";
        QTest::newRow("close mid-reply")
            << reply("half").left(20) << true << PhpOutcome::BadResponse << "before END_REQUEST";
        QTest::newRow("overloaded")
            << endRequest(FastCgi::Overloaded) << false << PhpOutcome::Overloaded << "OVERLOADED";
        QTest::newRow("another request id") <<
            [] {
                QByteArray out;
                FastCgiCodec::appendStream(out, FastCgi::Stdout, 2, "x");
                return out;
            }() << false << PhpOutcome::BadResponse
                                            << "request id 2";
    }
    void faults() {
        QFETCH(QByteArray, answer);
        QFETCH(bool, closeAfter);
        QFETCH(PhpOutcome, outcome);
        QFETCH(QString, errorContains);
        Pair pair;
        QVERIFY(pair.ok());
        FastCgiConnection &c = *pair.connection;
        QSignalSpy finished(&c, &FastCgiConnection::finished);
        QVERIFY(c.start(request("x"), true));
        QVERIFY(pair.readRequest().complete);
        pair.send(answer);
        if (closeAfter)
            pair.closePhp();
        QTRY_COMPARE(finished.count(), 1);
        const PhpResponse r = c.takeResponse();
        QCOMPARE(r.outcome, outcome);
        QVERIFY2(r.error.contains(errorContains), qPrintable(r.error));
        QCOMPARE(c.state(), FastCgiConnection::State::Closed);
    }

    void bytesAfterEndRequestKeepTheReplyButNotTheConnection() {
        Pair pair;
        QVERIFY(pair.ok());
        FastCgiConnection &c = *pair.connection;
        QSignalSpy finished(&c, &FastCgiConnection::finished);
        QVERIFY(c.start(request("x"), true));
        QVERIFY(pair.readRequest().complete);
        pair.send(reply("fine") + "trailing");
        QTRY_COMPARE(finished.count(), 1);
        const PhpResponse r = c.takeResponse();
        QVERIFY2(r.outcome == PhpOutcome::Ok, qPrintable(r.error));
        QCOMPARE(r.body, QByteArray("fine"));
        QCOMPARE(c.state(), FastCgiConnection::State::Closed);
    }

    void aRequestThePeerNeverGotIsSafeToRetry() {
        Pair pair;
        QVERIFY(pair.ok());
        FastCgiConnection &c = *pair.connection;
        QSignalSpy finished(&c, &FastCgiConnection::finished);
        pair.closePhp();
        QVERIFY(c.start(request(pattern(8192)), true));
        QTRY_COMPARE(finished.count(), 1);
        const PhpResponse r = c.takeResponse();
        QCOMPARE(r.outcome, PhpOutcome::Unavailable);
        QVERIFY(!c.sentAnyBytes());
    }

    void replyOverTheCapFails() {
        Pair pair;
        QVERIFY(pair.ok());
        FastCgiConnection &c = *pair.connection;
        c.setMaxResponseBytes(1000);
        QSignalSpy finished(&c, &FastCgiConnection::finished);
        QVERIFY(c.start(request("x"), true));
        QVERIFY(pair.readRequest().complete);
        pair.send(reply(pattern(5000)));
        QTRY_COMPARE(finished.count(), 1);
        const PhpResponse r = c.takeResponse();
        QCOMPARE(r.outcome, PhpOutcome::BadResponse);
        QVERIFY2(r.error.contains("1000-byte response cap"), qPrintable(r.error));
    }

    void aBodyReadSlowlyKeepsMakingProgress() {
        // PHP-FPM taking a large body a little at a time: each step the kernel takes is
        // progress, so the pool's read timeout (measured from the last progress) does not fire
        // while the body is still moving.
        Pair pair;
        QVERIFY(pair.ok());
        FastCgiConnection &c = *pair.connection;
        const QByteArray body = pattern(4 * 1024 * 1024);
        QVERIFY(c.start(request(body), true));
        QElapsedTimer started;
        started.start();
        qint64 longestQuietMs = 0;
        qint64 received = 0;
        char chunk[32768];
        while (received < body.size() && started.elapsed() < 20000) {
            QTest::qWait(20);
            const ssize_t n = pair.recvSome(chunk, sizeof chunk);
            if (n > 0)
                received += n;
            QCoreApplication::processEvents(); // the stream refills what was taken
            if (received < body.size() * 3 / 4)
                longestQuietMs = std::max(longestQuietMs, c.msSinceProgress());
        }
        QVERIFY(received >= body.size());
        QVERIFY(started.elapsed() > 1000); // it really was slow: over a hundred steps
        QVERIFY2(longestQuietMs < 1000, qPrintable(QString::number(longestQuietMs)));
        QVERIFY(c.sentAnyBytes());
    }

    void connectUnixReportsWhyItCouldNot() {
        QVERIFY(!FdStream::connectUnix("/nonexistent-dir/php.sock"));
        QCOMPARE(errno, ENOENT);
        QVERIFY(!FdStream::connectUnix(QByteArray(200, 'x')));
        QCOMPARE(errno, ENAMETOOLONG);
    }
};

WSGATE_TEST_MAIN(TestFastCgiStream)
#include "tst_fastcgistream.moc"
