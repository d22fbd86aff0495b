#pragma once
#include <sys/types.h>

namespace azcm::platform {

// Commands that change anything need an effective uid of 0, also in a sandbox (AZCM0018).
bool isElevated();
uid_t effectiveUid();

} // namespace azcm::platform
