#include "fpmreport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QMetaEnum>

namespace {

constexpr FpmStatus::Quality Qualities[] = {FpmStatus::Quality::Exact, FpmStatus::Quality::Repaired,
                                            FpmStatus::Quality::Truncated};

qint64 integerOf(const QJsonObject &o, const char *key) {
    return o.value(QLatin1String(key)).toInteger();
}

/// FpmStatus::fromJson reads what FPM prints; the recount's "reported …" figures are ours.
std::optional<FpmStatus> statusOf(const QJsonObject &json) {
    std::optional<FpmStatus> status =
        FpmStatus::fromJson(QJsonDocument(json).toJson(QJsonDocument::Compact));
    if (!status)
        return std::nullopt;
    const QJsonValue active = json.value(QLatin1String("reported active processes"));
    if (active.isDouble()) {
        status->reportedActiveProcesses = active.toInteger();
        status->reportedIdleProcesses = integerOf(json, "reported idle processes");
        status->reportedTotalProcesses = integerOf(json, "reported total processes");
    }
    return status;
}

} // namespace

QString FpmReport::stateName(FpmPoller::State state) {
    return QString::fromLatin1(QMetaEnum::fromType<FpmPoller::State>().valueToKey(int(state)));
}

QString FpmReport::qualityName(FpmStatus::Quality quality) {
    switch (quality) {
    case FpmStatus::Quality::Exact:
        return QStringLiteral("exact");
    case FpmStatus::Quality::Repaired:
        return QStringLiteral("repaired");
    case FpmStatus::Quality::Truncated:
        return QStringLiteral("truncated");
    }
    return {};
}

QJsonObject FpmReport::toJson() const {
    QJsonArray points;
    for (const FpmPoller::Sample &s : history)
        points.append(QJsonObject{{QStringLiteral("time_ms"), s.timeMs},
                                  {QStringLiteral("active"), s.active},
                                  {QStringLiteral("idle"), s.idle},
                                  {QStringLiteral("total"), s.total},
                                  {QStringLiteral("listen_queue"), s.listenQueue},
                                  {QStringLiteral("max_children_reached"), s.maxChildrenReached},
                                  {QStringLiteral("slow_requests"), s.slowRequests},
                                  {QStringLiteral("accepted_conn"), s.acceptedConn}});
    QJsonArray warningList;
    for (const FpmPoller::Warning &w : warnings)
        warningList.append(
            QJsonObject{{QStringLiteral("code"), w.code}, {QStringLiteral("message"), w.message}});
    QJsonValue managed(QJsonValue::Null);
    if (!managedPhpState.isEmpty())
        managed = QJsonObject{{QStringLiteral("state"), managedPhpState},
                              {QStringLiteral("error"), managedPhpError},
                              {QStringLiteral("config_path"), managedPhpConfigPath}};
    return {
        {QStringLiteral("polling"), polling},
        {QStringLiteral("state"), stateName(state)},
        {QStringLiteral("last_error"), lastError},
        {QStringLiteral("status"), status ? QJsonValue(status->toJson()) : QJsonValue()},
        {QStringLiteral("quality"), qualityName(quality)},
        {QStringLiteral("last_poll_ms"), lastPollMs},
        {QStringLiteral("history"), points},
        {QStringLiteral("warnings"), warningList},
        {QStringLiteral("ping_ok"), pingOk ? QJsonValue(*pingOk) : QJsonValue()},
        {QStringLiteral("ping_us"), pingUs},
        {QStringLiteral("enable_config_lines"), QJsonArray::fromStringList(enableConfigLines)},
        {QStringLiteral("managed_php"), managed},
        {QStringLiteral("fastcgi"), fastcgiAddress},
        {QStringLiteral("status_path"), fpmStatusPath},
        {QStringLiteral("gateway_pool"), gatewayPoolSize},
    };
}

std::optional<FpmReport> FpmReport::fromJson(const QJsonObject &json) {
    FpmReport r;
    const QJsonValue polling = json.value(QLatin1String("polling"));
    if (!polling.isBool())
        return std::nullopt;
    r.polling = polling.toBool();
    bool known = false;
    const int state = QMetaEnum::fromType<FpmPoller::State>().keyToValue(
        json.value(QLatin1String("state")).toString().toLatin1().constData(), &known);
    if (!known)
        return std::nullopt;
    r.state = FpmPoller::State(state);
    const QString quality = json.value(QLatin1String("quality")).toString();
    known = false;
    for (FpmStatus::Quality q : Qualities) {
        if (quality == qualityName(q)) {
            r.quality = q;
            known = true;
        }
    }
    if (!known)
        return std::nullopt;
    const QJsonValue status = json.value(QLatin1String("status"));
    if (status.isObject()) {
        r.status = statusOf(status.toObject());
        if (!r.status)
            return std::nullopt;
    }
    r.lastError = json.value(QLatin1String("last_error")).toString();
    r.lastPollMs = integerOf(json, "last_poll_ms");
    for (const QJsonValue &v : json.value(QLatin1String("history")).toArray()) {
        const QJsonObject o = v.toObject();
        FpmPoller::Sample s;
        s.timeMs = integerOf(o, "time_ms");
        s.active = integerOf(o, "active");
        s.idle = integerOf(o, "idle");
        s.total = integerOf(o, "total");
        s.listenQueue = integerOf(o, "listen_queue");
        s.maxChildrenReached = integerOf(o, "max_children_reached");
        s.slowRequests = integerOf(o, "slow_requests");
        s.acceptedConn = integerOf(o, "accepted_conn");
        r.history.append(s);
    }
    for (const QJsonValue &v : json.value(QLatin1String("warnings")).toArray()) {
        const QJsonObject o = v.toObject();
        r.warnings.append({o.value(QLatin1String("code")).toString(),
                           o.value(QLatin1String("message")).toString()});
    }
    const QJsonValue ping = json.value(QLatin1String("ping_ok"));
    if (ping.isBool())
        r.pingOk = ping.toBool();
    r.pingUs = integerOf(json, "ping_us");
    for (const QJsonValue &v : json.value(QLatin1String("enable_config_lines")).toArray())
        r.enableConfigLines.append(v.toString());
    const QJsonObject managed = json.value(QLatin1String("managed_php")).toObject();
    r.managedPhpState = managed.value(QLatin1String("state")).toString();
    r.managedPhpError = managed.value(QLatin1String("error")).toString();
    r.managedPhpConfigPath = managed.value(QLatin1String("config_path")).toString();
    r.fastcgiAddress = json.value(QLatin1String("fastcgi")).toString();
    r.fpmStatusPath = json.value(QLatin1String("status_path")).toString();
    r.gatewayPoolSize = int(integerOf(json, "gateway_pool"));
    return r;
}
