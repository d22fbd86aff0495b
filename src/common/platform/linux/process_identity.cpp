#include "platform/process_identity.hpp"

#include <unistd.h>

namespace azcm::platform {

bool isElevated() {
    return ::geteuid() == 0;
}

uid_t effectiveUid() {
    return ::geteuid();
}

} // namespace azcm::platform
