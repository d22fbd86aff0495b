// machine_facts.hpp on Windows, from local sources only: the registry (product name, processor
// name), ntdll's RtlGetVersion (the true version: GetVersionEx answers what the manifest allows),
// GetComputerNameExW, the processor and memory counts, and the firmware's SMBIOS table (the
// manufacturer, model, serial number and UUID that Linux reads from /sys/class/dmi/id). Never a
// network probe. The `root` parameter relocates Linux files and has no meaning here.
#include "common/platform/machine_facts.hpp"
#include "common/platform/windows/smbios.hpp"
#include "common/platform/windows/wide_text.hpp"

#include <algorithm>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>
#include <windows.h>

namespace azcm::platform {

namespace {

constexpr const char* kAzureAssetTag = "7783-7084-3265-9085-8269-3286-77";
constexpr const wchar_t* kCurrentVersionKey = L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion";
constexpr const wchar_t* kFirstProcessorKey = L"HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\0";
constexpr DWORD kRawSmbiosProvider = 0x52534D42; // 'RSMB'
constexpr DWORD kMaxRegistryStringBytes = 64 * 1024;

std::string trim(std::string text) {
    const auto* space = " \t\r\n";
    const auto first = text.find_first_not_of(space);
    if (first == std::string::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(space) - first + 1);
}

// A REG_SZ value under HKEY_LOCAL_MACHINE; "" when it is missing or not a string.
std::string registryString(const wchar_t* key, const wchar_t* value) {
    DWORD bytes = 0;
    if (::RegGetValueW(HKEY_LOCAL_MACHINE, key, value, RRF_RT_REG_SZ, nullptr, nullptr, &bytes) !=
            ERROR_SUCCESS ||
        bytes == 0 || bytes > kMaxRegistryStringBytes) {
        return {};
    }
    std::wstring text(bytes / sizeof(wchar_t) + 1, L'\0');
    bytes = static_cast<DWORD>(text.size() * sizeof(wchar_t));
    if (::RegGetValueW(HKEY_LOCAL_MACHINE, key, value, RRF_RT_REG_SZ, nullptr, text.data(),
                       &bytes) != ERROR_SUCCESS) {
        return {};
    }
    text.resize(::wcsnlen(text.c_str(), text.size())); // RegGetValueW NUL-terminates
    return trim(windows::toUtf8Lossy(text));
}

// The version as the kernel reports it. RtlGetVersion is an ntdll export that every Windows has;
// it is looked up at run time as the Windows SDK declares it only for drivers.
std::optional<RTL_OSVERSIONINFOW> kernelVersion() {
    using RtlGetVersionFunction = LONG(WINAPI*)(RTL_OSVERSIONINFOW*);
    const HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
    if (ntdll == nullptr) {
        return std::nullopt;
    }
    // GetProcAddress returns a generic function pointer; the cast restores its real type.
    const auto get_version = reinterpret_cast<RtlGetVersionFunction>(
        reinterpret_cast<void*>(::GetProcAddress(ntdll, "RtlGetVersion")));
    RTL_OSVERSIONINFOW info{};
    info.dwOSVersionInfoSize = sizeof info;
    if (get_version == nullptr || get_version(&info) != 0) {
        return std::nullopt;
    }
    return info;
}

void readOsVersion(MachineFacts& facts) {
    std::optional<DWORD> build;
    if (const auto version = kernelVersion()) {
        facts.os_version = std::to_string(version->dwMajorVersion) + "." +
                           std::to_string(version->dwMinorVersion) + "." +
                           std::to_string(version->dwBuildNumber);
        build = version->dwBuildNumber;
    }
    std::string product = registryString(kCurrentVersionKey, L"ProductName");
    // Windows 11 kept the registry's "Windows 10 ..." product name; its builds start at 22000.
    constexpr DWORD kFirstWindows11Build = 22000;
    if (build && *build >= kFirstWindows11Build && product.rfind("Windows 10", 0) == 0) {
        product.replace(0, std::string("Windows 10").size(), "Windows 11");
    }
    facts.os_name = product;
    facts.os_sku = product;
}

std::string computerName(COMPUTER_NAME_FORMAT format) {
    DWORD size = 0;
    ::GetComputerNameExW(format, nullptr, &size); // the size, with the terminating NUL
    if (size == 0) {
        return {};
    }
    std::wstring name(size, L'\0');
    if (::GetComputerNameExW(format, name.data(), &size) == FALSE) {
        return {};
    }
    name.resize(size);
    return windows::toUtf8Lossy(name);
}

void readHostNames(MachineFacts& facts) {
    facts.host_name = computerName(ComputerNameDnsHostname);
    facts.domain_name = computerName(ComputerNameDnsDomain);
    facts.fqdn = computerName(ComputerNameDnsFullyQualified);
    if (facts.fqdn.empty()) {
        facts.fqdn = facts.host_name;
    }
}

// Physical processor packages (sockets), from the processor topology.
std::uint32_t processorPackages() {
    DWORD bytes = 0;
    ::GetLogicalProcessorInformationEx(RelationProcessorPackage, nullptr, &bytes);
    if (bytes == 0) {
        return 0;
    }
    std::vector<std::uint64_t> buffer((bytes + sizeof(std::uint64_t) - 1) / sizeof(std::uint64_t));
    auto* first = reinterpret_cast<SYSTEM_LOGICAL_PROCESSOR_INFORMATION_EX*>(buffer.data());
    if (::GetLogicalProcessorInformationEx(RelationProcessorPackage, first, &bytes) == FALSE) {
        return 0;
    }
    std::uint32_t packages = 0;
    const auto* at = reinterpret_cast<const char*>(buffer.data());
    const auto* end = at + bytes;
    while (at + sizeof(LOGICAL_PROCESSOR_RELATIONSHIP) + sizeof(DWORD) <= end) {
        const auto* entry = reinterpret_cast<const SYSTEM_LOGICAL_PROCESSOR_INFORMATION_EX*>(at);
        if (entry->Size == 0 || entry->Size > static_cast<std::size_t>(end - at)) {
            break;
        }
        packages += entry->Relationship == RelationProcessorPackage ? 1U : 0U;
        at += entry->Size;
    }
    return packages;
}

void readProcessors(MachineFacts& facts) {
    facts.cpu_model = registryString(kFirstProcessorKey, L"ProcessorNameString");
    // All processor groups: GetSystemInfo counts only this process's group (64 at most).
    facts.logical_cores = ::GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
    const auto packages = processorPackages();
    facts.cpu_sockets = packages == 0 ? 1U : packages;
}

void readMemory(MachineFacts& facts) {
    MEMORYSTATUSEX status{};
    status.dwLength = sizeof status;
    if (::GlobalMemoryStatusEx(&status) != FALSE) {
        facts.total_memory_mb = status.ullTotalPhys / (1024 * 1024);
    }
}

// The firmware's raw SMBIOS table; empty when the firmware has none or it cannot be read.
std::vector<std::uint8_t> rawSmbios() {
    const UINT size = ::GetSystemFirmwareTable(kRawSmbiosProvider, 0, nullptr, 0);
    if (size == 0) {
        return {};
    }
    std::vector<std::uint8_t> table(size);
    const UINT got = ::GetSystemFirmwareTable(kRawSmbiosProvider, 0, table.data(), size);
    if (got == 0 || got > size) {
        return {}; // failed, or the table grew between the two calls
    }
    table.resize(got);
    return table;
}

} // namespace

std::string hostName() {
    return computerName(ComputerNameDnsHostname);
}

MachineFacts collectMachineFacts(const std::filesystem::path& /*root*/) {
    MachineFacts facts;
    facts.os_type = "windows";
    readOsVersion(facts);
    readHostNames(facts);
    readProcessors(facts);
    readMemory(facts);
    const auto smbios = windows::parseSmbios(rawSmbios());
    facts.manufacturer = smbios.manufacturer;
    facts.model = smbios.product_name;
    facts.serial_number = smbios.serial_number;
    facts.vm_uuid = smbios.uuid;
    return facts;
}

// The same fields and names as on Linux (the JSON is OS-neutral).
nlohmann::json toJson(const MachineFacts& facts) {
    return nlohmann::json{{"osName", facts.os_name},
                          {"osVersion", facts.os_version},
                          {"osType", facts.os_type},
                          {"osSku", facts.os_sku},
                          {"hostName", facts.host_name},
                          {"fqdn", facts.fqdn},
                          {"domainName", facts.domain_name},
                          {"cpuModel", facts.cpu_model},
                          {"logicalCores", facts.logical_cores},
                          {"cpuSockets", facts.cpu_sockets},
                          {"totalMemoryMb", facts.total_memory_mb},
                          {"manufacturer", facts.manufacturer},
                          {"model", facts.model},
                          {"serialNumber", facts.serial_number},
                          {"vmUuid", facts.vm_uuid}};
}

// Azure VMs carry the chassis asset tag in SMBIOS, as Linux shows it in DMI.
bool isAzureVirtualMachine(const std::filesystem::path& /*root*/) {
    return windows::parseSmbios(rawSmbios()).chassis_asset_tag == kAzureAssetTag;
}

} // namespace azcm::platform
