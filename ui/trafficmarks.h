#pragma once

#include "observe/phpstderr.h"
#include "observe/trafficentry.h"

#include <QString>

/// What a traffic row says about PHP at a glance: a failure, warnings in its STDERR, or
/// nothing. The model's marks, the filters, "next error" and the detail pane's headline use
/// these same rules. Pure, no widgets.
class TrafficMarks final {
public:
    enum class Mark { None, Warning, Error };

    /// Error: an error row, a failed exchange, or an error in STDERR; Warning: a warning,
    /// notice or deprecation in STDERR of an exchange that otherwise went well.
    static Mark mark(const TrafficEntry &entry);
    /// Outcome not ok, or a status outside 2xx.
    static bool isFailedExchange(const PhpExchange &exchange);
    /// What "Errors only" and F8 stop at: Mark::Error rows, and 2xx replies whose STDERR has a
    /// warning or an error in it.
    static bool isProblem(const TrafficEntry &entry);
    /// Any PHP diagnostic (deprecated and up) in STDERR: the "Warnings" filter.
    static bool hasWarnings(const TrafficEntry &entry);
    /// The heaviest severity in the row's STDERR (a PHP row's; a PHP-FPM log row's body).
    static PhpStderr::Severity stderrSeverity(const TrafficEntry &entry);
    /// "PHP: ok, status 200 OK", "PHP: php_timeout: PHP did not answer…", "PHP: status 500
    /// Internal Server Error"; plain text.
    static QString phpHeadline(const PhpExchange &exchange);
    /// "2 warnings, 1 notice" for the row's STDERR; empty when it has no diagnostics.
    static QString stderrCounts(const QByteArray &stderrData);
};
