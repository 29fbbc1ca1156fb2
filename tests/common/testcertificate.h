#pragma once
// A self-signed certificate and key for 127.0.0.1/localhost, made by the openssl CLI in a
// directory of the test's: TLS tests need no key material in the repository.

#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QString>

namespace wsgatetest {

struct TestCertificate {
    QString certPath;
    QString keyPath;
    QString error; // why it could not be made; empty when it was
    bool isValid() const { return error.isEmpty(); }
};

/// Writes cert.pem and key.pem (EC P-256, one day) into `dir`.
inline TestCertificate makeTestCertificate(const QString &dir) {
    TestCertificate c;
    c.certPath = dir + QStringLiteral("/cert.pem");
    c.keyPath = dir + QStringLiteral("/key.pem");
    const QString openssl = QStandardPaths::findExecutable(QStringLiteral("openssl"));
    if (openssl.isEmpty()) {
        c.error = QStringLiteral("the openssl command is not installed (apt-get install openssl)");
        return c;
    }
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(openssl, {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                      QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                      QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                      QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"),
                      QStringLiteral("/CN=127.0.0.1"), QStringLiteral("-addext"),
                      QStringLiteral("subjectAltName=IP:127.0.0.1,DNS:localhost"),
                      QStringLiteral("-keyout"), c.keyPath, QStringLiteral("-out"), c.certPath});
    if (!p.waitForFinished(30000) || p.exitCode() != 0 || !QFile::exists(c.certPath) ||
        !QFile::exists(c.keyPath))
        c.error = QStringLiteral("openssl req failed: ") + QString::fromLocal8Bit(p.readAll());
    return c;
}

} // namespace wsgatetest
