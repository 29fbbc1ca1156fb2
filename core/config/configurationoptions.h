#pragma once

#include "configuration.h"

#include <QJsonValue>

#include <functional>
#include <vector>

/// One option of both binaries, the single list behind parsing, --help and toJson(): its name
/// (flag without dashes = JSON key), help, and how to set it from text and read it back.
struct ConfigurationOption {
    /// Applies the text form; false with `error` (to follow "--name: ") when refused.
    using Setter = std::function<bool(Configuration &, const QString &, QString *error)>;
    /// The current value in the config file's form; secrets hidden with `maskSecrets`.
    using Getter = std::function<QJsonValue(const Configuration &, bool maskSecrets)>;

    const char *name;
    const char *valueName;   // empty: a switch without a value
    const char *defaultText; // empty: none shown
    const char *help;        // UTF-8
    Setter set;
    Getter get; // null for --config, which names a file rather than a setting

    bool isSwitch() const;

    /// Every option in --help order.
    static const std::vector<ConfigurationOption> &all();
    static const ConfigurationOption *find(const QString &name);
};
