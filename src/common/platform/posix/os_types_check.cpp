// The neutral names of platform/os_types.hpp must be the POSIX types themselves: code converts
// between them without casts, and a mismatch would silently narrow an id.
#include "common/platform/os_types.hpp"

#include <type_traits>

#include <sys/types.h>

static_assert(std::is_same_v<azcm::platform::UserId, uid_t>);
static_assert(std::is_same_v<azcm::platform::GroupId, gid_t>);
static_assert(std::is_same_v<azcm::platform::ProcessId, pid_t>);
static_assert(std::is_same_v<azcm::platform::FileMode, mode_t>);
