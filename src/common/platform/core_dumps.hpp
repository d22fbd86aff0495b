#pragma once
// Keeps a process's memory out of core files and away from debuggers of the same user: the
// daemons hold private keys, managed-identity tokens and proxy credentials.
#include "common/error.hpp"

namespace azcm::platform {

// Makes this process non-dumpable (no core file, no ptrace or /proc/<pid>/mem access by its own
// user; /proc/<pid> files become root's) and sets its core size limit to 0. Children keep the
// limit; a program they exec is dumpable again, as the kernel resets that flag on exec.
Result<void> forbidCoreDumps();

// Whether this process is dumpable; tests use it to check forbidCoreDumps() in a child.
bool isDumpable();

} // namespace azcm::platform
