#include "settingsstore.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSettings>

namespace {

const QString ConfigKey = QStringLiteral("engine/config");

} // namespace

SettingsStore::SettingsStore(QSettings *settings)
    : m_own(settings ? nullptr : std::make_unique<QSettings>())
    , m_settings(settings ? settings : m_own.get()) {}

SettingsStore::~SettingsStore() = default;

bool SettingsStore::hasConfiguration() const {
    return settings()->contains(ConfigKey);
}

Configuration SettingsStore::load(QString *error) const {
    Configuration config;
    const QByteArray json = settings()->value(ConfigKey).toByteArray();
    if (json.isEmpty())
        return config;
    const QJsonDocument doc = QJsonDocument::fromJson(json);
    QString applyError;
    Configuration candidate;
    if (!doc.isObject() || !ConfigurationParser::applyJson(doc.object(), candidate, &applyError)) {
        if (error)
            *error = applyError.isEmpty() ? QStringLiteral("stored settings are not valid JSON")
                                          : applyError;
        return config;
    }
    return candidate;
}

void SettingsStore::save(const Configuration &config) {
    settings()->setValue(ConfigKey, QJsonDocument(config.toJson()).toJson(QJsonDocument::Compact));
    settings()->sync();
}

QStringList SettingsStore::storedArguments() const {
    const QByteArray json = settings()->value(ConfigKey).toByteArray();
    const QJsonObject object = QJsonDocument::fromJson(json).object();
    QStringList args;
    for (auto it = object.begin(); it != object.end(); ++it) {
        const QJsonValue v = it.value();
        if (v.isBool()) {
            if (v.toBool())
                args << QStringLiteral("--") + it.key();
            continue;
        }
        const QString text = v.isDouble() ? QString::number(qint64(v.toDouble())) : v.toString();
        // "--name=value" keeps empty and dash-leading values unambiguous.
        args << QStringLiteral("--%1=%2").arg(it.key(), text);
    }
    return args;
}
