#include "common/platform/windows/local_pipe_name.hpp"

#include <cctype>
#include <cstdint>
#include <cstdio>

namespace azcm::platform::windows {

std::string localPipeName(const std::filesystem::path& endpoint) {
    // Both ends must derive one name from one endpoint however it is spelled: absolute,
    // normalised, '/' separators, and compared without case as Windows compares paths.
    std::string whole = std::filesystem::absolute(endpoint).lexically_normal().generic_string();
    for (auto& c : whole) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    std::uint32_t hash = 2166136261U; // FNV-1a
    for (const char c : whole) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 16777619U;
    }
    std::string stem;
    for (const char c : endpoint.stem().string()) {
        // Only what a pipe name and a log line carry safely.
        stem += std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' ? c : '_';
    }
    char digest[9];
    std::snprintf(digest, sizeof digest, "%08x", static_cast<unsigned>(hash));
    return "azcmagent-" + stem + "-" + digest;
}

} // namespace azcm::platform::windows
