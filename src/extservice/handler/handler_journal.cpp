#include "handler_journal.hpp"

#include "fs/atomic_file.hpp"

#include <array>

#include <nlohmann/json.hpp>

namespace azcm::ext {

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

HandlerId idFrom(const json& j) {
    return {j.at("publisher").get<std::string>(), j.at("type").get<std::string>(),
            j.at("version").get<std::string>()};
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
    const json doc = json::parse(text.value(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return makeError(1000, "journal is not valid JSON");
    }
    try {
        Journal journal;
        journal.operation = doc.at("operation").get<std::string>();
        journal.target = idFrom(doc.at("target"));
        if (doc.contains("old")) {
            journal.old = idFrom(doc.at("old"));
        }
        journal.zip = doc.value("zip", "");
        const json& settings = doc.at("settings");
        journal.settings.sequence_number = settings.value("sequenceNumber", 0);
        journal.settings.public_settings = settings.value("publicSettings", json());
        journal.settings.protected_settings = settings.value("protectedSettings", "");
        journal.settings.thumbprint = settings.value("thumbprint", "");
        journal.rolling_back = doc.value("rollingBack", false);
        for (const json& s : doc.at("steps")) {
            JournalStep step;
            auto kind = fromName<StepKind>(kStepNames, s.at("step").get<std::string>());
            auto state = fromName<StepState>(kStateNames, s.at("state").get<std::string>());
            if (!kind || !state) {
                return makeError(1000, "journal has an unknown step or state");
            }
            step.kind = kind.value();
            step.state = state.value();
            step.attempts = s.value("attempts", 0);
            if (s.contains("exitCode")) {
                step.exit_code = s.at("exitCode").get<int>();
            }
            step.pgid = s.value("pgid", 0);
            step.pgid_start = s.value("pgidStart", 0ULL);
            journal.steps.push_back(step);
        }
        if (auto valid = validateHandlerId(journal.target); !valid) {
            return valid.error();
        }
        return journal;
    } catch (const json::exception& e) {
        return makeError(1000, std::string("journal is malformed: ") + e.what());
    }
}

} // namespace azcm::ext
