#pragma once
// Process groups the agent started and may have to kill after a restart: a handler command's
// group is recorded in a journal with its leader's start time, and a daemon that finds the
// record after a crash kills what is left of the group, never an unrelated process that reused
// the pid.
#include "common/platform/os_types.hpp"

#include <chrono>

namespace azcm::platform {

// The process's start time in clock ticks since boot (a pid with the same start time is the same
// process); 0 when it cannot be read.
unsigned long long processStartTime(ProcessId pid);

// Whether a group recorded earlier still has a member that is not a zombie. `leader_start`
// (processStartTime of the leader when it was recorded, 0 if unknown) guards against a reused
// pid: a different process under that pid means the group is gone.
bool processGroupAlive(ProcessId group, unsigned long long leader_start);

// SIGKILL to the whole group, then waits (at most `wait`) until no member is left that is not a
// zombie.
void killProcessGroup(ProcessId group, std::chrono::milliseconds wait = std::chrono::seconds(2));

} // namespace azcm::platform
