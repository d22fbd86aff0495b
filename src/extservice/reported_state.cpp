#include "reported_state.hpp"

#include "fs/atomic_file.hpp"

#include <chrono>
#include <ctime>

namespace azcm::extservice {

using nlohmann::json;

json toJson(const ExtensionRecord& record) {
    return json{{"handler", record.handler},
                {"version", record.version},
                {"sequenceNumber", record.sequence_number},
                {"outcome", record.outcome},
                {"code", record.code},
                {"message", record.message},
                {"time", record.time},
                {"reported", record.reported}};
}

namespace {

ExtensionRecord recordFromJson(const json& value) {
    ExtensionRecord record;
    record.handler = value.value("handler", std::string());
    record.version = value.value("version", std::string());
    record.sequence_number = value.value("sequenceNumber", std::int64_t{0});
    record.outcome = value.value("outcome", std::string());
    record.code = value.value("code", std::string());
    record.message = value.value("message", std::string());
    record.time = value.value("time", std::string());
    record.reported = value.value("reported", false);
    return record;
}

} // namespace

std::string nowRfc3339() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return buffer;
}

ReportedState::ReportedState(std::filesystem::path file) : file_(std::move(file)) {}

Result<void> ReportedState::load() {
    std::lock_guard lock(mutex_);
    records_.clear();
    if (!std::filesystem::exists(file_)) {
        return ok();
    }
    auto text = fs::readFile(file_, 4 << 20);
    if (!text) {
        return text.error();
    }
    auto document = json::parse(text.value(), nullptr, false);
    if (!document.is_object() || !document.contains("extensions") ||
        !document["extensions"].is_object()) {
        return makeError(exitcode::kGeneric, file_.string() + " is not a valid state file");
    }
    for (const auto& [name, value] : document["extensions"].items()) {
        if (value.is_object()) {
            records_[name] = recordFromJson(value);
        }
    }
    return ok();
}

std::map<std::string, ExtensionRecord> ReportedState::all() const {
    std::lock_guard lock(mutex_);
    return records_;
}

std::optional<ExtensionRecord> ReportedState::find(const std::string& name) const {
    std::lock_guard lock(mutex_);
    const auto it = records_.find(name);
    if (it == records_.end()) {
        return std::nullopt;
    }
    return it->second;
}

Result<void> ReportedState::put(const std::string& name, ExtensionRecord record) {
    std::lock_guard lock(mutex_);
    records_[name] = std::move(record);
    return save();
}

Result<void> ReportedState::erase(const std::string& name) {
    std::lock_guard lock(mutex_);
    if (records_.erase(name) == 0) {
        return ok();
    }
    return save();
}

Result<void> ReportedState::save() const {
    json extensions = json::object();
    for (const auto& [name, record] : records_) {
        extensions[name] = toJson(record);
    }
    BOOST_OUTCOME_TRY(fs::ensureDirectory(file_.parent_path(), {0700, {}}));
    return fs::writeFileAtomic(file_, json{{"extensions", extensions}}.dump(2), {0600, {}});
}

} // namespace azcm::extservice
