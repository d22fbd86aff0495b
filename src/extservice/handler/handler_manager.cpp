#include "extservice/handler/handler_manager.hpp"

#include "common/fs/atomic_file.hpp"
#include "common/log/log.hpp"
#include "common/platform/child_environment.hpp"
#include "common/platform/file_lock.hpp"
#include "common/platform/process_group.hpp"
#include "extservice/handler/command_runner.hpp"
#include "extservice/handler/handler_files.hpp"
#include "extservice/handler/handler_journal.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <system_error>

namespace azcm::extservice {

namespace {

namespace stdfs = std::filesystem;

constexpr const char* kNotRun = "NOT_RUN";

JournalStep stepOf(StepKind kind) {
    JournalStep step;
    step.kind = kind;
    return step;
}

// No two daemons run one handler's commands at once; the second one is told so, not kept waiting.
Result<platform::FileLock> lockHandler(const stdfs::path& path) {
    BOOST_OUTCOME_TRY(held, platform::FileLock::tryAcquire(path));
    if (!held) {
        return makeError(code::kGeneric, "another process is working on this handler (" +
                                             path.filename().string() + " is locked)");
    }
    return std::move(*held);
}

OperationResult success(std::string message) {
    return OperationResult{true, code::kSuccess, std::move(message), std::nullopt};
}

OperationResult failure(int code, std::string message) {
    return OperationResult{false, code, std::move(message), std::nullopt};
}

int stepFailureCode(StepKind kind) {
    switch (kind) {
    case StepKind::kExtract:
        return code::kExtraction;
    case StepKind::kDisableOld:
    case StepKind::kUpdate:
    case StepKind::kUninstallOld:
        return code::kUpdate;
    case StepKind::kInstall:
        return code::kInstall;
    case StepKind::kEnable:
        return code::kEnable;
    case StepKind::kDisable:
        return code::kDisable;
    default:
        return code::kGeneric;
    }
}

// "300 s" or "1500 ms".
std::string describeDuration(std::chrono::milliseconds value) {
    return value.count() % 1000 == 0 ? std::to_string(value.count() / 1000) + " s"
                                     : std::to_string(value.count()) + " ms";
}

std::chrono::milliseconds scaled(std::chrono::milliseconds value, double factor) {
    return std::chrono::milliseconds(std::max<long long>(
        1, static_cast<long long>(static_cast<double>(value.count()) * factor)));
}

} // namespace

const char* toString(HandlerState state) {
    switch (state) {
    case HandlerState::kInstalled:
        return "Installed";
    case HandlerState::kEnabled:
        return "Enabled";
    case HandlerState::kFailedUpgrade:
        return "FailedUpgrade";
    case HandlerState::kNotInstalled:
        break;
    }
    return "NotInstalled";
}

CommandTimeouts CommandTimeouts::fromEnvironment() {
    CommandTimeouts timeouts;
    if (const auto scale = platform::environmentVariable("AZCM_EXT_TIMEOUT_SCALE"); scale) {
        char* end = nullptr;
        const double factor = std::strtod(scale->c_str(), &end);
        if (end != scale->c_str() && factor > 0) {
            for (auto* t : {&timeouts.install, &timeouts.enable, &timeouts.disable,
                            &timeouts.update, &timeouts.uninstall}) {
                *t = scaled(*t, factor);
            }
        }
    }
    return timeouts;
}

// ------------------------------------------------------------------------------------------------

struct HandlerManager::Impl {
    HandlerManagerOptions options;
    std::mutex mutex;                                 // one mutating operation at a time
    std::vector<std::string>* recovery_log = nullptr; // set while recover() runs

    explicit Impl(HandlerManagerOptions o) : options(std::move(o)) {}

    stdfs::path baseOf(const HandlerId& id) const {
        return options.paths.extensionsDir() / id.dirName();
    }
    stdfs::path logFolderOf(const HandlerId& id) const {
        return options.paths.extensionLogsDir() / id.dirName();
    }
    stdfs::path stateDir() const { return options.paths.extensionStateDir() / "handlers"; }
    stdfs::path journalPath(const std::string& name) const {
        return stateDir() / (name + ".journal.json");
    }
    stdfs::path lockPath(const std::string& name) const { return stateDir() / (name + ".lock"); }

    void note(const std::string& line) {
        spdlog::info("{}", log::sanitize(line));
        if (recovery_log != nullptr) {
            recovery_log->push_back(line);
        }
    }

    Result<void> ensureStateDir() const {
        if (auto made = fs::ensureDirectory(options.paths.extensionStateDir(), {0700, {}}); !made) {
            return made;
        }
        return fs::ensureDirectory(stateDir(), {0700, {}});
    }

    // Every version directory of `name` under extensionsDir().
    std::vector<HandlerId> versionsOf(const std::string& name) const {
        std::vector<HandlerId> found;
        std::error_code ec;
        for (const auto& entry : stdfs::directory_iterator(options.paths.extensionsDir(), ec)) {
            if (!entry.is_directory(ec) || isExtractionTempDir(entry.path())) {
                continue;
            }
            auto id = parseHandlerDirName(entry.path().filename().string());
            if (id && id.value().name() == name) {
                found.push_back(id.value());
            }
        }
        std::sort(found.begin(), found.end(), [](const HandlerId& a, const HandlerId& b) {
            return compareVersions(a.version, b.version) < 0;
        });
        return found;
    }

    void removeDirectory(const stdfs::path& dir) {
        std::error_code ec;
        stdfs::remove_all(dir, ec);
        if (ec) {
            spdlog::warn("EXT_REMOVE_FAILED dir={} error={}", dir.string(), ec.message());
        }
    }

    std::map<std::string, std::string> baseEnv(const HandlerId& id, int sequence) const {
        return {
            {"AZURE_GUEST_AGENT_EXTENSION_PATH", baseOf(id).string()},
            {"AZURE_GUEST_AGENT_EXTENSION_VERSION", id.version},
            {"AZURE_GUEST_AGENT_WIRE_PROTOCOL_ADDRESS", options.wire_protocol_address},
            {"ConfigSequenceNumber", std::to_string(sequence)},
            // No optional feature (Extension Telemetry Pipeline) is supported: an empty list.
            {"AZURE_GUEST_AGENT_EXTENSION_SUPPORTED_FEATURES", "[]"},
        };
    }

    static std::string exitCodeOf(const Journal& journal, StepKind kind) {
        for (const auto& step : journal.steps) {
            if (step.kind == kind && step.exit_code &&
                (step.state == StepState::kDone || step.state == StepState::kFailed)) {
                return std::to_string(*step.exit_code);
            }
        }
        return kNotRun;
    }

    // The outcome of running one step.
    struct StepOutcome {
        bool ok = true;
        int code = code::kSuccess;
        std::string message;
        std::optional<int> exit_code;
    };

    // Runs the command of a command step: which version, which command, which environment.
    StepOutcome runCommandStep(Journal& journal, std::size_t index) {
        const StepKind kind = journal.steps[index].kind;
        const bool old_side = kind == StepKind::kDisableOld || kind == StepKind::kUninstallOld;
        HandlerId runner = old_side && journal.old ? *journal.old : journal.target;
        int sequence = journal.settings.sequence_number;
        std::map<std::string, std::string> extra;
        if (kind == StepKind::kUpdate && journal.old) {
            // The update command comes from the HIGHER version; a downgrade runs the old
            // package's updateCommand with VERSION and UPDATING_FROM_VERSION both the target.
            const bool downgrade =
                compareVersions(journal.target.version, journal.old->version) < 0;
            runner = downgrade ? *journal.old : journal.target;
            extra["VERSION"] = journal.target.version;
            extra["AZURE_GUEST_AGENT_UPDATING_FROM_VERSION"] =
                downgrade ? journal.target.version : journal.old->version;
            extra["AZURE_GUEST_AGENT_DISABLE_CMD_EXIT_CODE"] =
                exitCodeOf(journal, StepKind::kDisableOld);
        }
        if (kind == StepKind::kInstall || kind == StepKind::kEnable) {
            extra["AZURE_GUEST_AGENT_UNINSTALL_CMD_EXIT_CODE"] =
                exitCodeOf(journal, StepKind::kUninstallOld);
        }
        if (old_side || journal.operation != "enable") {
            sequence = lastSequenceNumber(baseOf(runner)).value_or(0);
        }
        const stdfs::path base = baseOf(runner);
        auto manifest = loadHandlerManifest(base);
        if (!manifest) {
            return {false, manifest.error().code, manifest.error().message, -1};
        }
        const HandlerManifest& m = manifest.value();
        std::string command;
        std::chrono::milliseconds timeout{};
        std::string label;
        switch (kind) {
        case StepKind::kDisableOld:
        case StepKind::kDisable:
            command = m.disable_command, timeout = options.timeouts.disable, label = "disable";
            break;
        case StepKind::kUpdate:
            command = m.update_command, timeout = options.timeouts.update, label = "update";
            break;
        case StepKind::kUninstallOld:
        case StepKind::kUninstall:
            command = m.uninstall_command, timeout = options.timeouts.uninstall;
            label = "uninstall";
            break;
        case StepKind::kInstall:
            command = m.install_command, timeout = options.timeouts.install, label = "install";
            break;
        default:
            command = m.enable_command, timeout = options.timeouts.enable, label = "enable";
            break;
        }
        if (command.empty()) {
            return {false, stepFailureCode(kind),
                    "HandlerManifest.json of " + runner.dirName() + " has no " + label + "Command",
                    -1};
        }
        auto env = baseEnv(runner, sequence);
        for (const auto& [k, v] : extra) {
            env[k] = v;
        }
        platform::CpuGroup group;
        if (options.cpu_group) {
            group = options.cpu_group(runner, m);
        }
        CommandSpec spec;
        spec.label = label;
        spec.base = base;
        spec.command = command;
        spec.env = std::move(env);
        spec.timeout = timeout;
        spec.cpu_group = &group;
        spec.output_limit = options.output_limit_bytes;
        spec.output_dir = logFolderOf(runner) / "commands";
        spec.output_dir_budget = options.command_log_budget_bytes;
        const stdfs::path journal_file = journalPath(journal.target.name());
        spec.on_started = [&](platform::ProcessId pgid) {
            journal.steps[index].pgid = pgid;
            journal.steps[index].pgid_start = platform::processStartTime(pgid);
            if (auto saved = saveJournal(journal_file, journal); !saved) {
                spdlog::error("EXT_JOURNAL_WRITE_FAILED error={}", saved.error().message);
            }
        };
        spdlog::info("EXT_COMMAND_START handler={} command={}", runner.dirName(), label);
        auto outcome = runCommand(spec);
        if (!outcome) {
            return {false, stepFailureCode(kind),
                    "cannot run " + label + " command of " + runner.dirName() + ": " +
                        outcome.error().message,
                    -1};
        }
        const CommandOutcome& o = outcome.value();
        spdlog::info("EXT_COMMAND_END handler={} command={} exit={} timedOut={} output={}",
                     runner.dirName(), label, o.exit_code, o.timed_out, o.output_file.string());
        if (o.timed_out) {
            std::string message = label + " command of " + runner.dirName() + " timed out after " +
                                  describeDuration(timeout) + " and was killed";
            // With a quota in force, say how long the cap held the command back.
            if (group.enforcement().enforced) {
                if (auto sample = group.sample(); sample) {
                    message += " (CPU throttled for " +
                               std::to_string(sample.value().throttled_ns / 1'000'000) + " ms)";
                }
            }
            return {false, code::kTimeout, message, -1};
        }
        if (o.term_signal != 0) {
            return {false, stepFailureCode(kind),
                    label + " command of " + runner.dirName() + " was killed by signal " +
                        std::to_string(o.term_signal),
                    -1};
        }
        if (o.exit_code != 0) {
            std::string message = label + " command of " + runner.dirName() +
                                  " failed with exit code " + std::to_string(o.exit_code);
            if (o.exit_code == 126) {
                message += " (126: not executable; is " + base.string() +
                           " on a file system mounted noexec?)";
            }
            // The last lines of its output help the operator; bounded so a report stays small.
            std::string tail = o.output_tail;
            if (tail.size() > 512) {
                tail = tail.substr(tail.size() - 512);
            }
            if (!tail.empty()) {
                message += ": " + tail;
            }
            return {false, stepFailureCode(kind), message, o.exit_code};
        }
        return {true, code::kSuccess, "", 0};
    }

    StepOutcome runStep(Journal& journal, std::size_t index) {
        const StepKind kind = journal.steps[index].kind;
        const HandlerId& target = journal.target;
        const stdfs::path base = baseOf(target);
        auto from_result = [&](Result<void> r, int failure_code) {
            return r ? StepOutcome{}
                     : StepOutcome{false, failure_code, r.error().message, std::nullopt};
        };
        switch (kind) {
        case StepKind::kExtract: {
            std::error_code ec;
            if (stdfs::exists(base, ec)) {
                // The rename is atomic: an existing directory is a complete extraction whose
                // "done" record a crash prevented.
                if (loadHandlerManifest(base)) {
                    return {};
                }
                removeDirectory(base);
            }
            auto extracted = extractPackage(journal.zip, base, options.extract_limits);
            return extracted ? StepOutcome{}
                             : StepOutcome{false, extracted.error().code, extracted.error().message,
                                           std::nullopt};
        }
        case StepKind::kInitialize:
            return from_result(initializeHandlerDir(base, target, logFolderOf(target)),
                               code::kGeneric);
        case StepKind::kWriteSettings:
            return from_result(writeSettingsFile(base, journal.settings), code::kGeneric);
        case StepKind::kCopyStatus: {
            std::error_code ec;
            if (journal.old) {
                stdfs::copy(baseOf(*journal.old) / "status", base / "status",
                            stdfs::copy_options::skip_existing | stdfs::copy_options::recursive,
                            ec);
            }
            return {}; // best effort, as in WALinuxAgent
        }
        case StepKind::kRemoveOld:
            if (journal.old) {
                removeDirectory(baseOf(*journal.old));
            }
            return {};
        case StepKind::kRemoveDir:
            removeDirectory(base);
            return {};
        case StepKind::kInstall:
            if (journal.old) {
                auto manifest = loadHandlerManifest(base);
                if (manifest && manifest.value().update_without_install) {
                    // updateMode UpdateWithoutInstall: the update command did the install's job.
                    (void)writeHandlerState(base, HandlerState::kInstalled);
                    return {};
                }
            }
            break;
        default:
            break;
        }
        auto outcome = runCommandStep(journal, index);
        if (outcome.ok) {
            const HandlerId& runner =
                (kind == StepKind::kDisableOld && journal.old) ? *journal.old : target;
            switch (kind) {
            case StepKind::kInstall:
                (void)writeHandlerState(base, HandlerState::kInstalled);
                (void)writeHandlerHealth(base, target,
                                         {"NotReady", 0, "Plugin installed but not enabled"},
                                         std::nullopt);
                break;
            case StepKind::kEnable:
                (void)writeHandlerState(base, HandlerState::kEnabled);
                (void)writeHandlerHealth(base, target, {"Ready", 0, "Plugin enabled"},
                                         std::nullopt);
                break;
            case StepKind::kDisable:
            case StepKind::kDisableOld:
                (void)writeHandlerState(baseOf(runner), HandlerState::kInstalled);
                (void)writeHandlerHealth(baseOf(runner), runner, {"NotReady", 0, "Plugin disabled"},
                                         std::nullopt);
                break;
            default:
                break;
            }
        }
        return outcome;
    }

    // What a failed step means for the operation: go on, or stop (and roll back).
    enum class OnFailure { kContinue, kAbort, kAbortAndRollBack };

    OnFailure policyFor(const Journal& journal, StepKind kind) const {
        const bool continue_on_update_failure = [&] {
            auto manifest = loadHandlerManifest(baseOf(journal.target));
            return manifest && manifest.value().continue_on_update_failure;
        }();
        switch (kind) {
        case StepKind::kExtract:
            return OnFailure::kAbort; // extractPackage leaves nothing behind
        case StepKind::kInitialize:
        case StepKind::kWriteSettings:
            return journal.operation == "enable" && journal.steps.front().kind == StepKind::kExtract
                       ? OnFailure::kAbortAndRollBack
                       : OnFailure::kAbort;
        case StepKind::kDisableOld:
        case StepKind::kUninstallOld:
            return continue_on_update_failure ? OnFailure::kContinue : OnFailure::kAbortAndRollBack;
        case StepKind::kUpdate:
            return OnFailure::kAbortAndRollBack;
        case StepKind::kCopyStatus:
        case StepKind::kRemoveOld:
            return OnFailure::kContinue;
        case StepKind::kDisable:
        case StepKind::kUninstall:
            // Uninstall requested: errors are logged and swallowed, the directory goes anyway.
            return journal.operation == "uninstall" ? OnFailure::kContinue : OnFailure::kAbort;
        default:
            return OnFailure::kAbort;
        }
    }

    // Undoes an unfinished update or fresh install: the new version's directory goes, the old
    // version (if any) stays as it is. Idempotent, so a crash in here is finished at recover().
    void rollBack(Journal& journal) {
        journal.rolling_back = true;
        (void)saveJournal(journalPath(journal.target.name()), journal);
        removeDirectory(baseOf(journal.target));
        note("rolled back " + journal.target.dirName() +
             (journal.old ? "; " + journal.old->dirName() + " stays installed" : ""));
    }

    // Runs every step that is not done yet. `resumed`: the journal comes from a previous process.
    OperationResult execute(Journal& journal, bool resumed) {
        const stdfs::path journal_file = journalPath(journal.target.name());
        OperationResult result = success("");
        std::vector<std::string> swallowed;
        for (std::size_t i = 0; i < journal.steps.size(); ++i) {
            JournalStep& step = journal.steps[i];
            if (step.state == StepState::kDone || step.state == StepState::kFailed) {
                continue;
            }
            StepOutcome outcome;
            if (resumed && step.state == StepState::kRunning && isCommandStep(step.kind) &&
                step.attempts >= 2) {
                note("not re-running " + std::string(toString(step.kind)) + " of " +
                     journal.target.dirName() + ": it was interrupted twice");
                outcome = {false, stepFailureCode(step.kind),
                           std::string(toString(step.kind)) +
                               " command was interrupted by restarts twice",
                           -1};
            } else {
                if (resumed && step.state == StepState::kRunning && isCommandStep(step.kind)) {
                    note("re-running " + std::string(toString(step.kind)) + " of " +
                         journal.target.dirName() + " interrupted by a restart");
                }
                step.state = StepState::kRunning;
                step.attempts += 1;
                step.pgid = 0;
                if (auto saved = saveJournal(journal_file, journal); !saved) {
                    return failure(code::kGeneric,
                                   "cannot write the journal: " + saved.error().message);
                }
                outcome = runStep(journal, i);
            }
            step.exit_code = outcome.exit_code;
            step.pgid = 0;
            step.state = outcome.ok ? StepState::kDone : StepState::kFailed;
            (void)saveJournal(journal_file, journal);
            if (outcome.ok) {
                continue;
            }
            spdlog::warn("EXT_STEP_FAILED handler={} step={} code={} message={}",
                         journal.target.dirName(), toString(step.kind), outcome.code,
                         log::untrusted(outcome.message));
            const OnFailure policy = policyFor(journal, step.kind);
            if (policy == OnFailure::kContinue) {
                swallowed.push_back(outcome.message);
                continue;
            }
            if (policy == OnFailure::kAbortAndRollBack) {
                rollBack(journal);
            } else if (journal.operation == "enable") {
                (void)writeHandlerHealth(baseOf(journal.target), journal.target,
                                         {"NotReady", outcome.code, outcome.message}, std::nullopt);
            }
            result = failure(outcome.code, outcome.message);
            break;
        }
        if (result.ok && !swallowed.empty()) {
            result.message = "completed; ignored: " + swallowed.front();
        }
        (void)fs::removeFile(journal_file);
        if (journal.operation == "enable" && !journal.rolling_back) {
            std::error_code ec;
            if (stdfs::exists(baseOf(journal.target), ec)) {
                result.status =
                    readStatusFile(baseOf(journal.target) / "status" /
                                   (std::to_string(journal.settings.sequence_number) + ".status"));
            }
        }
        return result;
    }

    // Leftover command of a crashed run: its process group must not run beside the re-run.
    void killLeftovers(const Journal& journal) {
        for (const auto& step : journal.steps) {
            if (step.state == StepState::kRunning && step.pgid > 1 &&
                platform::processGroupAlive(step.pgid, step.pgid_start)) {
                note("killing process group " + std::to_string(step.pgid) + " of the " +
                     toString(step.kind) + " command of " + journal.target.dirName() +
                     " left by a restart");
                platform::killProcessGroup(step.pgid);
            }
        }
    }

    // Finishes or rolls back what a journal shows unfinished. Caller holds the handler lock.
    void resume(Journal journal) {
        killLeftovers(journal);
        if (journal.rolling_back) {
            rollBack(journal);
            (void)fs::removeFile(journalPath(journal.target.name()));
            return;
        }
        std::error_code ec;
        const bool extract_pending =
            std::any_of(journal.steps.begin(), journal.steps.end(), [](const JournalStep& s) {
                return s.kind == StepKind::kExtract && s.state != StepState::kDone;
            });
        if (extract_pending && !stdfs::exists(journal.zip, ec)) {
            note("cannot finish " + journal.operation + " of " + journal.target.dirName() +
                 ": its package is gone; nothing was installed");
            rollBack(journal);
            (void)fs::removeFile(journalPath(journal.target.name()));
            return;
        }
        note("finishing " + journal.operation + " of " + journal.target.dirName() +
             " interrupted by a restart");
        const auto result = execute(journal, /*resumed=*/true);
        note(journal.operation + " of " + journal.target.dirName() +
             (result.ok ? " finished"
                        : " failed (" + std::to_string(result.code) + "): " + result.message));
    }

    // A journal left by an earlier process for `name` (not expected outside recover()).
    void resumeIfPending(const std::string& name) {
        std::error_code ec;
        if (!stdfs::exists(journalPath(name), ec)) {
            return;
        }
        auto journal = loadJournal(journalPath(name));
        if (!journal) {
            note("discarding unreadable journal of " + name + ": " + journal.error().message);
            (void)fs::removeFile(journalPath(name));
            return;
        }
        resume(std::move(journal).value());
    }

    OperationResult
    enable(const HandlerId& target, const stdfs::path& zip, const HandlerSettings& settings) {
        if (auto valid = validateHandlerId(target); !valid) {
            return failure(code::kGeneric, valid.error().message);
        }
        if (auto made = ensureStateDir(); !made) {
            return failure(code::kGeneric, made.error().message);
        }
        auto lock = lockHandler(lockPath(target.name()));
        if (!lock) {
            return failure(code::kGeneric, lock.error().message);
        }
        resumeIfPending(target.name());

        Journal journal;
        journal.operation = "enable";
        journal.target = target;
        journal.zip = zip.string();
        journal.settings = settings;
        std::optional<HandlerId> same;
        std::vector<HandlerId> others;
        for (const auto& id : versionsOf(target.name())) {
            const HandlerState state = readHandlerState(baseOf(id));
            const bool usable =
                state == HandlerState::kInstalled || state == HandlerState::kEnabled;
            if (id.version == target.version) {
                if (usable) {
                    same = id;
                } else {
                    removeDirectory(baseOf(id)); // a failed install: start afresh
                }
            } else if (usable) {
                others.push_back(id); // sorted ascending: the last usable one is "old"
            } else {
                removeDirectory(baseOf(id)); // never installed: removed without any command
            }
        }
        if (same) {
            // Only one version may stay: others are outdated, removed without commands.
            for (const auto& id : others) {
                removeDirectory(baseOf(id));
            }
            journal.steps = {stepOf(StepKind::kWriteSettings), stepOf(StepKind::kEnable)};
        } else if (!others.empty()) {
            journal.old = others.back();
            others.pop_back();
            for (const auto& id : others) {
                removeDirectory(baseOf(id));
            }
            auto new_steps =
                std::vector<JournalStep>{stepOf(StepKind::kExtract), stepOf(StepKind::kInitialize),
                                         stepOf(StepKind::kWriteSettings)};
            if (readHandlerState(baseOf(*journal.old)) == HandlerState::kEnabled) {
                new_steps.push_back(stepOf(StepKind::kDisableOld));
            }
            for (StepKind kind : {StepKind::kCopyStatus, StepKind::kUpdate, StepKind::kUninstallOld,
                                  StepKind::kRemoveOld}) {
                new_steps.push_back(stepOf(kind));
            }
            journal.steps = std::move(new_steps);
            // updateMode is the NEW package's: known only after extraction, so the install step
            // is always planned and skipped at run time for UpdateWithoutInstall.
            journal.steps.push_back(stepOf(StepKind::kInstall));
            journal.steps.push_back(stepOf(StepKind::kEnable));
        } else {
            journal.steps = {stepOf(StepKind::kExtract), stepOf(StepKind::kInitialize),
                             stepOf(StepKind::kWriteSettings), stepOf(StepKind::kInstall),
                             stepOf(StepKind::kEnable)};
        }
        note(std::string(same          ? "reconfiguring "
                         : journal.old ? "updating "
                                       : "installing ") +
             target.dirName() + (journal.old ? " from " + journal.old->dirName() : "") +
             " (sequence number " + std::to_string(settings.sequence_number) + ")");
        return execute(journal, /*resumed=*/false);
    }

    OperationResult disable(const std::string& name) {
        if (auto made = ensureStateDir(); !made) {
            return failure(code::kGeneric, made.error().message);
        }
        auto lock = lockHandler(lockPath(name));
        if (!lock) {
            return failure(code::kGeneric, lock.error().message);
        }
        resumeIfPending(name);
        for (const auto& id : versionsOf(name)) {
            if (readHandlerState(baseOf(id)) == HandlerState::kEnabled) {
                Journal journal;
                journal.operation = "disable";
                journal.target = id;
                journal.steps = {stepOf(StepKind::kDisable)};
                return execute(journal, false);
            }
        }
        return success(name + " is not enabled");
    }

    OperationResult uninstall(const std::string& name) {
        if (auto made = ensureStateDir(); !made) {
            return failure(code::kGeneric, made.error().message);
        }
        auto lock = lockHandler(lockPath(name));
        if (!lock) {
            return failure(code::kGeneric, lock.error().message);
        }
        resumeIfPending(name);
        OperationResult result = success(name + " is not installed");
        for (const auto& id : versionsOf(name)) {
            const HandlerState state = readHandlerState(baseOf(id));
            Journal journal;
            journal.operation = "uninstall";
            journal.target = id;
            if (state == HandlerState::kEnabled) {
                journal.steps.push_back(stepOf(StepKind::kDisable));
            }
            if (state != HandlerState::kNotInstalled) {
                journal.steps.push_back(stepOf(StepKind::kUninstall));
            }
            journal.steps.push_back(stepOf(StepKind::kRemoveDir));
            note("uninstalling " + id.dirName());
            result = execute(journal, false);
            if (result.ok && result.message.empty()) {
                result.message = id.dirName() + " uninstalled";
            }
        }
        return result;
    }

    std::vector<std::string> recover() {
        std::vector<std::string> lines;
        recovery_log = &lines;
        std::error_code ec;
        for (const auto& entry : stdfs::directory_iterator(options.paths.extensionsDir(), ec)) {
            if (isExtractionTempDir(entry.path())) {
                note("removing half-extracted " + entry.path().filename().string());
                removeDirectory(entry.path());
            }
        }
        std::vector<std::string> names;
        for (const auto& entry : stdfs::directory_iterator(stateDir(), ec)) {
            const std::string file = entry.path().filename().string();
            const std::string suffix = ".journal.json";
            if (file.size() > suffix.size() &&
                file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0) {
                names.push_back(file.substr(0, file.size() - suffix.size()));
            }
        }
        for (const auto& name : names) {
            auto lock = lockHandler(lockPath(name));
            if (!lock) {
                note("cannot recover " + name + ": " + lock.error().message);
                continue;
            }
            resumeIfPending(name);
        }
        recovery_log = nullptr;
        return lines;
    }

    std::optional<InstalledHandler> describe(const HandlerId& id) const {
        const stdfs::path base = baseOf(id);
        InstalledHandler handler;
        handler.id = id;
        handler.state = readHandlerState(base);
        handler.sequence_number = lastSequenceNumber(base);
        if (handler.sequence_number) {
            handler.status = readStatusFile(base / "status" /
                                            (std::to_string(*handler.sequence_number) + ".status"));
        }
        handler.health = readHandlerHealth(base).value_or(HandlerHealth{});
        if (auto manifest = loadHandlerManifest(base);
            manifest && manifest.value().report_heartbeat) {
            if (auto beat = readHeartbeat(base / "heartbeat.log", options.heartbeat_stale_after)) {
                handler.health = *beat;
            }
        }
        std::error_code ec;
        handler.operation_pending = stdfs::exists(journalPath(id.name()), ec);
        return handler;
    }

    std::vector<InstalledHandler> installed() const {
        std::vector<InstalledHandler> all;
        std::error_code ec;
        for (const auto& entry : stdfs::directory_iterator(options.paths.extensionsDir(), ec)) {
            if (!entry.is_directory(ec) || isExtractionTempDir(entry.path())) {
                continue;
            }
            if (auto id = parseHandlerDirName(entry.path().filename().string()); id) {
                if (auto handler = describe(id.value())) {
                    all.push_back(std::move(*handler));
                }
            }
        }
        std::sort(all.begin(), all.end(),
                  [](const auto& a, const auto& b) { return a.id.dirName() < b.id.dirName(); });
        return all;
    }
};

// ------------------------------------------------------------------------------------------------

HandlerManager::HandlerManager(HandlerManagerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HandlerManager::~HandlerManager() = default;

OperationResult HandlerManager::enable(const HandlerId& target,
                                       const stdfs::path& verified_zip,
                                       const HandlerSettings& settings) {
    std::lock_guard lock(impl_->mutex);
    return impl_->enable(target, verified_zip, settings);
}

OperationResult HandlerManager::disable(const std::string& name) {
    std::lock_guard lock(impl_->mutex);
    return impl_->disable(name);
}

OperationResult HandlerManager::uninstall(const std::string& name) {
    std::lock_guard lock(impl_->mutex);
    return impl_->uninstall(name);
}

std::vector<InstalledHandler> HandlerManager::installed() const {
    return impl_->installed();
}

std::optional<InstalledHandler> HandlerManager::current(const std::string& name) const {
    // The enabled one if several exist for a moment (during an update), else the newest.
    std::optional<InstalledHandler> best;
    for (auto& handler : impl_->installed()) {
        if (handler.id.name() != name) {
            continue;
        }
        if (!best || handler.state == HandlerState::kEnabled ||
            (best->state != HandlerState::kEnabled &&
             compareVersions(handler.id.version, best->id.version) > 0)) {
            best = std::move(handler);
        }
    }
    return best;
}

std::optional<HandlerStatus> HandlerManager::currentStatus(const std::string& name) const {
    auto handler = current(name);
    if (!handler) {
        return std::nullopt;
    }
    return handler->status;
}

std::vector<std::string> HandlerManager::recover() {
    std::lock_guard lock(impl_->mutex);
    return impl_->recover();
}

const HandlerManagerOptions& HandlerManager::options() const {
    return impl_->options;
}

} // namespace azcm::extservice
