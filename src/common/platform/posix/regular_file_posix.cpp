#include "common/platform/regular_file.hpp"
#include "common/platform/system_error_text.hpp"

#include <array>
#include <cerrno>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace azcm::platform {

std::optional<FileIdentity> regularFileIdentity(const std::filesystem::path& path) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
        return std::nullopt;
    }
    return FileIdentity{info.st_dev, info.st_ino};
}

Result<RegularFile> RegularFile::open(const std::filesystem::path& path) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
    FileHandle handle(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!handle.isOpen()) {
        return makeError(exitcode::kConfigFileNotFound,
                         "cannot open " + path.string() + ": " + systemErrorText(errno));
    }
    struct stat info {};
    if (::fstat(handle.native(), &info) != 0 || !S_ISREG(info.st_mode)) {
        return makeError(exitcode::kConfigFileNotFound, path.string() + " is not a regular file");
    }
    return RegularFile(std::move(handle), FileIdentity{info.st_dev, info.st_ino},
                       static_cast<std::uint64_t>(info.st_size));
}

Result<std::string> RegularFile::readTail(std::size_t max_bytes) const {
    const std::uint64_t start = size_ > max_bytes ? size_ - max_bytes : 0;
    std::string content;
    std::array<char, 65536> buffer{};
    auto offset = static_cast<off_t>(start);
    // The file may grow while it is read (a live log): stop at max_bytes, keep the last ones.
    while (content.size() < max_bytes + buffer.size()) {
        const auto got = ::pread(handle_.native(), buffer.data(), buffer.size(), offset);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            return makeError(exitcode::kGeneric,
                             std::string("cannot read: ") + systemErrorText(errno));
        }
        if (got == 0) {
            break;
        }
        content.append(buffer.data(), static_cast<std::size_t>(got));
        offset += got;
    }
    if (content.size() > max_bytes) {
        content.erase(0, content.size() - max_bytes);
    }
    return content;
}

} // namespace azcm::platform
