#include "allocatortuning.h"

#include <QtGlobal>

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

bool userTunesMalloc() {
    const char *tunables = std::getenv("GLIBC_TUNABLES");
    if (tunables && std::strstr(tunables, "glibc.malloc."))
        return true;
    for (const char *name :
         {"MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_"}) {
        if (std::getenv(name))
            return true;
    }
    return false;
}

} // namespace

bool tuneAllocatorForMessages() {
#if defined(__GLIBC__)
    if (userTunesMalloc())
        return false;
    // Either call alone also stops glibc's adaptive threshold, so both are set together.
    const bool mmapSet = mallopt(M_MMAP_THRESHOLD, int(AllocatorTuning::MmapThresholdBytes)) == 1;
    const bool trimSet = mallopt(M_TRIM_THRESHOLD, int(AllocatorTuning::TrimThresholdBytes)) == 1;
    return mmapSet && trimSet;
#else
    return false;
#endif
}
