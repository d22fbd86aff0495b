#pragma once
#include <filesystem>

namespace azcm::test {

// A fresh directory under /tmp (short, so Unix socket paths stay under 108 bytes), removed with
// its content when the object goes away.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    TempDir(TempDir&&) = delete;
    TempDir& operator=(TempDir&&) = delete;

    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

} // namespace azcm::test
