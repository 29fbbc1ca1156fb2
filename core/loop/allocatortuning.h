#pragma once

/// Keeps glibc's malloc from giving memory back to the kernel after every large message.
///
/// By default glibc trims the top of its heap as soon as 128 KiB of it is free, and serves
/// blocks of 128 KiB and more with mmap (its adaptive threshold moves only once such a block is
/// freed). A gateway relaying 100 KiB messages then frees its message buffers at the top of the
/// heap, the heap shrinks, and the next message faults every page back in: a fifth of the
/// gateway's CPU went to page faults at 100 KiB (`perf record`, 4 connections). This fixes the
/// mmap threshold at 4 MiB and the trim threshold at twice that (glibc's own ratio), so each
/// arena keeps at most 8 MiB of free heap for the next message. A user who tunes malloc
/// (GLIBC_TUNABLES with glibc.malloc.*, or MALLOC_TRIM_THRESHOLD_ / MALLOC_MMAP_THRESHOLD_ /
/// MALLOC_TOP_PAD_) keeps their own settings. Call once, early in main(). Returns whether it
/// changed anything (false on other C libraries).
bool tuneAllocatorForMessages();

namespace AllocatorTuning {
/// Blocks this size and above are still mmapped (and returned at once when freed).
constexpr long MmapThresholdBytes = 4L * 1024 * 1024;
/// Free heap kept per arena before it is given back to the kernel.
constexpr long TrimThresholdBytes = 2 * MmapThresholdBytes;
} // namespace AllocatorTuning
