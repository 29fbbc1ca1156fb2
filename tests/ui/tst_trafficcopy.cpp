// The command lines the traffic view copies, checked as the shell reads them: each command runs
// under bash with curl/websocat replaced by a function that prints its arguments.

#include "trafficcopy.h"

#include <QProcess>
#include <QTest>

namespace {

/// The words bash passes to the command `line` runs, one per element; `env` adds variables.
QStringList shellWords(const QString &line, const QString &program, const QStringList &env = {}) {
    QProcess bash;
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    e.remove(QStringLiteral("WSGATE_PUSH_TOKEN"));
    for (const QString &kv : env)
        e.insert(kv.section(QLatin1Char('='), 0, 0), kv.section(QLatin1Char('='), 1));
    bash.setProcessEnvironment(e);
    const QString script = program + QStringLiteral("() { printf '%s\\n' \"$@\"; }; ") + line;
    bash.start(QStringLiteral("bash"), {QStringLiteral("-c"), script});
    if (!bash.waitForFinished(10000) || bash.exitCode() != 0)
        return {QStringLiteral("bash failed: ") + QString::fromUtf8(bash.readAllStandardError())};
    QString out = QString::fromUtf8(bash.readAllStandardOutput());
    out.chop(1); // the last newline
    return out.split(QLatin1Char('\n'));
}

} // namespace

class TestTrafficCopy : public QObject {
    Q_OBJECT
private slots:
    void curlForEachTarget_data();
    void curlForEachTarget();
    void curlRefusesWhatItCannotWrite_data();
    void curlRefusesWhatItCannotWrite();
    void curlTakesTheTokenFromTheEnvironment();
    void websocatQuotesTheMessage();
};

void TestTrafficCopy::curlForEachTarget_data() {
    QTest::addColumn<QString>("summary");
    QTest::addColumn<QStringList>("words");
    const QString url = QStringLiteral("http://127.0.0.1:8081");
    QTest::newRow("client") << QStringLiteral("to client 3f2a: delivered 1 of 1")
                            << QStringList{"-sS",
                                           "--data-urlencode",
                                           "client_id=3f2a",
                                           "--data-urlencode",
                                           "message=it's \"here\"",
                                           url + "/send"};
    QTest::newRow("user") << QStringLiteral("to user alice: delivered 2 of 2")
                          << QStringList{"-sS",
                                         "--data-urlencode",
                                         "user=alice",
                                         "--data-urlencode",
                                         "message=it's \"here\"",
                                         url + "/send"};
    QTest::newRow("group with a space")
        << QStringLiteral("to group the lobby: delivered 0 of 0, sent to 1 other nodes")
        << QStringList{"-sS",
                       "--data-urlencode",
                       "group=the lobby",
                       "--data-urlencode",
                       "message=it's \"here\"",
                       url + "/send"};
    QTest::newRow("everyone") << QStringLiteral("to everyone: delivered 5 of 5")
                              << QStringList{"-sS", "--data-urlencode", "message=it's \"here\"",
                                             url + "/broadcast"};
}

void TestTrafficCopy::curlForEachTarget() {
    QFETCH(QString, summary);
    QFETCH(QStringList, words);
    const QString line = TrafficCopy::curlCommand(QStringLiteral("http://127.0.0.1:8081"), summary,
                                                  "it's \"here\"", false);
    QVERIFY(!line.isEmpty());
    QCOMPARE(shellWords(line, QStringLiteral("curl")), words);
}

void TestTrafficCopy::curlRefusesWhatItCannotWrite_data() {
    QTest::addColumn<QString>("summary");
    QTest::addColumn<bool>("binary");
    QTest::newRow("binary") << QStringLiteral("to client 3f2a: delivered 1 of 1") << true;
    QTest::newRow("not a push summary") << QStringLiteral("closed 1000") << false;
    QTest::newRow("unknown kind") << QStringLiteral("to room x: delivered 1 of 1") << false;
    QTest::newRow("no name") << QStringLiteral("to user : delivered 0 of 0") << false;
}

void TestTrafficCopy::curlRefusesWhatItCannotWrite() {
    QFETCH(QString, summary);
    QFETCH(bool, binary);
    QCOMPARE(
        TrafficCopy::curlCommand(QStringLiteral("http://127.0.0.1:8081"), summary, "x", binary),
        QString());
}

void TestTrafficCopy::curlTakesTheTokenFromTheEnvironment() {
    const QString line =
        TrafficCopy::curlCommand(QStringLiteral("https://gw.example:8443"),
                                 QStringLiteral("to everyone: delivered 1 of 1"), "hi", false);
    QVERIFY(!line.contains(QLatin1String("s3cret")));
    QCOMPARE(shellWords(line, QStringLiteral("curl"), {QStringLiteral("WSGATE_PUSH_TOKEN=s3cret")}),
             (QStringList{"-sS", "-H", "Authorization: Bearer s3cret", "--data-urlencode",
                          "message=hi", "https://gw.example:8443/broadcast"}));
}

void TestTrafficCopy::websocatQuotesTheMessage() {
    const QString line = TrafficCopy::websocatCommand(QStringLiteral("ws://127.0.0.1:8080/ws"),
                                                      "a 'b' $HOME", false);
    // printf runs for real; websocat is the function: the message reaches its stdin intact.
    const QString script =
        QStringLiteral("websocat() { printf '%s|' \"$@\"; tr '\\0' '#'; }; ") + line;
    QProcess bash;
    bash.start(QStringLiteral("bash"), {QStringLiteral("-c"), script});
    QVERIFY(bash.waitForFinished(10000));
    QCOMPARE(QString::fromUtf8(bash.readAllStandardOutput()),
             QStringLiteral("-0|-1|ws://127.0.0.1:8080/ws|a 'b' $HOME#"));
}

QTEST_GUILESS_MAIN(TestTrafficCopy)
#include "tst_trafficcopy.moc"
