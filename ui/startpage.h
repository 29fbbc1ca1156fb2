#pragma once

#include "fpmpoolscanner.h"

#include <QWidget>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTreeWidget;

/// The first run, before there is anything to start: "Start the demo" (wsgate's own PHP-FPM
/// and the example chat handler), or "Use my PHP-FPM" — the pools this machine has, whether
/// this user may connect to each (and the fix when not), the status page lines when it is
/// off, and the handler script to run.
class StartPage final : public QWidget {
    Q_OBJECT
public:
    explicit StartPage(QWidget *parent = nullptr);

    /// A line on top saying why the page is shown (e.g. F5 with nothing to start).
    void setMessage(const QString &text);
    QString messageText() const;
    /// Scans these instead of /etc/php and /run/php (tests).
    void setScanRoots(const QString &etcRoot, const QString &runDir);
    /// Looks for pools again and refreshes the list.
    void rescan();
    /// Preselects the pool with this --fastcgi address and fills the script field.
    void setCurrent(const QString &fastcgiAddress, const QString &script, const QString &docroot);

    QList<FpmPoolScanner::Pool> pools() const { return m_pools; }
    /// Selects pool `index` of pools(); shows its socket check.
    void selectPool(int index);
    void setScript(const QString &script);
    /// The selected pool's check and fix, as shown.
    QString checkText() const;
    QString fixText() const;
    QString statusPageText() const;
    QPushButton *demoButton() const { return m_demo; }
    QPushButton *useButton() const { return m_use; }
    QPushButton *attachButton() const { return m_attach; }

Q_SIGNALS:
    /// Fires when the user picks the demo.
    void demoRequested();
    /// Fires when the user picks a pool and a script.
    void useFpmRequested(const QString &fastcgiAddress, const QString &script,
                         const QString &docroot);
    /// Fires when the user wants to look at a wsgated running elsewhere.
    void attachRequested();

private:
    void showSelected();
    void updateUseButton();

    QString m_etcRoot = QStringLiteral("/etc/php");
    QString m_runDir = QStringLiteral("/run/php");
    QList<FpmPoolScanner::Pool> m_pools;
    QLabel *m_message;
    QPushButton *m_demo;
    QTreeWidget *m_poolList;
    QLabel *m_check;
    QPlainTextEdit *m_fix;
    QPushButton *m_copyFix;
    QLabel *m_statusLabel;
    QPlainTextEdit *m_statusLines;
    QPushButton *m_copyStatus;
    QLineEdit *m_script;
    QLineEdit *m_docroot;
    QPushButton *m_attach = nullptr;
    QPushButton *m_use;
    QLabel *m_noPools;
};
