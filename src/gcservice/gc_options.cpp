#include "gcservice/gc_options.hpp"

namespace azcm::gcservice {

namespace {

constexpr std::chrono::seconds kLongest{10LL * 365 * 86400};

Result<void> readSeconds(const daemon::EnvironmentOptions& environment,
                         const char* name,
                         std::chrono::seconds& target,
                         std::chrono::seconds shortest = std::chrono::seconds(1),
                         std::chrono::seconds longest = kLongest) {
    BOOST_OUTCOME_TRY(value, environment.seconds(name, target, shortest, longest));
    target = value;
    return ok();
}

} // namespace

Result<GcOptions> parseGcOptions(const daemon::EnvironmentOptions& environment) {
    GcOptions options;
    BOOST_OUTCOME_TRY(readSeconds(environment, "AZCM_GC_POLL_SECONDS", options.poll_interval));
    BOOST_OUTCOME_TRY(
        readSeconds(environment, "AZCM_GC_EVALUATION_SECONDS", options.evaluation_interval));
    BOOST_OUTCOME_TRY(readSeconds(environment, "AZCM_GC_RETENTION_SECONDS", options.retention));
    BOOST_OUTCOME_TRY(readSeconds(environment, "AZCM_GC_RETRY_SECONDS", options.retry_interval));
    BOOST_OUTCOME_TRY(
        readSeconds(environment, "AZCM_GC_COMMAND_TIMEOUT_SECONDS", options.command_timeout));
    BOOST_OUTCOME_TRY(readSeconds(environment, "AZCM_GC_LONGPOLL_SECONDS", options.long_poll_wait,
                                  std::chrono::seconds(0), http::kMaxLongPollWait));
    return options;
}

Result<GcOptions> gcOptionsFromEnvironment() {
    BOOST_OUTCOME_TRY(options, parseGcOptions(daemon::EnvironmentOptions()));
    options.access = ipc::controlAccessPolicyFromEnvironment();
    return options;
}

} // namespace azcm::gcservice
