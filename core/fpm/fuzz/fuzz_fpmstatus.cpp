// libFuzzer entry point for FpmStatus: the input's first byte picks parse(), fromJson() or
// fromText(), the rest is a status page. A page that parses must survive its own toJson()
// round trip (read back exactly, as Exact), and countFromProcesses() must leave consistent
// counters; a page that does not parse must say why.
// Build and run with scripts/fuzz.sh.

#include "fpm/fpmstatus.h"

#include <QJsonDocument>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "CHECK failed at line %d: %s\n", __LINE__, #cond);                \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)

namespace {

// Not-a-number and infinities become null in JSON (then 0), so they cannot round-trip.
bool finiteCpu(const FpmStatus &s) {
    for (const FpmStatus::Process &p : s.processes) {
        if (!std::isfinite(p.lastRequestCpuPercent))
            return false;
    }
    return true;
}

} // namespace

// Dates in local time make glibc stat() /etc/localtime on every conversion unless TZ is set:
// with TZ=UTC (this machine's zone; an explicit TZ is kept) the same checks run faster.
extern "C" int LLVMFuzzerInitialize(int *, char ***) {
    setenv("TZ", "UTC", 0);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    const uint8_t mode = data[0] % 3;
    const QByteArray body(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));

    FpmStatus::Quality quality = FpmStatus::Quality(-1);
    QString error;
    std::optional<FpmStatus> status = mode == 0   ? FpmStatus::parse(body, &quality, &error)
                                      : mode == 1 ? FpmStatus::fromJson(body, &quality, &error)
                                                  : FpmStatus::fromText(body, &quality, &error);
    if (!status) {
        CHECK(!error.isEmpty());
        CHECK(quality == FpmStatus::Quality(-1)); // untouched on failure
        return 0;
    }
    CHECK(quality == FpmStatus::Quality::Exact || quality == FpmStatus::Quality::Repaired ||
          quality == FpmStatus::Quality::Truncated);
    CHECK(mode != 2 || quality != FpmStatus::Quality::Repaired); // text is never repaired
    CHECK(status->hasProcesses || status->processes.isEmpty());

    // What we serve is what we would read back: toJson() is valid JSON, and an Exact page.
    const QJsonObject json = status->toJson();
    const QByteArray text = QJsonDocument(json).toJson(QJsonDocument::Compact);
    FpmStatus::Quality againQuality = FpmStatus::Quality(-1);
    QString againError;
    const std::optional<FpmStatus> again = FpmStatus::parse(text, &againQuality, &againError);
    CHECK(again.has_value());
    CHECK(againQuality == FpmStatus::Quality::Exact);
    if (finiteCpu(*status))
        CHECK(again->toJson() == json);

    // Recounting from the worker list: the counters then agree with it.
    FpmStatus recounted = *status;
    const bool corrected = recounted.countFromProcesses();
    CHECK(corrected == recounted.reportedActiveProcesses.has_value());
    if (corrected) {
        CHECK(recounted.totalProcesses == recounted.processes.size());
        CHECK(recounted.activeProcesses + recounted.idleProcesses == recounted.totalProcesses);
        CHECK(recounted.activeProcesses >= 0 && recounted.idleProcesses >= 0);
        CHECK(!recounted.countFromProcesses()); // a second pass has nothing to correct
    }
    (void)recounted.toJson();
    return 0;
}
