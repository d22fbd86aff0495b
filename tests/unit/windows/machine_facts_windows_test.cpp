// Machine facts on Windows: the SMBIOS parser against hand-built tables (well-formed, older
// versions, truncated and malformed), and the collected facts of the machine the test runs on.
#include "common/platform/machine_facts.hpp"
#include "common/platform/windows/smbios.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <windows.h>

namespace azcm::platform::windows {
namespace {

using Bytes = std::vector<std::uint8_t>;

// The formatted area of one structure: type, length (computed), handle, then `body`; then its
// strings, each NUL-terminated, then the closing NUL (two NULs when there are none).
Bytes structure(std::uint8_t type, const Bytes& body, const std::vector<std::string>& strings) {
    Bytes out{type, static_cast<std::uint8_t>(4 + body.size()), 0x00, 0x01};
    out.insert(out.end(), body.begin(), body.end());
    for (const auto& text : strings) {
        out.insert(out.end(), text.begin(), text.end());
        out.push_back(0);
    }
    if (strings.empty()) {
        out.push_back(0);
    }
    out.push_back(0);
    return out;
}

// RawSMBIOSData: calling method, major, minor, DMI revision, table length, table.
Bytes raw(const Bytes& table, std::uint8_t major = 3, std::uint8_t minor = 4) {
    const auto length = static_cast<std::uint32_t>(table.size());
    Bytes out{0,
              major,
              minor,
              0,
              static_cast<std::uint8_t>(length),
              static_cast<std::uint8_t>(length >> 8),
              static_cast<std::uint8_t>(length >> 16),
              static_cast<std::uint8_t>(length >> 24)};
    out.insert(out.end(), table.begin(), table.end());
    return out;
}

const Bytes kUuidBytes = {0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66,
                          0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF};

// Type 1: manufacturer 1, product 2, version 3, serial 4, UUID, wake-up type.
Bytes systemInformation(const Bytes& uuid = kUuidBytes) {
    Bytes body{1, 2, 3, 4};
    body.insert(body.end(), uuid.begin(), uuid.end());
    body.push_back(0x06);
    return structure(1, body,
                     {"Microsoft Corporation", "Virtual Machine", "7.0", " 0000-0002-1234 "});
}

// Type 3: manufacturer 1, type, version 2, serial 3, asset tag 4.
Bytes systemEnclosure(const std::string& asset_tag) {
    return structure(3, {1, 0x03, 2, 3, 4}, {"Microsoft Corporation", "7.0", "serial", asset_tag});
}

Bytes endOfTable() {
    return structure(127, {}, {});
}

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& part : parts) {
        out.insert(out.end(), part.begin(), part.end());
    }
    return out;
}

const Bytes kBiosInformation = structure(0, {1, 2, 0, 0xF0, 3, 0xFF}, {"AMI", "1.0", "2024"});

TEST(Smbios, ReadsSystemInformationAndTheChassisAssetTag) {
    const auto table =
        raw(concat({kBiosInformation, systemInformation(),
                    systemEnclosure("7783-7084-3265-9085-8269-3286-77"), endOfTable()}));
    const auto facts = parseSmbios(table);
    EXPECT_EQ(facts.manufacturer, "Microsoft Corporation");
    EXPECT_EQ(facts.product_name, "Virtual Machine");
    EXPECT_EQ(facts.serial_number, "0000-0002-1234"); // surrounding spaces removed
    // SMBIOS 2.6+: the first three fields are little-endian.
    EXPECT_EQ(facts.uuid, "00112233-4455-6677-8899-AABBCCDDEEFF");
    EXPECT_EQ(facts.chassis_asset_tag, "7783-7084-3265-9085-8269-3286-77");
}

TEST(Smbios, BeforeVersion26TheUuidIsBigEndian) {
    const auto facts = parseSmbios(raw(concat({systemInformation(), endOfTable()}), 2, 5));
    EXPECT_EQ(facts.uuid, "33221100-5544-7766-8899-AABBCCDDEEFF");
}

TEST(Smbios, AnAbsentOrUnsetUuidIsEmpty) {
    EXPECT_EQ(parseSmbios(raw(systemInformation(Bytes(16, 0xFF)))).uuid, "");
    EXPECT_EQ(parseSmbios(raw(systemInformation(Bytes(16, 0x00)))).uuid, "");
}

TEST(Smbios, AnOlderShorterSystemStructureHasNoUuid) {
    // SMBIOS 2.0: type 1 ends after the serial number.
    const auto facts =
        parseSmbios(raw(structure(1, {1, 2, 0, 3}, {"Vendor", "Model", "S1"}), 2, 0));
    EXPECT_EQ(facts.manufacturer, "Vendor");
    EXPECT_EQ(facts.product_name, "Model");
    EXPECT_EQ(facts.serial_number, "S1");
    EXPECT_EQ(facts.uuid, "");
}

TEST(Smbios, StringNumberZeroOrBeyondTheStringsIsEmpty) {
    Bytes body{0, 9, 0, 1};
    body.insert(body.end(), kUuidBytes.begin(), kUuidBytes.end());
    const auto facts = parseSmbios(raw(structure(1, body, {"only"})));
    EXPECT_EQ(facts.manufacturer, "");
    EXPECT_EQ(facts.product_name, "");
    EXPECT_EQ(facts.serial_number, "only");
}

TEST(Smbios, NonPrintableBytesBecomeQuestionMarks) {
    const auto facts = parseSmbios(
        raw(structure(1, {1, 2, 0, 0}, {std::string("Ven\xC3\x28", 5), std::string("a\tb")})));
    EXPECT_EQ(facts.manufacturer, "Ven?("); // 0xC3 replaced, "(" kept
    EXPECT_EQ(facts.product_name, "a?b");
    EXPECT_TRUE(nlohmann::json(facts.manufacturer).dump().size() > 0);
}

TEST(Smbios, TheFirstStructureOfATypeCounts) {
    const auto second = structure(1, {1, 0, 0, 0}, {"Second"});
    const auto facts = parseSmbios(raw(concat({systemInformation(), second})));
    EXPECT_EQ(facts.manufacturer, "Microsoft Corporation");
}

TEST(Smbios, NothingFollowsTheEndOfTable) {
    const auto facts = parseSmbios(raw(concat({endOfTable(), systemInformation()})));
    EXPECT_EQ(facts.manufacturer, "");
}

TEST(Smbios, AnEmptyOrShortBufferYieldsNothing) {
    EXPECT_EQ(parseSmbios({}).manufacturer, "");
    const Bytes header_only{0, 3, 4, 0, 0, 0, 0, 0};
    EXPECT_EQ(parseSmbios(header_only).manufacturer, "");
    const Bytes short_header{0, 3, 4};
    EXPECT_EQ(parseSmbios(short_header).manufacturer, "");
}

TEST(Smbios, EveryTruncationStaysInBoundsAndKeepsOnlyWholeStructures) {
    // Each prefix of a valid table, declared with its full length (the header lies about the
    // size) and with its true one: no read beyond the bytes (AddressSanitizer and the vector's
    // exact size make an overread visible) and no fact from a structure that was cut.
    const auto table = concat({kBiosInformation, systemInformation(),
                               systemEnclosure("7783-7084-3265-9085-8269-3286-77"), endOfTable()});
    const auto full = raw(table);
    const std::size_t system_end = 8 + kBiosInformation.size() + systemInformation().size();
    for (std::size_t size = 0; size < full.size(); ++size) {
        const Bytes lying(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(size));
        const auto facts = parseSmbios(lying);
        if (size < system_end) {
            EXPECT_EQ(facts.manufacturer, "") << size;
            EXPECT_EQ(facts.uuid, "") << size;
        } else {
            EXPECT_EQ(facts.manufacturer, "Microsoft Corporation") << size;
        }
        if (size >= 8) {
            const auto honest =
                raw(Bytes(table.begin(), table.begin() + static_cast<std::ptrdiff_t>(size - 8)));
            EXPECT_EQ(parseSmbios(honest).manufacturer, facts.manufacturer) << size;
        }
    }
}

TEST(Smbios, ALengthBelowTheHeaderStopsTheWalk) {
    auto broken = systemInformation();
    broken[1] = 2; // a formatted area shorter than its own header
    EXPECT_EQ(parseSmbios(raw(broken)).manufacturer, "");
}

TEST(Smbios, ALengthBeyondTheTableStopsTheWalk) {
    auto broken = systemInformation();
    broken[1] = 0xFF;
    EXPECT_EQ(parseSmbios(raw(broken)).manufacturer, "");
}

TEST(Smbios, UnterminatedStringsStopTheWalk) {
    auto broken = systemInformation();
    broken.pop_back(); // the closing NUL of the string set
    broken.pop_back(); // and the last string's own
    EXPECT_EQ(parseSmbios(raw(broken)).manufacturer, "");
}

TEST(Smbios, ADeclaredLengthShorterThanTheBytesIsHonoured) {
    auto table = raw(concat({kBiosInformation, systemInformation()}));
    table[4] = static_cast<std::uint8_t>(kBiosInformation.size()); // only the BIOS structure
    table[5] = 0;
    EXPECT_EQ(parseSmbios(table).manufacturer, "");
}

} // namespace
} // namespace azcm::platform::windows

namespace azcm::platform {
namespace {

// The machine the test runs on. Wine answers every call used: its computer name is the Unix host
// name, RtlGetVersion reports the Windows version of the prefix, the registry holds a product
// name, and GetSystemFirmwareTable builds an SMBIOS table from Linux's /sys/class/dmi/id.
TEST(MachineFacts, DescribeThisMachine) {
    const auto facts = collectMachineFacts();
    EXPECT_EQ(facts.os_type, "windows");
    EXPECT_FALSE(facts.host_name.empty());
    EXPECT_EQ(facts.host_name.find('.'), std::string::npos) << facts.host_name;
    EXPECT_EQ(facts.host_name, hostName());
    EXPECT_EQ(facts.fqdn.rfind(facts.host_name, 0), 0U) << facts.fqdn;
    EXPECT_GE(facts.logical_cores, 1U);
    EXPECT_GE(facts.cpu_sockets, 1U);
    EXPECT_LE(facts.cpu_sockets, facts.logical_cores);
    EXPECT_GT(facts.total_memory_mb, 0U);
    EXPECT_FALSE(facts.os_name.empty());
    EXPECT_EQ(facts.os_sku, facts.os_name);
}

TEST(MachineFacts, VersionIsMajorMinorBuild) {
    const auto version = collectMachineFacts().os_version;
    int major = 0;
    int minor = 0;
    int build = 0;
    char rest = 0;
    ASSERT_EQ(std::sscanf(version.c_str(), "%d.%d.%d%c", &major, &minor, &build, &rest), 3)
        << version;
    EXPECT_GE(major, 6);
    EXPECT_GT(build, 0);
}

TEST(MachineFacts, TheCoreCountCoversEveryProcessorGroup) {
    SYSTEM_INFO info{};
    ::GetSystemInfo(&info);
    EXPECT_GE(collectMachineFacts().logical_cores, info.dwNumberOfProcessors);
}

TEST(MachineFacts, JsonHasTheSameFieldsAsOnLinux) {
    MachineFacts facts;
    facts.os_type = "windows";
    facts.logical_cores = 4;
    facts.vm_uuid = "00112233-4455-6677-8899-AABBCCDDEEFF";
    const auto json = toJson(facts);
    EXPECT_EQ(json.at("osType"), "windows");
    EXPECT_EQ(json.at("logicalCores"), 4);
    EXPECT_EQ(json.at("vmUuid"), "00112233-4455-6677-8899-AABBCCDDEEFF");
    EXPECT_EQ(json.size(), 15U);
}

constexpr DWORD kRawSmbios = 0x52534D42; // 'RSMB'

TEST(MachineFacts, AzureIsTheChassisAssetTag) {
    // This machine's answer comes from its firmware table; it must agree with the parsed tag.
    const UINT size = ::GetSystemFirmwareTable(kRawSmbios, 0, nullptr, 0);
    std::vector<std::uint8_t> table(size);
    if (size > 0) {
        table.resize(::GetSystemFirmwareTable(kRawSmbios, 0, table.data(), size));
    }
    const bool tagged =
        windows::parseSmbios(table).chassis_asset_tag == "7783-7084-3265-9085-8269-3286-77";
    EXPECT_EQ(isAzureVirtualMachine(), tagged);
}

} // namespace
} // namespace azcm::platform
