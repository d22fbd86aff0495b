#pragma once
// The one way text from outside the process becomes a JSON tree. The size and the nesting depth
// are checked before nlohmann builds anything: a deep tree would overflow the stack when it is
// copied, printed or compared (those recurse), and a large one would exhaust memory.
#include "common/error.hpp"

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace azcm::jsondoc {

// Deeper than any document the agent reads (the deepest, a goal state, nests about 10 levels).
inline constexpr std::size_t kMaxDepth = 64;
// Local files (configuration, state, handler files) are small; answers from the network carry
// extension settings and policy documents.
inline constexpr std::size_t kFileMaxBytes = std::size_t{1024} * 1024;
inline constexpr std::size_t kNetworkMaxBytes = std::size_t{8} * 1024 * 1024;

struct Limits {
    std::size_t max_bytes = kFileMaxBytes;
    std::size_t max_depth = kMaxDepth;
};

// Parses `text`; every error names `source_name` (a file path, or "the identity service's
// answer") and carries exitcode::kGeneric for the caller to map.
Result<nlohmann::json>
parse(std::string_view text, std::string_view source_name, Limits limits = {});

// Reads the file (no symlink followed, at most limits.max_bytes) and parses it. A missing file is
// exitcode::kConfigFileNotFound, every other error exitcode::kGeneric; both name the file.
Result<nlohmann::json> parseFile(const std::filesystem::path& path, Limits limits = {});

// The document as text, compact (indent < 0) or indented. Never throws: text that is not valid
// UTF-8 (a process's output, a file name) is written with U+FFFD in place of the bad bytes, where
// nlohmann's dump() would throw.
std::string serialize(const nlohmann::json& document, int indent = -1);

} // namespace azcm::jsondoc
