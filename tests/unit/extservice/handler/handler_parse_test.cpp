// Parsing of the protocol's documents against WALinuxAgent's own fixtures
// (docs/extensions.md) and the identity rules of handler directories.
#include "common/fs/atomic_file.hpp"
#include "extservice/handler/handler_files.hpp"
#include "extservice/handler/handler_id.hpp"
#include "extservice/handler/handler_journal.hpp"
#include "extservice/handler/handler_manifest.hpp"
#include "extservice/handler/handler_status.hpp"
#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace azcm::extservice {
namespace {

const std::filesystem::path kWalaFixtures = AZCM_WALA_FIXTURES;

std::string readFixture(const std::string& relative) {
    std::ifstream in(kWalaFixtures / relative, std::ios::binary);
    EXPECT_TRUE(in.good()) << relative;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST(HandlerManifestTest, ValidManifestHasAllCommandsAndBooleans) {
    auto m = parseHandlerManifest(readFixture("handler_manifest/valid_manifest.json"));
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m.value().install_command, "install_cmd");
    EXPECT_EQ(m.value().uninstall_command, "uninstall_cmd");
    EXPECT_EQ(m.value().update_command, "update_cmd");
    EXPECT_EQ(m.value().enable_command, "enable_cmd");
    EXPECT_EQ(m.value().disable_command, "disable_cmd");
    EXPECT_TRUE(m.value().report_heartbeat);
    EXPECT_TRUE(m.value().continue_on_update_failure);
    EXPECT_TRUE(m.value().supports_multiple_extensions);
    EXPECT_TRUE(m.value().warnings.empty());
}

TEST(HandlerManifestTest, BooleanStringsAreCaseInsensitive) {
    auto m =
        parseHandlerManifest(readFixture("handler_manifest/manifest_boolean_fields_strings.json"));
    ASSERT_TRUE(m);
    EXPECT_TRUE(m.value().report_heartbeat);
    EXPECT_TRUE(m.value().continue_on_update_failure);
    EXPECT_TRUE(m.value().supports_multiple_extensions); // "True"
    EXPECT_TRUE(m.value().warnings.empty());
}

TEST(HandlerManifestTest, FalseStringsAreFalseWithoutWarning) {
    auto m =
        parseHandlerManifest(readFixture("handler_manifest/manifest_boolean_fields_false.json"));
    ASSERT_TRUE(m);
    EXPECT_FALSE(m.value().report_heartbeat);
    EXPECT_FALSE(m.value().continue_on_update_failure);
    EXPECT_FALSE(m.value().supports_multiple_extensions);
    EXPECT_TRUE(m.value().warnings.empty());
}

TEST(HandlerManifestTest, InvalidBooleansAreFalseAndWarned) {
    auto m =
        parseHandlerManifest(readFixture("handler_manifest/manifest_boolean_fields_invalid.json"));
    ASSERT_TRUE(m);
    EXPECT_FALSE(m.value().report_heartbeat);
    EXPECT_FALSE(m.value().continue_on_update_failure);
    EXPECT_FALSE(m.value().supports_multiple_extensions); // the number 1 is not a boolean
    EXPECT_EQ(m.value().warnings.size(), 3u);
}

TEST(HandlerManifestTest, OptionalFieldsDefault) {
    auto m = parseHandlerManifest(readFixture("handler_manifest/manifest_no_optional_fields.json"));
    ASSERT_TRUE(m);
    EXPECT_FALSE(m.value().report_heartbeat);
    EXPECT_FALSE(m.value().continue_on_update_failure);
    EXPECT_FALSE(m.value().update_without_install); // default UpdateWithInstall
    EXPECT_FALSE(m.value().cpu_quota_percentage.has_value());
}

TEST(HandlerManifestTest, BomUpdateModeAndResourceLimits) {
    const std::string text =
        "\xEF\xBB\xBF[{\"name\":\"x\",\"version\":1.0,\"handlerManifest\":{"
        "\"installCommand\":\"i\",\"enableCommand\":\"e\",\"updateMode\":\"UpdateWithoutInstall\"},"
        "\"resourceLimits\":{\"cpuQuotaPercentage\":25,\"memoryQuotaInMB\":100}}]";
    auto m = parseHandlerManifest(text);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_TRUE(m.value().update_without_install);
    EXPECT_EQ(m.value().cpu_quota_percentage, 25u);
    EXPECT_EQ(m.value().memory_quota_mb, 100u);
}

TEST(HandlerManifestTest, ParseErrorIs1003AndMissingIs1002) {
    auto bad = parseHandlerManifest("[{\"name\": ");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, 1003);
    auto not_array = parseHandlerManifest("{\"handlerManifest\":{}}");
    ASSERT_FALSE(not_array);
    EXPECT_EQ(not_array.error().code, 1003);
    azcm::test::TempDir dir;
    auto missing = loadHandlerManifest(dir.path());
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, 1002);
}

TEST(HandlerStatusTest, SampleStatusParses) {
    const HandlerStatus s = parseStatusFile(readFixture("status/sample-status.json"));
    EXPECT_EQ(s.status, "success");
    EXPECT_EQ(s.code, 1);
    EXPECT_EQ(s.name, "Microsoft.Azure.Extension.VMExtension");
    EXPECT_EQ(s.message.rfind("Aenean semper", 0), 0u);
    EXPECT_FALSE(s.truncated);
    EXPECT_TRUE(s.terminal());
}

TEST(HandlerStatusTest, InvalidJsonIs1012) {
    for (const char* file : {"status/sample-status-invalid-json-format.json",
                             "status/sample-status-invalid-format-emptykey-line7.json"}) {
        const HandlerStatus s = parseStatusFile(readFixture(file));
        EXPECT_EQ(s.status, "error") << file;
        EXPECT_EQ(s.code, 1012) << file;
        EXPECT_NE(s.message.find("not valid JSON"), std::string::npos) << file;
    }
}

TEST(HandlerStatusTest, MissingStatusStatusIs1012) {
    const HandlerStatus s = parseStatusFile(
        readFixture("status/sample-status-invalid-status-no-status-status-key.json"));
    EXPECT_EQ(s.status, "error");
    EXPECT_EQ(s.code, 1012);
    EXPECT_NE(s.message.find("status.status"), std::string::npos);
}

TEST(HandlerStatusTest, VeryLargeIsTruncated) {
    const HandlerStatus s = parseStatusFile(readFixture("status/sample-status-very-large.json"));
    EXPECT_EQ(s.status, "success");
    EXPECT_TRUE(s.truncated);
    EXPECT_EQ(s.message.size(), kTruncatedMessageBytes + kTruncatedSuffix.size());
    EXPECT_TRUE(s.message.ends_with(kTruncatedSuffix));
    ASSERT_EQ(s.substatus.size(), 1u);
    EXPECT_EQ(s.substatus[0].name.size(), kTruncatedSubstatusBytes + kTruncatedSuffix.size());
}

TEST(HandlerStatusTest, VeryLargeWithManySubstatusesStaysWithinBudget) {
    const HandlerStatus s =
        parseStatusFile(readFixture("status/sample-status-very-large-multiple-substatuses.json"));
    EXPECT_EQ(s.status, "success");
    EXPECT_TRUE(s.truncated);
    EXPECT_TRUE(s.message.ends_with(kTruncatedSuffix));
    EXPECT_FALSE(s.substatus.empty());
    EXPECT_LT(s.substatus.size(), 42u); // the fixture has 42; they do not fit into 128 KiB
    std::size_t total = s.message.size();
    for (const auto& sub : s.substatus) {
        total += sub.name.size() + sub.message.size();
    }
    EXPECT_LE(total, kMaxStatusFileBytes);
}

TEST(HandlerStatusTest, ValidationRules) {
    // Only status.status is required.
    EXPECT_EQ(parseStatusFile(R"([{"status":{"status":"warning"}}])").status, "warning");
    // An unknown value becomes error (not 1012).
    const HandlerStatus unknown = parseStatusFile(R"([{"status":{"status":"done","code":3}}])");
    EXPECT_EQ(unknown.status, "error");
    EXPECT_EQ(unknown.code, 3);
    // formattedMessage needs lang and message.
    EXPECT_EQ(
        parseStatusFile(R"([{"status":{"status":"success","formattedMessage":{"message":"m"}}}])")
            .code,
        1012);
    // A null substatus list is tolerated; a substatus without status is not.
    EXPECT_EQ(parseStatusFile(R"([{"status":{"status":"success","substatus":null}}])").status,
              "success");
    EXPECT_EQ(
        parseStatusFile(R"([{"status":{"status":"success","substatus":[{"name":"a"}]}}])").code,
        1012);
    // Not an array.
    EXPECT_EQ(parseStatusFile(R"({"status":{"status":"success"}})").code, 1012);
}

TEST(HandlerStatusTest, MissingFileIsTransitioning) {
    azcm::test::TempDir dir;
    const HandlerStatus s = readStatusFile(dir.path() / "0.status");
    EXPECT_EQ(s.status, "transitioning");
    EXPECT_EQ(s.code, 0);
    EXPECT_FALSE(s.terminal());
}

TEST(HeartbeatTest, FreshAndStale) {
    azcm::test::TempDir dir;
    const auto path = dir.path() / "heartbeat.log";
    ASSERT_TRUE(fs::writeFileAtomic(
        path,
        R"([{"version":1.0,"heartbeat":{"status":"Ready","code":0,"formattedMessage":{"lang":"en-US","message":"ok"}}}])"));
    auto fresh = readHeartbeat(path, std::chrono::seconds(600));
    ASSERT_TRUE(fresh);
    EXPECT_EQ(fresh->status, "Ready");
    EXPECT_EQ(fresh->message, "ok");
    std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now() -
                                               std::chrono::seconds(601));
    auto stale = readHeartbeat(path, std::chrono::seconds(600));
    ASSERT_TRUE(stale);
    EXPECT_EQ(stale->status, "Unresponsive");
    EXPECT_EQ(stale->code, -1);
    EXPECT_FALSE(readHeartbeat(dir.path() / "none.log", std::chrono::seconds(600)));
}

TEST(HandlerIdTest, NamesAndVersions) {
    const HandlerId id{"Microsoft.Azure.Extensions", "CustomScript", "2.1.10"};
    EXPECT_EQ(id.name(), "Microsoft.Azure.Extensions.CustomScript");
    EXPECT_EQ(id.dirName(), "Microsoft.Azure.Extensions.CustomScript-2.1.10");
    auto parsed = parseHandlerDirName(id.dirName());
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed.value(), id);
    EXPECT_GT(compareVersions("1.10", "1.9"), 0);
    EXPECT_EQ(compareVersions("1.0", "1.0.0"), 0);
    EXPECT_LT(compareVersions("1.2.3", "1.3"), 0);
    EXPECT_FALSE(validateHandlerId({"P", "T", "1.x"}));
    EXPECT_FALSE(validateHandlerId({"..", "T", "1.0"}));
    EXPECT_FALSE(validateHandlerId({"P/x", "T", "1.0"}));
    EXPECT_FALSE(validateHandlerId({"P", "T.x", "1.0"}));
    EXPECT_FALSE(parseHandlerDirName("nodash"));
}

TEST(HandlerFilesTest, SettingsDocument) {
    HandlerSettings none;
    EXPECT_EQ(settingsFileContent(none), ""); // empty file without settings
    HandlerSettings settings;
    settings.sequence_number = 4;
    settings.public_settings = {{"message", "hi"}};
    settings.protected_settings = "MIIB";
    settings.thumbprint = "ABCD";
    const auto doc = nlohmann::json::parse(settingsFileContent(settings));
    const auto& hs = doc["runtimeSettings"][0]["handlerSettings"];
    EXPECT_EQ(hs["publicSettings"]["message"], "hi");
    EXPECT_EQ(hs["protectedSettings"], "MIIB");
    EXPECT_EQ(hs["protectedSettingsCertThumbprint"], "ABCD");
}

TEST(HandlerFilesTest, EnvironmentDocumentAndModes) {
    azcm::test::TempDir dir;
    const HandlerId id{"Pub", "Type", "1.0"};
    const auto base = dir.path() / id.dirName();
    const auto logs = dir.path() / "logs" / id.dirName();
    std::filesystem::create_directories(base);
    ASSERT_TRUE(initializeHandlerDir(base, id, logs));
    const auto doc = nlohmann::json::parse(fs::readFile(base / "HandlerEnvironment.json").value());
    ASSERT_TRUE(doc.is_array());
    EXPECT_EQ(doc[0]["name"], "Pub.Type");
    const auto& env = doc[0]["handlerEnvironment"];
    EXPECT_EQ(env["logFolder"], logs.string());
    EXPECT_EQ(env["configFolder"], (base / "config").string());
    EXPECT_EQ(env["statusFolder"], (base / "status").string());
    EXPECT_EQ(env["heartbeatFile"], (base / "heartbeat.log").string());
    for (const auto& d : {base / "config", base / "status"}) {
        EXPECT_EQ(std::filesystem::status(d).permissions(), std::filesystem::perms(0700));
    }
    EXPECT_EQ(readHandlerState(base), HandlerState::kNotInstalled);
    HandlerSettings settings;
    settings.sequence_number = 7;
    settings.public_settings = {{"a", 1}};
    ASSERT_TRUE(writeSettingsFile(base, settings));
    EXPECT_EQ(std::filesystem::status(base / "config" / "7.settings").permissions(),
              std::filesystem::perms(0600));
    EXPECT_EQ(lastSequenceNumber(base), 7);
}

TEST(HandlerStatusTest, NumbersAreRangeCheckedAndTypesEnforced) {
    // 2^32 + 1 used to read as code 1.
    const HandlerStatus big =
        parseStatusFile(R"([{"status": {"status": "success", "code": 4294967297}}])");
    EXPECT_EQ(big.status, "error");
    EXPECT_EQ(big.code, 1012);
    EXPECT_NE(big.message.find("field 'code'"), std::string::npos) << big.message;
    const HandlerStatus digits = parseStatusFile(
        R"([{"status": {"status": "success", "substatus": [{"status": "error", "code": "7"}]}}])");
    ASSERT_EQ(digits.substatus.size(), 1U);
    EXPECT_EQ(digits.substatus[0].code, 7);
    const HandlerStatus sub = parseStatusFile(
        R"([{"status": {"status": "success", "substatus": [{"status": "error", "code": [7]}]}}])");
    EXPECT_EQ(sub.code, 1012);
    EXPECT_NE(sub.message.find("substatus: status: field 'code'"), std::string::npos)
        << sub.message;
    const HandlerStatus name = parseStatusFile(R"([{"status": {"status": "success", "name": 5}}])");
    EXPECT_EQ(name.code, 1012);
    const HandlerStatus deep =
        parseStatusFile("[" + std::string(100, '[') + std::string(100, ']') + "]");
    EXPECT_EQ(deep.code, 1012);
    EXPECT_NE(deep.message.find("nests deeper"), std::string::npos) << deep.message;
}

TEST(HandlerFilesTest, HealthFileOfTheWrongShapeIsIgnored) {
    azcm::test::TempDir dir;
    const auto base = dir.path();
    std::filesystem::create_directories(base / "config");
    for (const char* text :
         {R"({"status": "Ready", "code": "x"})", R"({"status": "Ready", "message": 5})",
          R"({"status": "Ready", "code": 4294967297})"}) {
        ASSERT_TRUE(fs::writeFileAtomic(base / "config" / "HandlerStatus", text));
        EXPECT_FALSE(readHandlerHealth(base)) << text;
    }
    ASSERT_TRUE(fs::writeFileAtomic(base / "config" / "HandlerStatus",
                                    R"({"status": "Ready", "code": 0, "message": "ok"})"));
    ASSERT_TRUE(readHandlerHealth(base));
    EXPECT_EQ(readHandlerHealth(base)->message, "ok");
    // An out-of-range current sequence number falls back to the settings files there are.
    ASSERT_TRUE(fs::writeFileAtomic(base / "config" / "HandlerStatus",
                                    R"({"sequenceNumber": 4294967297})"));
    ASSERT_TRUE(fs::writeFileAtomic(base / "config" / "3.settings", ""));
    EXPECT_EQ(lastSequenceNumber(base), 3);
}

TEST(HandlerJournalTest, NumbersAreRangeCheckedBeforeNarrowing) {
    azcm::test::TempDir dir;
    const auto path = dir.path() / "journal.json";
    Journal journal;
    journal.operation = "enable";
    journal.target = HandlerId{"Pub", "Type", "1.0"};
    JournalStep step;
    step.kind = StepKind::kEnable;
    step.state = StepState::kRunning;
    step.pgid = 4242;
    step.pgid_start = 99;
    journal.steps.push_back(step);
    ASSERT_TRUE(saveJournal(path, journal));
    auto loaded = loadJournal(path);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded.value().steps.at(0).pgid, 4242);

    auto document = nlohmann::json::parse(fs::readFile(path).value());
    // A process group a restart would signal: 2^32 + 4242 must not become 4242.
    for (const auto& [key, value] : std::vector<std::pair<std::string, nlohmann::json>>{
             {"pgid", 4294971538ULL}, {"pgid", -1}, {"attempts", "1"}, {"exitCode", 1e3}}) {
        auto edited = document;
        edited["steps"][0][key] = value;
        ASSERT_TRUE(fs::writeFileAtomic(path, edited.dump()));
        auto refused = loadJournal(path);
        ASSERT_FALSE(refused) << key << "=" << value.dump();
        EXPECT_EQ(refused.error().code, 1000);
        EXPECT_NE(refused.error().message.find("field '" + key + "'"), std::string::npos)
            << refused.error().message;
    }
    auto edited = document;
    edited["settings"]["sequenceNumber"] = 4294967297ULL;
    ASSERT_TRUE(fs::writeFileAtomic(path, edited.dump()));
    EXPECT_FALSE(loadJournal(path));
}

} // namespace
} // namespace azcm::extservice
