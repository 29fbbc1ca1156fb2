#include "http/httpresponder.h"

#include <utility>

HttpResponder::HttpResponder(std::shared_ptr<State> state)
    : m_state(std::move(state)) {}

void HttpResponder::operator()(HttpResponse response) const {
    if (!m_state || m_state->done)
        return;
    m_state->done = true;
    // The state outlives the call even if the server drops its slot meanwhile: we hold it.
    const std::shared_ptr<State> keep = m_state;
    if (keep->send)
        keep->send(std::move(response));
}

bool HttpResponder::isPending() const {
    return m_state && !m_state->done && (!m_state->waiting || m_state->waiting());
}
