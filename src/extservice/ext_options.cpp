#include "extservice/ext_options.hpp"

#include "common/config/proxy_policy.hpp"

#include <algorithm>

namespace azcm::extservice {

Result<ExtOptions> optionsFromEnvironment(const daemon::EnvironmentOptions& environment) {
    ExtOptions options;
    BOOST_OUTCOME_TRY(poll, environment.seconds("AZCM_EXT_POLL_SECONDS", options.poll_interval,
                                                std::chrono::seconds(1), std::chrono::hours(24)));
    options.poll_interval = poll;
    BOOST_OUTCOME_TRY(long_poll,
                      environment.seconds("AZCM_EXT_LONGPOLL_SECONDS", options.long_poll_wait,
                                          std::chrono::seconds(0), http::kMaxLongPollWait));
    options.long_poll_wait = long_poll;
    options.retry_initial = std::min(options.retry_initial, options.poll_interval);
    BOOST_OUTCOME_TRY(max_package,
                      environment.wholeNumber("AZCM_EXT_MAX_PACKAGE_BYTES",
                                              options.max_package_bytes, 1, 1ULL << 40));
    options.max_package_bytes = max_package;
    options.environment_proxy = config::environmentProxy();
    options.access = ipc::controlAccessPolicyFromEnvironment();
    return options;
}

} // namespace azcm::extservice
