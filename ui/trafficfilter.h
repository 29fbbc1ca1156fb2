#pragma once

#include "observe/trafficentry.h"

#include <QByteArray>
#include <QRegularExpression>
#include <QString>

/// GUI-free predicate over traffic entries: client, text (substring or `re:` regex), kinds,
/// errors only, warnings. The traffic view's proxy and the tests use the same class.
class TrafficFilter final {
public:
    /// Only entries of this client; empty: any client.
    void setClientId(const QByteArray &clientId) { m_clientId = clientId; }
    QByteArray clientId() const { return m_clientId; }

    /// Plain text matches case-insensitively; "re:PATTERN" is a regular expression. Returns
    /// false (and keeps the previous text) when the pattern does not compile.
    bool setText(const QString &text);
    QString text() const { return m_text; }
    /// Why `text` would be refused; empty when it is valid.
    static QString textError(const QString &text);

    void setKindEnabled(TrafficEntry::Kind kind, bool enabled);
    bool isKindEnabled(TrafficEntry::Kind kind) const;
    void setAllKinds() { m_kindMask = AllKinds; }

    /// Only problems (TrafficMarks::isProblem): error rows, failed exchanges, and 2xx replies
    /// with a warning or an error in STDERR.
    void setErrorsOnly(bool errorsOnly) { m_errorsOnly = errorsOnly; }
    bool errorsOnly() const { return m_errorsOnly; }
    /// Only rows whose STDERR has a PHP diagnostic (deprecated and up). With errorsOnly too, a
    /// row passes when it is either.
    void setWarningsOnly(bool warningsOnly) { m_warningsOnly = warningsOnly; }
    bool warningsOnly() const { return m_warningsOnly; }

    bool isEmpty() const;
    bool accepts(const TrafficEntry &entry) const;

private:
    static constexpr quint32 AllKinds = 0xffffffffu;

    bool matchesText(const QString &haystack) const;

    QByteArray m_clientId;
    QString m_text;
    QRegularExpression m_regex; // valid only when m_text starts with "re:"
    bool m_isRegex = false;
    quint32 m_kindMask = AllKinds;
    bool m_errorsOnly = false;
    bool m_warningsOnly = false;
};
