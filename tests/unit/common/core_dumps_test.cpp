// platform::forbidCoreDumps(), checked in a child process so the test runner itself stays
// dumpable: the kernel's own answer (PR_GET_DUMPABLE, RLIMIT_CORE), then /proc as another
// process sees it.
#include "common/platform/core_dumps.hpp"

#include <csignal>
#include <string>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace azcm::platform {
namespace {

TEST(CoreDumps, AProcessThatForbidsThemIsNotDumpableAndHasNoCoreLimit) {
    ASSERT_TRUE(isDumpable()) << "the test runner itself should be dumpable";
    const pid_t child = ::fork();
    if (child == 0) {
        if (!forbidCoreDumps()) {
            ::_exit(10);
        }
        rlimit core{};
        const bool no_core =
            ::getrlimit(RLIMIT_CORE, &core) == 0 && core.rlim_cur == 0 && core.rlim_max == 0;
        ::_exit((isDumpable() ? 1 : 0) | (no_core ? 0 : 2));
    }
    int status = -1;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "bits: 1 still dumpable, 2 core limit not 0, 10 failed";
    EXPECT_TRUE(isDumpable()) << "the parent is not affected";
}

TEST(CoreDumps, ProcOfANonDumpableProcessBelongsToRoot) {
    // What another process of the same user sees: /proc/<pid> owned by root, so its memory and
    // environment are out of reach. Checked as a user other than root, where it makes a difference.
    int ready[2] = {-1, -1};
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(ready[0]);
        if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) {
            ::_exit(10);
        }
        if (!forbidCoreDumps()) {
            ::_exit(11);
        }
        const char byte = 1;
        (void)!::write(ready[1], &byte, 1);
        ::pause();
        ::_exit(0);
    }
    ::close(ready[1]);
    char byte = 0;
    ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "the child did not get ready";
    ::close(ready[0]);
    struct stat info {};
    const auto proc = "/proc/" + std::to_string(child) + "/environ";
    const int stat_result = ::stat(proc.c_str(), &info);
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ASSERT_EQ(stat_result, 0) << proc;
    EXPECT_EQ(info.st_uid, 0U) << "a dumpable process owns its /proc entries";
}

} // namespace
} // namespace azcm::platform
