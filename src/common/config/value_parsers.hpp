#pragma once
// The parsers the rows of the configuration table (config_keys.cpp) are made of: each reads a
// value from the command line (TextParser) or from localconfig.json (FileParser) and gives it in
// its stored form, or refuses it with exit 23 and a message naming the key. docs/config.md lists
// what each key accepts.
#include "common/config/config_key.hpp"

#include <array>
#include <span>
#include <string>
#include <string_view>

namespace azcm::config {

// "invalid value for KEY: WHY (see 'azcmagent config info KEY')", exit 23.
Error invalidText(std::string_view key, const std::string& why);

Result<nlohmann::json> boolFromText(std::string_view key, std::string_view text);
Result<nlohmann::json> boolFromFile(std::string_view key, const nlohmann::json& value);

// A whole number of minutes 0-1440 (one day).
Result<nlohmann::json> delayMinutesFromText(std::string_view key, std::string_view text);
Result<nlohmann::json> delayMinutesFromFile(std::string_view key, const nlohmann::json& value);
// An integer percentage 1-100.
Result<nlohmann::json> percentFromText(std::string_view key, std::string_view text);
Result<nlohmann::json> percentFromFile(std::string_view key, const nlohmann::json& value);

// One of `choices`, any case on the command line, stored in lower case.
Result<nlohmann::json> choiceFromText(std::string_view key,
                                      std::string_view text,
                                      std::span<const std::string_view> choices);
Result<nlohmann::json> choiceFromFile(std::string_view key,
                                      const nlohmann::json& value,
                                      std::span<const std::string_view> choices);
template <const auto& choices>
Result<nlohmann::json> choiceFromText(std::string_view key, std::string_view text) {
    return choiceFromText(key, text, choices);
}
template <const auto& choices>
Result<nlohmann::json> choiceFromFile(std::string_view key, const nlohmann::json& value) {
    return choiceFromFile(key, value, choices);
}

inline constexpr std::array<std::string_view, 2> kConnectionTypes = {"direct", "gateway"};
// Also reads "default", which older agents wrote for "direct".
Result<nlohmann::json> connectionTypeFromFile(std::string_view key, const nlohmann::json& value);

// http://[user[:password]@]host[:port], as the daemons' HTTPS client can use it.
Result<nlohmann::json> proxyUrlFromText(std::string_view key, std::string_view text);
// Any string: the file keeps what `config set` accepted.
Result<nlohmann::json> stringFromFile(std::string_view key, const nlohmann::json& value);

// One entry of a list in its stored form.
using EntryParser = Result<std::string> (*)(std::string_view key, std::string_view entry);
Result<std::string> portEntry(std::string_view key, std::string_view entry);
Result<std::string> proxyBypassEntry(std::string_view key, std::string_view entry);
Result<std::string> allowlistEntry(std::string_view key, std::string_view entry); // or Allow/None
Result<std::string> blocklistEntry(std::string_view key, std::string_view entry);

// A comma-separated list, each entry read by `entry`; duplicates (any case) dropped.
Result<nlohmann::json> listFromText(std::string_view key, std::string_view text, EntryParser entry);
template <EntryParser entry>
Result<nlohmann::json> listFromText(std::string_view key, std::string_view text) {
    return listFromText(key, text, entry);
}
// An array of strings.
Result<nlohmann::json> listFromFile(std::string_view key, const nlohmann::json& value);

} // namespace azcm::config
