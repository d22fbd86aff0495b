#pragma once
// `arc-emulator sp create`: a service principal with a client secret (and optionally a
// certificate) plus one role assignment, written to the same database the server reads.
#include "common/error.hpp"

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace azcm::emulator {

struct SpCreateOptions {
    std::filesystem::path data_dir;
    std::string name;
    std::string role;  // display name (any case) or GUID
    std::string scope; // "/", "/subscriptions/<id>[/resourceGroups/<rg>...]"
    std::optional<std::filesystem::path> cert_out;
};

// Returns the JSON printed on stdout: {"appId","displayName","password","tenant"} and, with a
// certificate, "fileWithCertAndPrivateKey" and "certificateThumbprint".
Result<nlohmann::json> createServicePrincipal(const SpCreateOptions& options);

} // namespace azcm::emulator
