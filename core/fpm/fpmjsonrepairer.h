#pragma once

#include <QByteArray>
#include <QString>

/// Rewrites almost-JSON from FPM into JSON: re-escapes quotes, backslashes and control bytes that
/// FPM printed raw inside strings, and cuts a body that ended early back to its last complete
/// member. Reading Generic, a quote ends a string only where the structure can go on after it
/// (`,"key":`, `}`, `]`), which is what makes a raw quote inside "request uri" recognisable; with
/// FpmOrder, a string of a key in StringSuccessors ends only before that key's successor. Strict
/// reads JSON as JSON (every `\"` an escape, every other quote a close), so valid JSON, whatever
/// its strings hold (an escaped `"}` in a URI), comes out unchanged.
class FpmJsonRepairer final {
public:
    /// FPM nests two levels; the scanner must not recurse without bound.
    static constexpr int MaxNestingDepth = 8;
    static bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

    enum class Reading { Strict, Generic, FpmOrder };

    FpmJsonRepairer(const QByteArray &in, Reading reading)
        : m_in(in)
        , m_reading(reading) {}

    enum class Result { Ok, Truncated, Garbage };

    Result run() {
        skipSpace();
        if (atEnd() || peek() != '{') {
            m_error = QStringLiteral("does not start with '{'");
            return Result::Garbage;
        }
        if (!value()) {
            if (!m_eof)
                return Result::Garbage;
            if (m_safeLength < 0) {
                m_error = QStringLiteral("ended before the first complete field");
                return Result::Garbage;
            }
            m_out.truncate(m_safeLength);
            while (!m_out.isEmpty() && (isSpace(m_out.back()) || m_out.back() == ','))
                m_out.chop(1);
            for (auto it = m_safeClosers.crbegin(); it != m_safeClosers.crend(); ++it)
                m_out.append(*it);
            m_changed = true;
            return Result::Truncated;
        }
        skipSpace();
        if (!atEnd()) {
            // Trailing bytes after the document (e.g. a PHP notice) are dropped.
            m_changed = true;
        }
        return Result::Ok;
    }

    QByteArray output() const { return m_out; }
    bool changed() const { return m_changed; }
    QString error() const { return m_error; }

private:
    // FPM prints fields in a fixed order: after a string field whose value may hold raw
    // quotes, only its successor can follow, which pins where the value ends.
    struct Successor {
        const char *key;
        const char *next;
    };
    static constexpr Successor StringSuccessors[] = {
        {"pool", "process manager"},       {"process manager", "start time"},
        {"state", "start time"},           {"request method", "request uri"},
        {"request uri", "content length"}, {"user", "script"},
        {"script", "last request cpu"},
    };
    static bool isKeyChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == ' ' || c == '_' || c == '-';
    }

    bool atEnd() const { return m_pos >= m_in.size(); }
    char peek() const { return m_in.at(m_pos); }

    void skipSpace() {
        while (!atEnd() && isSpace(peek()))
            ++m_pos;
    }

    bool hitEnd() {
        m_eof = true;
        return false;
    }

    bool garbage(const char *what) {
        m_error = QStringLiteral("%1 at offset %2").arg(QLatin1String(what)).arg(m_pos);
        return false;
    }

    void markSafe() {
        m_safeLength = m_out.size();
        m_safeClosers = m_closers;
    }

    bool value() {
        skipSpace();
        if (atEnd())
            return hitEnd();
        const char c = peek();
        if (c == '{')
            return container('{', '}');
        if (c == '[')
            return container('[', ']');
        if (c == '"')
            return string(false);
        return scalar();
    }

    QByteArray successorOf(const QByteArray &key) const {
        for (const Successor &s : StringSuccessors) {
            if (key == s.key)
                return s.next;
        }
        return {};
    }

    bool container(char open, char close) {
        if (m_closers.size() >= MaxNestingDepth)
            return garbage("nested too deep");
        ++m_pos;
        m_out.append(open);
        m_closers.append(close);
        const bool isObject = open == '{';
        // Members of the top object and elements of arrays are the units a cut body keeps.
        const bool keepsUnits = !isObject || m_closers.size() == 1;
        bool first = true;
        for (;;) {
            skipSpace();
            if (atEnd())
                return hitEnd();
            if (peek() == close) {
                ++m_pos;
                m_out.append(close);
                m_closers.chop(1);
                return true;
            }
            if (!first) {
                if (peek() != ',')
                    return garbage("expected ','");
                ++m_pos;
                m_out.append(',');
                skipSpace();
                if (atEnd())
                    return hitEnd();
            }
            first = false;
            if (isObject) {
                if (peek() != '"')
                    return garbage("expected a key");
                if (!string(true))
                    return false;
                m_lastKey = m_lastString;
                skipSpace();
                if (atEnd())
                    return hitEnd();
                if (peek() != ':')
                    return garbage("expected ':'");
                ++m_pos;
                m_out.append(':');
            }
            if (!value())
                return false;
            if (keepsUnits)
                markSafe();
        }
    }

    // Numbers and literals; an unknown bare word (FPM has printed "-nan" for cpu) becomes null.
    bool scalar() {
        const qsizetype start = m_pos;
        while (!atEnd()) {
            const char c = peek();
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '.' || c == '-' || c == '+'))
                break;
            ++m_pos;
        }
        if (m_pos == start)
            return garbage("unexpected byte");
        if (atEnd())
            return hitEnd(); // a number cut short is not trusted
        const QByteArray token = m_in.mid(start, m_pos - start);
        bool isNumber = false;
        token.toDouble(&isNumber);
        if (isNumber || token == "true" || token == "false" || token == "null") {
            m_out.append(token);
        } else {
            m_out.append("null");
            m_changed = true;
        }
        return true;
    }

    // True when a quote at `quotePos` can close a string: what follows continues the structure.
    bool quoteCloses(qsizetype quotePos, bool isKey) const {
        const QByteArray successor =
            (isKey || m_reading != Reading::FpmOrder) ? QByteArray() : successorOf(m_lastKey);
        qsizetype i = quotePos + 1;
        const auto spaces = [&] {
            while (i < m_in.size() && isSpace(m_in.at(i)))
                ++i;
        };
        spaces();
        if (i >= m_in.size())
            return true; // the body ends here: let truncation handling decide
        if (isKey)
            return m_in.at(i) == ':';
        const char c = m_in.at(i);
        if (c == '}' || c == ']')
            return successor.isEmpty();
        if (c != ',')
            return false;
        ++i;
        spaces();
        if (i >= m_in.size())
            return true;
        if (m_in.at(i) == '{')
            return successor.isEmpty(); // next array element
        if (m_in.at(i) != '"')
            return false;
        ++i;
        const qsizetype keyStart = i;
        while (i < m_in.size() && isKeyChar(m_in.at(i)))
            ++i;
        if (i >= m_in.size())
            return true;
        if (!successor.isEmpty() && m_in.mid(keyStart, i - keyStart) != successor)
            return false;
        if (m_in.at(i) != '"')
            return false;
        ++i;
        spaces();
        return i >= m_in.size() || m_in.at(i) == ':';
    }

    static bool isEscapeAt(const QByteArray &in, qsizetype i) {
        if (i >= in.size())
            return false;
        switch (in.at(i)) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            return true;
        case 'u':
            if (i + 4 >= in.size())
                return false;
            for (qsizetype k = i + 1; k <= i + 4; ++k) {
                if (!isxdigit(static_cast<unsigned char>(in.at(k))))
                    return false;
            }
            return true;
        default:
            return false;
        }
    }

    bool string(bool isKey) {
        ++m_pos; // opening quote
        QByteArray content;
        for (;;) {
            if (atEnd())
                return hitEnd();
            const char c = peek();
            if (c == '\\') {
                if (m_pos + 1 >= m_in.size())
                    return hitEnd();
                const char next = m_in.at(m_pos + 1);
                // A raw backslash that ends the value ("C:\dir\") looks like an escaped quote.
                if (next == '"' && m_reading != Reading::Strict && quoteCloses(m_pos + 1, isKey)) {
                    content.append("\\\\");
                    m_pos += 1;
                    m_changed = true;
                    continue;
                }
                if (isEscapeAt(m_in, m_pos + 1)) {
                    const qsizetype len = next == 'u' ? 6 : 2;
                    content.append(m_in.mid(m_pos, len));
                    m_pos += len;
                } else {
                    content.append("\\\\");
                    ++m_pos;
                    m_changed = true;
                }
                continue;
            }
            if (c == '"') {
                if (m_reading == Reading::Strict || quoteCloses(m_pos, isKey)) {
                    ++m_pos;
                    break;
                }
                content.append("\\\"");
                ++m_pos;
                m_changed = true;
                continue;
            }
            if (static_cast<unsigned char>(c) < 0x20) {
                content.append(
                    QByteArray("\\u00") +
                    QByteArray::number(static_cast<unsigned char>(c), 16).rightJustified(2, '0'));
                ++m_pos;
                m_changed = true;
                continue;
            }
            content.append(c);
            ++m_pos;
        }
        // Qt's JSON parser refuses invalid UTF-8; a URI may carry any byte.
        const QByteArray valid = QString::fromUtf8(content).toUtf8();
        if (valid != content)
            m_changed = true;
        m_out.append('"');
        m_out.append(valid);
        m_out.append('"');
        m_lastString = valid;
        return true;
    }

    const QByteArray &m_in;
    const Reading m_reading;
    qsizetype m_pos = 0;
    QByteArray m_out;
    QByteArray m_closers;
    QByteArray m_lastString; // as written to m_out; keys never need escaping
    QByteArray m_lastKey;
    qsizetype m_safeLength = -1;
    QByteArray m_safeClosers;
    bool m_eof = false;
    bool m_changed = false;
    QString m_error;
};
