#include "gcservice/engine/properties.hpp"

#include "common/json/json_fields.hpp"

#include <cstdio>

namespace azcm::gcservice {

using nlohmann::json;

Error propertyError(std::string message) {
    return makeError(exitcode::kInvalidArgument, std::move(message));
}

PropertyReader::PropertyReader(const json& properties) : properties_(properties) {}

const json* PropertyReader::find(const std::string& key) {
    seen_.insert(key);
    if (!properties_.is_object()) {
        return nullptr;
    }
    auto it = properties_.find(key);
    if (it == properties_.end() || it->is_null()) {
        return nullptr;
    }
    return &*it;
}

const json* PropertyReader::raw(const std::string& key) {
    return find(key);
}

Result<std::string> PropertyReader::requiredString(const std::string& key) {
    const json* value = find(key);
    if (value == nullptr) {
        return propertyError("property '" + key + "' is required");
    }
    if (!value->is_string() || value->get<std::string>().empty()) {
        return propertyError("property '" + key + "' must be a non-empty string");
    }
    return value->get<std::string>();
}

Result<std::optional<std::string>> PropertyReader::optionalString(const std::string& key) {
    const json* value = find(key);
    if (value == nullptr) {
        return std::optional<std::string>{};
    }
    if (!value->is_string()) {
        return propertyError("property '" + key + "' must be a string");
    }
    return std::optional<std::string>{value->get<std::string>()};
}

Result<std::optional<bool>> PropertyReader::optionalBool(const std::string& key) {
    const json* value = find(key);
    if (value == nullptr) {
        return std::optional<bool>{};
    }
    if (!value->is_boolean()) {
        return propertyError("property '" + key + "' must be true or false");
    }
    return std::optional<bool>{value->get<bool>()};
}

Result<std::optional<std::int64_t>>
PropertyReader::optionalInteger(const std::string& key, std::int64_t min, std::int64_t max) {
    const json* value = find(key);
    if (value == nullptr) {
        return std::optional<std::int64_t>{};
    }
    // Range-checked on the JSON number itself: a large unsigned one must not wrap into range.
    auto number = jsondoc::asInteger<std::int64_t>(*value, min, max, "property '" + key + "'");
    if (!number) {
        return propertyError("property '" + key + "' must be an integer from " +
                             std::to_string(min) + " to " + std::to_string(max));
    }
    return std::optional<std::int64_t>{number.value()};
}

Result<std::optional<std::vector<std::string>>>
PropertyReader::optionalStringList(const std::string& key) {
    const json* value = find(key);
    if (value == nullptr) {
        return std::optional<std::vector<std::string>>{};
    }
    if (!value->is_array()) {
        return propertyError("property '" + key + "' must be a list of strings");
    }
    std::vector<std::string> items;
    for (const auto& item : *value) {
        if (!item.is_string() || item.get<std::string>().empty()) {
            return propertyError("property '" + key + "' must be a list of non-empty strings");
        }
        items.push_back(item.get<std::string>());
    }
    return std::optional<std::vector<std::string>>{std::move(items)};
}

Result<std::string> PropertyReader::choice(const std::string& key,
                                           std::initializer_list<std::string_view> allowed,
                                           std::string_view fallback) {
    const json* value = find(key);
    if (value == nullptr) {
        return std::string(fallback);
    }
    std::string list;
    for (auto option : allowed) {
        if (value->is_string() && value->get<std::string>() == option) {
            return std::string(option);
        }
        list += (list.empty() ? "" : ", ") + std::string(option);
    }
    return propertyError("property '" + key + "' must be one of " + list);
}

Result<std::optional<platform::FileMode>> PropertyReader::optionalMode(const std::string& key) {
    const json* value = find(key);
    if (value == nullptr) {
        return std::optional<platform::FileMode>{};
    }
    if (!value->is_string()) {
        return propertyError("property '" + key + "' must be an octal string such as \"0600\"");
    }
    auto mode = parseMode(value->get<std::string>());
    if (!mode) {
        return propertyError("property '" + key + "': " + mode.error().message);
    }
    return std::optional<platform::FileMode>{mode.value()};
}

Result<void> PropertyReader::rejectUnknown() const {
    if (!properties_.is_object()) {
        return propertyError("properties must be an object");
    }
    for (const auto& [key, value] : properties_.items()) {
        if (seen_.count(key) == 0) {
            return propertyError("unknown property '" + key + "'");
        }
    }
    return ok();
}

Result<platform::FileMode> parseMode(std::string_view text) {
    if (text.size() < 3 || text.size() > 4) {
        return propertyError("\"" + std::string(text) + "\" is not an octal mode such as \"0600\"");
    }
    platform::FileMode mode = 0;
    for (char c : text) {
        if (c < '0' || c > '7') {
            return propertyError("\"" + std::string(text) +
                                 "\" is not an octal mode such as \"0600\"");
        }
        mode = mode * 8 + static_cast<platform::FileMode>(c - '0');
    }
    return mode;
}

std::string formatMode(platform::FileMode mode) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "%04o", static_cast<unsigned>(mode & 07777));
    return buffer;
}

Result<void> checkSafeName(std::string_view what, const std::string& name) {
    if (name.empty() || name.size() > 256 || name.front() == '-') {
        return propertyError(std::string(what) + " \"" + name + "\" is not a valid name");
    }
    for (char c : name) {
        bool ok_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '@' || c == ':' || c == '+' || c == '-';
        if (!ok_char) {
            return propertyError(std::string(what) + " \"" + name +
                                 "\" may only contain letters, digits and . _ @ : + -");
        }
    }
    return ok();
}

} // namespace azcm::gcservice
