#include "extservice/goal_state.hpp"

#include <gtest/gtest.h>

namespace azcm::extservice {
namespace {

using nlohmann::json;

json entry(const std::string& name) {
    return json{{"name", name},
                {"state", "enabled"},
                {"sequenceNumber", 3},
                {"provisioningState", "Creating"},
                {"publisher", "Contoso.Tools"},
                {"type", "Hello"},
                {"typeHandlerVersion", "1.2.0"},
                {"settings", {{"greeting", "hi"}}},
                {"package",
                 {{"url", "https://his.example/p.zip"},
                  {"size", 42},
                  {"sha256", std::string(64, 'A')},
                  {"signature", "c2ln"}}}};
}

TEST(GoalState, ParsesAnEntryWithItsPackageAndSettings) {
    auto parsed = parseGoalState(json{{"extensions", {entry("hello")}}}, "\"e1\"");
    ASSERT_TRUE(parsed) << parsed.error().message;
    ASSERT_EQ(parsed.value().goal.extensions.size(), 1U);
    const auto& extension = parsed.value().goal.extensions[0];
    EXPECT_EQ(parsed.value().goal.etag, "\"e1\"");
    EXPECT_EQ(extension.handlerName(), "Contoso.Tools.Hello");
    EXPECT_EQ(extension.sequence_number, 3);
    EXPECT_TRUE(extension.awaitsReport());
    EXPECT_FALSE(extension.uninstall());
    ASSERT_TRUE(extension.package);
    EXPECT_EQ(extension.package->size, 42U);
    EXPECT_EQ(extension.package->sha256, std::string(64, 'a')); // normalised to lower case
    EXPECT_EQ(extension.installVersion(), "1.2.0");
    EXPECT_EQ(extension.settings.at("greeting"), "hi");
    EXPECT_FALSE(extension.protected_settings);
}

TEST(GoalState, PackageVersionWinsOverTypeHandlerVersion) {
    auto document = entry("hello");
    document["typeHandlerVersion"] = "1.2";
    document["package"]["version"] = "1.2.7";
    auto parsed = parseGoalState(json{{"extensions", {document}}}, "");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed.value().goal.extensions.at(0).installVersion(), "1.2.7");
}

TEST(GoalState, EitherUpgradeFlagAllowsALaterMinorVersionAndOnlyAJsonTrueSetsIt) {
    auto parsed = parseGoalState(json{{"extensions", {entry("hello")}}}, "");
    ASSERT_TRUE(parsed);
    EXPECT_FALSE(parsed.value().goal.extensions.at(0).newerMinorAllowed());
    for (const char* flag : {"autoUpgradeMinorVersion", "enableAutomaticUpgrade"}) {
        auto document = entry("hello");
        document[flag] = true;
        auto with_flag = parseGoalState(json{{"extensions", {document}}}, "");
        ASSERT_TRUE(with_flag);
        EXPECT_TRUE(with_flag.value().goal.extensions.at(0).newerMinorAllowed()) << flag;
        document[flag] = "true"; // not a JSON boolean: the stricter reading
        auto as_text = parseGoalState(json{{"extensions", {document}}}, "");
        ASSERT_TRUE(as_text);
        EXPECT_FALSE(as_text.value().goal.extensions.at(0).newerMinorAllowed()) << flag;
    }
}

TEST(GoalState, TheDownloadUrlNamesTheExactVersion) {
    auto document = entry("hello");
    document["typeHandlerVersion"] = "2.1";
    document["package"]["url"] = "https://his.example/machines/packages/extension/P/T/2.1.4";
    auto parsed = parseGoalState(json{{"extensions", {document}}}, "");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed.value().goal.extensions.at(0).installVersion(), "2.1.4");
}

TEST(GoalState, RejectsUnsafeNamesButKeepsTheOtherEntries) {
    auto traversal = entry("evil");
    traversal["publisher"] = "../../etc";
    auto plain_http = entry("insecure");
    plain_http["package"]["url"] = "http://his.example/p.zip";
    auto bad_digest = entry("digest");
    bad_digest["package"]["sha256"] = "abc";
    auto parsed = parseGoalState(
        json{{"extensions", {traversal, entry("good"), plain_http, bad_digest}}}, "");
    ASSERT_TRUE(parsed);
    ASSERT_EQ(parsed.value().goal.extensions.size(), 1U);
    EXPECT_EQ(parsed.value().goal.extensions[0].name, "good");
    ASSERT_EQ(parsed.value().rejected.size(), 3U);
    EXPECT_NE(parsed.value().rejected[0].find("evil"), std::string::npos);
}

TEST(GoalState, ProtectedSettingsAndPendingFlag) {
    auto with_secret = entry("a");
    with_secret["protectedSettings"] = "TUlJ";
    with_secret["protectedSettingsCertThumbprint"] = "ABCDEF";
    auto pending = entry("b");
    pending["protectedSettingsPending"] = true;
    auto parsed = parseGoalState(json{{"extensions", {with_secret, pending}}}, "");
    ASSERT_TRUE(parsed);
    const auto& extensions = parsed.value().goal.extensions;
    ASSERT_EQ(extensions.size(), 2U);
    EXPECT_EQ(extensions[0].protected_settings.value_or(""), "TUlJ");
    EXPECT_EQ(extensions[0].protected_settings_thumbprint, "ABCDEF");
    EXPECT_TRUE(extensions[1].protected_settings_pending);
}

TEST(GoalState, UninstallAndSettledStates) {
    auto removing = entry("gone");
    removing["state"] = "uninstall";
    removing["provisioningState"] = "Deleting";
    auto settled = entry("done");
    settled["provisioningState"] = "Succeeded";
    auto parsed = parseGoalState(json{{"extensions", {removing, settled}}}, "");
    ASSERT_TRUE(parsed);
    EXPECT_TRUE(parsed.value().goal.extensions[0].uninstall());
    EXPECT_TRUE(parsed.value().goal.extensions[0].awaitsReport());
    EXPECT_FALSE(parsed.value().goal.extensions[1].awaitsReport());
}

TEST(GoalState, RejectsADocumentWithoutExtensions) {
    EXPECT_FALSE(parseGoalState(json::array(), ""));
    EXPECT_FALSE(parseGoalState(json{{"extensions", "x"}}, ""));
}

TEST(GoalState, SafeNames) {
    EXPECT_TRUE(safeName("Microsoft.Azure.Monitor"));
    EXPECT_TRUE(safeName("custom_script-1"));
    EXPECT_FALSE(safeName(""));
    EXPECT_FALSE(safeName(".."));
    EXPECT_FALSE(safeName("a/b"));
    EXPECT_FALSE(safeName("a b"));
    EXPECT_FALSE(safeName(std::string(129, 'a')));
}

TEST(GoalState, FieldsOfTheWrongTypeOrRangeAreRejectedByName) {
    // 2^32 + 1 names config/1.settings once narrowed to an int.
    for (const auto& [key, value] :
         std::vector<std::pair<std::string, json>>{{"sequenceNumber", 4294967297ULL},
                                                   {"sequenceNumber", -1},
                                                   {"sequenceNumber", "3"},
                                                   {"settings", "greeting=hi"},
                                                   {"state", 5},
                                                   {"protectedSettings", json::object()},
                                                   {"protectedSettingsPending", "true"}}) {
        auto bad = entry("bad");
        bad[key] = value;
        auto parsed = parseGoalState(json{{"extensions", {bad, entry("good")}}}, "");
        ASSERT_TRUE(parsed) << parsed.error().message;
        ASSERT_EQ(parsed.value().goal.extensions.size(), 1U) << key << "=" << value.dump();
        EXPECT_EQ(parsed.value().goal.extensions[0].name, "good");
        ASSERT_EQ(parsed.value().rejected.size(), 1U);
        EXPECT_NE(parsed.value().rejected[0].find("bad: extension: field '" + key + "'"),
                  std::string::npos)
            << parsed.value().rejected[0];
    }
    auto bad = entry("bad");
    bad["package"]["size"] = -42;
    auto parsed = parseGoalState(json{{"extensions", {bad}}}, "");
    ASSERT_TRUE(parsed);
    ASSERT_EQ(parsed.value().rejected.size(), 1U);
    EXPECT_NE(parsed.value().rejected[0].find("package: field 'size'"), std::string::npos)
        << parsed.value().rejected[0];
}

} // namespace
} // namespace azcm::extservice
