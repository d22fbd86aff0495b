#include "common/platform/process_identity.hpp"

#include <unistd.h>

namespace azcm::platform {

bool isElevated() {
    return ::geteuid() == 0;
}

UserId effectiveUserId() {
    return ::geteuid();
}

ProcessId currentProcessId() {
    return ::getpid();
}

} // namespace azcm::platform
