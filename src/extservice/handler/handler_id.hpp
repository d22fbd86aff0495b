#pragma once
// Identity of one handler version: "Publisher.Type" plus a dotted numeric version.
#include "common/error.hpp"

#include <string>
#include <string_view>

namespace azcm::extservice {

struct HandlerId {
    std::string publisher; // "Microsoft.Azure.Extensions" (may contain dots)
    std::string type;      // "CustomScript" (no dot)
    std::string version;   // "1.3.0"

    std::string name() const;    // "Publisher.Type"
    std::string dirName() const; // "Publisher.Type-version": the directory under extensionsDir()

    friend bool operator==(const HandlerId&, const HandlerId&) = default;
};

// Every part must be safe as one path component: letters, digits, '.', '_', '-'; not "." or "..";
// the type has no '.', the version is dotted numbers. Fails with code::kGeneric.
Result<void> validateHandlerId(const HandlerId& id);

// "Publisher.Type-1.2.3" -> {Publisher, Type, 1.2.3}; fails on anything else.
Result<HandlerId> parseHandlerDirName(std::string_view dir_name);

// Numeric, dotted comparison: "1.10" > "1.9", "1.0" == "1.0.0". <0, 0, >0.
int compareVersions(std::string_view a, std::string_view b);
bool isValidVersion(std::string_view version);

} // namespace azcm::extservice
