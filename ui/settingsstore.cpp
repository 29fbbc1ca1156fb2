#include "settingsstore.h"

#include "secretstore.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSettings>

namespace {

const QString ConfigKey = QStringLiteral("engine/config");
const QString TokenOption = QStringLiteral("push-token");

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

QString SettingsStore::pushTokenKey() {
    return TokenOption;
}

bool SettingsStore::hasConfiguration() const {
    return settings()->contains(ConfigKey);
}

QJsonObject SettingsStore::storedObject() const {
    const QByteArray json = settings()->value(ConfigKey).toByteArray();
    QJsonObject object = QJsonDocument::fromJson(json).object();
    if (isSecretToken(object.value(TokenOption))) {
        // Written in clear by an older console: into the secret store, out of the file.
        m_secrets->write(TokenOption, object.value(TokenOption).toString());
        object.remove(TokenOption);
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
    if (object.value(TokenOption).toString().isEmpty()) {
        if (const auto token = m_secrets->read(TokenOption); token && !token->isEmpty())
            object.insert(TokenOption, *token);
    }
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
    const QJsonValue token = object.value(TokenOption);
    if (isSecretToken(token)) {
        m_secrets->write(TokenOption, token.toString());
        object.remove(TokenOption);
    } else {
        m_secrets->remove(TokenOption);
    }
    settings()->setValue(ConfigKey, QJsonDocument(object).toJson(QJsonDocument::Compact));
    settings()->sync();
}

QStringList SettingsStore::storedArguments() const {
    QJsonObject object = storedObject();
    if (object.value(TokenOption).toString().isEmpty() && hasConfiguration()) {
        if (const auto token = m_secrets->read(TokenOption); token && !token->isEmpty())
            object.insert(TokenOption, *token);
    }
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
