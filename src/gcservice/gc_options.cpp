#include "gc_options.hpp"

#include <charconv>
#include <cstdlib>

namespace azcm::gc {

namespace {

Result<void> readSeconds(const std::map<std::string, std::string>& environment,
                         const char* name,
                         std::chrono::seconds& target,
                         long long min_seconds = 1,
                         long long max_seconds = 10LL * 365 * 86400) {
    const auto found = environment.find(name);
    if (found == environment.end() || found->second.empty()) {
        return ok();
    }
    const std::string& text = found->second;
    long long value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < min_seconds ||
        value > max_seconds) {
        return makeError(exitcode::kInvalidArgument,
                         std::string(name) + " must be a whole number of seconds, got '" + text +
                             "'");
    }
    target = std::chrono::seconds(value);
    return ok();
}

} // namespace

Result<GcOptions> parseGcOptions(const std::map<std::string, std::string>& environment) {
    GcOptions options;
    BOOST_OUTCOME_TRY(readSeconds(environment, "AZCM_GC_POLL_SECONDS", options.poll_interval));
    BOOST_OUTCOME_TRY(
        readSeconds(environment, "AZCM_GC_EVALUATION_SECONDS", options.evaluation_interval));
    BOOST_OUTCOME_TRY(readSeconds(environment, "AZCM_GC_RETENTION_SECONDS", options.retention));
    BOOST_OUTCOME_TRY(readSeconds(environment, "AZCM_GC_RETRY_SECONDS", options.retry_interval));
    BOOST_OUTCOME_TRY(
        readSeconds(environment, "AZCM_GC_COMMAND_TIMEOUT_SECONDS", options.command_timeout));
    BOOST_OUTCOME_TRY(
        readSeconds(environment, "AZCM_GC_LONGPOLL_SECONDS", options.long_poll_wait, 0, 60));
    return options;
}

Result<GcOptions> gcOptionsFromEnvironment() {
    std::map<std::string, std::string> environment;
    for (const char* name :
         {"AZCM_GC_POLL_SECONDS", "AZCM_GC_EVALUATION_SECONDS", "AZCM_GC_RETENTION_SECONDS",
          "AZCM_GC_RETRY_SECONDS", "AZCM_GC_COMMAND_TIMEOUT_SECONDS", "AZCM_GC_LONGPOLL_SECONDS"}) {
        if (const char* value = std::getenv(name)) {
            environment[name] = value;
        }
    }
    BOOST_OUTCOME_TRY(options, parseGcOptions(environment));
    options.access = ipc::controlAccessPolicyFromEnvironment();
    return options;
}

} // namespace azcm::gc
