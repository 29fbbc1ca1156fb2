#pragma once

class QAbstractEventDispatcher;

// The event dispatcher of the engine's threads (the main thread of wsgated and of the core
// tests, the engine thread of the console): EpollEventDispatcher on Linux, whose cost per wakeup
// grows with the ready sockets, not with the connections held. The GUI thread keeps Qt's.

/// A new dispatcher for one thread, to hand to QThread::setEventDispatcher() or
/// QCoreApplication::setEventDispatcher() before the thread (or application) runs; nullptr means
/// "keep Qt's stock dispatcher": other platforms, WSGATE_EVENT_DISPATCHER=qt, or epoll failed.
QAbstractEventDispatcher *createEngineEventDispatcher();

/// "epoll" for an EpollEventDispatcher, "qt" for anything else (Qt's glib or UNIX dispatcher),
/// "none" for nullptr: for the start-up log.
const char *engineEventDispatcherName(const QAbstractEventDispatcher *dispatcher);
