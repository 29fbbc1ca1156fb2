#pragma once

#include <QString>
#include <QStringList>

#include <functional>

class QSettings;

/// Opens `file:line` from PHP's STDERR in the developer's editor: a command line with %f (the
/// file) and %l (the line), e.g. `code -g %f:%l` or `phpstorm --line %l %f`, kept in the
/// console's settings under its own key. Without a setting it uses VS Code when `code` is on
/// the PATH, else nothing (and says how to set one).
class EditorLauncher final {
public:
    static constexpr const char *SettingsKey = "traffic/editorCommand";

    /// `settings` (not owned, may be null: the default command only).
    explicit EditorLauncher(QSettings *settings = nullptr);

    /// The command in use: the setting, or the default; empty when there is none.
    QString command() const;
    /// Stores `command` (empty: back to the default).
    void setCommand(const QString &command);
    bool isSet() const { return !command().isEmpty(); }
    /// `code -g %f:%l` when `code` is on the PATH, else empty.
    static QString defaultCommand();
    /// The program and arguments `command` runs for file:line; false when it is empty or
    /// names no %f.
    static bool expand(const QString &command, const QString &file, int line, QString *program,
                       QStringList *arguments);
    /// Starts the editor, detached; false with `error` when it could not.
    bool open(const QString &file, int line, QString *error) const;
    /// Replaces QProcess::startDetached (tests).
    void setStarter(std::function<bool(const QString &, const QStringList &)> starter) {
        m_starter = std::move(starter);
    }

private:
    QSettings *m_settings;
    std::function<bool(const QString &, const QStringList &)> m_starter;
};
