#pragma once

#include <QLabel>

/// The line under the traffic toolbar: how little time a full ring holds, whose rows alone
/// are kept, and the last thing done (an export's path and count); hidden when it has none.
class TrafficStatusLine final : public QLabel {
    Q_OBJECT
public:
    explicit TrafficStatusLine(QWidget *parent = nullptr);

    /// "The log keeps the last N s …"; empty: the ring holds enough.
    void setRingNote(const QString &text);
    /// The one client whose rows are kept; empty: every client's.
    void setCaptureClient(const QByteArray &clientId);
    void setNotice(const QString &text);
    QString notice() const { return m_notice; }
    /// What it says, as plain text; empty when hidden.
    QString plainText() const;

Q_SIGNALS:
    /// Fires when the user asks to keep every client's rows again.
    void allClientsRequested();

private:
    void update();

    QString m_ringNote;
    QByteArray m_client;
    QString m_notice;
};
