#pragma once
// The C library's allocator, tuned for daemons that idle most of their life (docs/benchmarks.md,
// "Idle footprint"). glibc gives each thread that allocates under contention an arena of its own,
// up to eight per core, and keeps freed memory in them; a daemon with a handful of threads that
// wake once a minute needs neither. Elsewhere these are no-ops.
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace azcm::platform {

// At most two arenas: the main thread's and one the others share. Called at start-up, before the
// worker threads allocate.
inline void limitMallocArenas() {
#if defined(__GLIBC__)
    mallopt(M_ARENA_MAX, 2);
#endif
}

// Hands the free pages at the top of the heaps back to the kernel, after a burst of work (an
// evaluation, a reconcile) whose memory is not needed again until the next one.
inline void returnFreedMemory() {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

} // namespace azcm::platform
