#pragma once
// The destinations extensions need through arcproxy: the host and port of every package URL of
// the extension goal state. extservice (root) writes them to Paths::extensionDestinations()
// (0644, in the root-owned agent data directory); arcproxy adds them to its allow-list. The file
// is `{"destinations": ["host:port", ...]}` (docs/arcproxy.md).
#include "common/error.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace azcm::config {

// "host:port" of each http(s) URL (IPv6 in brackets), sorted, once each; URLs that do not parse
// are left out (the goal state refuses them on its own).
std::vector<std::string> destinationsOfUrls(const std::vector<std::string>& urls);

// Replaces the file when its list differs from `destinations` (nothing is written otherwise).
Result<void> publishExtensionDestinations(const std::filesystem::path& path,
                                          const std::vector<std::string>& destinations);

// The list in the file; a missing file is an empty list. Errors name the file.
Result<std::vector<std::string>> loadExtensionDestinations(const std::filesystem::path& path);

} // namespace azcm::config
