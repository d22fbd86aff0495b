#pragma once
// How a command given as one line of text becomes a process's argument vector: an extension
// handler's command from its manifest, and a guest-configuration script written as a string.
//
// Linux: through /bin/sh -c, as the extension handler protocol and osconfig's scripts say.
// Windows: no interpreter is implied. A handler's command line is split by the rules the C
// runtime splits a command line by, its program taken relative to the handler's directory (the
// child-process layer then refuses a .cmd or .bat program, which Windows would hand to cmd.exe
// and its own parsing); a script string is refused, since there is no /bin/sh to give it to.
#include "common/error.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace azcm::platform {

// `command` is relative to `base` (already checked not to leave it).
Result<std::vector<std::string>> handlerCommandArgv(const std::filesystem::path& base,
                                                    const std::string& command);

Result<std::vector<std::string>> scriptArgv(const std::string& script);

} // namespace azcm::platform
