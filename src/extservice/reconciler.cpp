#include "extservice/reconciler.hpp"

#include "common/config/extension_policy.hpp"
#include "common/crypto/encoding.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/log/log.hpp"

#include <set>

#include <spdlog/spdlog.h>

namespace azcm::extservice {

namespace {

using nlohmann::json;

ExtensionRecord failed(const GoalExtension& extension, int code, std::string message) {
    ExtensionRecord record;
    record.handler = extension.handlerName();
    record.version = extension.installVersion();
    record.sequence_number = extension.sequence_number;
    record.outcome = "Failed";
    record.code = std::to_string(code);
    record.message = std::move(message);
    record.time = nowRfc3339();
    return record;
}

extservice::HandlerId handlerIdOf(const GoalExtension& extension) {
    return extservice::HandlerId{extension.publisher, extension.type, extension.installVersion()};
}

config::ExtensionOperation
operationFor(const std::optional<extservice::InstalledHandler>& installed,
             const std::string& version) {
    if (!installed) {
        return config::ExtensionOperation::kInstall;
    }
    return installed->id.version == version ? config::ExtensionOperation::kUpdate
                                            : config::ExtensionOperation::kUpgrade;
}

// The same settled outcome for the same request: nothing to run again.
bool sameRequest(const ExtensionRecord& record, const GoalExtension& extension) {
    return record.sequence_number == extension.sequence_number &&
           record.version == extension.installVersion() &&
           record.handler == extension.handlerName();
}

// The handler already runs this version with these settings, and its status says so.
bool alreadyApplied(const std::optional<extservice::InstalledHandler>& installed,
                    const GoalExtension& extension) {
    return installed && !installed->operation_pending &&
           installed->id.version == extension.installVersion() &&
           installed->state == extservice::HandlerState::kEnabled && installed->sequence_number &&
           *installed->sequence_number == extension.sequence_number && installed->status &&
           installed->status->status == "success";
}

} // namespace

json reportBody(const std::string& name, const ExtensionRecord& record) {
    json body{
        {"name", name}, {"status", record.outcome}, {"sequenceNumber", record.sequence_number}};
    if (!record.code.empty()) {
        body["code"] = record.code;
    }
    if (!record.message.empty()) {
        body["message"] = record.message;
    }
    if (!record.version.empty() && record.outcome != "Removed") {
        body["typeHandlerVersion"] = record.version;
    }
    return body;
}

ExtensionRecord refusedRecord(const GoalExtension& extension, const std::string& reason) {
    auto record = failed(extension, 0, "Refused by the local agent configuration: " + reason);
    record.code = "ExtensionBlockedByLocalPolicy";
    return record;
}

Reconciler::Reconciler(Paths paths,
                       extservice::HandlerManager& handlers,
                       ExtensionCpuCaps& caps,
                       ReportedState& state,
                       ControlPlaneCalls calls)
    : paths_(std::move(paths)), handlers_(handlers), caps_(caps), state_(state),
      calls_(std::move(calls)) {}

void Reconciler::reconcile(const GoalState& goal,
                           const config::LocalConfig& local,
                           const std::string& signing_root_pem) {
    for (const auto& extension : goal.extensions) {
        if (stopping()) {
            return; // the next start takes the pass up again
        }
        if (extension.uninstall()) {
            removeOne(extension);
        } else {
            reconcileOne(extension, local, signing_root_pem);
        }
    }
    if (!stopping()) {
        removeOrphans(goal);
    }
}

void Reconciler::sendReport(const std::string& name, ExtensionRecord record) {
    auto sent = calls_.report(reportBody(name, record));
    if (!sent && stopping()) {
        // Stays unreported on disk: the first pass after the next start sends it.
        spdlog::info("EXT_REPORT_DEFERRED name={} outcome={} reason=the daemon is stopping",
                     log::sanitize(name), record.outcome);
        return;
    }
    if (!sent) {
        spdlog::warn("EXT_REPORT_FAILED name={} outcome={} error={}", log::sanitize(name),
                     record.outcome, log::sanitize(sent.error().message));
        return;
    }
    spdlog::info("EXT_REPORTED name={} outcome={} sequence={} code={}", log::sanitize(name),
                 record.outcome, record.sequence_number, log::sanitize(record.code));
    if (record.outcome == "Removed") {
        (void)state_.erase(name);
        return;
    }
    record.reported = true;
    if (auto stored = state_.put(name, record); !stored) {
        spdlog::error("EXT_STATE_WRITE_FAILED {}", log::sanitize(stored.error().message));
    }
}

void Reconciler::settle(const std::string& name, ExtensionRecord record) {
    record.reported = false;
    // On disk before the report: a crash after this point re-sends the report, not the work.
    if (auto stored = state_.put(name, record); !stored) {
        spdlog::error("EXT_STATE_WRITE_FAILED {}", log::sanitize(stored.error().message));
    }
    sendReport(name, std::move(record));
}

void Reconciler::removeOne(const GoalExtension& extension) {
    if (!extension.awaitsReport()) {
        return;
    }
    if (auto record = state_.find(extension.name);
        record && record->sequence_number == extension.sequence_number &&
        record->outcome == "Removed") {
        sendReport(extension.name, *record); // done before a crash or a lost answer
        return;
    }
    // Deletion is always allowed, whatever the local lists say.
    ExtensionRecord record;
    record.handler = extension.handlerName();
    record.sequence_number = extension.sequence_number;
    record.time = nowRfc3339();
    if (handlers_.current(extension.handlerName())) {
        spdlog::info("EXT_UNINSTALL_START name={} handler={}", log::sanitize(extension.name),
                     log::sanitize(extension.handlerName()));
        const auto result = handlers_.uninstall(extension.handlerName());
        if (!result.ok) {
            record.outcome = "Failed";
            record.code = std::to_string(result.code);
            record.message = result.message;
            settle(extension.name, std::move(record));
            return;
        }
    }
    caps_.removeHandler(extension.handlerName());
    record.outcome = "Removed";
    settle(extension.name, std::move(record));
}

void Reconciler::reconcileOne(const GoalExtension& extension,
                              const config::LocalConfig& local,
                              const std::string& signing_root_pem) {
    const auto installed = handlers_.current(extension.handlerName());
    const auto record = state_.find(extension.name);
    if (extension.awaitsReport()) {
        if (record && sameRequest(*record, extension) &&
            (record->outcome == "Succeeded" || record->outcome == "Failed")) {
            // Finished before a crash, or the answer to the report got lost: report, don't redo.
            sendReport(extension.name, *record);
            return;
        }
    } else {
        // Settled: nothing is asked of us unless a Succeeded extension is missing locally.
        const bool nothing_asked =
            extension.provisioning_state != "Succeeded" || installed.has_value();
        // Our own reinstall of this very request already failed and was reported.
        const bool reinstall_failed = record && record->reported && record->outcome == "Failed" &&
                                      sameRequest(*record, extension);
        if (nothing_asked || reinstall_failed) {
            return;
        }
        // Settled as Succeeded but gone from this machine (azcmagent extension remove): Azure
        // still expects it, so it comes back, as in the real agent, subject to the local controls.
        spdlog::info("EXT_REINSTALL name={} reason=missing locally", log::sanitize(extension.name));
    }

    const auto decision = config::decide(local, extension.publisher, extension.type,
                                         operationFor(installed, extension.installVersion()));
    if (!decision.allowed) {
        spdlog::warn("EXT_REFUSED name={} reason={}", log::sanitize(extension.name),
                     log::sanitize(decision.reason));
        settle(extension.name, refusedRecord(extension, decision.reason));
        return;
    }
    if (alreadyApplied(installed, extension)) {
        // Finished (or finished by recover()) before a crash, but never recorded: report it
        // rather than run the handler's commands again.
        ExtensionRecord applied;
        applied.handler = extension.handlerName();
        applied.version = extension.installVersion();
        applied.sequence_number = extension.sequence_number;
        applied.outcome = "Succeeded";
        applied.code = "0";
        applied.message = installed->status->message;
        applied.time = nowRfc3339();
        spdlog::info("EXT_ALREADY_APPLIED name={} sequence={}", log::sanitize(extension.name),
                     extension.sequence_number);
        settle(extension.name, std::move(applied));
        return;
    }
    if (extension.protected_settings_pending) {
        spdlog::info("EXT_WAITING name={} reason=protected settings not yet encrypted to the "
                     "settings certificate",
                     log::sanitize(extension.name));
        return;
    }
    auto attempt = install(extension, signing_root_pem);
    if (!attempt) {
        spdlog::info("EXT_INTERRUPTED name={} reason=the daemon is stopping (the next start "
                     "resumes it)",
                     log::sanitize(extension.name));
        return;
    }
    settle(extension.name, std::move(*attempt));
}

std::optional<ExtensionRecord> Reconciler::install(const GoalExtension& extension,
                                                   const std::string& signing_root_pem) {
    if (!extension.package) {
        return failed(extension, extservice::code::kPackageDownload,
                      "the goal state names no package for " + extension.handlerName() + " " +
                          extension.installVersion());
    }
    const auto id = handlerIdOf(extension);
    if (auto valid = extservice::validateHandlerId(id); !valid) {
        return failed(extension, extservice::code::kGeneric, valid.error().message);
    }
    const auto& package = *extension.package;
    if (auto made = fs::ensureDirectory(paths_.downloadsDir(), {0700, {}}); !made) {
        return failed(extension, extservice::code::kPackageDownload, made.error().message);
    }
    const auto zip = paths_.downloadsDir() / (id.dirName() + ".zip");
    struct RemoveZip {
        std::filesystem::path path;
        explicit RemoveZip(std::filesystem::path zip_path) : path(std::move(zip_path)) {}
        RemoveZip(const RemoveZip&) = delete;
        RemoveZip& operator=(const RemoveZip&) = delete;
        RemoveZip(RemoveZip&&) = delete;
        RemoveZip& operator=(RemoveZip&&) = delete;
        ~RemoveZip() {
            std::error_code ignored;
            std::filesystem::remove(path, ignored);
        }
    } cleanup{zip};

    spdlog::info("EXT_DOWNLOAD_START name={} handler={} size={}", log::sanitize(extension.name),
                 log::sanitize(id.dirName()), package.size);
    if (auto downloaded = calls_.download(package.url, package.size, zip); !downloaded) {
        if (stopping()) {
            return std::nullopt;
        }
        return failed(extension, extservice::code::kPackageDownload,
                      "package download failed: " + downloaded.error().message);
    }
    auto signature = crypto::base64Decode(package.signature_base64);
    if (!signature) {
        return failed(extension, extservice::code::kPackageDownload,
                      "the package signature is not valid base64");
    }
    if (signing_root_pem.empty()) {
        return failed(extension, extservice::code::kPackageDownload,
                      "no package-signing root is configured (cloud packageSigningRootPath)");
    }
    extservice::PackageExpectation expected;
    expected.size = package.size;
    expected.sha256_hex = package.sha256;
    expected.signature_der = std::move(signature).value();
    expected.trusted_root_pem = signing_root_pem;
    expected.publisher = extension.publisher;
    expected.type = extension.type;
    expected.type_handler_version = extension.version;
    expected.newer_minor_allowed = extension.newerMinorAllowed();
    expected.install_version = id.version;
    if (const auto installed = handlers_.current(extension.handlerName())) {
        expected.installed_version = installed->id.version;
    }
    auto verified = extservice::verifyPackage(zip, expected);
    if (!verified) {
        spdlog::warn("EXT_PACKAGE_REJECTED name={} reason={}", log::sanitize(extension.name),
                     log::sanitize(verified.error().message));
        return failed(extension, verified.error().code, verified.error().message);
    }
    spdlog::info("EXT_PACKAGE_VERIFIED name={} signer={} version={}", log::sanitize(extension.name),
                 log::sanitize(verified.value().signer),
                 log::sanitize(verified.value().identity.version));

    extservice::HandlerSettings settings;
    settings.sequence_number = static_cast<int>(extension.sequence_number);
    settings.public_settings = extension.settings;
    if (extension.protected_settings) {
        settings.protected_settings = *extension.protected_settings;
        settings.thumbprint = extension.protected_settings_thumbprint;
    }
    spdlog::info("EXT_ENABLE_START name={} handler={} sequence={}", log::sanitize(extension.name),
                 log::sanitize(id.dirName()), extension.sequence_number);
    const auto result = handlers_.enable(id, zip, settings);
    ExtensionRecord record;
    record.handler = extension.handlerName();
    record.version = id.version;
    record.sequence_number = extension.sequence_number;
    record.time = nowRfc3339();
    if (!result.ok) {
        record.outcome = "Failed";
        record.code = std::to_string(result.code);
        record.message = result.message;
        spdlog::warn("EXT_ENABLE_FAILED name={} code={} message={}", log::sanitize(extension.name),
                     result.code, log::untrusted(result.message));
        return record;
    }
    record.outcome = "Succeeded";
    record.code = "0";
    // The handler's own status message is what the instance view shows (WALinuxAgent does the
    // same); the protocol message only when the handler wrote none.
    record.message =
        result.status && !result.status->message.empty() ? result.status->message : result.message;
    spdlog::info("EXT_ENABLED name={} handler={}", log::sanitize(extension.name),
                 log::sanitize(id.dirName()));
    return record;
}

void Reconciler::removeOrphans(const GoalState& goal) {
    std::set<std::string> wanted;
    for (const auto& extension : goal.extensions) {
        wanted.insert(extension.handlerName());
    }
    for (const auto& handler : handlers_.installed()) {
        const auto name = handler.id.name();
        if (wanted.count(name) != 0) {
            continue;
        }
        spdlog::info("EXT_ORPHAN_UNINSTALL handler={}", log::sanitize(name));
        const auto result = handlers_.uninstall(name);
        if (!result.ok) {
            spdlog::warn("EXT_ORPHAN_UNINSTALL_FAILED handler={} message={}", log::sanitize(name),
                         log::sanitize(result.message));
        }
        caps_.removeHandler(name);
    }
}

} // namespace azcm::extservice
