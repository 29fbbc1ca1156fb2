#pragma once

#include "observe/trafficentry.h"

#include <QJsonObject>
#include <QString>
#include <QVector>

#include <functional>

/// Traffic entries as JSON Lines and back: one object per entry (see entryJson), secrets
/// masked unless asked for, files only their owner can read; and a saved export read back as
/// entries for a read-only capture. No widgets.
class TrafficExport final {
public:
    /// One entry. Params and reply headers are masked with SecretMask unless `includeSecrets`.
    static QJsonObject entryJson(const TrafficEntry &entry, bool includeSecrets);
    /// Writes `count` entries (`entryAt(i)`, oldest first) to `fileName` with mode 0600,
    /// atomically (QSaveFile); false with `error` on I/O failure.
    static bool writeJsonLines(const QString &fileName, int count,
                               const std::function<const TrafficEntry &(int)> &entryAt,
                               bool includeSecrets, QString *error);
    /// The entry a line of an export describes; false when the object is not one.
    static bool entryFromJson(const QJsonObject &object, TrafficEntry *entry);
    /// Every entry of an export, oldest first, ids as saved (kept increasing: a line whose id
    /// does not follow the previous one's is refused, the rows' order is the ids').
    static bool readJsonLines(const QString &fileName, QVector<TrafficEntry> *entries,
                              QString *error);
};
