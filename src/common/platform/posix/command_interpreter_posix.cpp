#include "common/platform/command_interpreter.hpp"

namespace azcm::platform {

Result<std::vector<std::string>> handlerCommandArgv(const std::filesystem::path& base,
                                                    const std::string& command) {
    return std::vector<std::string>{"/bin/sh", "-c", (base / command).string()};
}

Result<std::vector<std::string>> scriptArgv(const std::string& script) {
    return std::vector<std::string>{"/bin/sh", "-c", script};
}

} // namespace azcm::platform
