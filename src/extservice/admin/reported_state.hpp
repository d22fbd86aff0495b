#pragma once
// What extservice last did and reported per extension, kept crash-safely in
// <extensionStateDir>/extensions.json, so a restart neither re-runs a finished operation nor
// re-reports it, and an outcome reached just before a crash is still reported after it.
#include "common/error.hpp"
#include "common/fs/state_file.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace azcm::extservice {

struct ExtensionRecord {
    std::string handler; // Publisher.Type
    std::string version;
    std::int64_t sequence_number = 0;
    std::string outcome; // Succeeded, Failed, Removed
    std::string code;
    std::string message;
    std::string time;      // RFC 3339, when the outcome was reached
    bool reported = false; // the control plane accepted the report

    friend bool operator==(const ExtensionRecord&, const ExtensionRecord&) = default;
};

nlohmann::json toJson(const ExtensionRecord& record);

// Thread-safe: the goal-state loop writes, the control socket reads.
class ReportedState {
public:
    explicit ReportedState(std::filesystem::path file);

    // A missing file is an empty state; an unreadable one too (logged by the caller): the worst
    // outcome is one operation run again, which handlers must tolerate anyway.
    Result<void> load();

    std::optional<ExtensionRecord> find(const std::string& name) const;
    std::map<std::string, ExtensionRecord> all() const;
    // Each change is on disk before these return; one that leaves the file's bytes as they are
    // (the same record put again) writes nothing.
    Result<void> put(const std::string& name, ExtensionRecord record);
    Result<void> erase(const std::string& name);

private:
    Result<void> save(); // with mutex_ held

    mutable std::mutex mutex_;
    std::filesystem::path file_;
    fs::StateFile state_file_;
    std::map<std::string, ExtensionRecord> records_;
};

// RFC 3339 UTC of now, seconds precision.
std::string nowRfc3339();

} // namespace azcm::extservice
