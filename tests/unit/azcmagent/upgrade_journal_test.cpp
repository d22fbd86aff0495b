#include "azcmagent/upgrade_journal.hpp"
#include "common/fs/atomic_file.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace azcm::azcmagent {
namespace {

UpgradeJournal sampleJournal() {
    UpgradeJournal journal;
    journal.step = UpgradeStep::kChecking;
    journal.from = *parseAgentVersion("1.0.1000.0");
    journal.to = *parseAgentVersion("1.0.1001.0");
    journal.package = "/var/opt/azcmagent/upgrade/1.0.1001.0.deb";
    journal.previous_package = "/var/opt/azcmagent/upgrade/installed.deb";
    journal.daemons = {"extservice", "gcservice"};
    journal.started = std::chrono::system_clock::time_point(std::chrono::seconds(1800000000));
    journal.failure = "dpkg said \xff\xfe";
    return journal;
}

TEST(UpgradeJournal, EveryStepReadsBackAsWritten) {
    azcm::test::TempDir dir;
    EXPECT_FALSE(readUpgradeJournal(dir.path()).value()) << "no upgrade in progress";
    for (auto step :
         {UpgradeStep::kInstalling, UpgradeStep::kChecking, UpgradeStep::kRollingBack}) {
        auto journal = sampleJournal();
        journal.step = step;
        ASSERT_TRUE(writeUpgradeJournal(dir.path(), journal));
        const auto read = readUpgradeJournal(dir.path());
        ASSERT_TRUE(read && read.value());
        const auto& back = *read.value();
        EXPECT_EQ(back.step, step);
        EXPECT_EQ(back.from, journal.from);
        EXPECT_EQ(back.to, journal.to);
        EXPECT_EQ(back.package, journal.package);
        EXPECT_EQ(back.previous_package, journal.previous_package);
        EXPECT_EQ(back.daemons, journal.daemons);
        EXPECT_EQ(back.started, journal.started);
        EXPECT_EQ(back.failure.rfind("dpkg said ", 0), 0U) << "bytes that are not UTF-8 replaced";
    }
    ASSERT_TRUE(removeUpgradeJournal(dir.path()));
    EXPECT_FALSE(readUpgradeJournal(dir.path()).value());
}

TEST(UpgradeJournal, ADamagedJournalIsAnErrorNotAGuess) {
    azcm::test::TempDir dir;
    for (const char* damaged :
         {"{\"step\": \"installing\"", "[]", "{\"step\": \"dancing\", \"from\": \"1.0.1.0\"}",
          "{\"step\": \"checking\", \"from\": \"1.0.1.0\", \"to\": \"1.0.2\", \"package\": \"a\", "
          "\"previousPackage\": \"b\"}"}) {
        ASSERT_TRUE(fs::writeFileAtomic(upgradeJournalPath(dir.path()), damaged));
        const auto read = readUpgradeJournal(dir.path());
        ASSERT_FALSE(read) << damaged;
        EXPECT_NE(read.error().message.find("cannot be used"), std::string::npos);
    }
}

} // namespace
} // namespace azcm::azcmagent
