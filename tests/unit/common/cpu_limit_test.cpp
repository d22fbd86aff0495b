// The cgroup reader, quota arithmetic and usage window of platform/cpu_limit.hpp on fixture trees:
// cgroup v2, v1 with cpu,cpuacct combined, v1 with separate cpu and cpuacct, and hybrid layouts.
// A fixture stands in for the kernel: it holds the control files the kernel would create in each
// group, and the component writes into them as it would into cgroupfs.
#include "common/platform/component_cpu_cap.hpp"
#include "common/platform/linux/cgroup_layout.hpp"
#include "temp_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace azcm::platform {
namespace {

namespace stdfs = std::filesystem;
using std::chrono::seconds;

// ---- fixture helpers ----------------------------------------------------------------------------

void writeFile(const stdfs::path& path, const std::string& content) {
    stdfs::create_directories(path.parent_path());
    std::ofstream(path) << content;
}

std::string readFile(const stdfs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Mountinfo lines as the kernel writes them (this machine's shape).
std::string
mountLine(int id, const std::string& point, const std::string& type, const std::string& options) {
    return std::to_string(id) + " 31 0:" + std::to_string(id) + " / " + point +
           " rw,relatime shared:" + std::to_string(id) + " - " + type + " " + type + " " + options +
           "\n";
}

// The files the kernel puts in every group of a hierarchy.
enum class Kind { kCpuV1, kCpuacctV1, kCombinedV1, kV2 };

void kernelGroup(const stdfs::path& dir, Kind kind) {
    writeFile(dir / "cgroup.procs", "");
    if (kind == Kind::kCpuV1 || kind == Kind::kCombinedV1) {
        writeFile(dir / "cpu.cfs_quota_us", "-1\n");
        writeFile(dir / "cpu.cfs_period_us", "100000\n");
        writeFile(dir / "cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n");
    }
    if (kind == Kind::kCpuacctV1 || kind == Kind::kCombinedV1) {
        writeFile(dir / "cpuacct.usage", "0\n");
    }
    if (kind == Kind::kV2) {
        writeFile(dir / "cgroup.subtree_control", "");
        writeFile(dir / "cpu.max", "max 100000\n");
        writeFile(dir / "cpu.stat", "usage_usec 0\nnr_throttled 0\nthrottled_usec 0\n");
    }
}

// Every group from the hierarchy root down to `path` ("/a/b/c").
void kernelGroups(const stdfs::path& mount, const std::string& path, Kind kind) {
    auto dir = mount;
    kernelGroup(dir, kind);
    for (const auto& part : stdfs::path(path).relative_path()) {
        dir /= part;
        kernelGroup(dir, kind);
    }
}

constexpr const char* kThisMachineCgroup =
    "9:name=systemd:/\n8:pids:/\n4:memory:/x/y\n3:cpuset:/\n"
    "2:cpuacct:/work.slice/app\n1:cpu:/work.slice/app\n0::/\n";

std::string thisMachineMountInfo() {
    return "23 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
           "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n" +
           mountLine(32, "/sys/fs/cgroup/cpu", "cgroup", "rw,cpu") +
           mountLine(33, "/sys/fs/cgroup/cpuacct", "cgroup", "rw,cpuacct") +
           mountLine(34, "/sys/fs/cgroup/cpuset", "cgroup", "rw,cpuset") +
           mountLine(40, "/sys/fs/cgroup/systemd", "cgroup", "rw,name=systemd") +
           mountLine(41, "/sys/fs/cgroup/unified", "cgroup2", "rw");
}

CpuLimiter limiterFor(const stdfs::path& root, const std::string& cgroup_root = {}) {
    CpuLimiterOptions options;
    options.daemon_name = "gcad";
    options.root_prefix = root;
    options.cgroup_root = cgroup_root;
    return CpuLimiter(options);
}

// ---- default base per agent root ----------------------------------------------------------------

TEST(CgroupBaseTest, InstalledAgentUsesAzcmagentAndEachSandboxItsOwnName) {
    EXPECT_EQ(defaultCgroupBaseName("/"), "azcmagent");
    const auto a = defaultCgroupBaseName("/tmp/azcm-sandbox-a");
    const auto b = defaultCgroupBaseName("/tmp/azcm-sandbox-b");
    EXPECT_EQ(a.rfind("azcmagent-", 0), 0U) << a;
    EXPECT_EQ(a.size(), std::string("azcmagent-").size() + 10) << a;
    EXPECT_NE(a, b);
    EXPECT_EQ(defaultCgroupBaseName("/tmp/azcm-sandbox-a/"), a);
    EXPECT_EQ(defaultCgroupBaseName("/tmp/azcm-sandbox-a"), a); // stable across starts
}

// Two sandboxes started at once from the same shell (same current group), without delegation or
// AZCM_CGROUP_ROOT: each daemon gets its own groups, and the installed agent keeps /azcmagent.
TEST(CgroupBaseTest, ConcurrentSandboxesGetSeparateGroupsFromTheEnvironment) {
    const char* saved_root = std::getenv("AZCM_ROOT"); // NOLINT(concurrency-mt-unsafe): test
    const std::string saved = saved_root != nullptr ? saved_root : "";
    ::unsetenv("AZCM_CGROUP_ROOT");
    ::setenv("AZCM_ROOT", "/tmp/azcm-sandbox-a", 1);
    auto first = CpuLimiter::fromEnvironment("gcad");
    ::setenv("AZCM_ROOT", "/tmp/azcm-sandbox-b", 1);
    auto second = CpuLimiter::fromEnvironment("gcad");
    ::unsetenv("AZCM_ROOT");
    auto installed = CpuLimiter::fromEnvironment("gcad");
    if (saved_root != nullptr) {
        ::setenv("AZCM_ROOT", saved.c_str(), 1);
    }
    ASSERT_TRUE(first.placement().layout.cpu)
        << "needs a cgroup hierarchy with the cpu controller: " << first.placement().layout.problem;
    if (first.placement().delegated) {
        GTEST_SKIP() << "running in a delegated unit: the unit's own group is the base";
    }
    EXPECT_NE(first.placement().daemon_path, second.placement().daemon_path);
    EXPECT_NE(first.placement().daemon_path.find("/azcmagent-"), std::string::npos)
        << first.placement().daemon_path;
    const std::string installed_path = installed.placement().daemon_path;
    EXPECT_EQ(installed_path.substr(installed_path.rfind("/azcmagent/")), "/azcmagent/gcad");
}

// Fixture trees: the default base in a sandbox is named after the agent root.
TEST(CgroupBaseTest, SandboxBaseSitsBesideTheCurrentGroup) {
    test::TempDir root;
    writeFile(root.path() / "proc/self/cgroup", "2:cpuacct:/\n1:cpu:/\n");
    writeFile(root.path() / "proc/self/mountinfo",
              mountLine(32, "/sys/fs/cgroup/cpu", "cgroup", "rw,cpu") +
                  mountLine(33, "/sys/fs/cgroup/cpuacct", "cgroup", "rw,cpuacct"));
    CpuLimiterOptions options;
    options.daemon_name = "gcad";
    options.root_prefix = root.path();
    options.agent_root = "/tmp/azcm-sandbox-a";
    CpuLimiter limiter(options);
    EXPECT_EQ(limiter.placement().daemon_path,
              "/" + defaultCgroupBaseName("/tmp/azcm-sandbox-a") + "/gcad");
}

// ---- quota arithmetic ---------------------------------------------------------------------------

TEST(CpuQuotaTest, PercentOfOneCpuPer100msPeriod) {
    EXPECT_EQ(quotaForPercent(5), (CpuQuota{5000, 100000}));
    EXPECT_EQ(quotaForPercent(50), (CpuQuota{50000, 100000}));
    EXPECT_EQ(quotaForPercent(250), (CpuQuota{250000, 100000})); // more than one CPU
    EXPECT_EQ(quotaForPercent(0), (CpuQuota{1000, 100000}));     // the kernel's 1 ms floor
    EXPECT_EQ(quotaForPercent(std::nullopt), (CpuQuota{std::nullopt, 100000}));
    EXPECT_DOUBLE_EQ(*percentForQuota(CpuQuota{5000, 100000}), 5.0);
    EXPECT_DOUBLE_EQ(*percentForQuota(CpuQuota{20000, 50000}), 40.0);
    EXPECT_FALSE(percentForQuota(CpuQuota{}));
}

TEST(CpuQuotaTest, FormatsAndParsesTheKernelFiles) {
    EXPECT_EQ(formatCpuMax(quotaForPercent(5)), "5000 100000");
    EXPECT_EQ(formatCpuMax(quotaForPercent(std::nullopt)), "max 100000");
    EXPECT_EQ(formatCfsQuota(quotaForPercent(5)), "5000");
    EXPECT_EQ(formatCfsQuota(quotaForPercent(std::nullopt)), "-1");

    EXPECT_EQ(parseCpuMax("5000 100000\n").value(), (CpuQuota{5000, 100000}));
    EXPECT_EQ(parseCpuMax("max 100000\n").value(), (CpuQuota{std::nullopt, 100000}));
    EXPECT_EQ(parseCpuMax("20000 50000").value(), (CpuQuota{20000, 50000}));
    EXPECT_EQ(parseCpuMax("max").value(), (CpuQuota{std::nullopt, 100000}));
    EXPECT_FALSE(parseCpuMax("fast 100000"));
    EXPECT_FALSE(parseCpuMax("5000 0"));
    EXPECT_FALSE(parseCpuMax("-5 100000"));
}

// ---- /proc parsing ------------------------------------------------------------------------------

TEST(CgroupParseTest, ProcSelfCgroupV1AndV2Lines) {
    const auto entries = parseProcCgroup(
        "4:cpu,cpuacct:/system.slice/a:b.service\n9:name=systemd:/\n0::/user.slice\n");
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[0].hierarchy_id, 4);
    EXPECT_EQ(entries[0].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
    EXPECT_EQ(entries[0].path, "/system.slice/a:b.service");
    EXPECT_EQ(entries[1].controllers, (std::vector<std::string>{"name=systemd"}));
    EXPECT_EQ(entries[2].hierarchy_id, 0);
    EXPECT_TRUE(entries[2].controllers.empty());
    EXPECT_EQ(entries[2].path, "/user.slice");
}

TEST(CgroupParseTest, MountInfoWithOptionalFieldsAndEscapes) {
    const auto entries = parseMountInfo(
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime shared:9 master:2 - cgroup cgroup rw,cpu\n"
        "50 31 0:40 /docker/abc /mnt/my\\040cgroups rw - cgroup2 cgroup2 rw,nsdelegate\n"
        "garbage line\n");
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].mount_point, "/sys/fs/cgroup/cpu");
    EXPECT_EQ(entries[0].fs_type, "cgroup");
    EXPECT_EQ(entries[0].super_options, (std::vector<std::string>{"rw", "cpu"}));
    EXPECT_EQ(entries[1].root, "/docker/abc");
    EXPECT_EQ(entries[1].mount_point, "/mnt/my cgroups");
    EXPECT_EQ(entries[1].fs_type, "cgroup2");
}

// ---- layouts ------------------------------------------------------------------------------------

// This project's machines: cpu and cpuacct as two v1 hierarchies, plus an empty unified mount.
TEST(CpuLimiterTest, HybridWithSeparateCpuAndCpuacct) {
    test::TempDir root;
    writeFile(root.path() / "proc/self/cgroup", kThisMachineCgroup);
    writeFile(root.path() / "proc/self/mountinfo", thisMachineMountInfo());
    writeFile(root.path() / "sys/fs/cgroup/unified/cgroup.controllers", "\n");
    const auto cpu = root.path() / "sys/fs/cgroup/cpu";
    const auto acct = root.path() / "sys/fs/cgroup/cpuacct";
    kernelGroups(cpu, "/work.slice/azcmagent/gcad/ext/ama", Kind::kCpuV1);
    kernelGroups(acct, "/work.slice/azcmagent/gcad/ext/ama", Kind::kCpuacctV1);

    auto limiter = limiterFor(root.path());
    const auto& layout = limiter.placement().layout;
    ASSERT_TRUE(layout.cpu && layout.cpuacct);
    EXPECT_EQ(layout.cpu->version, CgroupVersion::kV1);
    EXPECT_TRUE(layout.separateAccounting());
    EXPECT_TRUE(layout.unified_mounted);
    EXPECT_EQ(layout.describe(),
              "cgroup v1 hybrid (cpu at " + cpu.string() + ", cpuacct at " + acct.string() + ")");
    ASSERT_TRUE(limiter.enforcement().enforced) << limiter.enforcement().describe();
    EXPECT_FALSE(limiter.placement().delegated);
    // `azcmagent` beside the process's current group, in each hierarchy.
    EXPECT_EQ(limiter.placement().daemon_path, "/work.slice/azcmagent/gcad");

    auto group = limiter.extensionGroup("ama");
    ASSERT_TRUE(group.enforcement().enforced) << group.enforcement().describe();
    EXPECT_EQ(group.path(), "/work.slice/azcmagent/gcad/ext/ama");
    EXPECT_EQ(group.placement()->cpu_dir, cpu / "work.slice/azcmagent/gcad/ext/ama");
    EXPECT_EQ(group.placement()->acct_dir, acct / "work.slice/azcmagent/gcad/ext/ama");

    ASSERT_TRUE(group.attach(4242));
    EXPECT_EQ(readFile(group.placement()->cpu_dir / "cgroup.procs"), "4242");  // capped
    EXPECT_EQ(readFile(group.placement()->acct_dir / "cgroup.procs"), "4242"); // and accounted

    ASSERT_TRUE(group.setQuotaPercent(5));
    EXPECT_EQ(readFile(group.placement()->cpu_dir / "cpu.cfs_quota_us"), "5000");
    EXPECT_EQ(readFile(group.placement()->cpu_dir / "cpu.cfs_period_us"), "100000");
    EXPECT_EQ(group.readQuota().value(), (CpuQuota{5000, 100000}));
    ASSERT_TRUE(group.setQuotaPercent(std::nullopt));
    EXPECT_EQ(readFile(group.placement()->cpu_dir / "cpu.cfs_quota_us"), "-1");

    // Usage from the group's own cpuacct.usage, throttling from its own cpu.stat.
    writeFile(group.placement()->acct_dir / "cpuacct.usage", "1234567890\n");
    writeFile(group.placement()->cpu_dir / "cpu.stat",
              "nr_periods 100\nnr_throttled 42\nthrottled_time 987654321\nnr_bursts 0\n");
    writeFile(cpu / "cpu.stat", "nr_periods 1\nnr_throttled 1\nthrottled_time 1\n");
    writeFile(acct / "cpuacct.usage", "1\n");
    const auto sample = group.sample().value();
    EXPECT_EQ(sample.usage_ns, 1234567890u);
    EXPECT_EQ(sample.throttled_ns, 987654321u);
    EXPECT_EQ(sample.nr_throttled, 42u);
}

TEST(CpuLimiterTest, V1WithCpuAndCpuacctCombined) {
    test::TempDir root;
    writeFile(root.path() / "proc/self/cgroup", "5:cpu,cpuacct:/work.slice/app\n3:memory:/\n");
    writeFile(root.path() / "proc/self/mountinfo",
              mountLine(32, "/sys/fs/cgroup/cpu,cpuacct", "cgroup", "rw,cpu,cpuacct") +
                  mountLine(35, "/sys/fs/cgroup/memory", "cgroup", "rw,memory"));
    const auto mount = root.path() / "sys/fs/cgroup/cpu,cpuacct";
    kernelGroups(mount, "/work.slice/azcmagent/gcad/self", Kind::kCombinedV1);

    auto limiter = limiterFor(root.path());
    ASSERT_TRUE(limiter.placement().layout.cpu);
    EXPECT_FALSE(limiter.placement().layout.separateAccounting());
    EXPECT_EQ(limiter.placement().layout.describe(),
              "cgroup v1 (cpu at " + mount.string() + ", with cpuacct)");
    auto group = limiter.daemonGroup();
    ASSERT_TRUE(group.enforcement().enforced) << group.enforcement().describe();
    EXPECT_EQ(group.path(), "/work.slice/azcmagent/gcad/self");
    EXPECT_EQ(group.placement()->cpu_dir, group.placement()->acct_dir);
    ASSERT_TRUE(group.attach(77));
    EXPECT_EQ(readFile(group.placement()->cpu_dir / "cgroup.procs"), "77");
    ASSERT_TRUE(group.setQuotaPercent(20));
    EXPECT_EQ(readFile(group.placement()->cpu_dir / "cpu.cfs_quota_us"), "20000");
    writeFile(group.placement()->cpu_dir / "cpuacct.usage", "500\n");
    EXPECT_EQ(group.sample().value().usage_ns, 500u);
}

TEST(CpuLimiterTest, V1WithSeparateCpuAndCpuacctWithoutUnified) {
    test::TempDir root;
    writeFile(root.path() / "proc/self/cgroup", "2:cpuacct:/\n1:cpu:/\n");
    writeFile(root.path() / "proc/self/mountinfo",
              mountLine(32, "/sys/fs/cgroup/cpu", "cgroup", "rw,cpu") +
                  mountLine(33, "/sys/fs/cgroup/cpuacct", "cgroup", "rw,cpuacct"));
    kernelGroups(root.path() / "sys/fs/cgroup/cpu", "/azcmagent/gcad/ext/x", Kind::kCpuV1);
    kernelGroups(root.path() / "sys/fs/cgroup/cpuacct", "/azcmagent/gcad/ext/x", Kind::kCpuacctV1);

    auto limiter = limiterFor(root.path());
    EXPECT_FALSE(limiter.placement().layout.unified_mounted);
    EXPECT_TRUE(limiter.placement().layout.separateAccounting());
    EXPECT_EQ(limiter.placement().layout.describe().rfind("cgroup v1 (cpu at ", 0), 0u);
    // At the hierarchy's root, "beside" means a child of the root.
    EXPECT_EQ(limiter.placement().daemon_path, "/azcmagent/gcad");
    auto group = limiter.extensionGroup("x");
    ASSERT_TRUE(group.enforcement().enforced) << group.enforcement().describe();
    ASSERT_TRUE(group.attach(9));
    EXPECT_EQ(readFile(root.path() / "sys/fs/cgroup/cpuacct/azcmagent/gcad/ext/x/cgroup.procs"),
              "9");
}

TEST(CpuLimiterTest, V2WritesCpuMaxAndEnablesTheController) {
    test::TempDir root;
    writeFile(root.path() / "proc/self/cgroup", "0::/work.slice/app\n");
    writeFile(root.path() / "proc/self/mountinfo",
              mountLine(30, "/sys/fs/cgroup", "cgroup2", "rw,nsdelegate,memory_recursiveprot"));
    const auto mount = root.path() / "sys/fs/cgroup";
    kernelGroups(mount, "/work.slice/azcmagent/gcad/ext/ama", Kind::kV2);
    writeFile(mount / "cgroup.controllers", "cpuset cpu io memory pids\n");
    writeFile(mount / "cgroup.subtree_control", "cpuset cpu io memory pids\n");
    writeFile(mount / "work.slice/cgroup.subtree_control", "cpuset memory\n"); // cpuset != cpu

    auto limiter = limiterFor(root.path());
    ASSERT_TRUE(limiter.placement().layout.cpu);
    EXPECT_EQ(limiter.placement().layout.cpu->version, CgroupVersion::kV2);
    EXPECT_FALSE(limiter.placement().layout.separateAccounting());
    EXPECT_EQ(limiter.placement().layout.describe(), "cgroup v2 (" + mount.string() + ")");
    auto group = limiter.extensionGroup("ama");
    ASSERT_TRUE(group.enforcement().enforced) << group.enforcement().describe();
    // Root already had cpu; every other ancestor of the leaf got +cpu.
    EXPECT_EQ(readFile(mount / "cgroup.subtree_control"), "cpuset cpu io memory pids\n");
    for (const auto* dir : {"work.slice", "work.slice/azcmagent", "work.slice/azcmagent/gcad",
                            "work.slice/azcmagent/gcad/ext"}) {
        EXPECT_EQ(readFile(mount / dir / "cgroup.subtree_control"), "+cpu") << dir;
    }
    EXPECT_EQ(readFile(group.placement()->cpu_dir / "cgroup.subtree_control"),
              ""); // the leaf: untouched

    ASSERT_TRUE(group.setQuotaPercent(5));
    EXPECT_EQ(readFile(group.placement()->cpu_dir / "cpu.max"), "5000 100000");
    EXPECT_EQ(group.readQuota().value(), (CpuQuota{5000, 100000}));
    ASSERT_TRUE(group.setQuotaPercent(std::nullopt));
    EXPECT_EQ(readFile(group.placement()->cpu_dir / "cpu.max"), "max 100000");

    writeFile(group.placement()->cpu_dir / "cpu.stat",
              "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n"
              "nr_periods 9\nnr_throttled 3\nthrottled_usec 700\n");
    const auto sample = group.sample().value();
    EXPECT_EQ(sample.usage_ns, 2'500'000u);
    EXPECT_EQ(sample.throttled_ns, 700'000u);
    EXPECT_EQ(sample.nr_throttled, 3u);
}

// Hybrid the other way round: no v1 cpu controller, so the unified hierarchy carries it.
TEST(CpuLimiterTest, HybridWithCpuOnTheUnifiedHierarchy) {
    test::TempDir root;
    writeFile(root.path() / "proc/self/cgroup",
              "3:memory:/\n1:name=systemd:/work.slice/app\n0::/work.slice/app\n");
    writeFile(root.path() / "proc/self/mountinfo",
              mountLine(35, "/sys/fs/cgroup/memory", "cgroup", "rw,memory") +
                  mountLine(40, "/sys/fs/cgroup/systemd", "cgroup", "rw,name=systemd") +
                  mountLine(41, "/sys/fs/cgroup/unified", "cgroup2", "rw"));
    writeFile(root.path() / "sys/fs/cgroup/unified/cgroup.controllers", "cpu io\n");
    auto limiter = limiterFor(root.path());
    ASSERT_TRUE(limiter.placement().layout.cpu);
    EXPECT_EQ(limiter.placement().layout.cpu->version, CgroupVersion::kV2);
    EXPECT_EQ(limiter.placement().layout.cpu->mount_dir, root.path() / "sys/fs/cgroup/unified");
}

TEST(CpuLimiterTest, HybridWithoutAnyCpuControllerIsNotEnforced) {
    test::TempDir root;
    writeFile(root.path() / "proc/self/cgroup", "3:memory:/\n0::/\n");
    writeFile(root.path() / "proc/self/mountinfo",
              mountLine(35, "/sys/fs/cgroup/memory", "cgroup", "rw,memory") +
                  mountLine(41, "/sys/fs/cgroup/unified", "cgroup2", "rw"));
    writeFile(root.path() / "sys/fs/cgroup/unified/cgroup.controllers", "\n");
    auto limiter = limiterFor(root.path());
    EXPECT_FALSE(limiter.enforcement().enforced);
    EXPECT_EQ(limiter.enforcement().describe(),
              "not enforced: the cgroup v2 hierarchy at " +
                  (root.path() / "sys/fs/cgroup/unified").string() +
                  " does not offer the cpu controller");
    // Every operation is a harmless no-op that keeps the reason.
    auto group = limiter.extensionGroup("ama");
    EXPECT_FALSE(group.enforcement().enforced);
    EXPECT_EQ(group.enforcement().reason, limiter.enforcement().reason);
    EXPECT_TRUE(group.attach(1));
    EXPECT_TRUE(group.setQuotaPercent(5));
    EXPECT_FALSE(group.sample());
    EXPECT_TRUE(group.remove());
}

// A container without a cgroup namespace: the mount shows a subtree, /proc/self/cgroup the full
// path. Groups are found below the mount, and a mount of another subtree is not used.
TEST(CpuLimiterTest, MountOfASubtreeMapsPathsBelowIt) {
    test::TempDir root;
    writeFile(root.path() / "proc/self/cgroup", "4:cpu,cpuacct:/docker/abc/app\n");
    writeFile(
        root.path() / "proc/self/mountinfo",
        "40 31 0:40 /docker/other /sys/fs/cgroup/other rw - cgroup cgroup rw,cpu,cpuacct\n"
        "41 31 0:40 /docker/abc /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n");
    const auto mount = root.path() / "sys/fs/cgroup/cpu,cpuacct";
    kernelGroups(mount, "/app", Kind::kCombinedV1);
    auto limiter = limiterFor(root.path());
    ASSERT_TRUE(limiter.placement().layout.cpu);
    EXPECT_EQ(limiter.placement().layout.cpu->mount_dir, mount);
    EXPECT_EQ(limiter.placement().layout.cpu->dirOf("/docker/abc/app"), mount / "app");
    EXPECT_EQ(limiter.placement().daemon_path, "/docker/abc/azcmagent/gcad");
    auto group = limiter.daemonGroup();
    EXPECT_EQ(group.placement()->cpu_dir, mount / "azcmagent/gcad/self");
}

TEST(CpuLimiterTest, MissingControllerFileIsNotEnforced) {
    test::TempDir root;
    writeFile(root.path() / "proc/self/cgroup", "1:cpu:/\n");
    writeFile(root.path() / "proc/self/mountinfo",
              mountLine(32, "/sys/fs/cgroup/cpu", "cgroup", "rw,cpu"));
    kernelGroup(root.path() / "sys/fs/cgroup/cpu", Kind::kCpuV1);
    auto limiter = limiterFor(root.path());
    ASSERT_TRUE(limiter.enforcement().enforced);
    EXPECT_FALSE(limiter.placement().layout.cpuacct);
    auto group = limiter.daemonGroup(); // created by mkdir: a fixture has no kernel to fill it
    EXPECT_FALSE(group.enforcement().enforced);
    EXPECT_EQ(
        group.enforcement().reason,
        "cpu controller missing: no " +
            (root.path() / "sys/fs/cgroup/cpu/azcmagent/gcad/self/cpu.cfs_quota_us").string());
}

TEST(CpuLimiterTest, CgroupRootOverridesTheBase) {
    test::TempDir root;
    writeFile(root.path() / "proc/self/cgroup", kThisMachineCgroup);
    writeFile(root.path() / "proc/self/mountinfo", thisMachineMountInfo());
    auto limiter = limiterFor(root.path(), "/custom/agents");
    EXPECT_EQ(limiter.placement().daemon_path, "/custom/agents/gcad");
    EXPECT_EQ(limiterFor(root.path(), "relative").placement().daemon_path, "/relative/gcad");
}

// Under Delegate=yes the unit's own group is the daemon's tree: groups go below it.
TEST(CpuLimiterTest, DelegatedUnitGroupHoldsTheDaemonTree) {
    test::TempDir root;
    writeFile(root.path() / "proc/self/cgroup", "0::/system.slice/gcad.service\n");
    writeFile(root.path() / "proc/self/mountinfo",
              mountLine(30, "/sys/fs/cgroup", "cgroup2", "rw"));
    const auto mount = root.path() / "sys/fs/cgroup";
    kernelGroups(mount, "/system.slice/gcad.service/self", Kind::kV2);
    writeFile(mount / "cgroup.controllers", "cpu\n");
    const auto unit = mount / "system.slice/gcad.service";
    if (::geteuid() == 0) { // root writes everything: only systemd's mark proves delegation
        EXPECT_FALSE(limiterFor(root.path()).placement().delegated);
        ASSERT_EQ(::setxattr(unit.c_str(), "user.delegate", "1", 1, 0), 0) << std::strerror(errno);
    }
    auto limiter = limiterFor(root.path());
    EXPECT_TRUE(limiter.placement().delegated);
    EXPECT_EQ(limiter.placement().daemon_path, "/system.slice/gcad.service");
    auto group = limiter.daemonGroup();
    ASSERT_TRUE(group.enforcement().enforced) << group.enforcement().describe();
    EXPECT_EQ(group.path(), "/system.slice/gcad.service/self");
}

// A daemon without write access to the cgroup tree keeps running and says why it is not capped.
// As root the check runs in a child that drops to nobody (root may write anything).
TEST(CpuLimiterTest, NotWritableIsNotEnforced) {
    test::TempDir root;
    writeFile(root.path() / "proc/self/cgroup", kThisMachineCgroup);
    writeFile(root.path() / "proc/self/mountinfo", thisMachineMountInfo());
    const auto cpu = root.path() / "sys/fs/cgroup/cpu";
    kernelGroups(cpu, "/work.slice", Kind::kCpuV1);
    kernelGroups(root.path() / "sys/fs/cgroup/cpuacct", "/work.slice", Kind::kCpuacctV1);
    for (const auto& entry : stdfs::recursive_directory_iterator(root.path())) {
        ::chmod(entry.path().c_str(), entry.is_directory() ? 0555 : 0444);
    }
    ::chmod(root.path().c_str(), 0755);

    const auto check = [&]() -> int {
        auto limiter = limiterFor(root.path());
        const auto expected = "not enforced: " + (cpu / "work.slice").string() +
                              " is not writable by uid " + std::to_string(::geteuid());
        if (limiter.enforcement().describe() != expected) {
            std::cerr << limiter.enforcement().describe() << " != " << expected << "\n";
            return 1;
        }
        auto group = limiter.extensionGroup("ama");
        if (group.enforcement().enforced || !group.setQuotaPercent(5) || !group.attach(1) ||
            stdfs::exists(cpu / "work.slice/azcmagent")) {
            return 2;
        }
        return 0;
    };
    if (::geteuid() != 0) {
        EXPECT_EQ(check(), 0);
    } else {
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            const bool dropped = ::setgid(65534) == 0 && ::setuid(65534) == 0;
            ::_exit(dropped ? check() : 3);
        }
        int status = 0;
        ASSERT_EQ(::waitpid(child, &status, 0), child);
        ASSERT_TRUE(WIFEXITED(status));
        EXPECT_EQ(WEXITSTATUS(status), 0);
    }
    for (const auto& entry : stdfs::recursive_directory_iterator(root.path())) {
        ::chmod(entry.path().c_str(), 0755);
    }
}

TEST(CpuLimiterTest, InvalidExtensionNameIsRefused) {
    test::TempDir root;
    writeFile(root.path() / "proc/self/cgroup", kThisMachineCgroup);
    writeFile(root.path() / "proc/self/mountinfo", thisMachineMountInfo());
    auto limiter = limiterFor(root.path());
    for (const auto* name : {"", ".", "..", "a/b"}) {
        auto group = limiter.extensionGroup(name);
        EXPECT_FALSE(group.enforcement().enforced) << name;
        EXPECT_EQ(group.placement(), nullptr) << name;
    }
}

// ---- usage window -------------------------------------------------------------------------------

CpuSample
at(int second, std::uint64_t usage_ms, std::uint64_t throttled_ms, std::uint64_t periods) {
    CpuSample sample;
    sample.at = std::chrono::steady_clock::time_point(seconds(second));
    sample.usage_ns = usage_ms * 1'000'000;
    sample.throttled_ns = throttled_ms * 1'000'000;
    sample.nr_throttled = periods;
    return sample;
}

TEST(CpuUsageWindowTest, LastMinuteFromSamplesEveryTenSeconds) {
    CpuUsageWindow window;
    EXPECT_FALSE(window.report());
    // 0..60 s: 5% of one CPU (500 ms per 10 s), throttled 950 ms in 95 periods per 10 s.
    for (int i = 0; i <= 6; ++i) {
        window.add(at(i * 10, i * 500, i * 950, i * 95));
    }
    auto report = window.report().value();
    EXPECT_EQ(report.covered, seconds(60));
    EXPECT_DOUBLE_EQ(report.used_percent, 5.0);
    EXPECT_EQ(report.throttled, std::chrono::milliseconds(5700));
    EXPECT_EQ(report.nr_throttled, 570u);

    // 70 s: the 0 s sample leaves the window; the last 10 s ran at 50%.
    window.add(at(70, 3000 + 5000, 6 * 950, 570));
    report = window.report().value();
    EXPECT_EQ(report.covered, seconds(60));
    EXPECT_DOUBLE_EQ(report.used_percent, 100.0 * (8000 - 500) / 60000);
    EXPECT_EQ(report.throttled, std::chrono::milliseconds(5700 - 950));
    EXPECT_EQ(report.nr_throttled, 570u - 95u);
}

TEST(CpuUsageWindowTest, CounterResetStartsAfresh) {
    CpuUsageWindow window(seconds(60));
    window.add(at(0, 0, 0, 0));
    window.add(at(10, 1000, 0, 0));
    window.add(at(20, 10, 0, 0)); // group recreated: counters restart
    EXPECT_FALSE(window.report());
    window.add(at(30, 210, 5, 1));
    const auto report = window.report().value();
    EXPECT_EQ(report.covered, seconds(10));
    EXPECT_DOUBLE_EQ(report.used_percent, 2.0);
    EXPECT_EQ(report.throttled, std::chrono::milliseconds(5));
}

TEST(CpuUsageWindowTest, UsedPercentOfOneCpu) {
    EXPECT_DOUBLE_EQ(usedPercent(at(0, 0, 0, 0), at(10, 525, 0, 0)), 5.25);
    EXPECT_DOUBLE_EQ(usedPercent(at(0, 0, 0, 0), at(10, 20000, 0, 0)), 200.0); // two CPUs
    EXPECT_DOUBLE_EQ(usedPercent(at(5, 0, 0, 0), at(5, 100, 0, 0)), 0.0);      // no time passed
}

} // namespace
} // namespace azcm::platform

namespace azcm::platform {
namespace {

TEST(ComponentCpuCapTest, AppliesTheCapAndReportsTheWindowFromTheKernelCounters) {
    test::TempDir root;
    writeFile(root.path() / "proc/self/cgroup", "0::/app\n");
    writeFile(root.path() / "proc/self/mountinfo",
              mountLine(30, "/sys/fs/cgroup", "cgroup2", "rw,nsdelegate"));
    const auto mount = root.path() / "sys/fs/cgroup";
    kernelGroups(mount, "/azcmagent/gcad/self", Kind::kV2);
    writeFile(mount / "cgroup.controllers", "cpu memory\n");
    writeFile(mount / "cgroup.subtree_control", "cpu memory\n");
    auto limiter = limiterFor(root.path());
    ComponentCpuCap cap("extservice", limiter.daemonGroup());

    ASSERT_TRUE(cap.apply(5));
    EXPECT_EQ(readFile(cap.group().placement()->cpu_dir / "cpu.max"), "5000 100000");
    auto status = cap.status();
    EXPECT_EQ(status["component"], "extservice");
    EXPECT_EQ(status["capPercent"], 5);
    EXPECT_EQ(status["enforced"], true);
    EXPECT_FALSE(status.contains("reason"));
    EXPECT_TRUE(status["window"].is_null()) << "one sample is no window";

    writeFile(cap.group().placement()->cpu_dir / "cpu.stat", "usage_usec 1000\nnr_throttled 1\n"
                                                             "throttled_usec 2000\n");
    cap.sample();
    writeFile(cap.group().placement()->cpu_dir / "cpu.stat", "usage_usec 5000\nnr_throttled 4\n"
                                                             "throttled_usec 9000\n");
    cap.sample();
    status = cap.status();
    ASSERT_TRUE(status["window"].is_object()) << status.dump();
    EXPECT_EQ(status["window"]["throttledMs"], 7);
    EXPECT_EQ(status["window"]["throttledPeriods"], 3);
    EXPECT_GT(status["window"]["usedPercent"].get<double>(), 0.0);

    ASSERT_TRUE(cap.apply(std::nullopt));
    EXPECT_EQ(readFile(cap.group().placement()->cpu_dir / "cpu.max"), "max 100000");
    EXPECT_TRUE(cap.status()["capPercent"].is_null());
}

TEST(ComponentCpuCapTest, NotEnforcedRemembersTheCapAndSaysWhy) {
    test::TempDir root;
    writeFile(root.path() / "proc/self/cgroup", "0::/app\n");
    writeFile(root.path() / "proc/self/mountinfo", "");
    auto limiter = limiterFor(root.path());
    ComponentCpuCap cap("gcservice", limiter.daemonGroup());
    ASSERT_TRUE(cap.apply(20));
    cap.sample();
    const auto status = cap.status();
    EXPECT_EQ(status["capPercent"], 20);
    EXPECT_EQ(status["enforced"], false);
    EXPECT_FALSE(status["reason"].get<std::string>().empty());
    EXPECT_TRUE(status["window"].is_null());
}

} // namespace
} // namespace azcm::platform
