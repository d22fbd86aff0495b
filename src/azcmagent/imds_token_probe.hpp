#pragma once
// A managed-identity token obtained the way a local application obtains one (docs/protocol.md):
// a GET of the IMDS token endpoint on loopback is answered 401 naming a fresh key file in
// WWW-Authenticate; the same GET with the file's content as Basic credentials is answered with a
// token. The upgrade's health check uses it to prove the new himds serves applications.
#include "common/error.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string_view>

namespace azcm::azcmagent {

// The key file a challenge names ("Basic realm=<path>"), accepted only as a direct child of the
// tokens directory ending in ".key": the file's content is sent to whoever listens on the port,
// so a listener other than himds can never make a privileged caller read another file.
Result<std::filesystem::path> challengeKeyFile(std::string_view www_authenticate,
                                               const std::filesystem::path& tokens_dir);

// Obtains a token for `resource` from the IMDS API at 127.0.0.1:`port`, through the challenge;
// the whole exchange within `timeout`. The error says which step failed.
Result<void> probeImdsToken(std::uint16_t port,
                            const std::filesystem::path& tokens_dir,
                            std::string_view resource,
                            std::chrono::milliseconds timeout);

} // namespace azcm::azcmagent
