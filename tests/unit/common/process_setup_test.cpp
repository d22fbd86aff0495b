// platform/process_setup.hpp and the host name of platform/machine_facts.hpp.
#include "common/fs/atomic_file.hpp"
#include "common/platform/machine_facts.hpp"
#include "common/platform/process_setup.hpp"
#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace azcm::platform {
namespace {

TEST(ProcessSetupTest, NewFilesArePrivateOnceRestricted) {
    const mode_t previous = ::umask(022);
    restrictNewFilesToOwner();
    test::TempDir dir;
    const auto file = dir.path() / "created";
    std::ofstream(file) << "x"; // asks for 0666 like any program that does not care
    std::filesystem::create_directory(dir.path() / "sub");
    const mode_t restricted = ::umask(previous);
    EXPECT_EQ(restricted, 077);
    EXPECT_EQ(std::filesystem::status(file).permissions(),
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    EXPECT_EQ(std::filesystem::status(dir.path() / "sub").permissions(),
              std::filesystem::perms::owner_all);
}

TEST(ProcessSetupTest, OutputToAFileIsNoTerminal) {
    // ctest and CI capture standard output: never a terminal there, so no prompt waits for one.
    EXPECT_FALSE(standardOutputIsTerminal());
}

TEST(ProcessSetupTest, HostNameIsTheKernels) {
    const auto kernel = fs::readFile("/proc/sys/kernel/hostname");
    ASSERT_TRUE(kernel);
    std::string expected = kernel.value();
    while (!expected.empty() && expected.back() == '\n') {
        expected.pop_back();
    }
    EXPECT_EQ(hostName(), expected);
}

} // namespace
} // namespace azcm::platform
