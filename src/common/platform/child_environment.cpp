// The allow-list of a child's environment: pure, the same on every platform.
#include "common/platform/child_environment.hpp"

#include <array>

namespace azcm::platform {

namespace {

constexpr std::array<std::string_view, 10> kInheritedNames = {
    "IDENTITY_ENDPOINT", "IMDS_ENDPOINT", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
    "http_proxy",        "https_proxy",   "no_proxy",   "LANG",        "TZ",
};

bool startsWith(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

} // namespace

bool inheritable(std::string_view name) {
    for (const auto known : kInheritedNames) {
        if (name == known) {
            return true;
        }
    }
    // LC_CTYPE, LC_MESSAGES, ...: the locale categories.
    return startsWith(name, "LC_") && name.size() > 3;
}

EnvironmentMap childEnvironment(const EnvironmentMap& parent, const EnvironmentMap& extra) {
    EnvironmentMap child;
    for (const auto& [name, value] : parent) {
        if (inheritable(name)) {
            child[name] = value;
        }
    }
    for (const auto& [name, value] : extra) {
        if (name != "PATH" && !startsWith(name, "LD_")) {
            child[name] = value;
        }
    }
    child["PATH"] = std::string(kSafePath);
    return child;
}

EnvironmentBlock::EnvironmentBlock(const EnvironmentMap& environment) {
    strings_.reserve(environment.size());
    for (const auto& [name, value] : environment) {
        auto& entry = strings_.emplace_back(name);
        entry += '=';
        entry += value;
    }
    pointers_.reserve(strings_.size() + 1);
    for (auto& entry : strings_) {
        pointers_.push_back(entry.data());
    }
    pointers_.push_back(nullptr);
}

} // namespace azcm::platform
