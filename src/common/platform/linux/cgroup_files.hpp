#pragma once
// Reading and writing cgroup control files. They report size 0 and must be written in one
// write(2) without O_CREAT (a missing file means a missing controller, never a new file).
#include "common/error.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace azcm::platform::cgroupfs {

Result<std::string> readText(const std::filesystem::path& path);
// Errors name the file and carry the text of errno.
Result<void> writeText(const std::filesystem::path& path, std::string_view text);
// "key value" lines (cpu.stat); 0 when the key is absent.
std::uint64_t statValue(std::string_view stat_text, std::string_view key);
// Effective-uid write access (faccessat AT_EACCESS).
bool writable(const std::filesystem::path& path);

} // namespace azcm::platform::cgroupfs
