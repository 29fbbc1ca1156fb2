#pragma once
// WSGATE_TEST_MAIN(TestClass): QTEST_GUILESS_MAIN, but the main thread runs the engine's event
// dispatcher (EpollEventDispatcher on Linux unless WSGATE_EVENT_DISPATCHER=qt), so that core and
// integration tests exercise the dispatcher the gateway runs on.

#include "loop/enginedispatcher.h"

#include <QAbstractEventDispatcher>
#include <QCoreApplication>
#include <QTest>

namespace wsgatetest {

/// Installs the engine dispatcher for the main thread; before the QCoreApplication exists.
inline void installEngineEventDispatcher() {
    if (QAbstractEventDispatcher *dispatcher = createEngineEventDispatcher())
        QCoreApplication::setEventDispatcher(dispatcher);
}

} // namespace wsgatetest

#define WSGATE_TEST_MAIN(TestObject)                                                               \
    int main(int argc, char *argv[]) {                                                             \
        wsgatetest::installEngineEventDispatcher();                                                \
        QCoreApplication app(argc, argv);                                                          \
        app.setAttribute(Qt::AA_Use96Dpi, true);                                                   \
        TestObject tc;                                                                             \
        QTEST_SET_MAIN_SOURCE_PATH                                                                 \
        return QTest::qExec(&tc, argc, argv);                                                      \
    }
