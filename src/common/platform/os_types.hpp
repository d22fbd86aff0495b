#pragma once
// The operating system's identifiers in OS-neutral names, so interfaces outside platform/ need no
// OS header. On POSIX they are the very types of uid_t, gid_t, pid_t and mode_t
// (platform/posix/os_types_check.cpp proves it at compile time).
#include <cstdint>

namespace azcm::platform {

using UserId = std::uint32_t;   // a local account
using GroupId = std::uint32_t;  // a local group
using ProcessId = std::int32_t; // a running process
using FileMode = std::uint32_t; // permission bits, e.g. 0640

} // namespace azcm::platform
