#include "common/platform/machine_facts.hpp"

#include "common/fs/atomic_file.hpp"

#include <array>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <netdb.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace azcm::platform {

namespace {

namespace stdfs = std::filesystem;

constexpr const char* kAzureAssetTag = "7783-7084-3265-9085-8269-3286-77";
constexpr std::size_t kMaxFactFileBytes = 4 << 20;

stdfs::path underRoot(const stdfs::path& root, std::string_view absolute) {
    return root / stdfs::path(absolute).relative_path();
}

std::string readOrEmpty(const stdfs::path& path) {
    auto text = fs::readFile(path, kMaxFactFileBytes);
    return text ? text.value() : std::string();
}

std::string trim(std::string_view text) {
    const auto* space = " \t\r\n";
    const auto first = text.find_first_not_of(space);
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(space);
    return std::string(text.substr(first, last - first + 1));
}

// os-release(5): KEY=value, value optionally in single or double quotes, backslash escapes in
// double quotes.
std::string unquote(std::string_view value) {
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
        const bool escapes = value.front() == '"';
        value = value.substr(1, value.size() - 2);
        std::string out;
        for (std::size_t i = 0; i < value.size(); ++i) {
            if (escapes && value[i] == '\\' && i + 1 < value.size()) {
                ++i;
            }
            out.push_back(value[i]);
        }
        return out;
    }
    return std::string(value);
}

std::map<std::string, std::string> parseOsRelease(const std::string& text) {
    std::map<std::string, std::string> values;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        line = trim(line);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        const auto equals = line.find('=');
        if (equals == std::string::npos) {
            continue;
        }
        values[line.substr(0, equals)] = unquote(trim(std::string_view(line).substr(equals + 1)));
    }
    return values;
}

void readOsRelease(const stdfs::path& root, MachineFacts& facts) {
    // /etc/os-release is usually a symlink to /usr/lib/os-release, and readFile does not follow
    // symlinks, so fall back to the vendor file as os-release(5) says.
    auto text = fs::readFile(underRoot(root, "/etc/os-release"), kMaxFactFileBytes);
    if (!text) {
        text = fs::readFile(underRoot(root, "/usr/lib/os-release"), kMaxFactFileBytes);
    }
    if (!text) {
        return;
    }
    auto values = parseOsRelease(text.value());
    facts.os_name = values["ID"];
    facts.os_version = values["VERSION_ID"];
    facts.os_sku = values["PRETTY_NAME"];
}

void readCpuInfo(const stdfs::path& root, MachineFacts& facts) {
    std::istringstream lines(readOrEmpty(underRoot(root, "/proc/cpuinfo")));
    std::string line;
    std::set<std::string> physical_ids;
    while (std::getline(lines, line)) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) {
            continue;
        }
        const auto key = trim(std::string_view(line).substr(0, colon));
        const auto value = trim(std::string_view(line).substr(colon + 1));
        if (key == "processor") {
            ++facts.logical_cores;
        } else if (key == "model name" && facts.cpu_model.empty()) {
            facts.cpu_model = value;
        } else if (key == "physical id") {
            physical_ids.insert(value);
        }
    }
    facts.cpu_sockets = physical_ids.empty() ? 1U : static_cast<std::uint32_t>(physical_ids.size());
}

void readMemInfo(const stdfs::path& root, MachineFacts& facts) {
    std::istringstream lines(readOrEmpty(underRoot(root, "/proc/meminfo")));
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("MemTotal:", 0) != 0) {
            continue;
        }
        std::istringstream fields(line.substr(9));
        std::uint64_t kilobytes = 0;
        if (fields >> kilobytes) {
            facts.total_memory_mb = kilobytes / 1024;
        }
        return;
    }
}

std::string dmi(const stdfs::path& root, std::string_view name) {
    return trim(readOrEmpty(underRoot(root, "/sys/class/dmi/id") / name));
}

// Local resolution only (hosts file, nss): the canonical name of this host, or empty.
std::string canonicalName(const std::string& host) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_flags = AI_CANONNAME;
    addrinfo* result = nullptr;
    if (::getaddrinfo(host.c_str(), nullptr, &hints, &result) != 0 || result == nullptr) {
        return {};
    }
    std::string name = result->ai_canonname != nullptr ? result->ai_canonname : "";
    ::freeaddrinfo(result);
    return name;
}

void readHostNames(MachineFacts& facts) {
    const std::string host = hostName();
    if (host.empty()) {
        return;
    }
    const auto dot = host.find('.');
    facts.host_name = host.substr(0, dot);
    if (dot != std::string::npos) {
        facts.fqdn = host;
    } else {
        const auto canonical = canonicalName(host);
        facts.fqdn = canonical.empty() ? host : canonical;
    }
    const auto fqdn_dot = facts.fqdn.find('.');
    facts.domain_name = fqdn_dot == std::string::npos ? "" : facts.fqdn.substr(fqdn_dot + 1);
}

} // namespace

std::string hostName() {
    std::array<char, 256> buffer{};
    if (::gethostname(buffer.data(), buffer.size() - 1) != 0) {
        return {};
    }
    return buffer.data();
}

MachineFacts collectMachineFacts(const std::filesystem::path& root) {
    MachineFacts facts;
    facts.os_type = "linux";
    readOsRelease(root, facts);
    readHostNames(facts);
    readCpuInfo(root, facts);
    readMemInfo(root, facts);
    facts.manufacturer = dmi(root, "sys_vendor");
    facts.model = dmi(root, "product_name");
    facts.serial_number = dmi(root, "product_serial");
    facts.vm_uuid = dmi(root, "product_uuid");
    return facts;
}

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

bool isAzureVirtualMachine(const std::filesystem::path& root) {
    return dmi(root, "chassis_asset_tag") == kAzureAssetTag;
}

} // namespace azcm::platform
