#pragma once
// Opens an archive file for libarchive by its native path: bytes on POSIX, UTF-16 on Windows
// (libarchive's narrow call would go through the ANSI code page there and lose characters).
#include <cstddef>
#include <filesystem>

struct archive;

namespace azcm::platform {

// archive_read_open_filename for `path`: ARCHIVE_OK or libarchive's error code.
int openArchiveFile(::archive* reader, const std::filesystem::path& path, std::size_t block_size);

} // namespace azcm::platform
