#include "common/fs/atomic_file.hpp"
#include "common/platform/path_patterns.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace azcm::platform {
namespace {

TEST(PathPatterns, MatchesComeSortedAndOnlyThoseThatExist) {
    test::TempDir dir;
    for (const char* name : {"b.conf", "a.conf", "c.txt", "10.conf"}) {
        ASSERT_TRUE(fs::writeFileAtomic(dir.path() / name, "x\n", fs::FileMode{0600, {}}));
    }
    auto matches = pathsMatching((dir.path() / "*.conf").string());
    ASSERT_TRUE(matches) << matches.error().message;
    const std::vector<std::filesystem::path> expected = {
        dir.path() / "10.conf", dir.path() / "a.conf", dir.path() / "b.conf"};
    EXPECT_EQ(matches.value(), expected);
}

TEST(PathPatterns, NoMatchIsAnEmptyListNotAnError) {
    test::TempDir dir;
    auto matches = pathsMatching((dir.path() / "missing.d" / "*.conf").string());
    ASSERT_TRUE(matches) << matches.error().message;
    EXPECT_TRUE(matches.value().empty());
}

} // namespace
} // namespace azcm::platform
