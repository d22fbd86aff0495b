#include "gcservice/engine/process_runner.hpp"

#include "common/platform/child_process.hpp"

namespace azcm::gcservice {

namespace {

constexpr std::size_t kMaxOutput = std::size_t{8} * 1024;

} // namespace

Result<CommandOutcome> runProcess(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout,
                                  const platform::EnvironmentMap& extra_env) {
    if (argv.empty()) {
        return makeError(exitcode::kInvalidArgument, "empty command");
    }
    platform::ChildProcessSpec spec;
    spec.argv = argv;
    spec.environment = platform::childEnvironment(platform::processEnvironment(), extra_env);
    spec.timeout = timeout;
    spec.output_limit = kMaxOutput;
    spec.kept = platform::KeptOutput::kFirst; // a tool's own diagnosis comes first
    spec.merge_stderr = true;
    auto finished = platform::runChildProcess(spec);
    if (!finished) {
        // A program that cannot be found or executed is reported as the shell would (127).
        CommandOutcome missing;
        missing.exit_code = 127;
        missing.output = finished.error().message + "\n";
        return missing;
    }
    CommandOutcome outcome;
    outcome.timed_out = finished.value().timed_out;
    outcome.exit_code = finished.value().timed_out ? -1 : finished.value().exit_code;
    outcome.output = std::move(finished.value().output);
    return outcome;
}

} // namespace azcm::gcservice
