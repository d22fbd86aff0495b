#pragma once
// Who this process is.
#include "common/platform/os_types.hpp"

namespace azcm::platform {

// Commands that change anything need an effective uid of 0, also in a sandbox (AZCM0018).
bool isElevated();
// The account this process acts as: its effective uid.
UserId effectiveUserId();
ProcessId currentProcessId();

} // namespace azcm::platform
