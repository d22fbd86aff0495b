#pragma once
#include "azcmagent/console.hpp"
#include "azcmagent/environment.hpp"
#include "common/error.hpp"

#include <string>
#include <vector>

namespace azcm::azcmagent {

struct ShowOptions {
    std::vector<std::string> properties;
    bool os = false;
};

// Needs no privilege and never fails because himds is down (its services show as stopped).
Result<void> runShow(const ShowOptions& options, const Environment& env, const Console& console);

} // namespace azcm::azcmagent
