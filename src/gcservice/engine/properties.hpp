#pragma once
// Typed access to a resource's "properties" object with messages that name the property. Every
// read records the key, so rejectUnknown() can refuse a misspelt property instead of ignoring it
// (a typo in "mode" must not make a resource silently compliant).
#include "common/error.hpp"
#include "common/platform/os_types.hpp"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::gcservice {

Error propertyError(std::string message); // exit 23

class PropertyReader {
public:
    explicit PropertyReader(const nlohmann::json& properties);

    Result<std::string> requiredString(const std::string& key);
    Result<std::optional<std::string>> optionalString(const std::string& key);
    Result<std::optional<bool>> optionalBool(const std::string& key);
    Result<std::optional<std::int64_t>>
    optionalInteger(const std::string& key, std::int64_t min, std::int64_t max);
    Result<std::optional<std::vector<std::string>>> optionalStringList(const std::string& key);
    // A string from `allowed`, or `fallback` when the key is absent.
    Result<std::string> choice(const std::string& key,
                               std::initializer_list<std::string_view> allowed,
                               std::string_view fallback);
    // An octal permission string such as "0600" or "750".
    Result<std::optional<platform::FileMode>> optionalMode(const std::string& key);
    // The raw value, or nullptr when absent.
    const nlohmann::json* raw(const std::string& key);

    Result<void> rejectUnknown() const;

private:
    const nlohmann::json* find(const std::string& key);
    const nlohmann::json& properties_;
    std::set<std::string> seen_;
};

Result<platform::FileMode> parseMode(std::string_view text);
std::string formatMode(platform::FileMode mode); // "0600"

// A user, group, unit or package name that cannot be taken for an option by the tool it is passed
// to: not empty, no leading '-', only [A-Za-z0-9._@:+-] and at most 256 characters.
Result<void> checkSafeName(std::string_view what, const std::string& name);

} // namespace azcm::gcservice
