#pragma once
// The azcmagent command line: parses, applies --config, logs the (redacted) command, runs the
// command and maps its result to the exit status.
#include "azcmagent/environment.hpp"

#include <string>
#include <vector>

namespace azcm::azcmagent {

// `args` without the program name. Returns the process exit status.
int runCli(const std::vector<std::string>& args, const Environment& env);

} // namespace azcm::azcmagent
