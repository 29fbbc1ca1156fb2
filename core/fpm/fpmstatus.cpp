#include "fpmstatus.h"

#include "fpmjsonrepairer.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QJsonValue>
#include <QList>
#include <QLocale>

#include <cctype>
#include <cmath>
#include <limits>

namespace {
// A status page of a pool with pm.max_children = 1000 and long URIs stays well below this; more
// is not a status page, and the scanner must not recurse or copy without bound.
constexpr qsizetype MaxBodyBytes = 16 * 1024 * 1024;

// FPM prints these in both formats; the plain-text page spells "request URI" in capitals.
constexpr const char *MandatoryPoolKeys[] = {
    "pool",           "process manager",  "accepted conn",
    "idle processes", "active processes", "total processes"};

// The last field FPM prints per worker: a worker block without it was cut off.
constexpr const char *LastProcessKey = "last request memory";

// A JSON number as qint64. Casting a double outside qint64's range is undefined, and a garbled
// page can hold any number: out-of-range values saturate, NaN is 0. Whole numbers Qt kept as
// integers come back exactly, also beyond 2^53 (so our own toJson() reads back unchanged).
qint64 fromNumber(const QJsonValue &v) {
    constexpr double TwoTo63 = 9223372036854775808.0;
    const double d = v.toDouble();
    if (std::isnan(d))
        return 0;
    if (d >= TwoTo63)
        return v.toInteger(std::numeric_limits<qint64>::max());
    if (d < -TwoTo63)
        return std::numeric_limits<qint64>::min();
    return v.toInteger(static_cast<qint64>(d));
}

qint64 toInt(const QJsonValue &v) {
    if (v.isDouble())
        return fromNumber(v);
    return v.toString().trimmed().toLongLong();
}

double toReal(const QJsonValue &v) {
    if (v.isDouble())
        return v.toDouble();
    return v.toString().trimmed().toDouble();
}

QString toText(const QJsonValue &v) {
    if (v.isString())
        return v.toString();
    if (v.isDouble())
        return QString::number(v.toDouble());
    return {};
}

// FPM's own spelling, strftime's "%d/%b/%Y:%H:%M:%S %z" ("21/Nov/2026:22:26:36 +0000"), read by
// hand: Qt's date parser costs tens of microseconds a call, and through local time a stat() of
// /etc/localtime, which made the text page of a large pool (one date per worker) slow to read.
// Anything else, also an impossible date, is left to Qt below (nullopt).
std::optional<qint64> fpmTime(const QString &t) {
    if (t.size() != 26 || t.at(2) != QLatin1Char('/') || t.at(6) != QLatin1Char('/') ||
        t.at(11) != QLatin1Char(':') || t.at(14) != QLatin1Char(':') ||
        t.at(17) != QLatin1Char(':') || t.at(20) != QLatin1Char(' ') ||
        (t.at(21) != QLatin1Char('+') && t.at(21) != QLatin1Char('-')))
        return std::nullopt;
    for (const int i : {0, 1, 7, 8, 9, 10, 12, 13, 15, 16, 18, 19, 22, 23, 24, 25}) {
        if (t.at(i) < QLatin1Char('0') || t.at(i) > QLatin1Char('9'))
            return std::nullopt;
    }
    const auto number = [&](int from, int count) {
        int n = 0;
        for (int i = from; i < from + count; ++i)
            n = n * 10 + (t.at(i).unicode() - u'0');
        return n;
    };
    static const QLatin1String Months("JanFebMarAprMayJunJulAugSepOctNovDec");
    int month = 0;
    for (int m = 0; m < 12 && !month; ++m) {
        if (QStringView(t).mid(3, 3) == Months.mid(m * 3, 3))
            month = m + 1;
    }
    const QDate date(number(7, 4), month, number(0, 2));
    const QTime time(number(12, 2), number(15, 2), number(18, 2));
    if (!date.isValid() || !time.isValid())
        return std::nullopt;
    const int offsetSec = number(22, 2) * 3600 + number(24, 2) * 60;
    const int sign = t.at(21) == QLatin1Char('-') ? -1 : 1;
    return QDateTime(date, time, Qt::UTC).toSecsSinceEpoch() - sign * offsetSec;
}

// JSON gives unix seconds; the plain-text page gives "21/Nov/2026:22:26:36 +0000".
qint64 toUnixTime(const QJsonValue &v) {
    if (v.isDouble())
        return fromNumber(v);
    const QString text = v.toString().trimmed();
    bool isNumber = false;
    const qint64 number = text.toLongLong(&isNumber);
    if (isNumber)
        return number;
    if (const std::optional<qint64> fpm = fpmTime(text))
        return *fpm;
    const QDateTime dt = QLocale::c().toDateTime(text, QStringLiteral("dd/MMM/yyyy:HH:mm:ss t"));
    if (dt.isValid())
        return dt.toSecsSinceEpoch();
    // Qt's "t" does not take every offset spelling: read the numeric offset by hand.
    const int space = text.lastIndexOf(QLatin1Char(' '));
    if (space < 0)
        return 0;
    QDateTime local =
        QLocale::c().toDateTime(text.left(space), QStringLiteral("dd/MMM/yyyy:HH:mm:ss"));
    const QString offset = text.mid(space + 1);
    if (!local.isValid() || offset.size() != 5)
        return 0;
    const int sign = offset.at(0) == QLatin1Char('-') ? -1 : 1;
    const int offsetSec = sign * (offset.mid(1, 2).toInt() * 3600 + offset.mid(3, 2).toInt() * 60);
    local.setTimeSpec(Qt::UTC);
    return local.toSecsSinceEpoch() - offsetSec;
}

bool assignPoolField(FpmStatus &s, const QString &key, const QJsonValue &v) {
    if (key == QLatin1String("pool"))
        s.pool = toText(v);
    else if (key == QLatin1String("process manager"))
        s.processManager = toText(v);
    else if (key == QLatin1String("start time"))
        s.startTime = toUnixTime(v);
    else if (key == QLatin1String("start since"))
        s.startSinceSec = toInt(v);
    else if (key == QLatin1String("accepted conn"))
        s.acceptedConn = toInt(v);
    else if (key == QLatin1String("listen queue"))
        s.listenQueue = toInt(v);
    else if (key == QLatin1String("max listen queue"))
        s.maxListenQueue = toInt(v);
    else if (key == QLatin1String("listen queue len"))
        s.listenQueueLen = toInt(v);
    else if (key == QLatin1String("idle processes"))
        s.idleProcesses = toInt(v);
    else if (key == QLatin1String("active processes"))
        s.activeProcesses = toInt(v);
    else if (key == QLatin1String("total processes"))
        s.totalProcesses = toInt(v);
    else if (key == QLatin1String("max active processes"))
        s.maxActiveProcesses = toInt(v);
    else if (key == QLatin1String("max children reached"))
        s.maxChildrenReached = toInt(v);
    else if (key == QLatin1String("slow requests"))
        s.slowRequests = toInt(v);
    else if (key == QLatin1String("memory peak"))
        s.memoryPeakBytes = toInt(v);
    else
        return false;
    return true;
}

bool assignProcessField(FpmStatus::Process &p, const QString &key, const QJsonValue &v) {
    if (key == QLatin1String("pid"))
        p.pid = toInt(v);
    else if (key == QLatin1String("state"))
        p.state = toText(v);
    else if (key == QLatin1String("start time"))
        p.startTime = toUnixTime(v);
    else if (key == QLatin1String("start since"))
        p.startSinceSec = toInt(v);
    else if (key == QLatin1String("requests"))
        p.requests = toInt(v);
    else if (key == QLatin1String("request duration"))
        p.requestDurationUs = toInt(v);
    else if (key == QLatin1String("request method"))
        p.requestMethod = toText(v);
    else if (key == QLatin1String("request uri"))
        p.requestUri = toText(v);
    else if (key == QLatin1String("content length"))
        p.contentLength = toInt(v);
    else if (key == QLatin1String("user"))
        p.user = toText(v);
    else if (key == QLatin1String("script"))
        p.script = toText(v);
    else if (key == QLatin1String("last request cpu"))
        p.lastRequestCpuPercent = toReal(v);
    else if (key == QLatin1String("last request memory"))
        p.lastRequestMemoryBytes = toInt(v);
    else
        return false;
    return true;
}

template <typename T> std::optional<T> fail(QString *error, const QString &message) {
    if (error)
        *error = message;
    return std::nullopt;
}

QString missingMandatoryKey(const QStringList &seen) {
    for (const char *key : MandatoryPoolKeys) {
        if (!seen.contains(QLatin1String(key)))
            return QLatin1String(key);
    }
    return {};
}

std::optional<FpmStatus> fromObject(const QJsonObject &root, bool truncated, QString *error) {
    FpmStatus s;
    QStringList seen;
    for (auto it = root.constBegin(); it != root.constEnd(); ++it) {
        if (assignPoolField(s, it.key(), it.value()))
            seen.append(it.key());
    }
    const QString missing = missingMandatoryKey(seen);
    if (!missing.isEmpty()) {
        return fail<FpmStatus>(
            error, truncated ? QStringLiteral("php-fpm status cut off before \"%1\"").arg(missing)
                             : QStringLiteral("not a php-fpm status page: no \"%1\"").arg(missing));
    }
    const QJsonValue processes = root.value(QLatin1String("processes"));
    if (processes.isArray()) {
        s.hasProcesses = true;
        for (const QJsonValue &pv : processes.toArray()) {
            const QJsonObject po = pv.toObject();
            if (!po.contains(QLatin1String("pid")))
                continue;
            FpmStatus::Process p;
            for (auto it = po.constBegin(); it != po.constEnd(); ++it)
                assignProcessField(p, it.key(), it.value());
            s.processes.append(p);
        }
    }
    return s;
}

std::optional<FpmStatus> fromRepaired(const QByteArray &json, FpmStatus::Quality q,
                                      FpmStatus::Quality *quality, QString *error) {
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        return fail<FpmStatus>(
            error,
            QStringLiteral("php-fpm status is invalid JSON: %1").arg(parseError.errorString()));
    }
    if (!doc.isObject())
        return fail<FpmStatus>(error, QStringLiteral("not a php-fpm status page: no object"));
    auto status = fromObject(doc.object(), q == FpmStatus::Quality::Truncated, error);
    if (status && quality)
        *quality = q;
    return status;
}

} // namespace

QJsonObject FpmStatus::Process::toJson() const {
    QJsonObject o;
    o.insert(QLatin1String("pid"), pid);
    o.insert(QLatin1String("state"), state);
    o.insert(QLatin1String("start time"), startTime);
    o.insert(QLatin1String("start since"), startSinceSec);
    o.insert(QLatin1String("requests"), requests);
    o.insert(QLatin1String("request duration"), requestDurationUs);
    o.insert(QLatin1String("request method"), requestMethod);
    o.insert(QLatin1String("request uri"), requestUri);
    o.insert(QLatin1String("content length"), contentLength);
    o.insert(QLatin1String("user"), user);
    o.insert(QLatin1String("script"), script);
    o.insert(QLatin1String("last request cpu"), lastRequestCpuPercent);
    o.insert(QLatin1String("last request memory"), lastRequestMemoryBytes);
    return o;
}

QJsonObject FpmStatus::toJson() const {
    QJsonObject o;
    o.insert(QLatin1String("pool"), pool);
    o.insert(QLatin1String("process manager"), processManager);
    o.insert(QLatin1String("start time"), startTime);
    o.insert(QLatin1String("start since"), startSinceSec);
    o.insert(QLatin1String("accepted conn"), acceptedConn);
    o.insert(QLatin1String("listen queue"), listenQueue);
    o.insert(QLatin1String("max listen queue"), maxListenQueue);
    o.insert(QLatin1String("listen queue len"), listenQueueLen);
    o.insert(QLatin1String("idle processes"), idleProcesses);
    o.insert(QLatin1String("active processes"), activeProcesses);
    o.insert(QLatin1String("total processes"), totalProcesses);
    o.insert(QLatin1String("max active processes"), maxActiveProcesses);
    o.insert(QLatin1String("max children reached"), maxChildrenReached);
    o.insert(QLatin1String("slow requests"), slowRequests);
    if (memoryPeakBytes)
        o.insert(QLatin1String("memory peak"), *memoryPeakBytes);
    if (reportedActiveProcesses) {
        // Not FPM keys: what its counters said before countFromProcesses() corrected them.
        o.insert(QLatin1String("reported active processes"), *reportedActiveProcesses);
        o.insert(QLatin1String("reported idle processes"), reportedIdleProcesses.value_or(0));
        o.insert(QLatin1String("reported total processes"), reportedTotalProcesses.value_or(0));
    }
    if (hasProcesses) {
        QJsonArray list;
        for (const Process &p : processes)
            list.append(p.toJson());
        o.insert(QLatin1String("processes"), list);
    }
    return o;
}

std::optional<FpmStatus> FpmStatus::fromJson(const QByteArray &body, Quality *quality,
                                             QString *error) {
    if (body.size() > MaxBodyBytes)
        return fail<FpmStatus>(
            error, QStringLiteral("php-fpm status larger than %1 bytes").arg(MaxBodyBytes));
    // Always through the repairer: Qt's parser is lenient in its own way (it drops the backslash
    // of an unknown escape such as a raw "C:\dir"), which would lose bytes without a trace.
    // Valid JSON in any key order passes the strict pass unchanged. Anything else gets a generic
    // pass and one that knows FPM's field order, which places raw quotes exactly.
    FpmJsonRepairer strict(body, FpmJsonRepairer::Reading::Strict);
    if (strict.run() == FpmJsonRepairer::Result::Ok && !strict.changed())
        return fromRepaired(strict.output(), Quality::Exact, quality, error);
    FpmJsonRepairer ordered(body, FpmJsonRepairer::Reading::FpmOrder);
    const FpmJsonRepairer::Result orderedResult = ordered.run();
    QString orderedError;
    if (orderedResult != FpmJsonRepairer::Result::Garbage) {
        const Quality q = orderedResult == FpmJsonRepairer::Result::Truncated ? Quality::Truncated
                                                                              : Quality::Repaired;
        if (auto status = fromRepaired(ordered.output(), q, quality, &orderedError))
            return status;
    }
    FpmJsonRepairer generic(body, FpmJsonRepairer::Reading::Generic); // only when needed
    const FpmJsonRepairer::Result result = generic.run();
    if (result == FpmJsonRepairer::Result::Garbage) {
        return fail<FpmStatus>(
            error, QStringLiteral("not a php-fpm status page: %1").arg(generic.error()));
    }
    const Quality q =
        result == FpmJsonRepairer::Result::Truncated ? Quality::Truncated : Quality::Repaired;
    return fromRepaired(generic.output(), q, quality, error);
}

std::optional<FpmStatus> FpmStatus::fromText(const QByteArray &body, Quality *quality,
                                             QString *error) {
    if (body.size() > MaxBodyBytes)
        return fail<FpmStatus>(
            error, QStringLiteral("php-fpm status larger than %1 bytes").arg(MaxBodyBytes));
    FpmStatus s;
    QStringList seen;
    // A plain Process and a flag, not std::optional: GCC's -O2 flow analysis warns about the
    // optional's payload (-Wmaybe-uninitialized) in a Release build.
    Process current;
    bool inProcess = false;
    bool currentComplete = false;
    bool droppedPartial = false;
    QString *lastText = nullptr; // a raw newline in a URI continues the previous value

    const auto finishProcess = [&] {
        if (inProcess) {
            if (currentComplete)
                s.processes.append(current);
            else
                droppedPartial = true;
        }
        current = Process{};
        inProcess = false;
        currentComplete = false;
        lastText = nullptr;
    };

    QList<QByteArray> lines = body.split('\n');
    // FPM ends every line with a newline: text after the last one was cut short.
    const bool cutLine = !lines.isEmpty() && !lines.constLast().trimmed().isEmpty();
    lines.removeLast();
    for (QByteArray rawLine : lines) {
        if (rawLine.endsWith('\r'))
            rawLine.chop(1);
        const QString line = QString::fromUtf8(rawLine);
        if (line.startsWith(QLatin1String("****"))) {
            finishProcess();
            inProcess = true;
            s.hasProcesses = true;
            continue;
        }
        const int colon = line.indexOf(QLatin1Char(':'));
        const QString key = colon > 0 ? line.left(colon).trimmed().toLower() : QString();
        const QJsonValue value(colon > 0 ? line.mid(colon + 1).trimmed() : QString());
        bool known = false;
        if (!key.isEmpty()) {
            if (inProcess) {
                known = assignProcessField(current, key, value);
                if (known && key == QLatin1String(LastProcessKey))
                    currentComplete = true;
                if (known && key == QLatin1String("request uri"))
                    lastText = &current.requestUri;
                else if (known)
                    lastText = nullptr;
            } else {
                known = assignPoolField(s, key, value);
                if (known)
                    seen.append(key);
            }
        }
        if (!known && lastText && !line.isEmpty())
            lastText->append(QLatin1Char('\n') + line);
    }
    finishProcess();

    const QString missing = missingMandatoryKey(seen);
    if (!missing.isEmpty()) {
        const bool looksCut = !seen.isEmpty();
        return fail<FpmStatus>(
            error, looksCut ? QStringLiteral("php-fpm status cut off before \"%1\"").arg(missing)
                            : QStringLiteral("not a php-fpm status page: no \"%1\"").arg(missing));
    }
    if (quality)
        *quality = (droppedPartial || cutLine) ? Quality::Truncated : Quality::Exact;
    return s;
}

bool FpmStatus::countFromProcesses() {
    if (!hasProcesses || processes.isEmpty())
        return false;
    qint64 idle = 0;
    for (const Process &p : std::as_const(processes))
        idle += p.state.compare(QLatin1String("Idle"), Qt::CaseInsensitive) == 0 ? 1 : 0;
    const qint64 total = processes.size();
    const qint64 active = total - idle;
    if (active == activeProcesses && idle == idleProcesses && total == totalProcesses)
        return false;
    reportedActiveProcesses = activeProcesses;
    reportedIdleProcesses = idleProcesses;
    reportedTotalProcesses = totalProcesses;
    activeProcesses = active;
    idleProcesses = idle;
    totalProcesses = total;
    return true;
}

std::optional<FpmStatus> FpmStatus::parse(const QByteArray &body, Quality *quality,
                                          QString *error) {
    for (const char c : body) {
        if (FpmJsonRepairer::isSpace(c))
            continue;
        if (c == '{')
            return fromJson(body, quality, error);
        break;
    }
    return fromText(body, quality, error);
}
