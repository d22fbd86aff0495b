#include "common/platform/command_interpreter.hpp"
#include "common/platform/windows/command_line.hpp"

namespace azcm::platform {

Result<std::vector<std::string>> handlerCommandArgv(const std::filesystem::path& base,
                                                    const std::string& command) {
    auto argv = windows::splitCommandLine(command);
    if (argv.empty() || argv.front().empty()) {
        return makeError(exitcode::kInvalidArgument, "the command names no program: " + command);
    }
    const std::filesystem::path relative(argv.front());
    for (const auto& component : relative) {
        // Also a quoted program, which the caller's check of the unquoted text cannot see.
        if (component == "..") {
            return makeError(exitcode::kInvalidArgument,
                             "the command's program leaves the handler directory: " + argv.front());
        }
    }
    if (relative.has_root_path()) {
        return makeError(exitcode::kInvalidArgument,
                         "the command's program must be relative to the handler directory: " +
                             argv.front());
    }
    auto program = base / relative;
    argv.front() = program.make_preferred().string();
    return argv;
}

Result<std::vector<std::string>> scriptArgv(const std::string& script) {
    return makeError(exitcode::kInvalidArgument,
                     "a script given as one string runs through /bin/sh, which Windows does not "
                     "have; give the program and its arguments as a list instead: " +
                         script);
}

} // namespace azcm::platform
