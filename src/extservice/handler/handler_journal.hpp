#pragma once
// The step journal of one handler operation. Written crash-safely before each
// step starts and after it ends, so a restarted daemon knows exactly where an operation stopped,
// which command was running and which process group it had.
#include "common/error.hpp"
#include "common/platform/os_types.hpp"
#include "extservice/handler/handler_id.hpp"
#include "extservice/handler/handler_manager.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace azcm::extservice {

enum class StepKind {
    kExtract,    // unzip the target package (temp dir + rename)
    kInitialize, // config/, status/, logFolder, HandlerEnvironment.json, HandlerState
    kWriteSettings,
    kDisableOld,   // update: the old version's disable command
    kCopyStatus,   // update: old status files to the new base
    kUpdate,       // update: the higher version's updateCommand
    kUninstallOld, // update: the old version's uninstall command
    kRemoveOld,    // update: delete the old directory
    kInstall,
    kEnable,
    kDisable,
    kUninstall,
    kRemoveDir,
};
enum class StepState { kPending, kRunning, kDone, kFailed };

const char* toString(StepKind kind);
bool isCommandStep(StepKind kind);

struct JournalStep {
    StepKind kind = StepKind::kExtract;
    StepState state = StepState::kPending;
    int attempts = 0;
    std::optional<int> exit_code;      // command steps: the exit code (or -1 for timeout / signal)
    platform::ProcessId pgid = 0;      // command steps: process group while running
    unsigned long long pgid_start = 0; // its leader's start time (guards against pid reuse)
};

// The default constructor cannot throw: that of HandlerSettings's json member is noexcept, and the
// throws the check finds are inside its body, which they cannot leave.
// NOLINTNEXTLINE(bugprone-exception-escape): noexcept default constructor, see above
struct Journal {
    std::string operation; // "enable" | "disable" | "uninstall"
    HandlerId target;
    std::optional<HandlerId> old; // update: the version being replaced
    std::string zip;
    HandlerSettings settings;
    std::vector<JournalStep> steps;
    bool rolling_back = false; // the new version's directory is being removed after a failure
};

Result<Journal> loadJournal(const std::filesystem::path& path);
Result<void> saveJournal(const std::filesystem::path& path, const Journal& journal);

} // namespace azcm::extservice
