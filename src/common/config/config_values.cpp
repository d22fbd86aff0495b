#include "common/config/config_values.hpp"

#include "common/config/ascii_text.hpp"
#include "common/config/config_field.hpp"
#include "common/config/extension_policy.hpp"
#include "common/config/monitor_mode.hpp"
#include "common/config/value_parsers.hpp"
#include "common/http/proxy_url.hpp"

#include <algorithm>
#include <vector>

namespace azcm::config {

using nlohmann::json;

namespace {

std::vector<std::string>
editList(std::vector<std::string> current, const std::vector<std::string>& entries, ListEdit edit) {
    if (edit == ListEdit::kReplace) {
        return entries;
    }
    for (const auto& entry : entries) {
        auto same = [&](const std::string& e) { return sameExtension(e, entry); };
        if (edit == ListEdit::kAdd) {
            if (std::none_of(current.begin(), current.end(), same)) {
                current.push_back(entry);
            }
        } else {
            current.erase(std::remove_if(current.begin(), current.end(), same), current.end());
        }
    }
    return current;
}

// Allow/None means "no extension at all", so it stands alone; only the allowlist accepts it.
Result<void> checkAllowNoneAlone(const ConfigKey& key, const std::vector<std::string>& list) {
    const bool has_allow_none = std::any_of(
        list.begin(), list.end(), [](const auto& e) { return sameExtension(e, kAllowNone); });
    if (has_allow_none && list.size() > 1) {
        return invalidText(key.name, "Allow/None cannot be combined with other entries");
    }
    return ok();
}

void store(LocalConfig& config, const ConfigKey& key, const json& value) {
    if (key.apply != nullptr) {
        key.apply(config, value);
    } else {
        storeField(config, key.field, value);
    }
}

} // namespace

json publicValue(const LocalConfig& config, const ConfigKey& key) {
    auto value = fieldValue(config, key.field);
    if (key.public_form == PublicForm::kCredentialsRedacted) {
        return http::redactProxyUrl(value.get<std::string>());
    }
    return value;
}

std::string formatConfigValue(const json& value) {
    if (value.is_string()) {
        return value.get<std::string>();
    }
    if (value.is_array()) {
        std::string out = "[";
        for (std::size_t i = 0; i < value.size(); ++i) {
            out += (i == 0 ? "" : ", ") + formatConfigValue(value.at(i));
        }
        return out + "]";
    }
    return value.dump();
}

std::string defaultText(const ConfigKey& key) {
    return formatConfigValue(publicValue(LocalConfig{}, key));
}

Result<void>
setFromText(LocalConfig& config, const ConfigKey& key, std::string_view text, ListEdit edit) {
    if (edit != ListEdit::kReplace && !isListKey(key)) {
        return makeError(exitcode::kInvalidArgument,
                         "--add and --remove apply to list properties only; " + key.name +
                             " holds a single value");
    }
    BOOST_OUTCOME_TRY(refuseWhileLocked(config, key));
    BOOST_OUTCOME_TRY(value, key.from_text(key.name, trimSpace(text)));
    if (isListKey(key)) {
        auto edited = editList(fieldValue(config, key.field).get<std::vector<std::string>>(),
                               value.get<std::vector<std::string>>(), edit);
        BOOST_OUTCOME_TRY(checkAllowNoneAlone(key, edited));
        value = std::move(edited);
    }
    store(config, key, value);
    return ok();
}

Result<void> clearToDefault(LocalConfig& config, const ConfigKey& key) {
    BOOST_OUTCOME_TRY(refuseWhileLocked(config, key));
    store(config, key, fieldValue(LocalConfig{}, key.field));
    return ok();
}

} // namespace azcm::config
