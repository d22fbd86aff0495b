// The table of configuration keys walked row by row: whatever a row says, set, get, clear, the
// file's writer and its reader must agree on it, so a new row is tested the moment it is added.
#include "common/config/config_field.hpp"
#include "common/config/config_keys.hpp"
#include "common/config/config_values.hpp"
#include "common/config/local_config.hpp"
#include "common/config/monitor_mode.hpp"

#include <set>
#include <type_traits>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace azcm::config {
namespace {

using nlohmann::json;

// The JSON type a value of `type` has, as the file and `config get --json` give it.
bool holdsType(ValueType type, const json& value) {
    switch (type) {
    case ValueType::kBool:
        return value.is_boolean();
    case ValueType::kInteger:
        return value.is_number_integer();
    case ValueType::kChoice:
    case ValueType::kProxyUrl:
        return value.is_string();
    case ValueType::kList:
        return value.is_array();
    }
    return false;
}

TEST(ConfigKeysTest, EveryRowIsComplete) {
    std::set<std::string> names;
    for (const auto& key : configKeys()) {
        SCOPED_TRACE(key.name);
        EXPECT_TRUE(names.insert(key.name).second) << "listed twice";
        EXPECT_EQ(findConfigKey(key.name), &key);
        EXPECT_NE(key.from_text, nullptr);
        EXPECT_NE(key.from_file, nullptr);
        EXPECT_TRUE(holdsType(key.type, fieldValue(LocalConfig{}, key.field)));
        ASSERT_FALSE(key.applied_by.empty());
        EXPECT_EQ(key.applied_by.front(), "himds") << "himds reports every key to Azure";
        EXPECT_FALSE(key.allowed.empty());
        EXPECT_FALSE(key.effect.empty());
    }
}

TEST(ConfigKeysTest, KeysAreFoundInAnyCaseOnTheCommandLineButExactlyInTheFile) {
    EXPECT_EQ(findConfigKey("Extensions.AllowList"), findStoredKey("extensions.allowlist"));
    EXPECT_EQ(findStoredKey("Extensions.AllowList"), nullptr);
    EXPECT_EQ(findConfigKey("no.such.key"), nullptr);
}

TEST(ConfigKeysTest, EveryKeyRoundTripsThroughSetGetClearSerialiseAndParse) {
    const LocalConfig defaults;
    for (const auto& key : configKeys()) {
        SCOPED_TRACE(key.name + " = " + key.example);
        LocalConfig config;
        auto set = setFromText(config, key, key.example, ListEdit::kReplace);
        ASSERT_TRUE(set) << set.error().message;
        const auto value = publicValue(config, key);
        EXPECT_TRUE(holdsType(key.type, value)) << value.dump();
        EXPECT_NE(value, publicValue(defaults, key)) << "the example must not be the default";

        // Written and read back, as the CLI writes the file and the daemons read it.
        const auto written = toPublicJson(config);
        EXPECT_EQ(written.at(key.name), value);
        auto parsed = parseLocalConfig(written);
        ASSERT_TRUE(parsed) << parsed.error().message;
        EXPECT_EQ(toJson(parsed.value()), toJson(config));
        EXPECT_EQ(publicValue(parsed.value(), key), value);

        auto cleared = clearToDefault(config, key);
        ASSERT_TRUE(cleared) << cleared.error().message;
        EXPECT_EQ(publicValue(config, key), publicValue(defaults, key));
        EXPECT_EQ(formatConfigValue(publicValue(config, key)), defaultText(key));
        // config.mode's clear also restores what monitor mode changed: nothing else is left over.
        EXPECT_EQ(toJson(config), toJson(defaults));
    }
}

TEST(ConfigKeysTest, EveryKeyRefusesABadValueWith23AndLeavesTheConfigurationAsItWas) {
    for (const auto& key : configKeys()) {
        SCOPED_TRACE(key.name);
        LocalConfig config;
        ASSERT_TRUE(setFromText(config, key, key.example, ListEdit::kReplace));
        const auto before = toJson(config);
        auto refused = setFromText(config, key, "", ListEdit::kReplace);
        ASSERT_FALSE(refused);
        EXPECT_EQ(refused.error().code, exitcode::kInvalidArgument);
        EXPECT_EQ(refused.error().message.rfind("invalid value for " + key.name + ": ", 0), 0u)
            << refused.error().message;
        EXPECT_EQ(toJson(config), before);

        auto in_file = parseLocalConfig(json{{key.name, json::object()}});
        ASSERT_FALSE(in_file);
        EXPECT_EQ(in_file.error().code, exitcode::kInvalidArgument);
        EXPECT_EQ(in_file.error().message.rfind(
                      "AZCM0023: invalid value for " + key.name + " in localconfig.json", 0),
                  0u)
            << in_file.error().message;
    }
}

TEST(ConfigKeysTest, OnlyListKeysTakeAddAndRemove) {
    for (const auto& key : configKeys()) {
        SCOPED_TRACE(key.name);
        for (const auto edit : {ListEdit::kAdd, ListEdit::kRemove}) {
            LocalConfig config;
            auto result = setFromText(config, key, key.example, edit);
            EXPECT_EQ(static_cast<bool>(result), isListKey(key));
            if (!isListKey(key)) {
                EXPECT_EQ(result.error().message,
                          "--add and --remove apply to list properties only; " + key.name +
                              " holds a single value");
            }
        }
    }
}

TEST(ConfigKeysTest, MonitorModeLocksTheKeysWithAMonitorValueAndRestoresThemAfter) {
    const auto& mode = *findConfigKey("config.mode");
    LocalConfig config;
    for (const auto& key : configKeys()) {
        if (&key != &mode) {
            ASSERT_TRUE(setFromText(config, key, key.example, ListEdit::kReplace)) << key.name;
        }
    }
    const auto full = toJson(config);
    ASSERT_TRUE(setFromText(config, mode, "monitor", ListEdit::kReplace));
    for (const auto& key : configKeys()) {
        SCOPED_TRACE(key.name);
        if (key.monitor_mode_value != nullptr) {
            EXPECT_EQ(fieldValue(config, key.field), key.monitor_mode_value());
            EXPECT_EQ(config.unknown.at(kFullModeStashKey).at(key.name), full.at(key.name));
            auto copy = config;
            EXPECT_FALSE(setFromText(copy, key, key.example, ListEdit::kReplace));
            EXPECT_FALSE(clearToDefault(copy, key));
        } else if (&key != &mode) {
            EXPECT_EQ(fieldValue(config, key.field), full.at(key.name));
            auto copy = config;
            EXPECT_TRUE(clearToDefault(copy, key));
        }
    }
    ASSERT_TRUE(setFromText(config, mode, "full", ListEdit::kReplace));
    EXPECT_EQ(toJson(config), full);
}

} // namespace
} // namespace azcm::config
