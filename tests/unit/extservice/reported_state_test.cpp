#include "common/fs/atomic_file.hpp"
#include "extservice/admin/reported_state.hpp"
#include "extservice/reconciler.hpp"
#include "file_identity.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace azcm::extservice {
namespace {

ExtensionRecord sample() {
    ExtensionRecord record;
    record.handler = "Contoso.Tools.Hello";
    record.version = "1.0.0";
    record.sequence_number = 4;
    record.outcome = "Failed";
    record.code = "1009";
    record.message = "enable.sh exited with 3";
    record.time = "2026-11-28T20:00:00Z";
    return record;
}

TEST(ReportedState, SurvivesARestartInAPrivateFile) {
    test::TempDir dir;
    const auto file = dir.path() / "state" / "extensions.json";
    {
        ReportedState state(file);
        ASSERT_TRUE(state.load()); // missing file: empty
        EXPECT_TRUE(state.all().empty());
        ASSERT_TRUE(state.put("hello", sample()));
        auto other = sample();
        other.outcome = "Succeeded";
        ASSERT_TRUE(state.put("other", other));
        ASSERT_TRUE(state.erase("other"));
    }
    struct stat info {};
    ASSERT_EQ(::stat(file.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600U);
    ReportedState reloaded(file);
    ASSERT_TRUE(reloaded.load());
    ASSERT_EQ(reloaded.all().size(), 1U);
    EXPECT_EQ(reloaded.find("hello"), sample());
    EXPECT_FALSE(reloaded.find("other"));
}

// Every goal-state answer reconciles again, putting the records it already holds: an idle
// extservice must not rewrite its state file for that, nor after a restart.
TEST(ReportedState, TheSameRecordPutAgainLeavesTheFileAlone) {
    test::TempDir dir;
    const auto file = dir.path() / "state" / "extensions.json";
    {
        ReportedState state(file);
        ASSERT_TRUE(state.load());
        ASSERT_TRUE(state.put("hello", sample()));
    }
    const auto written = test::fileIdentity(file);
    ASSERT_TRUE(written);
    ReportedState restarted(file);
    ASSERT_TRUE(restarted.load());
    ASSERT_TRUE(restarted.put("hello", sample()));
    ASSERT_TRUE(restarted.put("hello", sample()));
    EXPECT_EQ(test::fileIdentity(file), written);

    auto changed = sample();
    changed.reported = true;
    ASSERT_TRUE(restarted.put("hello", changed));
    EXPECT_NE(test::fileIdentity(file), written);
}

TEST(ReportedState, AGarbledFileIsAnError) {
    test::TempDir dir;
    const auto file = dir.path() / "extensions.json";
    ASSERT_TRUE(fs::writeFileAtomic(file, "{not json"));
    ReportedState state(file);
    EXPECT_FALSE(state.load());
}

TEST(ReportBody, CarriesTheProtocolFields) {
    const auto body = reportBody("hello", sample());
    EXPECT_EQ(body.at("name"), "hello");
    EXPECT_EQ(body.at("status"), "Failed");
    EXPECT_EQ(body.at("code"), "1009");
    EXPECT_EQ(body.at("message"), "enable.sh exited with 3");
    EXPECT_EQ(body.at("sequenceNumber"), 4);
    EXPECT_EQ(body.at("typeHandlerVersion"), "1.0.0");
    auto removed = sample();
    removed.outcome = "Removed";
    EXPECT_FALSE(reportBody("hello", removed).contains("typeHandlerVersion"));
}

TEST(ReportBody, ALocalRefusalNamesItsReason) {
    GoalExtension extension;
    extension.name = "script";
    extension.publisher = "Microsoft.Azure.Extensions";
    extension.type = "CustomScript";
    extension.version = "2.1";
    extension.sequence_number = 7;
    const auto record = refusedRecord(extension, "X is in extensions.blocklist.");
    EXPECT_EQ(record.outcome, "Failed");
    EXPECT_EQ(record.code, "ExtensionBlockedByLocalPolicy");
    EXPECT_EQ(record.sequence_number, 7);
    EXPECT_EQ(reportBody("script", record).at("message"),
              "Refused by the local agent configuration: X is in extensions.blocklist.");
}

TEST(ReportedState, AFieldOfTheWrongTypeIsAnErrorNamingIt) {
    test::TempDir dir;
    const auto file = dir.path() / "extensions.json";
    for (const std::string record :
         {R"({"sequenceNumber": "7"})", R"({"code": 5})", R"({"reported": "yes"})",
          R"({"sequenceNumber": 4294967297})"}) {
        ASSERT_TRUE(fs::writeFileAtomic(file, R"({"extensions": {"hello": )" + record + "}}"));
        ReportedState state(file);
        auto loaded = state.load();
        ASSERT_FALSE(loaded) << record;
        EXPECT_NE(loaded.error().message.find(file.string() + ": extension hello: field '"),
                  std::string::npos)
            << loaded.error().message;
        EXPECT_TRUE(state.all().empty());
    }
}

} // namespace
} // namespace azcm::extservice
