#pragma once

#include "fpmpoolscanner.h"

#include <QDateTime>
#include <QWidget>

class QLabel;
class QPlainTextEdit;

/// PHP-FPM's slowlog of the pool the gateway talks to: the tail of the file when the pool has
/// one and it is readable; otherwise what to add to the pool's config, or why it cannot be
/// read. The pool comes from the managed PHP's generated config, or from the system's pool
/// configs matched by their listen address.
class SlowLogView final : public QWidget {
    Q_OBJECT
public:
    explicit SlowLogView(QWidget *parent = nullptr);

    /// Which pool to look at: the managed PHP's config file (empty when PHP is not managed)
    /// and the address the gateway uses. Cheap to call every second: rescans only on change.
    void setPool(const QString &managedConfigPath, const QString &fastcgiAddress);
    /// Re-reads the tail when the file changed.
    void refresh();
    /// Scans these roots instead of /etc/php and /run/php (tests).
    void setScanRoots(const QString &etcRoot, const QString &runDir);

    QString statusText() const;
    QString logText() const;
    QString slowlogPath() const { return m_pool ? m_pool->slowlog : QString(); }

private:
    void rescan();

    QLabel *m_status;
    QPlainTextEdit *m_text;
    QString m_managedConfig;
    QString m_address;
    QString m_etcRoot = QStringLiteral("/etc/php");
    QString m_runDir = QStringLiteral("/run/php");
    std::optional<FpmPoolScanner::Pool> m_pool;
    bool m_scanned = false;
    qint64 m_lastSize = -1;
    QDateTime m_lastModified;
};
