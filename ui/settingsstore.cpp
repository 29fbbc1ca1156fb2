#include "settingsstore.h"

#include "secretstore.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSettings>

namespace {

const QString ConfigKey = QStringLiteral("engine/config");
const QString TokenOption = QStringLiteral("push-token");
// Options whose values live in the secret store, never in the settings file.
const QStringList SecretOptions = {TokenOption, QStringLiteral("admin-read-token")};

bool isSecretToken(const QJsonValue &v) {
    const QString t = v.toString();
    return !t.isEmpty() && t != QLatin1String("auto"); // "auto" is a mode, not a secret
}

} // namespace

SettingsStore::SettingsStore(QSettings *settings, SecretStore *secrets)
    : m_own(settings ? nullptr : std::make_unique<QSettings>())
    , m_ownSecrets(secrets ? nullptr : std::make_unique<SecretStore>())
    , m_settings(settings ? settings : m_own.get())
    , m_secrets(secrets ? secrets : m_ownSecrets.get()) {}

SettingsStore::~SettingsStore() = default;

void SettingsStore::addSecrets(QJsonObject &object) const {
    for (const QString &name : SecretOptions) {
        if (!object.value(name).toString().isEmpty())
            continue;
        if (const auto token = m_secrets->read(name); token && !token->isEmpty())
            object.insert(name, *token);
    }
}

QString SettingsStore::pushTokenKey() {
    return TokenOption;
}

bool SettingsStore::hasConfiguration() const {
    return settings()->contains(ConfigKey);
}

QJsonObject SettingsStore::storedObject() const {
    const QByteArray json = settings()->value(ConfigKey).toByteArray();
    QJsonObject object = QJsonDocument::fromJson(json).object();
    bool moved = false;
    for (const QString &name : SecretOptions) {
        if (!isSecretToken(object.value(name)))
            continue;
        // Written in clear by an older console: into the secret store, out of the file.
        m_secrets->write(name, object.value(name).toString());
        object.remove(name);
        moved = true;
    }
    if (moved) {
        settings()->setValue(ConfigKey, QJsonDocument(object).toJson(QJsonDocument::Compact));
        settings()->sync();
    }
    return object;
}

Configuration SettingsStore::load(QString *error) const {
    Configuration config;
    const QByteArray json = settings()->value(ConfigKey).toByteArray();
    if (json.isEmpty())
        return config;
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (!doc.isObject()) {
        if (error)
            *error = QStringLiteral("stored settings are not valid JSON");
        return config;
    }
    QJsonObject object = storedObject();
    addSecrets(object);
    QString applyError;
    Configuration candidate;
    if (!ConfigurationParser::applyJson(object, candidate, &applyError)) {
        if (error)
            *error = applyError;
        return config;
    }
    return candidate;
}

void SettingsStore::save(const Configuration &config) {
    QJsonObject object = config.toJson();
    for (const QString &name : SecretOptions) {
        const QJsonValue token = object.value(name);
        if (isSecretToken(token)) {
            m_secrets->write(name, token.toString());
            object.remove(name);
        } else {
            m_secrets->remove(name);
        }
    }
    settings()->setValue(ConfigKey, QJsonDocument(object).toJson(QJsonDocument::Compact));
    settings()->sync();
}

QStringList SettingsStore::storedArguments() const {
    QJsonObject object = storedObject();
    if (hasConfiguration())
        addSecrets(object);
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
