#include "common/platform/windows/smbios.hpp"

#include <array>
#include <optional>
#include <vector>

namespace azcm::platform::windows {

namespace {

constexpr std::size_t kRawHeaderSize = 8; // RawSMBIOSData up to SMBIOSTableData
constexpr std::size_t kStructureHeaderSize = 4;
constexpr std::uint8_t kSystemInformation = 1;
constexpr std::uint8_t kSystemEnclosure = 3;
constexpr std::uint8_t kEndOfTable = 127;

// One structure: its formatted area (header included) and its strings, numbered from 1.
struct Structure {
    std::span<const std::uint8_t> formatted;
    std::vector<std::string> strings;

    std::uint8_t type() const { return formatted[0]; }
    // The string a byte of the formatted area refers to; "" for 0 (no string), for a number
    // beyond the strings, or for an offset beyond this structure's formatted area (an older
    // SMBIOS version's shorter structure).
    std::string stringAt(std::size_t offset) const {
        if (offset >= formatted.size()) {
            return {};
        }
        const std::size_t number = formatted[offset];
        return number == 0 || number > strings.size() ? std::string() : strings[number - 1];
    }
};

// A string as the agent reports it: printable ASCII only (a firmware string is not trusted to be
// valid UTF-8, which JSON needs), surrounding spaces removed as on Linux.
std::string cleaned(std::span<const std::uint8_t> bytes) {
    std::string text;
    for (const std::uint8_t byte : bytes) {
        text.push_back(byte >= 0x20 && byte < 0x7F ? static_cast<char>(byte) : '?');
    }
    const auto first = text.find_first_not_of(' ');
    if (first == std::string::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

// The structure at `offset` in `table`, and the offset of the next one; nullopt when it does not
// fit in the table (its header, its formatted area or its double-NUL string terminator).
std::optional<std::pair<Structure, std::size_t>> structureAt(std::span<const std::uint8_t> table,
                                                             std::size_t offset) {
    if (table.size() - offset < kStructureHeaderSize) {
        return std::nullopt;
    }
    const std::size_t length = table[offset + 1];
    if (length < kStructureHeaderSize || table.size() - offset < length) {
        return std::nullopt;
    }
    Structure structure{table.subspan(offset, length), {}};
    // The string set: NUL-terminated strings, ended by one more NUL (two NULs when it is empty).
    std::size_t at = offset + length;
    std::size_t start = at;
    for (;;) {
        if (at >= table.size()) {
            return std::nullopt; // unterminated
        }
        if (table[at] != 0) {
            ++at;
            continue;
        }
        if (at == start) { // an empty string: the end of the set
            if (structure.strings.empty() && at + 1 < table.size() && table[at + 1] == 0 &&
                at == offset + length) {
                ++at; // no strings at all: the set is two NULs
            }
            return std::pair{std::move(structure), at + 1};
        }
        structure.strings.push_back(cleaned(table.subspan(start, at - start)));
        start = ++at;
    }
}

// SMBIOS 2.6 and later store the first three UUID fields little-endian (as Linux's dmi_decode_uuid
// reads them); earlier versions big-endian. All bytes 0xFF means "not present", all 0x00 "not
// set": no UUID either way.
std::string uuidOf(const Structure& system, std::uint8_t major, std::uint8_t minor) {
    constexpr std::size_t kUuidOffset = 0x08;
    constexpr std::size_t kUuidSize = 16;
    if (system.formatted.size() < kUuidOffset + kUuidSize) {
        return {};
    }
    const auto raw = system.formatted.subspan(kUuidOffset, kUuidSize);
    bool all_ff = true;
    bool all_zero = true;
    for (const std::uint8_t byte : raw) {
        all_ff = all_ff && byte == 0xFF;
        all_zero = all_zero && byte == 0x00;
    }
    if (all_ff || all_zero) {
        return {};
    }
    std::array<std::uint8_t, kUuidSize> bytes{};
    std::copy(raw.begin(), raw.end(), bytes.begin());
    if (major > 2 || (major == 2 && minor >= 6)) {
        std::swap(bytes[0], bytes[3]);
        std::swap(bytes[1], bytes[2]);
        std::swap(bytes[4], bytes[5]);
        std::swap(bytes[6], bytes[7]);
    }
    static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                  '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
    std::string text;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            text.push_back('-');
        }
        text.push_back(kHex.at(bytes[i] >> 4));
        text.push_back(kHex.at(bytes[i] & 0x0F));
    }
    return text;
}

} // namespace

SmbiosFacts parseSmbios(std::span<const std::uint8_t> raw) {
    SmbiosFacts facts;
    if (raw.size() < kRawHeaderSize) {
        return facts;
    }
    const std::uint8_t major = raw[1];
    const std::uint8_t minor = raw[2];
    const std::uint32_t declared =
        static_cast<std::uint32_t>(raw[4]) | (static_cast<std::uint32_t>(raw[5]) << 8) |
        (static_cast<std::uint32_t>(raw[6]) << 16) | (static_cast<std::uint32_t>(raw[7]) << 24);
    // The declared length is believed only as far as the bytes go.
    const auto table = raw.subspan(kRawHeaderSize)
                           .first(std::min<std::size_t>(declared, raw.size() - kRawHeaderSize));
    bool have_system = false;
    bool have_enclosure = false;
    std::size_t offset = 0;
    while (offset < table.size()) {
        auto found = structureAt(table, offset);
        if (!found) {
            break;
        }
        const auto& [structure, next] = *found;
        if (structure.type() == kEndOfTable) {
            break;
        }
        if (structure.type() == kSystemInformation && !have_system) {
            have_system = true;
            facts.manufacturer = structure.stringAt(0x04);
            facts.product_name = structure.stringAt(0x05);
            facts.serial_number = structure.stringAt(0x07);
            facts.uuid = uuidOf(structure, major, minor);
        } else if (structure.type() == kSystemEnclosure && !have_enclosure) {
            have_enclosure = true;
            facts.chassis_asset_tag = structure.stringAt(0x08);
        }
        offset = next;
    }
    return facts;
}

} // namespace azcm::platform::windows
