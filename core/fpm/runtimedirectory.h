#pragma once

#include <QString>

#include <optional>

/// Managed PHP's runtime directory (config, socket, pid, www/): created private or checked
/// before it is trusted, then given the layout below.
///
/// Layout. Workers of our own account (we are not root): the directory is 0700. Workers of
/// another account (we are root, they are www-data or --php-user): the directory is 0710 with
/// the workers' group, so they can reach the scripts under www/ (0755) and nobody else can
/// enter at all; the config is 0600 and the socket belongs to us with mode 0600, so the workers
/// (and any other process of their account) cannot talk FastCGI to their own pool.
class RuntimeDirectory final {
public:
    RuntimeDirectory() = delete;

    /// Creates `path` (missing parents with the usual permissions, `path` itself 0700 whatever
    /// the umask), or accepts an existing `path` only when it is a directory, not a symbolic
    /// link, owned by us and writable by nobody else; then applies the layout. `workerGroup`:
    /// the workers' group when they run as another account.
    static bool prepare(const QString &path, std::optional<uint> workerGroup, QString *error);
    /// Applies the layout to a directory we have just created ourselves (a QTemporaryDir).
    static bool applyLayout(const QString &path, std::optional<uint> workerGroup, QString *error);
    /// Creates `path` 0755, or accepts it on the terms of prepare() and makes it 0755: a place
    /// for scripts the workers read.
    static bool prepareReadable(const QString &path, QString *error);
};
