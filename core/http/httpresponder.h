#pragma once

#include "http/httpresponse.h"

#include <functional>
#include <memory>

/// The answer to one request of an HttpServer: a copyable handle that sends it once.
///
/// Every copy shares one state: only the first call of any copy sends; later calls, calls after
/// the server answered the request itself (504 after Options::handlerTimeoutMs) and calls after
/// the connection or the server is gone do nothing. Answers go out in request order: a later
/// request's response waits for the earlier ones on its connection.
///
/// Thread: call it on the server's thread only (the thread the HttpServer lives in); it is not
/// thread-safe. A handler whose answer comes from another thread posts it back first
/// (QMetaObject::invokeMethod on an object of the server's thread).
class HttpResponder final {
public:
    /// A detached responder: calling it does nothing, isPending() is false.
    HttpResponder() = default;

    /// Sends `response` as the answer (see the class comment for when it does nothing).
    void operator()(HttpResponse response) const;
    /// True until the request is answered (by a call, a 504 or the connection going away).
    bool isPending() const;

private:
    friend class HttpServer;
    struct State {
        std::function<void(HttpResponse &&)> send; // set by the server
        std::function<bool()> waiting;             // the server still takes this answer
        bool done = false;
    };
    explicit HttpResponder(std::shared_ptr<State> state);

    std::shared_ptr<State> m_state;
};
