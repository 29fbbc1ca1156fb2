// PhpStderr: php-fpm's STDERR stream split into messages with severities and file:line links.

#include "observe/phpstderr.h"
#include "testmain.h"

#include <QTest>

using Severity = PhpStderr::Severity;
Q_DECLARE_METATYPE(PhpStderr::Severity)

namespace {

// What php-fpm 8.2 sent for tests/php-like code (captured from a real worker): six messages,
// one stream, "; PHP message: " between them; the last one has a stack trace.
const QByteArray FpmStream =
    "PHP message: plain line one; PHP message: PHP Warning:  a warning in /tmp/t.php on line 3; "
    "PHP message: PHP Warning:  Undefined variable $undefinedvar in /tmp/t.php on line 4; "
    "PHP message: PHP Deprecated:  deprecated thing in /tmp/t.php on line 5; PHP message: PHP "
    "Notice:  a notice in /tmp/t.php on line 6; PHP message: multi\nline; PHP message: PHP Fatal "
    "error:  Uncaught RuntimeException: boom in /tmp/t.php:8\nStack trace:\n#0 /tmp/t.php(9): "
    "f()\n#1 {main}\n  thrown in /tmp/t.php on line 8";

} // namespace

class TestPhpStderr final : public QObject {
    Q_OBJECT
private slots:
    void splitsFpmStream() {
        const QList<PhpStderr::Message> m = PhpStderr::split(FpmStream);
        QCOMPARE(m.size(), 7);
        const QList<Severity> severities = {
            Severity::Log,    Severity::Warning, Severity::Warning, Severity::Deprecated,
            Severity::Notice, Severity::Log,     Severity::Error};
        for (int i = 0; i < m.size(); ++i)
            QCOMPARE(m.at(i).severity, severities.at(i));
        QCOMPARE(m.at(0).text, QStringLiteral("plain line one"));
        QCOMPARE(m.at(1).text, QStringLiteral("PHP Warning:  a warning in /tmp/t.php on line 3"));
        QCOMPARE(m.at(5).text, QStringLiteral("multi\nline"));
        QVERIFY(m.at(6).text.startsWith(QStringLiteral("PHP Fatal error:  Uncaught")));
        QVERIFY(m.at(6).text.endsWith(QStringLiteral("thrown in /tmp/t.php on line 8")));
        QCOMPARE(PhpStderr::worst(FpmStream), Severity::Error);
    }

    void splitsLines_data() {
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<int>("count");
        QTest::addColumn<Severity>("first");
        QTest::addColumn<Severity>("worst");
        QTest::newRow("empty") << QByteArray() << 0 << Severity::None << Severity::None;
        QTest::newRow("one error_log line")
            << QByteArray("PHP message: ui_echo: 13 bytes") << 1 << Severity::Log << Severity::Log;
        QTest::newRow("parse error") << QByteArray("PHP message: PHP Parse error:  syntax error, "
                                                   "unexpected token in /a.php on line 3")
                                     << 1 << Severity::Error << Severity::Error;
        QTest::newRow("recoverable fatal")
            << QByteArray("PHP message: PHP Recoverable fatal error:  x in /a.php on line 1") << 1
            << Severity::Error << Severity::Error;
        QTest::newRow("strict is deprecated-level")
            << QByteArray("PHP message: PHP Strict Standards:  x") << 1 << Severity::Deprecated
            << Severity::Deprecated;
        QTest::newRow("php-cgi: one per line")
            << QByteArray("PHP Notice:  n in /a.php on line 1\nPHP Warning:  w in /a.php on line "
                          "2\nplain\n")
            << 3 << Severity::Notice << Severity::Warning;
        QTest::newRow("php-cgi: trace stays with its message")
            << QByteArray("PHP Fatal error:  Uncaught E in /a.php:3\nStack trace:\n#0 {main}\n  "
                          "thrown in /a.php on line 3\nafter")
            << 2 << Severity::Error << Severity::Error;
        QTest::newRow("a label inside a message is not one")
            << QByteArray("PHP message: user said PHP Fatal error: fake") << 1 << Severity::Log
            << Severity::Log;
        QTest::newRow("trailing separator")
            << QByteArray("PHP message: a; PHP message: ") << 1 << Severity::Log << Severity::Log;
    }
    void splitsLines() {
        QFETCH(QByteArray, data);
        QFETCH(int, count);
        QFETCH(Severity, first);
        QFETCH(Severity, worst);
        const QList<PhpStderr::Message> m = PhpStderr::split(data);
        QCOMPARE(m.size(), count);
        if (count > 0)
            QCOMPARE(m.at(0).severity, first);
        QCOMPARE(PhpStderr::worst(data), worst);
    }

    void locations_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QStringList>("files");
        QTest::addColumn<QList<int>>("lines");
        QTest::newRow("diagnostic")
            << QStringLiteral("PHP Warning:  w in /srv/app/x.php on line 12")
            << QStringList{QStringLiteral("/srv/app/x.php")} << QList<int>{12};
        QTest::newRow("uncaught and trace")
            << QStringLiteral("PHP Fatal error:  Uncaught E: boom in /a/b.php:8\nStack trace:\n#0 "
                              "/a/c.php(9): f()\n#1 {main}\n  thrown in /a/b.php on line 8")
            << QStringList{QStringLiteral("/a/b.php"), QStringLiteral("/a/c.php"),
                           QStringLiteral("/a/b.php")}
            << QList<int>{8, 9, 8};
        QTest::newRow("no path") << QStringLiteral("at 12:30 in main") << QStringList{}
                                 << QList<int>{};
        QTest::newRow("url is not a file")
            << QStringLiteral("see https://x.org/a.php:80") << QStringList{} << QList<int>{};
        QTest::newRow("phtml template")
            << QStringLiteral("in /v/t.phtml on line 4")
            << QStringList{QStringLiteral("/v/t.phtml")} << QList<int>{4};
    }
    void locations() {
        QFETCH(QString, text);
        QFETCH(QStringList, files);
        QFETCH(QList<int>, lines);
        const QList<PhpStderr::Location> l = PhpStderr::locations(text);
        QCOMPARE(l.size(), files.size());
        for (int i = 0; i < l.size(); ++i) {
            QCOMPARE(l.at(i).file, files.at(i));
            QCOMPARE(l.at(i).line, lines.at(i));
            // start/length cover the reference itself.
            QVERIFY(text.mid(l.at(i).start, l.at(i).length).startsWith(files.at(i)));
            QVERIFY(text.mid(l.at(i).start, l.at(i).length).contains(QString::number(lines.at(i))));
        }
    }

    void messageLocationsAreFilled() {
        const QList<PhpStderr::Message> m = PhpStderr::split(FpmStream);
        QCOMPARE(m.at(0).locations.size(), 0);
        QCOMPARE(m.at(1).locations.size(), 1);
        QCOMPARE(m.at(1).locations.at(0).line, 3);
        QCOMPARE(m.at(6).locations.size(), 3);
    }
};

WSGATE_TEST_MAIN(TestPhpStderr)
#include "tst_phpstderr.moc"
