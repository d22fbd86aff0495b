// kernel_settings.hpp on Windows: sysctl names are Linux kernel parameters and have no Windows
// counterpart (Windows keeps its tunables in the registry under names of its own), so every key
// is unsupported rather than mapped to a guess.
#include "common/platform/kernel_settings.hpp"

namespace azcm::platform {

Result<std::string> readKernelSetting(const std::string& key) {
    return makeError(exitcode::kUnsupported,
                     "sysctl " + key + ": kernel settings are Linux parameters, not on Windows");
}

Result<void> writeKernelSetting(const std::string& key, const std::string& value) {
    return makeError(exitcode::kUnsupported, "sysctl " + key + " = " + value +
                                                 ": kernel settings are Linux parameters, not on "
                                                 "Windows");
}

} // namespace azcm::platform
