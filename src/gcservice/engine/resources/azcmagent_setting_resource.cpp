// "azcmagent_setting": the agent's own local configuration (localconfig.json, docs/config.md) has
// a value. Either one condition ({"key", "value"} or {"key", "not_empty"}) or "any_of" a list of
// them. Set rewrites localconfig.json the way `azcmagent config set` does (validated, crash-safe,
// previous file kept as .bak); with any_of only when a "remediation" {"key", "value"} is given.
#include "common/config/local_config.hpp"
#include "common/fs/atomic_file.hpp"
#include "gcservice/engine/properties.hpp"
#include "gcservice/engine/resource_type.hpp"

#include <algorithm>
#include <cctype>

namespace azcm::gcservice {

namespace {

using nlohmann::json;

struct Condition {
    std::string key;
    std::optional<json> value; // must equal (strings and list items compared without case)
    bool not_empty = false;    // a list or string with something in it
};

struct SettingProperties {
    std::vector<Condition> any_of;
    std::optional<Condition> remediation; // a key/value to write
};

// Whether `value` is acceptable for `key`: the same validation as `azcmagent config set`.
Result<void> checkValue(const std::string& key, const json& value) {
    json document = json::object();
    document[key] = value;
    auto parsed = config::parseLocalConfig(document);
    if (!parsed) {
        return propertyError(parsed.error().message);
    }
    if (parsed.value().unknown.contains(key)) {
        return propertyError("\"" + key + "\" is not an azcmagent config key");
    }
    return ok();
}

Result<Condition> readCondition(const json& object, bool value_required) {
    PropertyReader reader(object);
    Condition out;
    AZCM_ASSIGN_OR_RETURN(out.key, reader.requiredString("key"));
    if (const json* value = reader.raw("value")) {
        out.value = *value;
    }
    if (!value_required) {
        BOOST_OUTCOME_TRY(not_empty, reader.optionalBool("not_empty"));
        out.not_empty = not_empty.value_or(false);
    }
    BOOST_OUTCOME_TRY(reader.rejectUnknown());
    if (out.value.has_value() == out.not_empty || (value_required && !out.value)) {
        return propertyError(value_required ? "a remediation needs key and value"
                                            : "a condition needs exactly one of value, not_empty");
    }
    if (out.value) {
        BOOST_OUTCOME_TRY(checkValue(out.key, *out.value));
    } else if (!config::toJson(config::LocalConfig{}).contains(out.key)) {
        return propertyError("\"" + out.key + "\" is not an azcmagent config key");
    }
    return out;
}

Result<SettingProperties> parse(const json& properties) {
    SettingProperties out;
    if (!properties.is_object()) {
        return propertyError("properties must be an object");
    }
    if (properties.contains("any_of")) {
        PropertyReader reader(properties);
        const json* list = reader.raw("any_of");
        if (list == nullptr || !list->is_array() || list->empty()) {
            return propertyError("property 'any_of' must be a non-empty list of conditions");
        }
        for (const auto& item : *list) {
            BOOST_OUTCOME_TRY(condition, readCondition(item, false));
            out.any_of.push_back(condition);
        }
        if (const json* remediation = reader.raw("remediation")) {
            BOOST_OUTCOME_TRY(condition, readCondition(*remediation, true));
            out.remediation = condition;
        }
        BOOST_OUTCOME_TRY(reader.rejectUnknown());
        return out;
    }
    BOOST_OUTCOME_TRY(condition, readCondition(properties, false));
    out.any_of.push_back(condition);
    if (condition.value) {
        out.remediation = condition;
    }
    return out;
}

json caseless(const json& value) {
    if (value.is_string()) {
        std::string text = value.get<std::string>();
        std::transform(text.begin(), text.end(), text.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return text;
    }
    if (value.is_array()) {
        json out = json::array();
        for (const auto& item : value) {
            out.push_back(caseless(item));
        }
        std::sort(out.begin(), out.end());
        return out;
    }
    return value;
}

bool holds(const Condition& condition, const json& actual) {
    if (condition.not_empty) {
        return (actual.is_array() || actual.is_string()) && !actual.empty() && actual != "";
    }
    // Normalise the wanted value the way the file stores it ("true" string -> true, etc.).
    json document = json::object();
    document[condition.key] = *condition.value;
    auto parsed = config::parseLocalConfig(document);
    json wanted = parsed ? config::toJson(parsed.value())[condition.key] : *condition.value;
    return caseless(actual) == caseless(wanted);
}

std::string describe(const Condition& condition) {
    return condition.key + (condition.not_empty ? " not empty" : " = " + condition.value->dump());
}

class AzcmagentSettingResource final : public ResourceType {
public:
    std::string_view name() const override { return "azcmagent_setting"; }

    Result<void> validate(const json& properties) const override {
        BOOST_OUTCOME_TRY(parse(properties));
        return ok();
    }

    Result<TestOutcome> test(const json& properties,
                             Backend& /*backend*/,
                             const EngineContext& context) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        // Compared and reported redacted: the reasons go to Azure, proxy credentials never do.
        BOOST_OUTCOME_TRY(config, config::loadLocalConfig(context.paths.localConfig(),
                                                          config::ProxyCredentials::kRedacted));
        json current = config::toJson(config);
        std::string found;
        for (const auto& condition : props.any_of) {
            const json& actual = current[condition.key];
            if (holds(condition, actual)) {
                return TestOutcome{true, condition.key + " is " + actual.dump()};
            }
            found += (found.empty() ? "" : ", ") + condition.key + " is " + actual.dump();
        }
        std::string expected;
        for (const auto& condition : props.any_of) {
            expected += (expected.empty() ? "" : " or ") + describe(condition);
        }
        return TestOutcome{false, found + "; expected " + expected};
    }

    Result<void> set(const json& properties,
                     Backend& /*backend*/,
                     const EngineContext& context,
                     SetEffects& effects) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        if (!props.remediation) {
            return makeError(exitcode::kUnsupported,
                             "no remediation is given; change it with azcmagent config set");
        }
        auto path = context.paths.localConfig();
        BOOST_OUTCOME_TRY(config, config::loadLocalConfig(path));
        json document = config::toJson(config);
        document[props.remediation->key] = *props.remediation->value;
        BOOST_OUTCOME_TRY(updated, config::parseLocalConfig(document));
        BOOST_OUTCOME_TRY(fs::ensureDirectory(path.parent_path()));
        BOOST_OUTCOME_TRY(config::saveLocalConfig(path, updated));
        effects.local_config_changed = true;
        return ok();
    }
};

} // namespace

std::unique_ptr<ResourceType> makeAzcmagentSettingResource() {
    return std::make_unique<AzcmagentSettingResource>();
}

} // namespace azcm::gcservice
