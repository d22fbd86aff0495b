// fs::StateFile writes only when the bytes change: an idle daemon answering the same goal state
// again does not touch its state file (docs/benchmarks.md, "Idle footprint").
#include "common/fs/atomic_file.hpp"
#include "common/fs/state_file.hpp"
#include "file_identity.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace azcm::fs {
namespace {

TEST(StateFile, TheSameBytesAgainAreNotWritten) {
    test::TempDir dir;
    StateFile file(dir.path() / "state.json", {0600, {}});
    auto first = file.write("{\"a\": 1}\n");
    ASSERT_TRUE(first);
    EXPECT_TRUE(first.value());
    const auto written = test::fileIdentity(file.path());
    ASSERT_TRUE(written);

    auto again = file.write("{\"a\": 1}\n");
    ASSERT_TRUE(again);
    EXPECT_FALSE(again.value());
    EXPECT_EQ(test::fileIdentity(file.path()), written);

    auto changed = file.write("{\"a\": 2}\n");
    ASSERT_TRUE(changed);
    EXPECT_TRUE(changed.value());
    EXPECT_EQ(readFile(file.path()).value(), "{\"a\": 2}\n");
}

TEST(StateFile, AfterARestartTheFileOnDiskIsCompared) {
    test::TempDir dir;
    const auto path = dir.path() / "state.json";
    ASSERT_TRUE(writeFileAtomic(path, "same\n"));
    const auto before = test::fileIdentity(path);
    StateFile file(path, {0600, {}});
    auto written = file.write("same\n");
    ASSERT_TRUE(written);
    EXPECT_FALSE(written.value());
    EXPECT_EQ(test::fileIdentity(path), before);
}

} // namespace
} // namespace azcm::fs
