#include "trafficcaptureactions.h"

#include "trafficdetailwidget.h"
#include "trafficfilterproxymodel.h"
#include "trafficlogview.h"

#include <QActionGroup>
#include <QCheckBox>
#include <QDir>
#include <QFileDialog>
#include <QGridLayout>
#include <QLocale>
#include <QMenu>
#include <QMessageBox>

QMenu *TrafficCaptureActions::createMenu(TrafficLogView *view, QWidget *parent) {
    auto *menu = new QMenu(parent);
    menu->setObjectName(QStringLiteral("trafficCaptureMenu"));
    QMenu *ring = menu->addMenu(tr("&Ring size"));
    ring->setObjectName(QStringLiteral("trafficRingMenu"));
    ring->setToolTipsVisible(true);
    auto *group = new QActionGroup(ring);
    QAction *configured = ring->addAction(QString());
    configured->setCheckable(true);
    configured->setData(0);
    group->addAction(configured);
    for (const int size : TrafficLogView::RingSizes) {
        QAction *a = ring->addAction(tr("%1 entries").arg(QLocale().toString(size)));
        a->setCheckable(true);
        a->setData(size);
        a->setObjectName(QStringLiteral("ringSize%1").arg(size));
        a->setToolTip(tr("The console and the engine keep this many; a million entries of "
                         "small messages take about a gigabyte"));
        group->addAction(a);
    }
    const auto refresh = [view, ring, configured] {
        configured->setText(
            tr("As configured (%1 entries)").arg(QLocale().toString(view->configuredCapacity())));
        for (QAction *a : ring->actions())
            a->setChecked(a->data().toInt() == view->ringSize());
    };
    refresh();
    QObject::connect(ring, &QMenu::aboutToShow, ring, refresh);
    QObject::connect(group, &QActionGroup::triggered, view,
                     [view](QAction *a) { view->setRingSize(a->data().toInt()); });

    QAction *pause = menu->addAction(tr("Pause on the first &error"));
    pause->setObjectName(QStringLiteral("pauseOnErrorAction"));
    pause->setCheckable(true);
    QObject::connect(pause, &QAction::toggled, view, &TrafficLogView::setPauseOnFirstError);

    QAction *oneClient = menu->addAction(QString());
    oneClient->setObjectName(QStringLiteral("captureOneClientAction"));
    QObject::connect(menu, &QMenu::aboutToShow, menu, [view, pause, oneClient] {
        pause->setChecked(view->pausesOnFirstError());
        const bool narrowed = !view->captureClient().isEmpty();
        oneClient->setEnabled(narrowed || view->detail()->hasEntry());
        oneClient->setText(narrowed ? tr("Capture every &client again")
                                    : tr("Capture only the selected row's &client"));
    });
    QObject::connect(oneClient, &QAction::triggered, view, [view] {
        view->setCaptureClient(view->captureClient().isEmpty() ? view->detail()->entry().clientId
                                                               : QByteArray());
    });
    menu->addSeparator();
    menu->addAction(view->openCaptureAction());
    return menu;
}

void TrafficCaptureActions::exportDialog(TrafficLogView *view) {
    // Qt's own dialog: a native one cannot take the "include secrets" box.
    QFileDialog dialog(view, tr("Export traffic"), QStringLiteral("wsgate-traffic.jsonl"),
                       tr("JSON Lines (*.jsonl);;All files (*)"));
    dialog.setObjectName(QStringLiteral("trafficExportDialog"));
    dialog.setAcceptMode(QFileDialog::AcceptSave);
    dialog.setOption(QFileDialog::DontUseNativeDialog);
    dialog.setDefaultSuffix(QStringLiteral("jsonl"));
    auto *secrets =
        new QCheckBox(tr("Include secrets in clear (cookies, push token, Authorization)"), &dialog);
    secrets->setObjectName(QStringLiteral("exportIncludeSecrets"));
    if (auto *grid = qobject_cast<QGridLayout *>(dialog.layout()))
        grid->addWidget(secrets, grid->rowCount(), 0, 1, grid->columnCount());
    if (dialog.exec() != QDialog::Accepted || dialog.selectedFiles().isEmpty())
        return;
    const QString name = dialog.selectedFiles().constFirst();
    const int rows = view->proxy()->rowCount();
    QString error;
    if (!view->exportJsonLines(name, &error, secrets->isChecked())) {
        QMessageBox::warning(view, tr("Export traffic"),
                             tr("Could not write %1: %2").arg(name, error));
        return;
    }
    const QString where = QDir::toNativeSeparators(name);
    const QString secretsText = secrets->isChecked() ? tr("in clear") : tr("masked");
    const QString done =
        rows == 1
            ? tr("Exported 1 row to %1 (readable by you only; secrets %2)").arg(where, secretsText)
            : tr("Exported %1 rows to %2 (readable by you only; secrets %3)")
                  .arg(rows)
                  .arg(where, secretsText);
    view->setNotice(done);
    Q_EMIT view->statusMessage(done);
}

void TrafficCaptureActions::openDialog(TrafficLogView *view) {
    const QString name = QFileDialog::getOpenFileName(view, tr("Open capture"), QString(),
                                                      tr("JSON Lines (*.jsonl);;All files (*)"));
    if (name.isEmpty())
        return;
    QString error;
    if (!view->openCapture(name, &error))
        QMessageBox::warning(view, tr("Open capture"),
                             tr("Could not open %1: %2").arg(name, error));
}
