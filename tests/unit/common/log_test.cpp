#include "common/fs/atomic_file.hpp"
#include "common/log/log.hpp"
#include "common/log/rotating_file_sink.hpp"
#include "common/paths/paths.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <sys/stat.h>

namespace azcm::log {
namespace {

TEST(LogTest, SanitizeEscapesLineBreaksAndControlCharacters) {
    // A value cannot forge a second log line (log injection).
    EXPECT_EQ(sanitize("a\nFAKE_EVENT x=1"), "a\\nFAKE_EVENT x=1");
    EXPECT_EQ(sanitize("a\r\n"), "a\\r\\n");
    EXPECT_EQ(sanitize(std::string("x\x01y\x7fz")), "x?y?z");
    EXPECT_EQ(sanitize("plain text"), "plain text");
    // No value makes a line unbounded.
    const auto bounded = sanitize(std::string(100000, 'v'));
    EXPECT_EQ(bounded.size(), kSanitizedTextChars);
    EXPECT_EQ(bounded.substr(bounded.size() - 3), "...");
    EXPECT_EQ(sanitize(std::string(kSanitizedTextChars, 'v')).size(), kSanitizedTextChars);
}

TEST(LogTest, UntrustedTextIsEscapedToPrintableAsciiAndCut) {
    EXPECT_EQ(untrusted("plain text"), "plain text");
    EXPECT_EQ(untrusted("a\nFAKE_EVENT\r\tx"), "a\\nFAKE_EVENT\\r\\tx");
    // Bidi overrides and every other non-ASCII byte become \xNN; a backslash cannot forge one.
    EXPECT_EQ(untrusted("evil\xe2\x80\xaetxt.exe"), "evil\\xe2\\x80\\xaetxt.exe");
    EXPECT_EQ(untrusted("\\xe2"), "\\\\xe2");
    EXPECT_EQ(untrusted(std::string("x\x01\x7f", 3)), "x\\x01\\x7f");

    const std::string long_text(10000, 'a');
    const auto cut = untrusted(long_text);
    EXPECT_EQ(cut.size(), kUntrustedTextChars);
    EXPECT_EQ(cut.substr(cut.size() - 3), "...");
    // Exactly the limit is not cut; one more character is.
    EXPECT_EQ(untrusted(std::string(64, 'b'), 64), std::string(64, 'b'));
    EXPECT_EQ(untrusted(std::string(65, 'b'), 64), std::string(61, 'b') + "...");
    // An escape is never split by the cut.
    const auto escaped = untrusted(std::string(100, '\xff'), kCallerFieldChars);
    EXPECT_LE(escaped.size(), kCallerFieldChars);
    EXPECT_EQ(escaped, [] {
        std::string expected;
        for (int i = 0; i < 15; ++i) {
            expected += "\\xff";
        }
        return expected + "...";
    }());
    for (const char c : untrusted("\xf0\x9f\x98\x80 \x1b[31m red", kCallerFieldChars)) {
        EXPECT_TRUE(c >= 0x20 && c < 0x7f) << static_cast<int>(c);
    }
}

TEST(LogTest, InitWritesToTheLogFileAndCreatesItsDirectory) {
    test::TempDir dir;
    auto file = dir.path() / "log" / "unit.log";
    ASSERT_TRUE(init({"unit", file, false, spdlog::level::info}));
    spdlog::info("UNIT_EVENT value={}", 42);
    spdlog::debug("not at this level");
    spdlog::default_logger()->flush();
    auto text = fs::readFile(file);
    ASSERT_TRUE(text);
    EXPECT_NE(text.value().find("UNIT_EVENT value=42"), std::string::npos);
    EXPECT_EQ(text.value().find("not at this level"), std::string::npos);
    spdlog::set_default_logger(spdlog::stderr_color_mt("restored"));
}

TEST(LogTest, FileStaysWithinItsBudget) {
    test::TempDir dir;
    const auto file = dir.path() / "budget.log";
    LogOptions options{"budget", file, false, spdlog::level::info};
    options.max_file_bytes = 64 * 1024;
    options.max_rotated_files = 2;
    ASSERT_TRUE(init(options));
    const std::string filler(200, 'x');
    for (int i = 0; i < 5000; ++i) { // about 1 MB written, 16 times the file budget
        spdlog::info("FILLER {} {}", i, filler);
    }
    spdlog::default_logger()->flush();
    std::uintmax_t total = 0;
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        total += entry.file_size();
        ++files;
    }
    EXPECT_EQ(files, 3U); // budget.log, budget.1.log, budget.2.log
    EXPECT_LE(total, options.max_file_bytes * (options.max_rotated_files + 1));
    // The newest lines are in the current file.
    const auto text = fs::readFile(file).value();
    EXPECT_NE(text.find("FILLER 4999"), std::string::npos);
    spdlog::set_default_logger(spdlog::stderr_color_mt("restored-budget"));
}

TEST(LogTest, UnopenableFileIsReportedNotFatal) {
    test::TempDir dir;
    // A directory where the file should be: the sink cannot open it.
    std::filesystem::create_directories(dir.path() / "taken.log");
    EXPECT_FALSE(init({"unit2", dir.path() / "taken.log", false, spdlog::level::info}));
    spdlog::info("still logging");
}

// The log of a root process lives where nobody else can plant a name: a directory that others
// can write (the old `log/`, root:azcmdaemons 1775) is refused, and nothing is created in it.
TEST(LogTest, RefusesALogDirectoryOthersCanWrite) {
    test::TempDir dir;
    for (const mode_t mode : {01775, 0775, 01777, 0757}) {
        const auto shared = dir.path() / ("shared-" + std::to_string(mode));
        std::filesystem::create_directory(shared);
        ASSERT_EQ(::chmod(shared.c_str(), mode), 0);
        EXPECT_FALSE(init({"shared", shared / "azcmagent.log", false, spdlog::level::info}))
            << std::oct << mode;
        spdlog::info("LINE_THAT_MUST_GO_NOWHERE");
        EXPECT_FALSE(
            std::filesystem::exists(std::filesystem::symlink_status(shared / "azcmagent.log")))
            << std::oct << mode;
    }
    spdlog::set_default_logger(spdlog::stderr_color_mt("restored-shared"));
}

// A link planted under the log's name is refused, not followed: the file it points to keeps its
// content (spdlog's sink opened the name with fopen and wrote through the link).
TEST(LogTest, LinkAtTheLogNameIsNeverFollowed) {
    test::TempDir dir;
    const auto victim = dir.path() / "victim";
    ASSERT_TRUE(fs::writeFileAtomic(victim, "precious\n", {0644, {}}));
    std::filesystem::create_directory(dir.path() / "log");
    std::filesystem::create_symlink(victim, dir.path() / "log" / "azcmagent.log");
    EXPECT_FALSE(
        init({"linked", dir.path() / "log" / "azcmagent.log", false, spdlog::level::info}));
    spdlog::info("LINE_THAT_MUST_NOT_REACH_THE_VICTIM");
    spdlog::default_logger()->flush();
    EXPECT_EQ(fs::readFile(victim).value(), "precious\n");
    spdlog::set_default_logger(spdlog::stderr_color_mt("restored-linked"));
}

// Rotation renames through the directory descriptor and creates the new file exclusively: after
// any number of rotations a link planted under a rotated name was moved, never written through.
TEST(LogTest, RotationMovesPlantedLinksWithoutWritingThroughThem) {
    test::TempDir dir;
    const auto victim = dir.path() / "victim";
    ASSERT_TRUE(fs::writeFileAtomic(victim, "precious\n", {0644, {}}));
    const auto log_dir = dir.path() / "log";
    std::filesystem::create_directory(log_dir);
    std::filesystem::create_symlink(victim, log_dir / "rot.1.log");
    auto sink = RotatingFileSink::open(log_dir / "rot.log", {1024, 2}, 0600);
    ASSERT_TRUE(sink) << sink.error().message;
    auto logger = std::make_shared<spdlog::logger>("rot", sink.value());
    for (int i = 0; i < 200; ++i) {
        logger->info("ROTATING {} {}", i, std::string(100, 'r'));
    }
    EXPECT_EQ(fs::readFile(victim).value(), "precious\n");
    EXPECT_TRUE(
        std::filesystem::is_regular_file(std::filesystem::symlink_status(log_dir / "rot.log")));
    EXPECT_NE(fs::readFile(log_dir / "rot.log").value().find("ROTATING 199"), std::string::npos);
    EXPECT_EQ(RotatingFileSink::rotatedName(log_dir / "rot.log", 0), "rot.log");
    EXPECT_EQ(RotatingFileSink::rotatedName(log_dir / "rot.log", 2), "rot.2.log");
}

// A daemon with an account of its own writes in its own directory; in a sandbox, where log/ is
// the same account's, the documented name is made as a link to it.
TEST(LogTest, DaemonLogGoesToItsOwnDirectoryBehindTheDocumentedName) {
    test::TempDir dir;
    const Paths paths(dir.path());
    ASSERT_TRUE(init(daemonLogOptions(paths, "himds")));
    spdlog::info("DAEMON_LINE");
    spdlog::default_logger()->flush();
    EXPECT_NE(fs::readFile(paths.ownLogFile("himds")).value().find("DAEMON_LINE"),
              std::string::npos);
    ASSERT_TRUE(std::filesystem::is_symlink(paths.logFile("himds")));
    EXPECT_EQ(std::filesystem::read_symlink(paths.logFile("himds")), "himds/himds.log");
    std::ifstream through_link(paths.logFile("himds"));
    const std::string linked((std::istreambuf_iterator<char>(through_link)),
                             std::istreambuf_iterator<char>());
    EXPECT_NE(linked.find("DAEMON_LINE"), std::string::npos);
    struct stat info {};
    ASSERT_EQ(::stat(paths.logDirFor("himds").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0755U);
    spdlog::set_default_logger(spdlog::stderr_color_mt("restored-daemon"));
}

} // namespace
} // namespace azcm::log
