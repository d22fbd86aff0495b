#include "fs/atomic_file.hpp"
#include "log/log.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace azcm::log {
namespace {

TEST(LogTest, SanitizeEscapesLineBreaksAndControlCharacters) {
    // A value cannot forge a second log line (log injection).
    EXPECT_EQ(sanitize("a\nFAKE_EVENT x=1"), "a\\nFAKE_EVENT x=1");
    EXPECT_EQ(sanitize("a\r\n"), "a\\r\\n");
    EXPECT_EQ(sanitize(std::string("x\x01y\x7fz")), "x?y?z");
    EXPECT_EQ(sanitize("plain text"), "plain text");
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

} // namespace
} // namespace azcm::log
