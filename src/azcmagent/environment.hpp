#pragma once
// Everything the commands take from the outside world, behind std::function so unit tests can
// run a whole command against fakes: the file layout, privilege, machine facts, the himds socket
// and outbound HTTPS, and the terminal.
#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/http/http_types.hpp"
#include "common/http/https_client.hpp"
#include "common/paths/paths.hpp"
#include "common/platform/machine_facts.hpp"

#include <chrono>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

namespace azcm::azcmagent {

struct Environment {
    Paths paths;
    std::function<bool()> is_elevated;
    std::function<bool()> is_azure_vm;
    std::function<std::string()> host_name;
    std::function<std::optional<std::string>(const std::string& name)> get_env;
    std::function<platform::MachineFacts()> machine_facts;
    // One request over the himds control socket; connection failures: kHimdsUnreachable.
    std::function<Result<http::Response>(http::Verb method,
                                         const std::string& target,
                                         const std::string& json_body,
                                         std::chrono::milliseconds timeout)>
        himds;
    // One outbound HTTPS request (with the retries of options.retry).
    std::function<Result<http::Response>(const http::SimpleRequest& request,
                                         const http::ClientOptions& options)>
        https;
    WallClock now;
    std::istream* in = nullptr; // secrets given as "-" are read from here
    std::ostream* out = nullptr;
    std::ostream* err = nullptr;
    bool interactive = false; // stdout is a terminal
};

// The real thing: Paths from AZCM_ROOT, geteuid, DMI, the himds socket, HttpsClient, std::cout.
Environment systemEnvironment();

} // namespace azcm::azcmagent
