#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

/// PHP's STDERR for one request, split into its messages: php-fpm sends them as one stream,
/// each starting "PHP message: " and joined by "; ", and every PHP diagnostic names its
/// severity ("PHP Warning:  … in /app/x.php on line 3"). Pure; no allocation in worst().
class PhpStderr final {
public:
    /// Ordered by weight: worst() compares them. Log is a plain error_log() line.
    enum class Severity { None, Log, Deprecated, Notice, Warning, Error };

    /// A `file:line` the text names (a diagnostic's "in F on line L", a trace's "F(L)" or
    /// "F:L"); start and length are the characters of the reference inside Message::text.
    struct Location {
        QString file;
        int line = 0;
        qsizetype start = 0;
        qsizetype length = 0;
        bool operator==(const Location &o) const {
            return file == o.file && line == o.line && start == o.start && length == o.length;
        }
    };
    struct Message {
        Severity severity = Severity::Log;
        QString text; // without the "PHP message: " prefix; multi-line for stack traces
        QList<Location> locations;
    };

    /// Every message, in order; empty input gives none. Without `withLocations` the messages'
    /// locations stay empty (a table's summary column needs only the text).
    static QList<Message> split(const QByteArray &stderrData, bool withLocations = true);
    /// The heaviest severity in `stderrData` (None when empty), by scanning for the
    /// diagnostics' prefixes without splitting: cheap enough for every row of a filter.
    static Severity worst(QByteArrayView stderrData);
    /// The severity of one message's text ("PHP Fatal error:  …" is Error).
    static Severity severityOf(QStringView text);
    /// "error", "warning", "notice", "deprecated", "log" (none: empty).
    static QString severityName(Severity severity);
    /// The file:line references in `text`.
    static QList<Location> locations(const QString &text);
};
