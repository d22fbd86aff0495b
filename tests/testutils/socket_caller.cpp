#include "socket_caller.hpp"

#include "process.hpp"

namespace azcm::test {

int unixSocketStatus(const std::filesystem::path& socket,
                     const std::string& method,
                     const std::string& target,
                     const SocketCaller& caller) {
    SpawnOptions options;
    options.as_uid = caller.uid;
    options.supplementary_groups = caller.groups;
    const auto result = runCommand({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                    "--max-time", "10", "--unix-socket", socket.string(), "-X",
                                    method, "http://localhost" + target},
                                   options);
    try {
        return std::stoi(result.out);
    } catch (const std::exception&) {
        return 0;
    }
}

} // namespace azcm::test
