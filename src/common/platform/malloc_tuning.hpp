#pragma once
// The C library's allocator, for daemons that idle most of their life (docs/benchmarks.md, "Idle
// footprint"): glibc keeps the memory a burst of work freed, in case it is asked for again soon;
// a daemon whose next burst is minutes away gives it back instead. Elsewhere a no-op.
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace azcm::platform {

// Hands the free pages of the heaps back to the kernel, after a burst of work (an evaluation, a
// reconcile) whose memory is not needed again until the next one.
inline void returnFreedMemory() {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

} // namespace azcm::platform
