#pragma once

#include <QByteArray>
#include <QHash>

#include <iterator>
#include <list>
#include <utility>

/// Queue of work taken owner by owner in turn: each round serves every waiting owner once.
///
/// An owner that already had its turn in the current round (an item of it was taken this round,
/// or one is still running) waits for the next round; an owner that did not joins the current
/// one. So with one worker, owner A queueing five items and then owner B one gives A, B, A, A,
/// A, A: B waits for one of A's, never for all of them. A flood of owners with one item each is
/// served in arrival order, one item per owner, before an owner's second item. An empty owner
/// is an owner of its own for every item. Each operation is O(1) (plus a hash lookup). Items are
/// named by the caller's ids, unique while queued.
template <typename T> class FairQueue final {
public:
    using Id = quint64;

    FairQueue() = default;
    FairQueue(const FairQueue &) = delete;
    FairQueue &operator=(const FairQueue &) = delete;

    /// Queues `item` for `owner`; `bytes` is what it adds to bytes().
    void push(Id id, const QByteArray &owner, T item, qint64 bytes) {
        Owner *o = ownerFor(owner);
        o->items.push_back(Entry{id, bytes, std::move(item)});
        added(o, id, std::prev(o->items.end()), bytes, false);
    }

    /// Puts an item takeFront() returned back at the head of the queue (a retry): it is taken
    /// next, and its owner no longer counts it as running.
    void pushFront(Id id, const QByteArray &owner, T item, qint64 bytes) {
        Owner *o = ownerFor(owner);
        if (o->running > 0)
            --o->running;
        o->items.push_front(Entry{id, bytes, std::move(item)});
        added(o, id, o->items.begin(), bytes, true);
    }

    /// The item takeFront() would return; the queue must not be empty.
    T &front() {
        std::list<Owner *> &now = turns(m_round);
        Owner *o = now.empty() ? turns(m_round + 1).front() : now.front();
        return o->items.front().item;
    }

    /// Takes the next item; the queue must not be empty. A named owner counts the item as
    /// running (and so keeps its turn in this round) until finished() is called for it.
    T takeFront() {
        if (turns(m_round).empty())
            ++m_round; // everyone had their turn: the next round begins
        std::list<Owner *> &now = turns(m_round);
        Owner *o = now.front();
        now.pop_front();
        o->scheduled = false;
        Entry entry = std::move(o->items.front());
        o->items.pop_front();
        m_index.remove(entry.id);
        --m_size;
        m_bytes -= entry.bytes;
        o->served = true;
        o->servedRound = m_round;
        if (o->items.empty())
            --m_owners;
        else
            schedule(o, false);
        if (!o->name.isEmpty())
            ++o->running;
        release(o);
        return std::move(entry.item);
    }

    /// A taken item of `owner` ended.
    void finished(const QByteArray &owner) {
        if (owner.isEmpty())
            return;
        Owner *o = m_named.value(owner);
        if (!o)
            return;
        if (o->running > 0)
            --o->running;
        release(o);
    }

    /// Withdraws a queued item (into `removed` when given); false when `id` is not queued.
    bool remove(Id id, T *removed = nullptr) {
        const auto it = m_index.constFind(id);
        if (it == m_index.constEnd())
            return false;
        const Location location = *it;
        m_index.erase(it);
        Owner *o = location.owner;
        if (removed)
            *removed = std::move(location.entry->item);
        m_bytes -= location.entry->bytes;
        --m_size;
        o->items.erase(location.entry);
        if (o->items.empty()) {
            unschedule(o);
            --m_owners;
            release(o);
        }
        return true;
    }

    bool contains(Id id) const { return m_index.contains(id); }
    bool isEmpty() const { return m_size == 0; }
    int size() const { return m_size; }
    /// The sum of the queued items' bytes.
    qint64 bytes() const { return m_bytes; }
    /// Owners with queued items; every anonymous item counts as one.
    int owners() const { return m_owners; }

private:
    struct Entry {
        Id id = 0;
        qint64 bytes = 0;
        T item;
    };
    struct Owner {
        QByteArray name;         // empty: anonymous, one item
        std::list<Entry> items;  // queued, in order
        int running = 0;         // taken and not finished (named owners only)
        bool served = false;     // had a turn in round servedRound
        quint64 servedRound = 0; //
        bool scheduled = false;  // in turns(scheduledRound)
        quint64 scheduledRound = 0;
        typename std::list<Owner *>::iterator turn;
        typename std::list<Owner>::iterator self;
    };
    struct Location {
        Owner *owner = nullptr;
        typename std::list<Entry>::iterator entry;
    };

    // Owners due this round and the next, by round parity: only those two rounds ever hold
    // owners, because the next begins only once this one is empty.
    std::list<Owner *> &turns(quint64 round) { return m_turns[round & 1]; }

    Owner *ownerFor(const QByteArray &name) {
        if (!name.isEmpty()) {
            if (Owner *o = m_named.value(name))
                return o;
        }
        m_store.emplace_back();
        Owner *o = &m_store.back();
        o->self = std::prev(m_store.end());
        o->name = name;
        if (!name.isEmpty())
            m_named.insert(name, o);
        return o;
    }

    void added(Owner *o, Id id, typename std::list<Entry>::iterator entry, qint64 bytes,
               bool atFront) {
        m_index.insert(id, Location{o, entry});
        ++m_size;
        m_bytes += bytes;
        if (o->scheduled) {
            if (!atFront)
                return;
            unschedule(o);
        } else {
            ++m_owners;
        }
        schedule(o, atFront);
    }

    void schedule(Owner *o, bool atFront) {
        const bool hadTurn = o->served && o->servedRound == m_round;
        const quint64 round = atFront || !hadTurn ? m_round : m_round + 1;
        std::list<Owner *> &list = turns(round);
        o->turn = list.insert(atFront ? list.begin() : list.end(), o);
        o->scheduled = true;
        o->scheduledRound = round;
    }

    void unschedule(Owner *o) {
        if (!o->scheduled)
            return;
        turns(o->scheduledRound).erase(o->turn);
        o->scheduled = false;
    }

    // Forgets an owner with nothing queued or running: its next item starts afresh.
    void release(Owner *o) {
        if (!o->items.empty() || o->running > 0 || o->scheduled)
            return;
        if (!o->name.isEmpty())
            m_named.remove(o->name);
        m_store.erase(o->self);
    }

    std::list<Owner> m_store; // stable addresses
    QHash<QByteArray, Owner *> m_named;
    QHash<Id, Location> m_index;
    std::list<Owner *> m_turns[2];
    quint64 m_round = 0;
    int m_size = 0;
    qint64 m_bytes = 0;
    int m_owners = 0;
};
