#include "common/platform/kernel_settings.hpp"
#include "common/platform/system_error_text.hpp"

#include <cerrno>
#include <filesystem>

#include <fcntl.h>
#include <unistd.h>

namespace azcm::platform {

namespace {

// "net.ipv4.ip_forward" -> /proc/sys/net/ipv4/ip_forward (the key is validated by the caller: no
// "/" or ".." in it).
std::filesystem::path procSysPath(const std::string& key) {
    std::string relative = key;
    for (char& c : relative) {
        c = c == '.' ? '/' : c;
    }
    return std::filesystem::path("/proc/sys") / relative;
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) {
        text.pop_back();
    }
    return text;
}

} // namespace

Result<std::string> readKernelSetting(const std::string& key) {
    const auto path = procSysPath(key);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return makeError(exitcode::kGeneric, "sysctl " + key + ": " + systemErrorText(errno));
    }
    std::string value;
    char buffer[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0 && value.size() < 65536) {
        value.append(buffer, static_cast<std::size_t>(n));
    }
    const int read_errno = errno;
    ::close(fd);
    if (n < 0) {
        return makeError(exitcode::kGeneric, "sysctl " + key + ": " + systemErrorText(read_errno));
    }
    return trimmed(value);
}

Result<void> writeKernelSetting(const std::string& key, const std::string& value) {
    const auto path = procSysPath(key);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return makeError(exitcode::kGeneric,
                         "sysctl " + key + " = " + value + ": " + systemErrorText(errno));
    }
    const ssize_t n = ::write(fd, value.data(), value.size());
    const int write_errno = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(value.size())) {
        return makeError(exitcode::kGeneric,
                         "sysctl " + key + " = " + value + ": " + systemErrorText(write_errno));
    }
    return ok();
}

} // namespace azcm::platform
