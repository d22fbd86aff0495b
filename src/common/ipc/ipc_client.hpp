#pragma once
// Client side of the local IPC (docs/architecture.md): HTTP/1.1 + JSON over the control channel
// (a Unix socket; a named pipe on Windows).
#include "common/error.hpp"
#include "common/http/http_types.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace azcm::ipc {

// The account a daemon's channel is served by besides the administrator's, named by the
// endpoint's file name (`<daemon>.sock`): the daemon's service account (Paths::serviceAccount),
// if it has one.
std::optional<std::string> serviceAccountFor(const std::filesystem::path& endpoint);

// Sends one request to the daemon after checking who serves the channel (the administrator, the
// daemon's service account, or the caller's own account: a sandbox runs everything as one user,
// and an account cannot gain from impersonating itself), so a channel squatted by another local
// account never receives a request nor gives an answer. Connection failures give
// exitcode::kHimdsUnreachable, a server of the wrong account exitcode::kHimdsCommunication.
Result<http::Response> call(const std::filesystem::path& socket_path,
                            http::Verb method,
                            const std::string& target,
                            const std::string& json_body = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(30));

} // namespace azcm::ipc
