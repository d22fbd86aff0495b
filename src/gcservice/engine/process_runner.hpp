#pragma once
// Runs a program without a shell, with a deadline: fork + execv, stdin from /dev/null, stdout and
// stderr captured (bounded), the child in its own process group so that a timeout kills
// everything it started.
#include "backend.hpp"

namespace azcm::gc {

Result<CommandOutcome> runProcess(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout);

} // namespace azcm::gc
