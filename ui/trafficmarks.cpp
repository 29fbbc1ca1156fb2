#include "trafficmarks.h"

#include "http/httpresponse.h"

#include <QCoreApplication>
#include <QStringList>

#include <array>

namespace {

using Severity = PhpStderr::Severity;

bool outcomeOk(const PhpExchange &x) {
    return x.outcome.isEmpty() || x.outcome == QLatin1String("ok");
}

} // namespace

bool TrafficMarks::isFailedExchange(const PhpExchange &x) {
    return !outcomeOk(x) || x.status < 200 || x.status > 299;
}

PhpStderr::Severity TrafficMarks::stderrSeverity(const TrafficEntry &e) {
    if (e.php)
        return PhpStderr::worst(e.php->stderrData);
    if (e.kind == TrafficEntry::Kind::PhpLog)
        return PhpStderr::worst(e.body);
    return Severity::None;
}

TrafficMarks::Mark TrafficMarks::mark(const TrafficEntry &e) {
    if (e.isError)
        return Mark::Error;
    if (e.php && isFailedExchange(*e.php))
        return Mark::Error;
    const Severity s = stderrSeverity(e);
    if (s == Severity::Error)
        return Mark::Error;
    return s >= Severity::Deprecated ? Mark::Warning : Mark::None;
}

bool TrafficMarks::isProblem(const TrafficEntry &e) {
    return mark(e) == Mark::Error || stderrSeverity(e) >= Severity::Warning;
}

bool TrafficMarks::hasWarnings(const TrafficEntry &e) {
    return stderrSeverity(e) >= Severity::Deprecated;
}

QString TrafficMarks::phpHeadline(const PhpExchange &x) {
    if (!outcomeOk(x))
        return x.error.isEmpty() ? QStringLiteral("PHP: %1").arg(x.outcome)
                                 : QStringLiteral("PHP: %1: %2").arg(x.outcome, x.error);
    const QString reason = QString::fromLatin1(HttpResponse::reasonPhrase(x.status));
    const QString status = reason.isEmpty() ? QString::number(x.status)
                                            : QStringLiteral("%1 %2").arg(x.status).arg(reason);
    if (x.status < 200 || x.status > 299)
        return QStringLiteral("PHP: status %1").arg(status);
    return QStringLiteral("PHP: ok, status %1").arg(status);
}

QString TrafficMarks::stderrCounts(const QByteArray &stderrData) {
    if (stderrData.isEmpty())
        return {};
    std::array<int, 6> counts{};
    for (const PhpStderr::Message &m : PhpStderr::split(stderrData))
        ++counts[size_t(m.severity)];
    QStringList parts;
    const auto add = [&parts, &counts](Severity s, const char *one, const char *many) {
        const int n = counts[size_t(s)];
        if (n > 0)
            parts << (n == 1 ? QCoreApplication::translate("TrafficMarks", one)
                             : QCoreApplication::translate("TrafficMarks", many).arg(n));
    };
    add(Severity::Error, "1 error", "%1 errors");
    add(Severity::Warning, "1 warning", "%1 warnings");
    add(Severity::Notice, "1 notice", "%1 notices");
    add(Severity::Deprecated, "1 deprecation", "%1 deprecations");
    return parts.join(QStringLiteral(", "));
}
