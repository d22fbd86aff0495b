#pragma once
// A daemon's state file, written crash-safe (atomic_file.hpp) and only when its bytes change. A
// daemon that idles answers the same goal state over and over: rewriting an unchanged file costs a
// temp file, two fsyncs and a rename each time (docs/benchmarks.md, "Idle footprint"), and wears
// the disk for nothing. The bytes last written (or found on disk at the first write) are kept
// to compare with.
#include "common/error.hpp"
#include "common/fs/atomic_file.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace azcm::fs {

class StateFile {
public:
    StateFile(std::filesystem::path path, FileMode mode);

    const std::filesystem::path& path() const { return path_; }

    // Writes `content` unless the file already holds exactly these bytes. True when it wrote.
    // Not thread-safe: the owner serialises calls (the daemons hold their state mutex).
    Result<bool> write(std::string content);

private:
    std::filesystem::path path_;
    FileMode mode_;
    // What the file holds, as far as this process knows; nullopt until the first write.
    std::optional<std::string> written_;
};

} // namespace azcm::fs
