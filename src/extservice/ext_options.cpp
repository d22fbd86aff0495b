#include "ext_options.hpp"

#include "config/proxy_policy.hpp"

#include <charconv>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include <unistd.h>

namespace azcm::extservice {

namespace {

// A whole number in [low, high] from the environment, or `fallback` when unset.
std::uint64_t
numberFromEnv(const char* name, std::uint64_t fallback, std::uint64_t low, std::uint64_t high) {
    const char* raw = std::getenv(name); // NOLINT(concurrency-mt-unsafe): start-up only
    if (raw == nullptr || *raw == '\0') {
        return fallback;
    }
    const std::string_view text(raw);
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < low || value > high) {
        throw std::invalid_argument(std::string(name) + " must be a whole number between " +
                                    std::to_string(low) + " and " + std::to_string(high));
    }
    return value;
}

} // namespace

ExtOptions optionsFromEnvironment() {
    ExtOptions options;
    options.poll_interval =
        std::chrono::seconds(numberFromEnv("AZCM_EXT_POLL_SECONDS", 300, 1, 86400));
    options.long_poll_wait =
        std::chrono::seconds(numberFromEnv("AZCM_EXT_LONGPOLL_SECONDS", 50, 0, 60));
    options.retry_initial = std::min(options.retry_initial, options.poll_interval);
    options.max_package_bytes =
        numberFromEnv("AZCM_EXT_MAX_PACKAGE_BYTES", options.max_package_bytes, 1, 1ULL << 40);
    options.environment_proxy = config::environmentProxy();
    options.access = ipc::controlAccessPolicyFromEnvironment();
    return options;
}

} // namespace azcm::extservice
