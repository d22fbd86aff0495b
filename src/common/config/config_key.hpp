#pragma once
// One row of the local configuration table (config_keys.hpp): everything the agent knows about one
// `azcmagent config` key. get, set, clear, list, info, the reader of localconfig.json and its
// writer all work from the row, so the CLI and the daemons agree on every key. docs/config.md
// describes the keys for administrators.
#include "common/config/local_config.hpp"
#include "common/error.hpp"

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::config {

// The kind of value a key holds. kList keys take `config set --add/--remove`.
enum class ValueType { kBool, kInteger, kChoice, kProxyUrl, kList };

// Where the key's value lives in LocalConfig; its JSON form is the member's.
using ConfigField = std::variant<bool LocalConfig::*,
                                 int LocalConfig::*,
                                 std::string LocalConfig::*,
                                 std::vector<std::string> LocalConfig::*>;

// How the value appears in localconfig.json (world-readable) and in `config get`/`list`.
enum class PublicForm {
    kAsStored,
    kCredentialsRedacted, // user:password@ of a URL shown as ***@; the secret file keeps it
};

// `config set` text (trimmed) to the value to store; a list key gives its entries, duplicates
// dropped. Refusals: exit 23, "invalid value for KEY: WHY (see 'azcmagent config info KEY')".
using TextParser = Result<nlohmann::json> (*)(std::string_view key, std::string_view text);
// A value found in localconfig.json to the value in force. Refusals: exit 23,
// "AZCM0023: invalid value for KEY in localconfig.json: WHY".
using FileParser = Result<nlohmann::json> (*)(std::string_view key, const nlohmann::json& value);

struct ConfigKey {
    std::string name; // as typed on the command line (any case) and as stored in the file
    ValueType type;
    ConfigField field;
    TextParser from_text;
    FileParser from_file;
    PublicForm public_form = PublicForm::kAsStored;
    // What `config set`/`clear` do in place of storing the value into `field` (config.mode: enter
    // or leave monitor mode); nullptr for a plain assignment.
    void (*apply)(LocalConfig& config, const nlohmann::json& value) = nullptr;
    // The value monitor mode locks the key to, stashing the user's until full mode returns;
    // nullptr: the key stays changeable in monitor mode.
    nlohmann::json (*monitor_mode_value)() = nullptr;
    // The daemons asked to reload after a change (POST /reload). himds is in every row: it reports
    // the whole configuration to Azure.
    std::vector<std::string> applied_by;
    std::string allowed; // `config info`: the values accepted
    std::string effect;  // `config info`: what the key does
    // A valid value other than the default, as typed: shows the syntax, and the table's own tests
    // set it for every key.
    std::string example;
};

inline bool isListKey(const ConfigKey& key) {
    return key.type == ValueType::kList;
}

} // namespace azcm::config
