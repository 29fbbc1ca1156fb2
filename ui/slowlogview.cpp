#include "slowlogview.h"

#include <QFile>
#include <QFileInfo>
#include <QFontDatabase>
#include <QLabel>
#include <QPlainTextEdit>
#include <QVBoxLayout>

namespace {

constexpr qint64 TailBytes = 64 * 1024; // the last requests, not a whole day's log
constexpr int MaxBlocks = 2000;

bool slowlogOn(const FpmPoolScanner::Pool &p) {
    const QString t = p.slowlogTimeout.trimmed();
    return !p.slowlog.isEmpty() && !t.isEmpty() && t != QLatin1String("0") &&
           t != QLatin1String("0s");
}

QString enableText(const FpmPoolScanner::Pool *p) {
    const QString file =
        p && !p->configFile.isEmpty() ? p->configFile : SlowLogView::tr("the pool's config file");
    const QString log = p && !p->slowlog.isEmpty() ? p->slowlog
                        : p && !p->phpVersion.isEmpty()
                            ? QStringLiteral("/var/log/php%1-fpm.slow.log").arg(p->phpVersion)
                            : QStringLiteral("/var/log/php-fpm.slow.log");
    const QString reload =
        p && !p->phpVersion.isEmpty()
            ? QStringLiteral("sudo systemctl reload php%1-fpm").arg(p->phpVersion)
            : QStringLiteral("sudo systemctl reload php-fpm");
    return SlowLogView::tr("FPM's slowlog is off%1. It records a PHP backtrace of every request "
                           "slower than a limit. Add to %2:\n\n"
                           "request_slowlog_timeout = 5s\nslowlog = %3\n\nthen: %4")
        .arg(p ? SlowLogView::tr(" for pool “%1”").arg(p->name) : QString(), file, log, reload);
}

} // namespace

SlowLogView::SlowLogView(QWidget *parent)
    : QWidget(parent)
    , m_status(new QLabel(this))
    , m_text(new QPlainTextEdit(this)) {
    setObjectName(QStringLiteral("slowLogView"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_text->setReadOnly(true);
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setMaximumBlockCount(MaxBlocks);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_status);
    layout->addWidget(m_text, 1);
    m_status->setText(tr("The gateway is not running."));
}

QString SlowLogView::statusText() const {
    return m_status->text();
}

QString SlowLogView::logText() const {
    return m_text->toPlainText();
}

void SlowLogView::setScanRoots(const QString &etcRoot, const QString &runDir) {
    m_etcRoot = etcRoot;
    m_runDir = runDir;
    m_scanned = false;
}

void SlowLogView::setPool(const QString &managedConfigPath, const QString &fastcgiAddress) {
    if (m_scanned && managedConfigPath == m_managedConfig && fastcgiAddress == m_address) {
        refresh();
        return;
    }
    m_managedConfig = managedConfigPath;
    m_address = fastcgiAddress;
    rescan();
    refresh();
}

void SlowLogView::rescan() {
    m_scanned = true;
    m_pool.reset();
    m_lastSize = -1;
    m_lastModified = {};
    if (!m_managedConfig.isEmpty()) {
        const QList<FpmPoolScanner::Pool> pools = FpmPoolScanner::parseConfig(m_managedConfig);
        if (!pools.isEmpty())
            m_pool = pools.first();
        return;
    }
    QString error;
    const auto address = FastCgiAddress::parse(m_address, &error);
    if (address)
        m_pool = FpmPoolScanner::poolFor(FpmPoolScanner(m_etcRoot, m_runDir).pools(), *address);
}

void SlowLogView::refresh() {
    if (!m_scanned)
        return;
    if (!m_pool || !m_pool->fromConfig) {
        m_status->setText(
            m_managedConfig.isEmpty()
                ? tr("No pool config on this machine listens on %1, so its slowlog is unknown. %2")
                      .arg(m_address, enableText(nullptr))
                : enableText(nullptr));
        m_text->clear();
        return;
    }
    if (!slowlogOn(*m_pool)) {
        m_status->setText(enableText(&*m_pool));
        m_text->clear();
        return;
    }
    const QFileInfo info(m_pool->slowlog);
    if (!info.exists()) {
        m_status->setText(tr("Slowlog of pool “%1”: %2 (request_slowlog_timeout = %3) — no slow "
                             "request logged yet.")
                              .arg(m_pool->name, m_pool->slowlog, m_pool->slowlogTimeout));
        m_text->clear();
        return;
    }
    if (info.size() == m_lastSize && info.lastModified() == m_lastModified)
        return;
    QFile file(m_pool->slowlog);
    if (!file.open(QIODevice::ReadOnly)) {
        m_status->setText(tr("Slowlog of pool “%1”: %2 — cannot read it (%3). It belongs to "
                             "%4:%5; read it with: sudo tail -f %2")
                              .arg(m_pool->name, m_pool->slowlog, file.errorString(), info.owner(),
                                   info.group()));
        m_text->clear();
        m_lastSize = info.size();
        m_lastModified = info.lastModified();
        return;
    }
    m_lastSize = info.size();
    m_lastModified = info.lastModified();
    if (file.size() > TailBytes)
        file.seek(file.size() - TailBytes);
    QByteArray tail = file.readAll();
    if (file.size() > TailBytes) {
        const qsizetype nl = tail.indexOf('\n');
        tail = nl >= 0 ? tail.mid(nl + 1) : tail; // from a whole line on
    }
    m_status->setText(tr("Slowlog of pool “%1”: %2 (requests slower than %3), last %4:")
                          .arg(m_pool->name, m_pool->slowlog, m_pool->slowlogTimeout,
                               QLocale::system().formattedDataSize(tail.size())));
    m_text->setPlainText(QString::fromUtf8(tail));
    m_text->moveCursor(QTextCursor::End);
}
