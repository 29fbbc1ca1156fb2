#include "trafficfilter.h"

#include "trafficmarks.h"

namespace {

const QLatin1String RegexPrefix("re:");

quint32 kindBit(TrafficEntry::Kind kind) {
    return 1u << int(kind);
}

} // namespace

QString TrafficFilter::textError(const QString &text) {
    if (!text.startsWith(RegexPrefix))
        return {};
    const QRegularExpression re(text.mid(RegexPrefix.size()));
    return re.isValid() ? QString() : re.errorString();
}

bool TrafficFilter::setText(const QString &text) {
    if (text.startsWith(RegexPrefix)) {
        QRegularExpression re(text.mid(RegexPrefix.size()),
                              QRegularExpression::CaseInsensitiveOption);
        if (!re.isValid())
            return false;
        m_regex = re;
        m_isRegex = true;
    } else {
        m_regex = QRegularExpression();
        m_isRegex = false;
    }
    m_text = text;
    return true;
}

void TrafficFilter::setKindEnabled(TrafficEntry::Kind kind, bool enabled) {
    if (enabled)
        m_kindMask |= kindBit(kind);
    else
        m_kindMask &= ~kindBit(kind);
}

bool TrafficFilter::isKindEnabled(TrafficEntry::Kind kind) const {
    return (m_kindMask & kindBit(kind)) != 0;
}

bool TrafficFilter::isEmpty() const {
    return m_clientId.isEmpty() && m_text.isEmpty() && m_kindMask == AllKinds && !m_errorsOnly &&
           !m_warningsOnly;
}

bool TrafficFilter::matchesText(const QString &haystack) const {
    if (m_isRegex)
        return m_regex.match(haystack).hasMatch();
    return haystack.contains(m_text, Qt::CaseInsensitive);
}

bool TrafficFilter::accepts(const TrafficEntry &entry) const {
    if (!isKindEnabled(entry.kind))
        return false;
    if ((m_errorsOnly || m_warningsOnly) && !((m_errorsOnly && TrafficMarks::isProblem(entry)) ||
                                              (m_warningsOnly && TrafficMarks::hasWarnings(entry))))
        return false;
    if (!m_clientId.isEmpty() && entry.clientId != m_clientId)
        return false;
    if (m_text.isEmpty() || (m_isRegex && m_regex.pattern().isEmpty()))
        return true;
    // Cheapest fields first; bodies and PHP detail only when the summary does not match.
    if (matchesText(QString::fromLatin1(entry.clientId)) || matchesText(entry.text) ||
        matchesText(QString::fromLatin1(TrafficEntry::kindName(entry.kind))))
        return true;
    if (!entry.binary && matchesText(QString::fromUtf8(entry.body)))
        return true;
    if (entry.php) {
        const PhpExchange &php = *entry.php;
        if (matchesText(QString::fromUtf8(php.stderrData)) ||
            matchesText(QString::fromUtf8(php.responseBody)) ||
            matchesText(QString::fromUtf8(php.requestBody)) || matchesText(php.error))
            return true;
    }
    return false;
}
