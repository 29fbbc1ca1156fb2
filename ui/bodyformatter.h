#pragma once

#include <QByteArray>
#include <QString>

/// Turns message bytes into text for display: as text, pretty JSON, or a hex dump; and reads
/// hex/base64 input back into bytes. Pure functions, no widgets.
class BodyFormatter final {
public:
    enum class Format { Auto, Text, Json, Hex };

    /// Auto picks Hex for binary or invalid UTF-8, Json when it parses as an object or array,
    /// Text otherwise.
    static Format detect(const QByteArray &bytes, bool binary);
    static QString format(const QByteArray &bytes, Format format, bool binary = false);
    /// 16 bytes per line: offset, hex, printable ASCII.
    static QString hexDump(const QByteArray &bytes);
    /// Indented JSON, or empty (with `error`) when it does not parse.
    static QString prettyJson(const QByteArray &bytes, QString *error = nullptr);
    static bool isValidUtf8(const QByteArray &bytes);
    /// Hex digits with any whitespace, ':' or "0x" prefixes; false on odd length or a non-hex.
    static bool parseHex(const QString &text, QByteArray *out, QString *error);
    static bool parseBase64(const QString &text, QByteArray *out, QString *error);
};
