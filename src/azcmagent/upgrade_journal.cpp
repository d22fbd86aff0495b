#include "azcmagent/upgrade_journal.hpp"

#include "common/fs/atomic_file.hpp"
#include "common/json/json_document.hpp"
#include "common/utc_time.hpp"

#include <nlohmann/json.hpp>

namespace azcm::azcmagent {

namespace {

using nlohmann::json;

const char* stepName(UpgradeStep step) {
    switch (step) {
    case UpgradeStep::kInstalling:
        return "installing";
    case UpgradeStep::kChecking:
        return "checking";
    case UpgradeStep::kRollingBack:
        return "rollingBack";
    }
    return "installing";
}

std::optional<UpgradeStep> parseStep(const std::string& name) {
    for (auto step :
         {UpgradeStep::kInstalling, UpgradeStep::kChecking, UpgradeStep::kRollingBack}) {
        if (name == stepName(step)) {
            return step;
        }
    }
    return std::nullopt;
}

Error unreadable(const std::filesystem::path& path, const std::string& why) {
    return makeError(exitcode::kGeneric, "the upgrade journal " + path.string() +
                                             " cannot be used (" + why +
                                             "): check the agent's state, then delete it");
}

} // namespace

std::filesystem::path upgradeJournalPath(const std::filesystem::path& upgrade_dir) {
    return upgrade_dir / "journal.json";
}

Result<void> writeUpgradeJournal(const std::filesystem::path& upgrade_dir,
                                 const UpgradeJournal& journal) {
    const json document{
        {"step", stepName(journal.step)},
        {"from", journal.from.text()},
        {"to", journal.to.text()},
        {"package", journal.package.string()},
        {"previousPackage", journal.previous_package.string()},
        {"daemons", journal.daemons},
        {"started",
         std::chrono::duration_cast<std::chrono::seconds>(journal.started.time_since_epoch())
             .count()},
        {"startedText", rfc3339Seconds(journal.started)},
        {"failure", journal.failure},
        {"correlationId", journal.correlation_id},
    };
    // `failure` quotes a package manager, whose output need not be UTF-8.
    return fs::writeFileAtomic(upgradeJournalPath(upgrade_dir),
                               document.dump(2, ' ', false, json::error_handler_t::replace) + "\n",
                               {0600, {}});
}

Result<std::optional<UpgradeJournal>> readUpgradeJournal(const std::filesystem::path& upgrade_dir) {
    const auto path = upgradeJournalPath(upgrade_dir);
    std::error_code missing;
    if (!std::filesystem::exists(path, missing)) {
        return std::optional<UpgradeJournal>();
    }
    auto text = fs::readFile(path, 1 << 16);
    if (!text) {
        return unreadable(path, text.error().message);
    }
    auto document = jsondoc::parse(text.value(), path.string());
    if (!document || !document.value().is_object()) {
        return unreadable(path, "not a JSON object");
    }
    const auto& value = document.value();
    const auto string = [&](const char* name) { return value.value(name, std::string()); };
    const auto step = parseStep(string("step"));
    const auto from = parseAgentVersion(string("from"));
    const auto to = parseAgentVersion(string("to"));
    if (!step || !from || !to || string("package").empty() || string("previousPackage").empty()) {
        return unreadable(path, "a member is missing or invalid");
    }
    UpgradeJournal journal;
    journal.step = *step;
    journal.from = *from;
    journal.to = *to;
    journal.package = string("package");
    journal.previous_package = string("previousPackage");
    journal.failure = string("failure");
    journal.correlation_id = string("correlationId");
    const auto daemons = value.find("daemons");
    if (daemons != value.end() && daemons->is_array()) {
        for (const auto& daemon : *daemons) {
            if (daemon.is_string()) {
                journal.daemons.push_back(daemon.get<std::string>());
            }
        }
    }
    const auto started = value.find("started");
    if (started != value.end() && started->is_number_integer()) {
        journal.started = std::chrono::system_clock::time_point(
            std::chrono::seconds(started->get<std::int64_t>()));
    }
    return std::optional<UpgradeJournal>(std::move(journal));
}

Result<void> removeUpgradeJournal(const std::filesystem::path& upgrade_dir) {
    std::error_code error;
    std::filesystem::remove(upgradeJournalPath(upgrade_dir), error);
    if (error) {
        return makeError(exitcode::kGeneric,
                         "cannot remove the upgrade journal: " + error.message());
    }
    return ok();
}

} // namespace azcm::azcmagent
