#include "common/daemon/environment_options.hpp"

#include "common/platform/child_environment.hpp"

#include <charconv>
#include <string_view>

namespace azcm::daemon {

namespace {

Error refused(const std::string& name, const std::string& what, const std::string& value) {
    return makeError(exitcode::kInvalidArgument,
                     name + " must be " + what + ", not '" + value + "'");
}

std::optional<std::uint64_t> parseWhole(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

} // namespace

EnvironmentOptions::EnvironmentOptions() : lookup_(&platform::environmentVariable) {}

EnvironmentOptions::EnvironmentOptions(Lookup lookup) : lookup_(std::move(lookup)) {}

EnvironmentOptions::EnvironmentOptions(std::map<std::string, std::string> variables)
    : lookup_([variables =
                   std::move(variables)](const std::string& name) -> std::optional<std::string> {
          if (const auto found = variables.find(name); found != variables.end()) {
              return found->second;
          }
          return std::nullopt;
      }) {}

std::optional<std::string> EnvironmentOptions::text(const std::string& name) const {
    auto value = lookup_(name);
    if (!value || value->empty()) {
        return std::nullopt;
    }
    return value;
}

Result<std::uint64_t> EnvironmentOptions::wholeNumber(const std::string& name,
                                                      std::uint64_t fallback,
                                                      std::uint64_t low,
                                                      std::uint64_t high) const {
    const auto value = text(name);
    if (!value) {
        return fallback;
    }
    const auto number = parseWhole(*value);
    if (!number || *number < low || *number > high) {
        return refused(name,
                       "a whole number from " + std::to_string(low) + " to " + std::to_string(high),
                       *value);
    }
    return *number;
}

Result<std::chrono::seconds> EnvironmentOptions::seconds(const std::string& name,
                                                         std::chrono::seconds fallback,
                                                         std::chrono::seconds low,
                                                         std::chrono::seconds high) const {
    const auto value = text(name);
    if (!value) {
        return fallback;
    }
    const auto number = parseWhole(*value);
    const auto within = [&](std::uint64_t n) {
        return n >= static_cast<std::uint64_t>(low.count()) &&
               n <= static_cast<std::uint64_t>(high.count());
    };
    if (!number || !within(*number)) {
        return refused(name,
                       "a whole number of seconds from " + std::to_string(low.count()) + " to " +
                           std::to_string(high.count()),
                       *value);
    }
    return std::chrono::seconds(static_cast<std::chrono::seconds::rep>(*number));
}

Result<std::uint16_t> EnvironmentOptions::port(const std::string& name,
                                               std::uint16_t fallback) const {
    BOOST_OUTCOME_TRY(number, wholeNumber(name, fallback, 0, 65535));
    return static_cast<std::uint16_t>(number);
}

Result<bool> EnvironmentOptions::onOff(const std::string& name, bool fallback) const {
    const auto value = text(name);
    if (!value) {
        return fallback;
    }
    if (*value == "on") {
        return true;
    }
    if (*value == "off") {
        return false;
    }
    return refused(name, "'on' or 'off'", *value);
}

} // namespace azcm::daemon
