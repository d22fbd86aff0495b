#pragma once
// Logging through spdlog: one synchronous logger per process, writing to the agent's documented log
// file (docs/install.md) and, for daemons, to stderr for the journal. Messages that tests wait on
// carry a stable event ID in front, e.g. "IPC_LISTENING socket=...".
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace azcm {
class Paths;
}

namespace azcm::log {

inline constexpr std::size_t kDefaultMaxLogFileBytes = std::size_t{10} * 1024 * 1024;
inline constexpr std::size_t kDefaultMaxRotatedLogFiles = 4;
// Text that another process or a peer chose (error bodies, control-plane messages, handler output)
// is logged cut to this many characters.
inline constexpr std::size_t kUntrustedTextChars = 512;
// The most of any one value sanitize() lets into a line.
inline constexpr std::size_t kSanitizedTextChars = 4096;
// A field an unauthenticated or local caller supplies (a request header) is logged cut to this.
inline constexpr std::size_t kCallerFieldChars = 64;

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
    // Mode of a file the sink creates (the process's umask applies too).
    std::uint32_t file_mode = 0644;
    // The documented name of the file when it lives elsewhere (a daemon's own directory): a
    // symbolic link to `file` is made there when it is missing and its directory is this
    // account's (a sandbox; on an installed machine the package makes it).
    std::filesystem::path link{};
    // A file sink that cannot be opened is reported on stderr; a CLI run by a user who cannot
    // write the log turns this off.
    bool report_file_errors = true;
};

// Installs the default logger. The file is opened only in a directory that belongs to this
// process's account and that nobody else can write (log/rotating_file_sink.hpp); a file that
// cannot be opened is skipped. Returns false when the file sink could not be created.
bool init(const LogOptions& options);

// A daemon's options: its own file (Paths::ownLogFile), linked from the documented name
// (Paths::logFile) when the two differ, and stderr for the journal.
LogOptions daemonLogOptions(const Paths& paths, const std::string& name);

// Escapes CR/LF and other control characters so a value cannot forge log lines, and keeps at
// most kSanitizedTextChars bytes of it (then "...") so that no value makes a line unbounded.
std::string sanitize(std::string_view text);

// Text that another process or a network peer chose, made fit for one log line: printable ASCII
// is kept; CR, LF and tab become \r \n \t, and every other byte, control characters and all of
// non-ASCII (so no bidi override or look-alike reaches a terminal), becomes \xNN. The result has
// at most `max_chars` characters; when cut it ends in "..." and no escape is split.
std::string untrusted(std::string_view text, std::size_t max_chars = kUntrustedTextChars);

} // namespace azcm::log
