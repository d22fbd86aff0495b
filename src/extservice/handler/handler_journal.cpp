#include "extservice/handler/handler_journal.hpp"

#include "common/fs/atomic_file.hpp"
#include "common/json/json_document.hpp"
#include "common/json/json_fields.hpp"

#include <array>
#include <climits>
#include <limits>

#include <nlohmann/json.hpp>

namespace azcm::extservice {

namespace {

using nlohmann::json;

constexpr std::array<const char*, 13> kStepNames{
    "extract", "initialize",   "writeSettings", "disableOld", "copyStatus",
    "update",  "uninstallOld", "removeOld",     "install",    "enable",
    "disable", "uninstall",    "removeDir"};
constexpr std::array<const char*, 4> kStateNames{"pending", "running", "done", "failed"};

template <class Enum, std::size_t N>
Result<Enum> fromName(const std::array<const char*, N>& names, const std::string& name) {
    for (std::size_t i = 0; i < N; ++i) {
        if (name == names[i]) {
            return static_cast<Enum>(i);
        }
    }
    return makeError(1000, "unknown journal value '" + name + "'");
}

json idJson(const HandlerId& id) {
    return {{"publisher", id.publisher}, {"type", id.type}, {"version", id.version}};
}

Result<HandlerId> idFrom(const json& j, const std::string& source) {
    HandlerId id;
    AZCM_ASSIGN_OR_RETURN(id.publisher, jsondoc::getString(j, "publisher", source));
    AZCM_ASSIGN_OR_RETURN(id.type, jsondoc::getString(j, "type", source));
    AZCM_ASSIGN_OR_RETURN(id.version, jsondoc::getString(j, "version", source));
    return id;
}

Result<JournalStep> stepFrom(const json& s, const std::string& source) {
    JournalStep step;
    BOOST_OUTCOME_TRY(kind_name, jsondoc::getString(s, "step", source));
    BOOST_OUTCOME_TRY(state_name, jsondoc::getString(s, "state", source));
    AZCM_ASSIGN_OR_RETURN(step.kind, fromName<StepKind>(kStepNames, kind_name));
    AZCM_ASSIGN_OR_RETURN(step.state, fromName<StepState>(kStateNames, state_name));
    BOOST_OUTCOME_TRY(attempts,
                      jsondoc::getOptionalInteger<int>(s, "attempts", 0, INT_MAX, source));
    step.attempts = attempts.value_or(0);
    BOOST_OUTCOME_TRY(exit_code,
                      jsondoc::getOptionalInteger<int>(s, "exitCode", INT_MIN, INT_MAX, source));
    step.exit_code = exit_code;
    // A process group the recovery may signal: a truncated number would name another one.
    BOOST_OUTCOME_TRY(pgid, jsondoc::getOptionalInteger<pid_t>(
                                s, "pgid", 0, std::numeric_limits<pid_t>::max(), source));
    step.pgid = pgid.value_or(0);
    BOOST_OUTCOME_TRY(pgid_start, jsondoc::getOptionalInteger<unsigned long long>(
                                      s, "pgidStart", 0, ULLONG_MAX, source));
    step.pgid_start = pgid_start.value_or(0);
    return step;
}

Result<Journal> journalFrom(const json& doc, const std::string& source) {
    Journal journal;
    AZCM_ASSIGN_OR_RETURN(journal.operation, jsondoc::getString(doc, "operation", source));
    BOOST_OUTCOME_TRY(target, jsondoc::getObject(doc, "target", source));
    AZCM_ASSIGN_OR_RETURN(journal.target, idFrom(*target, source + ": target"));
    BOOST_OUTCOME_TRY(old, jsondoc::getOptionalObject(doc, "old", source));
    if (old != nullptr) {
        BOOST_OUTCOME_TRY(old_id, idFrom(*old, source + ": old"));
        journal.old = std::move(old_id);
    }
    BOOST_OUTCOME_TRY(zip, jsondoc::getOptionalString(doc, "zip", source));
    journal.zip = zip.value_or(std::string());
    BOOST_OUTCOME_TRY(settings, jsondoc::getObject(doc, "settings", source));
    const auto settings_source = source + ": settings";
    BOOST_OUTCOME_TRY(sequence, jsondoc::getOptionalInteger<int>(*settings, "sequenceNumber", 0,
                                                                 INT_MAX, settings_source));
    journal.settings.sequence_number = sequence.value_or(0);
    if (const auto it = settings->find("publicSettings"); it != settings->end()) {
        journal.settings.public_settings = *it;
    }
    BOOST_OUTCOME_TRY(protected_settings,
                      jsondoc::getOptionalString(*settings, "protectedSettings", settings_source));
    journal.settings.protected_settings = protected_settings.value_or(std::string());
    BOOST_OUTCOME_TRY(thumbprint,
                      jsondoc::getOptionalString(*settings, "thumbprint", settings_source));
    journal.settings.thumbprint = thumbprint.value_or(std::string());
    BOOST_OUTCOME_TRY(rolling_back, jsondoc::getOptionalBool(doc, "rollingBack", source));
    journal.rolling_back = rolling_back.value_or(false);
    BOOST_OUTCOME_TRY(steps, jsondoc::getArray(doc, "steps", source));
    for (const json& s : *steps) {
        BOOST_OUTCOME_TRY(step, stepFrom(s, source + ": step"));
        journal.steps.push_back(step);
    }
    return journal;
}

} // namespace

const char* toString(StepKind kind) {
    return kStepNames.at(static_cast<std::size_t>(kind));
}

bool isCommandStep(StepKind kind) {
    switch (kind) {
    case StepKind::kDisableOld:
    case StepKind::kUpdate:
    case StepKind::kUninstallOld:
    case StepKind::kInstall:
    case StepKind::kEnable:
    case StepKind::kDisable:
    case StepKind::kUninstall:
        return true;
    default:
        return false;
    }
}

Result<void> saveJournal(const std::filesystem::path& path, const Journal& journal) {
    json steps = json::array();
    for (const auto& step : journal.steps) {
        json s = {{"step", toString(step.kind)},
                  {"state", kStateNames.at(static_cast<std::size_t>(step.state))},
                  {"attempts", step.attempts}};
        if (step.exit_code) {
            s["exitCode"] = *step.exit_code;
        }
        if (step.pgid != 0) {
            s["pgid"] = step.pgid;
            s["pgidStart"] = step.pgid_start;
        }
        steps.push_back(std::move(s));
    }
    json doc = {{"operation", journal.operation},
                {"target", idJson(journal.target)},
                {"zip", journal.zip},
                {"settings",
                 {{"sequenceNumber", journal.settings.sequence_number},
                  {"publicSettings", journal.settings.public_settings},
                  // Encrypted to the settings certificate; the journal is root-only (0600 in a
                  // 0700 directory) like the settings file itself.
                  {"protectedSettings", journal.settings.protected_settings},
                  {"thumbprint", journal.settings.thumbprint}}},
                {"steps", std::move(steps)},
                {"rollingBack", journal.rolling_back}};
    if (journal.old) {
        doc["old"] = idJson(*journal.old);
    }
    return fs::writeFileAtomic(path, doc.dump(2), {0600, {}});
}

Result<Journal> loadJournal(const std::filesystem::path& path) {
    auto text = fs::readFile(path, 4 << 20);
    if (!text) {
        return text.error();
    }
    auto doc = jsondoc::parse(text.value(), path.string(), {4 << 20});
    if (!doc) {
        return makeError(1000, doc.error().message);
    }
    auto journal = journalFrom(doc.value(), path.string());
    if (!journal) {
        return makeError(1000, "journal is malformed: " + journal.error().message);
    }
    if (auto valid = validateHandlerId(journal.value().target); !valid) {
        return valid.error();
    }
    return journal;
}

} // namespace azcm::extservice
