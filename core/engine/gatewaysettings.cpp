#include "gatewaysettings.h"

#include "version.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslKey>

bool loadTlsFiles(const QString &certPath, const QString &keyPath, const QString &options,
                  QSslConfiguration *out, QString *error) {
    QFile certFile(certPath);
    QFile keyFile(keyPath);
    if (!certFile.open(QIODevice::ReadOnly) || !keyFile.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: cannot read the PEM files").arg(options);
        return false;
    }
    const QList<QSslCertificate> chain = QSslCertificate::fromData(certFile.readAll());
    const QByteArray keyPem = keyFile.readAll();
    QSslKey key(keyPem, QSsl::Rsa);
    if (key.isNull())
        key = QSslKey(keyPem, QSsl::Ec);
    if (chain.isEmpty() || key.isNull()) {
        *error = QStringLiteral("%1: not a PEM certificate and key").arg(options);
        return false;
    }
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setLocalCertificateChain(chain);
    tls.setPrivateKey(key);
    tls.setPeerVerifyMode(QSslSocket::VerifyNone);
    *out = tls;
    return true;
}

bool isWildcardHost(const QString &host) {
    return host == QLatin1String("*") || host == QLatin1String("0.0.0.0") ||
           host == QLatin1String("::");
}

QHostAddress hostAddressOf(const QString &host) {
    if (host == QLatin1String("localhost"))
        return QHostAddress::LocalHost;
    if (host == QLatin1String("*"))
        return QHostAddress::Any;
    return QHostAddress(host);
}

bool gatewaySettingsFrom(const Configuration &c, Gateway::Settings *out, QString *error) {
    Gateway::Settings s;
    WebSocketFront::Settings &f = s.front;
    f.address = hostAddressOf(c.listenHost);
    f.port = c.listenPort;
    f.reusePort = c.reusePort || c.threads > 1;
    if (!c.tlsCert.isEmpty()) {
        QSslConfiguration tls;
        if (!loadTlsFiles(c.tlsCert, c.tlsKey, QStringLiteral("--tls-cert/--tls-key"), &tls, error))
            return false;
        f.tls = tls;
    }
    f.triage.path = c.path.toUtf8();
    f.triage.pushPrefix = c.pushPrefix.toUtf8();
    f.allowedOrigins = c.allowedOrigins;
    // With open events PHP trusts the session cookie the browser sends along: only pages of
    // this origin may open a socket, unless the origins are listed.
    f.sameOriginOnly = c.eventOpen && c.allowedOrigins.isEmpty();
    f.maxConnections = c.maxConnections;
    f.handshakeTimeoutMs = c.handshakeTimeoutMs;
    f.limits.maxHandshakes = c.maxHandshakes;
    f.limits.maxHandshakesPerAddress = c.maxHandshakesPerAddress;
    f.limits.openRate = c.openRate;
    f.limits.openRatePerAddress = c.openRatePerAddress;
    f.openEvents = c.eventOpen;
    f.cgi.script = c.script;
    f.cgi.docroot = c.docroot;
    f.cgi.serverName = c.effectiveServerName();
    f.cgi.https = !c.tlsCert.isEmpty();
    f.connectionLimits.maxMessageBytes = c.maxMessageBytes;
    f.serverName = QStringLiteral("wsgate/" WSGATE_VERSION);

    PhpBridge::Settings &b = s.bridge;
    b.mode =
        c.mode == Configuration::BodyMode::Form ? MessageBody::Mode::Form : MessageBody::Mode::Raw;
    b.messageEvents = c.eventMessage;
    b.closeEvents = c.eventClose;
    b.queueLimit = c.queueLimit;
    b.queueBytes = c.queueBytes;
    b.onPhpError = c.onPhpError == Configuration::ErrorPolicy::Close ? PhpBridge::ErrorPolicy::Close
                   : c.onPhpError == Configuration::ErrorPolicy::Silent
                       ? PhpBridge::ErrorPolicy::Silent
                       : PhpBridge::ErrorPolicy::Message;
    b.invalidUtf8AsBinary = c.invalidUtf8AsBinary;

    s.sendBufferBytes = c.sendBufferBytes;
    s.closeSlowConsumers = c.backpressure == Configuration::BackpressurePolicy::Close;
    s.pingIntervalSec = c.pingIntervalSec;
    s.closeGraceMs = c.closeGraceMs;
    s.fragmentTimeoutMs = c.fragmentTimeoutMs;
    *out = s;
    return true;
}
