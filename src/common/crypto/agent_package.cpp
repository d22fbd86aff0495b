#include "common/crypto/agent_package.hpp"

#include <array>
#include <cstdint>
#include <string>

namespace azcm::crypto {

namespace {

constexpr std::string_view kArMagic = "!<arch>\n";
// An ar member header: a 16-byte name field, space padded ("debian-binary/" in GNU ar's form).
constexpr std::size_t kArNameField = 16;
constexpr std::string_view kDebianBinary = "debian-binary";

constexpr std::array<unsigned char, 4> kRpmLead{0xED, 0xAB, 0xEE, 0xDB};

constexpr std::array<unsigned char, 8> kCompoundFileMagic{0xD0, 0xCF, 0x11, 0xE0,
                                                          0xA1, 0xB1, 0x1A, 0xE1};
// {000C1084-0000-0000-C000-000000000046} as stored: the first three fields little-endian.
constexpr std::array<unsigned char, 16> kMsiDatabaseClassId{
    0x84, 0x10, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46};
// Compound file header fields (little-endian): the sector size as a power of two, and the first
// sector of the directory, whose first entry is the root storage; an entry's class id is at 0x50.
constexpr std::size_t kSectorShiftOffset = 0x1E;
constexpr std::size_t kFirstDirectorySectorOffset = 0x30;
constexpr std::size_t kHeaderSize = 512;
constexpr std::size_t kEntryClassIdOffset = 0x50;

template <std::size_t N>
bool startsWith(std::string_view bytes, const std::array<unsigned char, N>& magic) {
    if (bytes.size() < N) {
        return false;
    }
    for (std::size_t i = 0; i < N; ++i) {
        if (static_cast<unsigned char>(bytes[i]) != magic[i]) {
            return false;
        }
    }
    return true;
}

std::uint32_t littleEndian(std::string_view bytes, std::size_t at, std::size_t width) {
    std::uint32_t value = 0;
    for (std::size_t i = width; i > 0; --i) {
        value = (value << 8U) | static_cast<unsigned char>(bytes[at + i - 1]);
    }
    return value;
}

bool isDebianArchive(std::string_view bytes) {
    if (bytes.substr(0, kArMagic.size()) != kArMagic) {
        return false;
    }
    const std::string_view name = bytes.substr(kArMagic.size(), kArNameField);
    if (name.size() != kArNameField || name.substr(0, kDebianBinary.size()) != kDebianBinary) {
        return false;
    }
    // dpkg pads the name with spaces; GNU ar ends it with '/' first.
    const std::string_view rest = name.substr(kDebianBinary.size());
    return rest == "   " || rest == "/  ";
}

bool isWindowsInstallerDatabase(std::string_view bytes) {
    if (bytes.size() < kHeaderSize || !startsWith(bytes, kCompoundFileMagic)) {
        return false;
    }
    const std::uint32_t shift = littleEndian(bytes, kSectorShiftOffset, 2);
    if (shift != 9 && shift != 12) { // 512-byte (version 3) or 4096-byte (version 4) sectors
        return false;
    }
    const std::size_t sector_size = std::size_t{1} << shift;
    const std::uint64_t first_directory = littleEndian(bytes, kFirstDirectorySectorOffset, 4);
    // Sector n starts after the header, which takes one whole sector.
    const std::uint64_t root_entry = (first_directory + 1) * sector_size;
    if (root_entry + kEntryClassIdOffset + kMsiDatabaseClassId.size() > bytes.size()) {
        return false;
    }
    return startsWith(bytes.substr(root_entry + kEntryClassIdOffset), kMsiDatabaseClassId);
}

} // namespace

std::string_view agentPlatformName(AgentPlatform platform) {
    switch (platform) {
    case AgentPlatform::kDeb:
        return "deb";
    case AgentPlatform::kRpm:
        return "rpm";
    case AgentPlatform::kMsi:
        return "msi";
    }
    return "unknown";
}

std::optional<AgentPlatform> parseAgentPlatform(std::string_view name) {
    for (const auto platform : {AgentPlatform::kDeb, AgentPlatform::kRpm, AgentPlatform::kMsi}) {
        if (name == agentPlatformName(platform)) {
            return platform;
        }
    }
    return std::nullopt;
}

std::optional<AgentPlatform> detectAgentPlatform(std::string_view bytes) {
    if (isDebianArchive(bytes)) {
        return AgentPlatform::kDeb;
    }
    if (startsWith(bytes, kRpmLead)) {
        return AgentPlatform::kRpm;
    }
    if (isWindowsInstallerDatabase(bytes)) {
        return AgentPlatform::kMsi;
    }
    return std::nullopt;
}

PackageIdentity agentPackageIdentity(AgentPlatform platform, std::string_view version) {
    return PackageIdentity{std::string(kPackageKindAgent), std::string(),
                           std::string(agentPlatformName(platform)), std::string(version)};
}

} // namespace azcm::crypto
