#include "bodyformatter.h"

#include "jsonindenter.h"

#include <QJsonDocument>
#include <QJsonParseError>
#include <QStringDecoder>

namespace {

constexpr int HexBytesPerLine = 16;
constexpr qsizetype MaxHexDumpBytes = 1024 * 1024; // beyond this, a dump is unreadable anyway

} // namespace

bool BodyFormatter::isValidUtf8(const QByteArray &bytes) {
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = decoder(bytes);
    Q_UNUSED(text);
    return !decoder.hasError();
}

BodyFormatter::Format BodyFormatter::detect(const QByteArray &bytes, bool binary) {
    if (binary || !isValidUtf8(bytes))
        return Format::Hex;
    const QByteArray trimmed = bytes.trimmed();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
        QJsonParseError error;
        QJsonDocument::fromJson(trimmed, &error);
        if (error.error == QJsonParseError::NoError)
            return Format::Json;
    }
    return Format::Text;
}

QString BodyFormatter::prettyJson(const QByteArray &bytes, QString *error) {
    // As written: keys in their order, numbers as spelt (QJsonDocument sorts and reformats).
    return JsonIndenter::indent(bytes, error);
}

QString BodyFormatter::hexDump(const QByteArray &bytes) {
    const qsizetype n = std::min(bytes.size(), MaxHexDumpBytes);
    QString out;
    out.reserve(int(n / HexBytesPerLine + 1) * 78);
    for (qsizetype offset = 0; offset < n; offset += HexBytesPerLine) {
        const QByteArray line = bytes.mid(offset, HexBytesPerLine);
        out += QStringLiteral("%1  ").arg(offset, 8, 16, QLatin1Char('0'));
        for (int i = 0; i < HexBytesPerLine; ++i) {
            if (i < line.size())
                out += QStringLiteral("%1 ").arg(quint8(line.at(i)), 2, 16, QLatin1Char('0'));
            else
                out += QStringLiteral("   ");
            if (i == 7)
                out += QLatin1Char(' ');
        }
        out += QLatin1Char(' ');
        for (char c : line)
            out += (c >= 0x20 && c < 0x7f) ? QLatin1Char(c) : QLatin1Char('.');
        out += QLatin1Char('\n');
    }
    if (n < bytes.size())
        out += QStringLiteral("… %1 more bytes\n").arg(bytes.size() - n);
    return out;
}

QString BodyFormatter::format(const QByteArray &bytes, Format format, bool binary) {
    if (format == Format::Auto)
        format = detect(bytes, binary);
    switch (format) {
    case Format::Json: {
        const QString pretty = prettyJson(bytes);
        return pretty.isEmpty() ? QString::fromUtf8(bytes) : pretty;
    }
    case Format::Hex:
        return hexDump(bytes);
    case Format::Text:
    case Format::Auto:
        break;
    }
    return QString::fromUtf8(bytes);
}

bool BodyFormatter::parseHex(const QString &text, QByteArray *out, QString *error) {
    QString digits;
    digits.reserve(text.size());
    const QString cleaned =
        QString(text).replace(QLatin1String("0x"), QString(), Qt::CaseInsensitive);
    for (const QChar c : cleaned) {
        if (c.isSpace() || c == QLatin1Char(':') || c == QLatin1Char(','))
            continue;
        if (!isxdigit(c.toLatin1()) || c.unicode() > 0x7f) {
            *error = QStringLiteral("\"%1\" is not a hex digit").arg(c);
            return false;
        }
        digits += c;
    }
    if (digits.size() % 2 != 0) {
        *error = QStringLiteral("odd number of hex digits (%1)").arg(digits.size());
        return false;
    }
    *out = QByteArray::fromHex(digits.toLatin1());
    return true;
}

bool BodyFormatter::parseBase64(const QString &text, QByteArray *out, QString *error) {
    QByteArray compact = text.toLatin1();
    compact = compact.simplified().replace(' ', QByteArray());
    const auto result = QByteArray::fromBase64Encoding(
        compact, QByteArray::Base64Encoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!result) {
        const auto url = QByteArray::fromBase64Encoding(
            compact, QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
        if (!url) {
            *error = QStringLiteral("not valid base64");
            return false;
        }
        *out = *url;
        return true;
    }
    *out = *result;
    return true;
}
