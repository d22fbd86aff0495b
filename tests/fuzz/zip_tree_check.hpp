#pragma once
// What a package extraction may leave on disk, checked after every input of the zip targets.
#include "fuzz_support.hpp"

#include <filesystem>

namespace azcm::fuzz {

// Only directories and regular files without set-id bits below `dir`: no link of any kind, no
// device, fifo or socket (each could turn a later write or read by root elsewhere).
inline void checkExtractedTree(const std::filesystem::path& dir) {
    namespace stdfs = std::filesystem;
    std::error_code ec;
    for (stdfs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const auto status = it->symlink_status();
        AZCM_FUZZ_CHECK(status.type() == stdfs::file_type::directory ||
                        status.type() == stdfs::file_type::regular);
        const auto perms = status.permissions();
        AZCM_FUZZ_CHECK((perms & (stdfs::perms::set_uid | stdfs::perms::set_gid)) ==
                        stdfs::perms::none);
        if (status.type() == stdfs::file_type::regular) {
            AZCM_FUZZ_CHECK(stdfs::hard_link_count(it->path()) == 1);
        }
    }
    AZCM_FUZZ_CHECK(!ec);
}

} // namespace azcm::fuzz
