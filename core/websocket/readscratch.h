#pragma once

#include <QtGlobal>

#include <memory>

/// The buffer a stream reads into for one delivery: one 64 KiB block per thread, shared by every
/// stream of that thread, so an idle connection holds no read buffer. A reader that starts
/// while the thread's block is in use (a nested event loop inside a read callback) gets a
/// private block for its delivery instead.
class ReadScratch final {
public:
    static constexpr qsizetype Bytes = 64 * 1024;

    ReadScratch();
    ~ReadScratch();
    ReadScratch(const ReadScratch &) = delete;
    ReadScratch &operator=(const ReadScratch &) = delete;

    char *data() const { return m_data; }
    static constexpr qsizetype size() { return Bytes; }

private:
    char *m_data = nullptr;
    std::unique_ptr<char[]> m_private; // only when the thread's block was taken
    bool m_ownsThreadBlock = false;
};
