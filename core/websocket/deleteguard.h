#pragma once

/// Lets an object be deleted by a callback it makes: the object holds `bool *m_deleted`, its
/// destructor sets `*m_deleted = true`, and each call site keeps a DeleteGuard on the stack and
/// returns without touching members when deleted() is true. Nested guards tell the outer ones.
class DeleteGuard final {
public:
// GCC 12 warns about storing a stack address in a member; the destructor takes it back out
// (or the member's object is gone), so it never dangles.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
    explicit DeleteGuard(bool *&slot)
        : m_slot(slot)
        , m_outer(slot) {
        m_slot = &m_deleted;
    }
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic pop
#endif
    ~DeleteGuard() {
        if (m_deleted) {
            if (m_outer)
                *m_outer = true;
        } else {
            m_slot = m_outer;
        }
    }
    DeleteGuard(const DeleteGuard &) = delete;
    DeleteGuard &operator=(const DeleteGuard &) = delete;

    bool deleted() const {
        return m_deleted;
    }

private:
    bool m_deleted = false;
    bool *&m_slot; // the object's member: not touched once the object is gone
    bool *m_outer;
};
