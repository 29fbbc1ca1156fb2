#include "jsonindenter.h"

#include <QJsonDocument>
#include <QJsonParseError>

namespace {

// Nesting Qt's parser accepts; deeper documents are refused before we walk them.
constexpr int MaxDepth = 1024;

bool validate(const QByteArray &json, QString *error) {
    QJsonParseError parseError;
    QJsonDocument::fromJson(json, &parseError);
    if (parseError.error == QJsonParseError::NoError)
        return true;
    if (error)
        *error =
            QStringLiteral("%1 at offset %2").arg(parseError.errorString()).arg(parseError.offset);
    return false;
}

bool isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/// Re-emits `json` token by token; `step` spaces per level, 0 for compact output. The input is
/// valid JSON (checked first), so the walk only has to know strings from structure.
QByteArray reformat(const QByteArray &json, int step) {
    QByteArray out;
    out.reserve(json.size() + json.size() / 2);
    int depth = 0;
    const auto newline = [&out, &depth, step] {
        if (step <= 0)
            return;
        out += '\n';
        out += QByteArray(qsizetype(depth) * step, ' ');
    };
    const qsizetype n = json.size();
    for (qsizetype i = 0; i < n; ++i) {
        const char c = json.at(i);
        if (isSpace(c))
            continue;
        if (c == '"') {
            const qsizetype start = i;
            for (++i; i < n && json.at(i) != '"'; ++i) {
                if (json.at(i) == '\\')
                    ++i; // the escaped character, whatever it is
            }
            out += json.mid(start, i - start + 1);
            continue;
        }
        switch (c) {
        case '{':
        case '[': {
            // An empty container stays on one line: "{}", "[]".
            qsizetype next = i + 1;
            while (next < n && isSpace(json.at(next)))
                ++next;
            const char close = c == '{' ? '}' : ']';
            if (next < n && json.at(next) == close) {
                out += c;
                out += close;
                i = next;
                break;
            }
            out += c;
            depth = std::min(depth + 1, MaxDepth);
            newline();
            break;
        }
        case '}':
        case ']':
            depth = std::max(depth - 1, 0);
            newline();
            out += c;
            break;
        case ',':
            out += c;
            newline();
            break;
        case ':':
            out += step > 0 ? QByteArrayLiteral(": ") : QByteArrayLiteral(":");
            break;
        default:
            out += c; // numbers, true, false, null
            break;
        }
    }
    return out;
}

} // namespace

QString JsonIndenter::indent(const QByteArray &json, QString *error, int indent) {
    if (!validate(json, error))
        return {};
    return QString::fromUtf8(reformat(json, std::max(indent, 1)));
}

QString JsonIndenter::compact(const QByteArray &json, QString *error) {
    if (!validate(json, error))
        return {};
    return QString::fromUtf8(reformat(json, 0));
}
