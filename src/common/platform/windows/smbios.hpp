#pragma once
// The facts the agent reports from the SMBIOS tables (the firmware's description of the machine,
// which Linux shows under /sys/class/dmi/id), parsed from the bytes
// GetSystemFirmwareTable('RSMB', 0, ...) returns. A pure function over bytes: the firmware's
// table is input from outside the process, and a short or malformed one yields empty fields,
// never a read beyond it.
#include <cstdint>
#include <span>
#include <string>

namespace azcm::platform::windows {

struct SmbiosFacts {
    std::string manufacturer;      // type 1 (System Information), DMI sys_vendor
    std::string product_name;      // type 1, DMI product_name
    std::string serial_number;     // type 1, DMI product_serial
    std::string uuid;              // type 1, DMI product_uuid, "8-4-4-4-12" upper-case hex
    std::string chassis_asset_tag; // type 3 (System Enclosure), DMI chassis_asset_tag
};

// `raw` starts with the RawSMBIOSData header (calling method, major and minor version, DMI
// revision, a 32-bit table length), followed by the structure table.
SmbiosFacts parseSmbios(std::span<const std::uint8_t> raw);

} // namespace azcm::platform::windows
