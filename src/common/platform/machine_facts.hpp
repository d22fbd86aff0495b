#pragma once
// Facts about this machine, from local files only: /etc/os-release,
// /proc, /sys/class/dmi/id. Never a network probe. `root` relocates those files for tests.
#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace azcm::platform {

struct MachineFacts {
    std::string os_name;    // e.g. "debian" (ID) or NAME
    std::string os_version; // VERSION_ID
    std::string os_sku;     // PRETTY_NAME
    std::string os_type;    // "linux" / "windows"
    std::string host_name;
    std::string fqdn;
    std::string domain_name;
    std::string cpu_model;
    std::uint32_t logical_cores = 0;
    std::uint32_t cpu_sockets = 0;
    std::uint64_t total_memory_mb = 0;
    std::string manufacturer; // DMI sys_vendor
    std::string model;        // DMI product_name
    std::string serial_number;
    std::string vm_uuid; // DMI product_uuid
};

// The host name as the kernel has it (it may hold the domain); "" when it cannot be read.
std::string hostName();

MachineFacts collectMachineFacts(const std::filesystem::path& root = "/");
nlohmann::json toJson(const MachineFacts& facts);

// Azure VMs carry chassis asset tag 7783-7084-3265-9085-8269-3286-77 in DMI.
bool isAzureVirtualMachine(const std::filesystem::path& root = "/");

} // namespace azcm::platform
