#pragma once
// `arc-emulator extension publish`, `gc publish` and `agent publish`: signs a package and stores
// it in the data directory's database, where the serving emulator (possibly running) sees it on
// its next read.
#include "common/error.hpp"

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace azcm::emulator {

struct PublishOptions {
    std::filesystem::path data_dir;
    std::filesystem::path zip;
    std::string kind = "extension"; // or "guestconfiguration" (publisher ""), "agent"
    std::string publisher;
    std::string type; // an agent package's platform: empty, told by the file's content
    std::string version;
    std::string file_option = "--zip"; // how error messages name `zip`
    // `agent publish --released`: when the release came out, RFC 3339 ("2025-01-31T00:00:00Z", or
    // with an offset); empty: now. Not after now: a release not out yet is no release.
    std::string released{};
};

// Returns the JSON printed on stdout: {"kind", "publisher", "type", "version", "size", "sha256",
// "signature" (base64 DER), "downloadPath", "file" (absolute path of the stored zip),
// "packageSigningRootPath", "released" (RFC 3339 UTC, whole seconds)}. Errors carry
// exitcode::kInvalidArgument for bad input.
Result<nlohmann::json> publishPackageCommand(const PublishOptions& options);

} // namespace azcm::emulator
