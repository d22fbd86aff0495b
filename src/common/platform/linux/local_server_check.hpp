#pragma once
// The Linux half of connectLocal's check of who serves a socket (platform/local_listener.hpp):
// the uids a client accepts there, and the refusal that names the account it found instead.
#include "common/error.hpp"
#include "common/platform/os_types.hpp"

#include <optional>
#include <string>
#include <vector>

namespace azcm::platform {

struct ExpectedServer {
    std::vector<UserId> uids;
    std::string description; // for errors: "root or himds"
};

// root, `service_account` when it exists, and this process's own user.
ExpectedServer expectedServerFor(const std::optional<std::string>& service_account);

Result<void>
checkServer(const std::string& shown_endpoint, UserId server_uid, const ExpectedServer& expected);

} // namespace azcm::platform
