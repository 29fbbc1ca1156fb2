#include "editorlauncher.h"

#include <QCoreApplication>
#include <QProcess>
#include <QSettings>
#include <QStandardPaths>

namespace {

QString tr(const char *text) {
    return QCoreApplication::translate("EditorLauncher", text);
}

} // namespace

EditorLauncher::EditorLauncher(QSettings *settings)
    : m_settings(settings) {}

QString EditorLauncher::defaultCommand() {
    return QStandardPaths::findExecutable(QStringLiteral("code")).isEmpty()
               ? QString()
               : QStringLiteral("code -g %f:%l");
}

QString EditorLauncher::command() const {
    const QString stored =
        m_settings ? m_settings->value(QLatin1String(SettingsKey)).toString().trimmed() : QString();
    return stored.isEmpty() ? defaultCommand() : stored;
}

void EditorLauncher::setCommand(const QString &command) {
    if (!m_settings)
        return;
    if (command.trimmed().isEmpty())
        m_settings->remove(QLatin1String(SettingsKey));
    else
        m_settings->setValue(QLatin1String(SettingsKey), command.trimmed());
}

bool EditorLauncher::expand(const QString &command, const QString &file, int line, QString *program,
                            QStringList *arguments) {
    QStringList words = QProcess::splitCommand(command);
    if (words.isEmpty() || !command.contains(QLatin1String("%f")))
        return false;
    // Substituted per word after splitting, so a path with spaces stays one argument.
    for (QString &w : words) {
        w.replace(QLatin1String("%f"), file);
        w.replace(QLatin1String("%l"), QString::number(std::max(line, 1)));
    }
    *program = words.takeFirst();
    *arguments = words;
    return true;
}

bool EditorLauncher::open(const QString &file, int line, QString *error) const {
    const QString cmd = command();
    if (cmd.isEmpty()) {
        *error = tr("no editor command is set: choose \"Editor…\" below the STDERR messages and "
                    "enter one, e.g. code -g %f:%l or phpstorm --line %l %f");
        return false;
    }
    QString program;
    QStringList arguments;
    if (!expand(cmd, file, line, &program, &arguments)) {
        *error = tr("the editor command \"%1\" has no %f for the file").arg(cmd);
        return false;
    }
    const bool started =
        m_starter ? m_starter(program, arguments) : QProcess::startDetached(program, arguments);
    if (!started)
        *error = tr("could not start %1").arg(program);
    return started;
}
