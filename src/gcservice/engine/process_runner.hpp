#pragma once
// Runs a program without a shell, with a deadline: fork + execve, stdin from /dev/null, stdout and
// stderr captured (bounded), the child in its own process group so that a timeout kills
// everything it started. The program is an absolute path or a name found in the fixed safe PATH,
// and the child's environment is the allow-listed one of platform/child_environment.hpp plus
// `extra_env`; a program that cannot be found exits 127 without a process being started.
#include "common/platform/child_environment.hpp"
#include "gcservice/engine/backend.hpp"

namespace azcm::gcservice {

Result<CommandOutcome> runProcess(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout,
                                  const platform::EnvironmentMap& extra_env = {});

} // namespace azcm::gcservice
