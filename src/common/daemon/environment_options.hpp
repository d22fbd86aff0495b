#pragma once
// How every daemon reads its options from the environment (the variables of docs/architecture.md):
// each read returns the value, the default when the variable is unset or empty, or an error
// naming the variable and what it must be. Nothing throws: the daemon skeleton turns the first
// error into the daemon's exit code and a line on stderr.
#include "common/error.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace azcm::daemon {

class EnvironmentOptions {
public:
    // A variable's value; nullopt when it is not set.
    using Lookup = std::function<std::optional<std::string>(const std::string& name)>;

    // The process environment (read at start-up, before any thread exists).
    EnvironmentOptions();
    explicit EnvironmentOptions(Lookup lookup);
    // A fixed set of variables (tests).
    explicit EnvironmentOptions(std::map<std::string, std::string> variables);

    // The value, or nullopt when unset or empty.
    std::optional<std::string> text(const std::string& name) const;

    // A whole number from `low` to `high`.
    Result<std::uint64_t> wholeNumber(const std::string& name,
                                      std::uint64_t fallback,
                                      std::uint64_t low,
                                      std::uint64_t high) const;
    // A whole number of seconds from `low` to `high`.
    Result<std::chrono::seconds> seconds(const std::string& name,
                                         std::chrono::seconds fallback,
                                         std::chrono::seconds low,
                                         std::chrono::seconds high) const;
    // A TCP port, 0 (a free port) to 65535.
    Result<std::uint16_t> port(const std::string& name, std::uint16_t fallback) const;
    // "on" or "off".
    Result<bool> onOff(const std::string& name, bool fallback) const;

private:
    Lookup lookup_;
};

} // namespace azcm::daemon
