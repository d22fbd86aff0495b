#include "extservice/admin/reported_state.hpp"

#include "common/fs/atomic_file.hpp"
#include "common/json/json_document.hpp"
#include "common/json/json_fields.hpp"
#include "common/utc_time.hpp"

#include <chrono>
#include <climits>
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

// A record of the state file; a member of the wrong type is an error naming it (the file is the
// agent's own, so that means damage).
Result<ExtensionRecord> recordFromJson(const json& value, const std::string& source) {
    const auto text = [&](const char* key, std::string& field) -> Result<void> {
        BOOST_OUTCOME_TRY(member, jsondoc::getOptionalString(value, key, source));
        field = member.value_or(std::string());
        return ok();
    };
    ExtensionRecord record;
    BOOST_OUTCOME_TRY(text("handler", record.handler));
    BOOST_OUTCOME_TRY(text("version", record.version));
    BOOST_OUTCOME_TRY(sequence, jsondoc::getOptionalInteger<std::int64_t>(value, "sequenceNumber",
                                                                          0, INT_MAX, source));
    record.sequence_number = sequence.value_or(0);
    BOOST_OUTCOME_TRY(text("outcome", record.outcome));
    BOOST_OUTCOME_TRY(text("code", record.code));
    BOOST_OUTCOME_TRY(text("message", record.message));
    BOOST_OUTCOME_TRY(text("time", record.time));
    BOOST_OUTCOME_TRY(reported, jsondoc::getOptionalBool(value, "reported", source));
    record.reported = reported.value_or(false);
    return record;
}

} // namespace

std::string nowRfc3339() {
    return rfc3339Seconds(std::chrono::system_clock::now());
}

ReportedState::ReportedState(std::filesystem::path file)
    : file_(std::move(file)), state_file_(file_, fs::FileMode{0600, {}}) {}

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
    BOOST_OUTCOME_TRY(document, jsondoc::parse(text.value(), file_.string(), {4 << 20}));
    BOOST_OUTCOME_TRY(extensions, jsondoc::getObject(document, "extensions", file_.string()));
    std::map<std::string, ExtensionRecord> records;
    for (const auto& [name, value] : extensions->items()) {
        if (value.is_object()) {
            BOOST_OUTCOME_TRY(record,
                              recordFromJson(value, file_.string() + ": extension " + name));
            records[name] = std::move(record);
        }
    }
    records_ = std::move(records);
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

Result<void> ReportedState::save() {
    json extensions = json::object();
    for (const auto& [name, record] : records_) {
        extensions[name] = toJson(record);
    }
    BOOST_OUTCOME_TRY(fs::ensureDirectory(file_.parent_path(), {0700, {}}));
    auto written = state_file_.write(jsondoc::serialize(json{{"extensions", extensions}}, 2));
    if (!written) {
        return written.error();
    }
    return ok();
}

} // namespace azcm::extservice
