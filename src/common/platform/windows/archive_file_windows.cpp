#include "common/platform/archive_file.hpp"

#include <archive.h>

namespace azcm::platform {

int openArchiveFile(::archive* reader, const std::filesystem::path& path, std::size_t block_size) {
    return archive_read_open_filename_w(reader, path.c_str(), block_size);
}

} // namespace azcm::platform
