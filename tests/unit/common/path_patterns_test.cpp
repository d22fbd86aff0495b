#include "fs/atomic_file.hpp"
#include "ipc/ipc_client.hpp"
#include "platform/local_socket.hpp"
#include "platform/path_patterns.hpp"
#include "temp_dir.hpp"

#include <chrono>

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

TEST(LocalSocket, APathOneByteOverTheLimitIsRefusedBeforeConnecting) {
    EXPECT_EQ(localSocketPathLimit(), 107U); // Linux: a 108-byte field with its NUL
    test::TempDir dir;
    auto pathOfLength = [&](std::size_t length) {
        std::string path = (dir.path() / "s").string();
        path.append(length - path.size(), 'x');
        return std::filesystem::path(path);
    };
    const auto too_long = ipc::call(pathOfLength(localSocketPathLimit() + 1), http::Verb::get,
                                    "/status", {}, std::chrono::seconds(1));
    ASSERT_FALSE(too_long);
    EXPECT_NE(too_long.error().message.find("socket path too long"), std::string::npos);
    // At the limit the name fits: the call fails only because nothing listens there.
    const auto at_limit = ipc::call(pathOfLength(localSocketPathLimit()), http::Verb::get,
                                    "/status", {}, std::chrono::seconds(1));
    ASSERT_FALSE(at_limit);
    EXPECT_EQ(at_limit.error().message.find("socket path too long"), std::string::npos);
}

} // namespace
} // namespace azcm::platform
