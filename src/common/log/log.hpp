#pragma once
// Logging through spdlog: one synchronous logger per process, writing to the spec's log file
// (ARCHITECTURE section 2) and, for daemons, to stderr for the journal. Messages that tests wait on
// carry a stable event ID in front, e.g. "IPC_LISTENING socket=...".
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace azcm::log {

inline constexpr std::size_t kDefaultMaxLogFileBytes = 10 * 1024 * 1024;
inline constexpr std::size_t kDefaultMaxRotatedLogFiles = 4;

struct LogOptions {
    std::string name;           // logger name, e.g. "himds"
    std::filesystem::path file; // empty: no file sink
    bool to_stderr = true;
    spdlog::level::level_enum level = spdlog::level::info;
    // Size budget of the file: when it reaches max_file_bytes it becomes <file>.1 (older ones
    // shift up to <file>.<max_rotated_files>, the oldest is dropped), so a log never takes more
    // than max_file_bytes * (max_rotated_files + 1) on disk.
    std::size_t max_file_bytes = kDefaultMaxLogFileBytes;
    std::size_t max_rotated_files = kDefaultMaxRotatedLogFiles;
};

// Installs the default logger. A file that cannot be opened is reported on stderr and skipped.
// Returns false when the file sink could not be created.
bool init(const LogOptions& options);

// Escapes CR/LF and other control characters so a value cannot forge log lines.
std::string sanitize(std::string_view text);

} // namespace azcm::log
