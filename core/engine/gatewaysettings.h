#pragma once

#include "config/configuration.h"
#include "gateway/gateway.h"

/// The gateway's settings from a Configuration (the TLS files read and checked); false with a
/// message naming the option when they cannot be used.
bool gatewaySettingsFrom(const Configuration &config, Gateway::Settings *out, QString *error);

/// A TLS server configuration from PEM files (RSA or EC key); false with a message starting
/// with `options` (the option names) when they cannot be read or used.
bool loadTlsFiles(const QString &certPath, const QString &keyPath, const QString &options,
                  QSslConfiguration *out, QString *error);

/// QHostAddress of a configured host ("localhost", "*", an IP literal).
QHostAddress hostAddressOf(const QString &host);

/// "*", "0.0.0.0" or "::": every address of the machine.
bool isWildcardHost(const QString &host);
