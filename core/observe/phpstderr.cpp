#include "phpstderr.h"

#include <QRegularExpression>
#include <QStringList>

#include <array>
#include <utility>

namespace {

// php-fpm prefixes each message it forwards with this, and joins messages with "; ".
constexpr QByteArrayView MessagePrefix = "PHP message: ";
constexpr QByteArrayView MessageSeparator = "; PHP message: ";
constexpr qsizetype LongestLabelChars = 40;

using Severity = PhpStderr::Severity;

// PHP's labels (main/main.c, php_error_cb); the E_USER_* levels share them.
constexpr std::array<std::pair<QByteArrayView, Severity>, 11> Labels = {{
    {"PHP Fatal error:", Severity::Error},
    {"PHP Parse error:", Severity::Error},
    {"PHP Recoverable fatal error:", Severity::Error},
    {"PHP Core error:", Severity::Error},
    {"PHP Compile error:", Severity::Error},
    {"PHP Warning:", Severity::Warning},
    {"PHP Core warning:", Severity::Warning},
    {"PHP Compile warning:", Severity::Warning},
    {"PHP Notice:", Severity::Notice},
    {"PHP Deprecated:", Severity::Deprecated},
    {"PHP Strict Standards:", Severity::Deprecated},
}};

Severity labelAt(QByteArrayView data, qsizetype at) {
    const QByteArrayView rest = data.sliced(at);
    for (const auto &[label, severity] : Labels) {
        if (rest.startsWith(label))
            return severity;
    }
    return Severity::None;
}

/// A stack trace's lines and PHP's "  thrown in" belong to the message above them.
bool continuesMessage(QStringView line) {
    return line.isEmpty() || line.front().isSpace() || line.startsWith(u"Stack trace:") ||
           line.startsWith(u"PHP Stack trace:") ||
           (line.startsWith(u'#') && line.size() > 1 && line.at(1).isDigit()) ||
           (line.startsWith(u"PHP ") && line.size() > 4 && line.at(4).isDigit());
}

PhpStderr::Message makeMessage(const QString &text, bool withLocations) {
    PhpStderr::Message m;
    m.text = text;
    m.severity = PhpStderr::severityOf(text);
    if (withLocations)
        m.locations = PhpStderr::locations(text);
    return m;
}

} // namespace

PhpStderr::Severity PhpStderr::severityOf(QStringView text) {
    const QByteArray head = text.left(LongestLabelChars).toLatin1();
    const Severity s = labelAt(head, 0);
    return s == Severity::None ? Severity::Log : s;
}

PhpStderr::Severity PhpStderr::worst(QByteArrayView data) {
    if (data.isEmpty())
        return Severity::None;
    Severity worst = Severity::Log;
    // A label counts where a message starts: at the start, after php-fpm's prefix, or at the
    // start of a line (php-cgi ends each message with a newline instead of prefixing it).
    for (qsizetype at = data.indexOf("PHP "); at >= 0; at = data.indexOf("PHP ", at + 4)) {
        const bool starts = at == 0 || data.at(at - 1) == '\n' ||
                            (at >= MessagePrefix.size() &&
                             data.sliced(at - MessagePrefix.size()).startsWith(MessagePrefix));
        if (!starts)
            continue;
        const Severity s = labelAt(data, at);
        if (s > worst)
            worst = s;
        if (worst == Severity::Error)
            break;
    }
    return worst;
}

QList<PhpStderr::Message> PhpStderr::split(const QByteArray &data, bool withLocations) {
    QList<Message> out;
    if (data.isEmpty())
        return out;
    QByteArrayView rest(data);
    if (rest.startsWith(MessagePrefix)) {
        // php-fpm: "PHP message: A; PHP message: B"; one message may span lines.
        rest = rest.sliced(MessagePrefix.size());
        while (true) {
            const qsizetype sep = rest.indexOf(MessageSeparator);
            const QString text = QString::fromUtf8(sep < 0 ? rest : rest.first(sep)).trimmed();
            if (!text.isEmpty())
                out.append(makeMessage(text, withLocations));
            if (sep < 0)
                break;
            rest = rest.sliced(sep + MessageSeparator.size());
        }
        return out;
    }
    // php-cgi and others: a message per line, a stack trace's lines after their message.
    QString current;
    const QStringList lines = QString::fromUtf8(data).split(QLatin1Char('\n'));
    for (const QString &raw : lines) {
        const QString line = raw.endsWith(QLatin1Char('\r')) ? raw.chopped(1) : raw;
        if (!current.isEmpty() && continuesMessage(line)) {
            current += QLatin1Char('\n') + line;
            continue;
        }
        if (!current.trimmed().isEmpty())
            out.append(makeMessage(current.trimmed(), withLocations));
        current = line;
    }
    if (!current.trimmed().isEmpty())
        out.append(makeMessage(current.trimmed(), withLocations));
    return out;
}

QString PhpStderr::severityName(Severity severity) {
    switch (severity) {
    case Severity::None:
        return {};
    case Severity::Log:
        return QStringLiteral("log");
    case Severity::Deprecated:
        return QStringLiteral("deprecated");
    case Severity::Notice:
        return QStringLiteral("notice");
    case Severity::Warning:
        return QStringLiteral("warning");
    case Severity::Error:
        return QStringLiteral("error");
    }
    return {};
}

QList<PhpStderr::Location> PhpStderr::locations(const QString &text) {
    // "in /app/x.php on line 12", "/app/x.php:12" (uncaught exceptions), "#0 /app/x.php(12):"
    // (stack traces). A path is absolute (not inside a URL) and ends in a PHP extension, so
    // URLs and times ("12:30") are not taken for one.
    static const QRegularExpression re(QString::fromLatin1(
        R"re((?<![\w/:.])(/[^\s:()"']+\.(?:php\d?|phtml|inc))(?: on line (\d+)|:(\d+)|\((\d+)\)))re"));
    QList<Location> out;
    auto it = re.globalMatch(text);
    while (it.hasNext()) {
        const QRegularExpressionMatch m = it.next();
        Location l;
        l.file = m.captured(1);
        for (int group = 2; group <= 4; ++group) {
            if (m.capturedLength(group) > 0)
                l.line = m.captured(group).toInt();
        }
        l.start = m.capturedStart(0);
        l.length = m.capturedLength(0);
        out.append(l);
    }
    return out;
}
