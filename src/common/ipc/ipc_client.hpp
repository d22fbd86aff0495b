#pragma once
// Client side of the local IPC (docs/architecture.md): HTTP/1.1 + JSON over a Unix socket.
#include "common/error.hpp"
#include "common/http/http_types.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace azcm::ipc {

// Who may answer on a daemon's socket, named by the socket's file name (`<daemon>.sock`): root,
// the daemon's service account when it has one and it exists here (Paths::serviceAccount), and
// the caller's own user (a sandbox runs everything as one user; an account cannot gain from
// impersonating itself).
struct ExpectedServer {
    std::vector<std::uint32_t> uids;
    std::string description; // for errors: "root or himds"
};
ExpectedServer expectedServerFor(const std::filesystem::path& socket_path);

// Refuses a server whose uid (as the kernel recorded it for the socket) is not expected: a socket
// squatted by another local user never receives a request nor gives an answer.
Result<void> checkServer(const std::filesystem::path& socket_path,
                         std::uint32_t server_uid,
                         const ExpectedServer& expected);

// Sends one request to the daemon socket after checking who serves it (expectedServerFor);
// connection failures give exitcode::kHimdsUnreachable, a server of the wrong user
// exitcode::kHimdsCommunication.
Result<http::Response> call(const std::filesystem::path& socket_path,
                            http::Verb method,
                            const std::string& target,
                            const std::string& json_body = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(30));

} // namespace azcm::ipc
