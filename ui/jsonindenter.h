#pragma once

#include <QByteArray>
#include <QString>

/// Indents JSON text as it was written: keys keep their order, numbers their spelling and
/// strings their escapes (QJsonDocument sorts keys and reformats numbers). Pure functions.
class JsonIndenter final {
public:
    /// The text indented by `indent` spaces per level, or empty (with `error`: what is wrong
    /// and at which offset) when it is not one JSON value.
    static QString indent(const QByteArray &json, QString *error = nullptr, int indent = 4);
    /// The text with every whitespace outside strings removed; empty when not JSON.
    static QString compact(const QByteArray &json, QString *error = nullptr);
};
