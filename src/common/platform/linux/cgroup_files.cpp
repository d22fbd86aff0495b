#include "common/platform/linux/cgroup_files.hpp"

#include "common/platform/system_error_text.hpp"

#include <array>
#include <cerrno>
#include <charconv>

#include <fcntl.h>
#include <unistd.h>

namespace azcm::platform::cgroupfs {

namespace {

constexpr std::size_t kMaxControlFileBytes = 1 << 20;

Error errnoError(const std::string& what, const std::filesystem::path& path, int error) {
    return makeError(exitcode::kGeneric,
                     what + " " + path.string() + ": " + systemErrorText(error));
}

} // namespace

Result<std::string> readText(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errnoError("cannot read", path, errno);
    }
    std::string text;
    std::array<char, 4096> buffer{};
    for (;;) {
        const auto got = ::read(fd, buffer.data(), buffer.size());
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            const int error = errno;
            ::close(fd);
            return errnoError("cannot read", path, error);
        }
        if (got == 0 || text.size() > kMaxControlFileBytes) {
            break;
        }
        text.append(buffer.data(), static_cast<std::size_t>(got));
    }
    ::close(fd);
    return text;
}

Result<void> writeText(const std::filesystem::path& path, std::string_view text) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) {
        return errnoError("cannot open", path, errno);
    }
    ssize_t written = -1;
    do {
        written = ::write(fd, text.data(), text.size());
    } while (written < 0 && errno == EINTR);
    const int error = errno;
    ::close(fd);
    if (written != static_cast<ssize_t>(text.size())) {
        return errnoError("cannot write '" + std::string(text) + "' to", path,
                          written < 0 ? error : EIO);
    }
    return ok();
}

std::uint64_t statValue(std::string_view stat_text, std::string_view key) {
    std::size_t start = 0;
    while (start < stat_text.size()) {
        auto end = stat_text.find('\n', start);
        if (end == std::string_view::npos) {
            end = stat_text.size();
        }
        const auto line = stat_text.substr(start, end - start);
        if (line.size() > key.size() && line.substr(0, key.size()) == key &&
            line[key.size()] == ' ') {
            std::uint64_t value = 0;
            const auto digits = line.substr(key.size() + 1);
            std::from_chars(digits.data(), digits.data() + digits.size(), value);
            return value;
        }
        start = end + 1;
    }
    return 0;
}

bool writable(const std::filesystem::path& path) {
    return ::faccessat(AT_FDCWD, path.c_str(), W_OK, AT_EACCESS) == 0;
}

} // namespace azcm::platform::cgroupfs
