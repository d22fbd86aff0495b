#pragma once
// Zips written byte by byte (stored, no compression) for the extractor's tests: unlike
// libarchive's writer, this one writes whatever a hostile archive could hold (device and FIFO
// modes, backslashes, repeated names), because the mode travels in the central directory's
// external attributes exactly as an attacker would set it.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace azcm::test {

struct RawZipEntry {
    std::string name;
    std::string content;          // file data, or a symbolic link's target
    std::uint32_t mode = 0100644; // st_mode: type and permission bits
};

inline constexpr std::uint32_t kZipFile = 0100000;
inline constexpr std::uint32_t kZipDirectory = 0040000;
inline constexpr std::uint32_t kZipSymlink = 0120000;
inline constexpr std::uint32_t kZipCharDevice = 0020000;
inline constexpr std::uint32_t kZipFifo = 0010000;

void writeRawZip(const std::filesystem::path& zip, const std::vector<RawZipEntry>& entries);

} // namespace azcm::test
