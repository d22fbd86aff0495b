#pragma once
// Which file a path names and when it was last written: a crash-safe write replaces the file (a
// new inode), an in-place one moves the modification time, so an unchanged identity means the
// file was not written at all.
#include <filesystem>
#include <optional>

#include <sys/stat.h>

namespace azcm::test {

struct FileIdentity {
    ino_t inode = 0;
    timespec modified{};

    friend bool operator==(const FileIdentity& a, const FileIdentity& b) {
        return a.inode == b.inode && a.modified.tv_sec == b.modified.tv_sec &&
               a.modified.tv_nsec == b.modified.tv_nsec;
    }
};

inline std::optional<FileIdentity> fileIdentity(const std::filesystem::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        return std::nullopt;
    }
    return FileIdentity{info.st_ino, info.st_mtim};
}

} // namespace azcm::test
