#pragma once

#include <QByteArrayView>
#include <QtGlobal>

/// Incremental RFC 3629 UTF-8 validation (no overlongs, no surrogates, nothing above U+10FFFF)
/// over input cut anywhere: a character may be split across feed() calls.
class Utf8Validator final {
public:
    /// Validates the next bytes; false once the input so far is invalid (and from then on).
    bool feed(QByteArrayView data);
    /// Valid so far and not in the middle of a character.
    bool isComplete() const { return !m_failed && m_needed == 0; }
    bool failed() const { return m_failed; }
    void reset();

    /// Whole-buffer validation: the same rules, for a complete string.
    static bool isValid(QByteArrayView data);

private:
    quint8 m_needed = 0;   // continuation bytes still expected for the current character
    quint8 m_lower = 0x80; // bounds of the next continuation byte (tighter after E0, ED, F0, F4)
    quint8 m_upper = 0xBF;
    bool m_failed = false;
};
