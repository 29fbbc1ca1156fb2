#pragma once
// Requests to a ManagedPhp for tst_managedphp and tst_managedphpxdebug: a one-connection
// FastCGI pool, managed_env.php and what it reports.

#include "fastcgi/fastcgipool.h"
#include "phpfpmfixture.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <memory>
#include <optional>

namespace managedphptest {

constexpr int StartWaitMs = 20000;

inline std::unique_ptr<FastCgiPool> poolFor(const QString &address) {
    QString error;
    const auto parsed = FastCgiAddress::parse(address, &error);
    if (!parsed)
        qFatal("bad address %s: %s", qPrintable(address), qPrintable(error));
    FastCgiPoolOptions options;
    options.address = *parsed;
    options.maxConnections = 1;
    return std::make_unique<FastCgiPool>(options);
}

inline std::optional<PhpResponse> request(PhpBackend &backend, const QString &script,
                                          const PhpParams &extra = {}) {
    const QByteArray path = script.toUtf8();
    PhpRequest req;
    req.params = {{"GATEWAY_INTERFACE", "CGI/1.1"},    {"REQUEST_METHOD", "GET"},
                  {"SCRIPT_FILENAME", path},           {"SCRIPT_NAME", "/managed_env.php"},
                  {"REQUEST_URI", "/managed_env.php"}, {"QUERY_STRING", ""},
                  {"SERVER_PROTOCOL", "HTTP/1.1"}};
    req.params += extra;
    std::optional<PhpResponse> result;
    backend.submit(req, [&](const PhpResponse &r) { result = r; });
    if (!QTest::qWaitFor([&] { return result.has_value(); }, StartWaitMs))
        return std::nullopt;
    return result;
}

inline QJsonObject managedEnv(PhpBackend &backend, const PhpParams &extra = {}) {
    const auto r =
        request(backend, PhpFpmFixture::script(QStringLiteral("managed_env.php")), extra);
    if (!r || r->outcome != PhpOutcome::Ok || r->status != 200)
        return {};
    return QJsonDocument::fromJson(r->body).object();
}

} // namespace managedphptest
