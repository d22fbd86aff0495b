#pragma once
// Client side of the local IPC (ARCHITECTURE section 4): HTTP/1.1 + JSON over a Unix socket.
#include "error.hpp"
#include "http/http_types.hpp"

#include <chrono>
#include <filesystem>
#include <string>

namespace azcm::ipc {

// Sends one request to the daemon socket; connection failures give exitcode::kHimdsUnreachable.
Result<http::Response> call(const std::filesystem::path& socket_path,
                            http::Verb method,
                            const std::string& target,
                            const std::string& json_body = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(30));

} // namespace azcm::ipc
