#include "websocket/readscratch.h"

namespace {

struct ThreadBlock {
    std::unique_ptr<char[]> data;
    bool inUse = false;
};

ThreadBlock &threadBlock() {
    thread_local ThreadBlock block;
    return block;
}

} // namespace

ReadScratch::ReadScratch() {
    ThreadBlock &block = threadBlock();
    if (!block.inUse) {
        if (!block.data)
            block.data = std::unique_ptr<char[]>(new char[Bytes]);
        block.inUse = true;
        m_ownsThreadBlock = true;
        m_data = block.data.get();
    } else {
        m_private = std::unique_ptr<char[]>(new char[Bytes]);
        m_data = m_private.get();
    }
}

ReadScratch::~ReadScratch() {
    if (m_ownsThreadBlock)
        threadBlock().inUse = false;
}
