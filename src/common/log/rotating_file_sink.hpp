#pragma once
// A size-rotated log file written through a directory descriptor. The directory must be private to
// this process's account (platform::PrivateDirectory), the file is never opened through a symbolic
// link, and after a rotation the new file is created exclusively: a name planted between the
// rename and the create is refused, never followed or truncated.
#include "common/error.hpp"
#include "common/platform/private_directory.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include <spdlog/sinks/base_sink.h>

namespace azcm::log {

struct RotationBudget {
    // When the file reaches max_file_bytes it becomes <stem>.1<ext> (older ones shift up to
    // <stem>.<max_rotated_files><ext>, the oldest is dropped).
    std::size_t max_file_bytes = std::size_t{10} * 1024 * 1024;
    std::size_t max_rotated_files = 4;
};

class RotatingFileSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    // Opens (or creates with `mode`) `file` in its private directory. The error says why the
    // directory or the file was refused.
    static Result<std::shared_ptr<RotatingFileSink>>
    open(const std::filesystem::path& file, RotationBudget budget, std::uint32_t mode);

    // The name of the file of rotation `index` (0: the current file): "himds.log", "himds.1.log".
    static std::string rotatedName(const std::filesystem::path& file, std::size_t index);

    RotatingFileSink(platform::PrivateDirectory directory,
                     platform::FileHandle file,
                     std::filesystem::path path,
                     RotationBudget budget,
                     std::uint32_t mode,
                     std::uint64_t size);

protected:
    void sink_it_(const spdlog::details::log_msg& message) override;
    void flush_() override {} // every line is written with write(2), nothing is buffered

private:
    Result<void> rotate();
    // Reported once on stderr: a log that cannot be written must not make the process fail.
    void reportOnce(const std::string& why);

    platform::PrivateDirectory directory_;
    platform::FileHandle file_;
    std::filesystem::path path_;
    RotationBudget budget_;
    std::uint32_t mode_;
    std::uint64_t size_;
    bool reported_ = false;
};

} // namespace azcm::log
