#pragma once
// Local accounts by name and by id, and the account behind a connected local socket.
#include "platform/os_types.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace azcm::platform {

// The id of group `name`, or nullopt when there is no such group.
std::optional<GroupId> groupId(const std::string& name);
// The uid of user `name`, or nullopt when there is no such user.
std::optional<std::uint32_t> userId(const std::string& name);
// The name of user `uid`, or "uid <n>" when it has none.
std::string userName(std::uint32_t uid);
// The uid the peer of the connected Unix socket `descriptor` had when it connected or listened,
// as the kernel recorded it (SO_PEERCRED on Linux); nullopt when the kernel does not say.
std::optional<std::uint32_t> socketPeerUserId(int descriptor);

} // namespace azcm::platform
