// tuneAllocatorForMessages: a freed message-sized block stays with the process (no mmap, no
// trim), and a user's own malloc settings are left alone.

#include "loop/allocatortuning.h"
#include "testmain.h"

#include <QTest>

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

// Keeps the compiler from pairing a malloc() with its free() and dropping both.
void *volatile g_block = nullptr;

constexpr size_t kMessageBytes = 1024 * 1024; // a large message, well below the mmap threshold

} // namespace

class TestAllocatorTuning final : public QObject {
    Q_OBJECT
private slots:
#if defined(__GLIBC__)
    void untunedMallocMapsAndUnmapsEachLargeBlock() {
        // glibc's defaults (what the tuning replaces): the block is mmapped and given back.
        QCOMPARE(mallopt(M_MMAP_THRESHOLD, 128 * 1024), 1);
        QCOMPARE(mallopt(M_TRIM_THRESHOLD, 128 * 1024), 1);
        const size_t mappedBefore = mallinfo2().hblkhd;
        g_block = std::malloc(kMessageBytes);
        QVERIFY(g_block);
        std::memset(g_block, 'x', kMessageBytes);
        QVERIFY(mallinfo2().hblkhd >= mappedBefore + kMessageBytes);
        std::free(g_block);
        QCOMPARE(mallinfo2().hblkhd, mappedBefore);
    }

    void tunedMallocKeepsAFreedMessageForTheNext() {
        qunsetenv("GLIBC_TUNABLES");
        QVERIFY(tuneAllocatorForMessages());
        const size_t mappedBefore = mallinfo2().hblkhd;
        g_block = std::malloc(kMessageBytes);
        QVERIFY(g_block);
        std::memset(g_block, 'x', kMessageBytes);
        QCOMPARE(mallinfo2().hblkhd, mappedBefore); // from the heap, not a mapping of its own
        const size_t heapWithBlock = mallinfo2().arena;
        std::free(g_block);
        // Still there for the next message: the heap was not trimmed below it.
        QCOMPARE(mallinfo2().arena, heapWithBlock);
        QVERIFY(mallinfo2().fordblks >= kMessageBytes);
    }

    void aUsersOwnMallocSettingsWin() {
        qputenv("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1048576");
        QVERIFY(!tuneAllocatorForMessages());
        qputenv("GLIBC_TUNABLES", "glibc.rtld.optional_static_tls=4096");
        QVERIFY(tuneAllocatorForMessages()); // other tunables are not malloc's
        qunsetenv("GLIBC_TUNABLES");
        qputenv("MALLOC_TRIM_THRESHOLD_", "1048576");
        QVERIFY(!tuneAllocatorForMessages());
        qunsetenv("MALLOC_TRIM_THRESHOLD_");
    }
#else
    void otherCLibrariesAreLeftAlone() {
        QVERIFY(!tuneAllocatorForMessages());
    }
#endif
};

WSGATE_TEST_MAIN(TestAllocatorTuning)
#include "tst_allocatortuning.moc"
