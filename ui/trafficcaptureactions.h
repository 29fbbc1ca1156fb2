#pragma once

#include <QCoreApplication>

class QMenu;
class QWidget;
class TrafficLogView;

/// The traffic view's Capture menu (ring size, pause on the first error, one client only,
/// open a capture) and its file dialogs: export with or without secrets, open a capture.
class TrafficCaptureActions final {
    Q_DECLARE_TR_FUNCTIONS(TrafficCaptureActions)

public:
    /// A new menu (owned by `parent`) acting on `view`.
    static QMenu *createMenu(TrafficLogView *view, QWidget *parent);
    /// Asks for a file (and whether to include secrets), exports the shown rows, confirms with
    /// the path and the count.
    static void exportDialog(TrafficLogView *view);
    /// Asks for a saved export and shows it read-only.
    static void openDialog(TrafficLogView *view);
};
