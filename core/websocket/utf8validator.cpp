#include "websocket/utf8validator.h"

#include <cstring>

namespace {

// Bytes checked at once on the ASCII fast path.
constexpr qsizetype kAsciiWordBytes = 8;
constexpr qsizetype kAsciiBlockBytes = 4 * kAsciiWordBytes;
constexpr quint64 kHighBits = 0x8080808080808080ULL;

} // namespace

bool Utf8Validator::feed(QByteArrayView data) {
    if (m_failed)
        return false;
    const auto *p = reinterpret_cast<const quint8 *>(data.data());
    const qsizetype n = data.size();
    qsizetype i = 0;
    while (i < n) {
        if (m_needed == 0) {
            // Between characters: skip ASCII four words at a time (the compiler vectorises the
            // OR), then a word at a time.
            while (n - i >= kAsciiBlockBytes) {
                quint64 words[kAsciiBlockBytes / kAsciiWordBytes];
                std::memcpy(words, p + i, sizeof words);
                if ((words[0] | words[1] | words[2] | words[3]) & kHighBits)
                    break;
                i += kAsciiBlockBytes;
            }
            while (n - i >= kAsciiWordBytes) {
                quint64 word;
                std::memcpy(&word, p + i, sizeof word);
                if (word & kHighBits)
                    break;
                i += kAsciiWordBytes;
            }
            while (i < n && p[i] < 0x80)
                ++i;
            if (i == n)
                break;
            const quint8 lead = p[i++];
            m_lower = 0x80;
            m_upper = 0xBF;
            if (lead >= 0xC2 && lead <= 0xDF) {
                m_needed = 1;
            } else if (lead >= 0xE0 && lead <= 0xEF) {
                m_needed = 2;
                if (lead == 0xE0)
                    m_lower = 0xA0; // below: overlong (< U+0800)
                else if (lead == 0xED)
                    m_upper = 0x9F; // above: surrogates U+D800..U+DFFF
            } else if (lead >= 0xF0 && lead <= 0xF4) {
                m_needed = 3;
                if (lead == 0xF0)
                    m_lower = 0x90; // below: overlong (< U+10000)
                else if (lead == 0xF4)
                    m_upper = 0x8F; // above: > U+10FFFF
            } else {
                // 80..BF: continuation without a lead; C0, C1: overlong; F5..FF: > U+10FFFF
                m_failed = true;
                return false;
            }
            continue;
        }
        const quint8 c = p[i++];
        if (c < m_lower || c > m_upper) {
            m_failed = true;
            return false;
        }
        m_lower = 0x80;
        m_upper = 0xBF;
        --m_needed;
    }
    return true;
}

void Utf8Validator::reset() {
    *this = Utf8Validator();
}

bool Utf8Validator::isValid(QByteArrayView data) {
    Utf8Validator v;
    return v.feed(data) && v.isComplete();
}
