#include "secretstore.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QTimer>

#ifdef WSGATE_HAVE_QTKEYCHAIN
#include <qt6keychain/keychain.h>
#endif

#include <memory>

namespace {

// A keychain that does not answer within this is taken as missing (a D-Bus service that
// never replies would otherwise block the console).
constexpr int KeychainTimeoutMs = 5000;

} // namespace

SecretStore::SecretStore(const QString &service)
    : m_service(service) {}

bool SecretStore::keychainBuiltIn() {
#ifdef WSGATE_HAVE_QTKEYCHAIN
    return true;
#else
    return false;
#endif
}

void SecretStore::setKeychainEnabled(bool enabled) {
    m_keychainEnabled = enabled;
    if (!enabled)
        m_problem = QCoreApplication::translate("SecretStore", "the keychain is turned off");
}

SecretStore::Backend SecretStore::backend() const {
    return m_keychainEnabled && !m_keychainFailed && keychainBuiltIn() ? Backend::Keychain
                                                                       : Backend::Session;
}

bool SecretStore::runJob(JobKind kind, const QString &key, QString *data, bool *found) {
    *found = false;
#ifdef WSGATE_HAVE_QTKEYCHAIN
    std::unique_ptr<QKeychain::Job> job;
    switch (kind) {
    case JobKind::Read:
        job = std::make_unique<QKeychain::ReadPasswordJob>(m_service);
        break;
    case JobKind::Write: {
        auto write = std::make_unique<QKeychain::WritePasswordJob>(m_service);
        write->setTextData(*data);
        job = std::move(write);
        break;
    }
    case JobKind::Delete:
        job = std::make_unique<QKeychain::DeletePasswordJob>(m_service);
        break;
    }
    job->setAutoDelete(false);
    job->setInsecureFallback(false); // never the plain-text QSettings fallback
    job->setKey(key);
    QEventLoop loop;
    bool finished = false;
    const QMetaObject::Connection done =
        QObject::connect(job.get(), &QKeychain::Job::finished, &loop, [&finished, &loop] {
            finished = true;
            loop.quit();
        });
    QTimer::singleShot(KeychainTimeoutMs, &loop, &QEventLoop::quit);
    job->start();
    if (!finished)
        loop.exec(QEventLoop::ExcludeUserInputEvents);
    if (!finished) {
        m_keychainFailed = true;
        m_problem = QCoreApplication::translate("SecretStore", "the keychain did not answer "
                                                               "within %1 s")
                        .arg(KeychainTimeoutMs / 1000);
        QObject::disconnect(done);          // the lambda's references die with this call
        job.release()->setAutoDelete(true); // it deletes itself when it ever finishes
        return false;
    }
    const QKeychain::Error error = job->error();
    if (error == QKeychain::NoError) {
        *found = true;
        if (kind == JobKind::Read)
            *data = static_cast<QKeychain::ReadPasswordJob *>(job.get())->textData();
        return true;
    }
    if (error == QKeychain::EntryNotFound)
        return true;
    m_keychainFailed = true;
    m_problem = job->errorString().isEmpty()
                    ? QCoreApplication::translate("SecretStore", "no keychain available")
                    : job->errorString();
    return false;
#else
    Q_UNUSED(kind);
    Q_UNUSED(key);
    Q_UNUSED(data);
    m_keychainFailed = true;
    m_problem = QCoreApplication::translate("SecretStore", "this build has no keychain support "
                                                           "(QtKeychain)");
    return false;
#endif
}

bool SecretStore::write(const QString &key, const QString &secret) {
    m_session.insert(key, secret);
    if (backend() == Backend::Keychain) {
        QString data = secret;
        bool found = false;
        runJob(JobKind::Write, key, &data, &found);
    }
    return true;
}

std::optional<QString> SecretStore::read(const QString &key) {
    const auto it = m_session.constFind(key);
    if (it != m_session.constEnd())
        return *it;
    if (backend() != Backend::Keychain)
        return std::nullopt;
    QString data;
    bool found = false;
    if (!runJob(JobKind::Read, key, &data, &found) || !found)
        return std::nullopt;
    m_session.insert(key, data);
    return data;
}

void SecretStore::remove(const QString &key) {
    m_session.remove(key);
    if (backend() == Backend::Keychain) {
        QString none;
        bool found = false;
        runJob(JobKind::Delete, key, &none, &found);
    }
}
