#pragma once
// Substring checks that read well in assertions.
#include "common/error.hpp"

#include <string_view>

namespace azcm::test {

inline bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

// Whether an error's message names `text` (a field, a limit, a path).
inline bool mentions(const Error& error, std::string_view text) {
    return contains(error.message, text);
}

} // namespace azcm::test
