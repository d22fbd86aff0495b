#pragma once
// Status files written by extensions and the heartbeat (docs/extensions.md).
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace azcm::extservice {

inline constexpr std::size_t kMaxStatusFileBytes = std::size_t{128} * 1024;
inline constexpr std::size_t kTruncatedMessageBytes = 1024;
inline constexpr std::size_t kTruncatedSubstatusBytes = std::size_t{10} * 1024;
inline constexpr std::string_view kTruncatedSuffix = " ... [TRUNCATED]";

struct SubStatus {
    std::string name;
    std::string status; // transitioning | warning | error | success
    int code = 0;
    std::string message; // formattedMessage.message
};

// One extension's status as the control plane should see it.
struct HandlerStatus {
    std::string status = "transitioning"; // transitioning | warning | error | success
    int code = 0;
    std::string message;
    std::string operation; // "Enable", ... (as the extension wrote it)
    std::string name;
    std::string timestamp_utc;
    std::vector<SubStatus> substatus;
    bool truncated = false;

    bool terminal() const { return status == "success" || status == "error"; }
};

// Parses the text of a status file. Never fails: invalid JSON or a malformed document becomes
// {error, 1012, <reason>}; an unknown status value becomes "error"; > 128 KiB is truncated.
HandlerStatus parseStatusFile(std::string_view text);
// Reads a status file: missing -> {transitioning, 0}; unreadable -> {error, -1}.
HandlerStatus readStatusFile(const std::filesystem::path& path);

// The handler-level health: Ready | NotReady | Installing | Unresponsive.
struct HandlerHealth {
    std::string status = "NotReady";
    int code = 0;
    std::string message;
};

// Reads heartbeat.log: a file older than `stale_after` gives Unresponsive, code -1; a missing or
// invalid file gives nullopt (the caller falls back to its own HandlerStatus).
std::optional<HandlerHealth> readHeartbeat(const std::filesystem::path& path,
                                           std::chrono::seconds stale_after);

} // namespace azcm::extservice
