// Every shipped daemon holds secrets (the machine key, the settings certificate's key, tokens,
// proxy credentials) and keeps them out of core files and away from its own user: started as an
// unprivileged user, the way himdsd and arcproxyd run, each one is non-dumpable (the kernel then
// gives its /proc entries to root, so that user cannot read its memory or environment) and has a
// core size limit of 0.
#include "common/paths/paths.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace azcm::test {
namespace {

using namespace std::chrono_literals;
namespace stdfs = std::filesystem;

constexpr uid_t kNobody = 65534;

// The soft and hard "Max core file size" of /proc/<pid>/limits.
std::string coreLimits(pid_t pid) {
    std::ifstream limits("/proc/" + std::to_string(pid) + "/limits");
    std::string line;
    while (std::getline(limits, line)) {
        if (line.rfind("Max core file size", 0) == 0) {
            std::istringstream fields(line.substr(std::string("Max core file size").size()));
            std::string soft;
            std::string hard;
            fields >> soft >> hard;
            return soft + " " + hard;
        }
    }
    return "<no limits>";
}

uid_t ownerOf(const stdfs::path& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 ? info.st_uid : static_cast<uid_t>(-1);
}

class CoreDumpTest : public ::testing::TestWithParam<const char*> {};

TEST_P(CoreDumpTest, TheDaemonIsNotDumpableAndHasNoCoreLimit) {
    const std::string daemon = GetParam();
    TempDir dir;
    // Not root: the daemon runs as this user. Root: as nobody, in a tree nobody owns, with a copy
    // of the binary (the build tree may be closed to other users).
    const uid_t user = ::geteuid() == 0 ? kNobody : ::geteuid();
    const auto root = dir.path() / "root";
    const auto binary = dir.path() / daemon;
    stdfs::create_directories(root);
    stdfs::copy_file(binDir() + "/" + daemon, binary);
    for (const auto& path : {dir.path(), root, binary}) {
        ASSERT_EQ(::chown(path.c_str(), user, user), 0) << path;
    }
    stdfs::permissions(dir.path(), stdfs::perms(0755));
    stdfs::permissions(binary, stdfs::perms(0755));

    SpawnOptions options;
    options.env = {{"AZCM_ROOT", root.string()},
                   {"AZCM_IMDS_PORT", "0"},
                   {"AZCM_PROXY_PORT", "0"},
                   {"AZCM_CGROUP_ROOT", "/azcm-core-test-" + std::to_string(::getpid())}};
    if (user != ::geteuid()) {
        options.as_uid = user;
    }
    options.stdout_file = (dir.path() / "out.txt").string();
    DaemonProcess process;
    process.start({binary.string()}, options);
    // Its control socket exists: main() is past its first steps, forbidCoreDumps() among them.
    const auto socket = Paths(root).socketFor(daemon);
    ASSERT_TRUE(waitUntil([&] { return !process.running() || stdfs::exists(socket); }, 30s));
    ASSERT_TRUE(process.running())
        << daemon << " exited:\n"
        << [&] {
               std::ifstream out(dir.path() / "out.txt");
               return std::string(std::istreambuf_iterator<char>(out), {});
           }();

    const auto proc = stdfs::path("/proc") / std::to_string(process.pid());
    EXPECT_EQ(ownerOf(proc / "environ"), 0U)
        << daemon << " runs as uid " << user << " and is still dumpable";
    EXPECT_EQ(ownerOf(proc / "mem"), 0U);
    EXPECT_EQ(coreLimits(process.pid()), "0 0") << daemon;
    EXPECT_TRUE(process.running());
    process.stop();
}

INSTANTIATE_TEST_SUITE_P(EveryDaemon,
                         CoreDumpTest,
                         ::testing::Values("himds", "arcproxy", "extservice", "gcservice"));

} // namespace
} // namespace azcm::test
