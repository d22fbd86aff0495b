#pragma once
// One pass over the goal state: for each extension, local controls first
// (before anything is downloaded), then download, verification, the handler operation and the
// report. What was done and reported is kept in ReportedState, so a pass after a restart neither
// repeats a finished operation nor loses its report. Runs on one worker thread; the mutating
// HandlerManager calls are serialised by the caller's work mutex.
#include "common/config/local_config.hpp"
#include "common/error.hpp"
#include "common/paths/paths.hpp"
#include "extservice/admin/extension_cpu_caps.hpp"
#include "extservice/admin/reported_state.hpp"
#include "extservice/goal_state.hpp"
#include "extservice/handler/handler_manager.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace azcm::extservice {

// What the pass needs from the control plane; std::function so unit tests can fake it.
struct ControlPlaneCalls {
    std::function<Result<void>(
        const std::string& url, std::uint64_t size, const std::filesystem::path& destination)>
        download;
    std::function<Result<void>(const nlohmann::json& report)> report;
    // True once the daemon stops (may be empty: never). A call that fails then was abandoned for
    // the stop: the pass ends without recording a failure, and the next start resumes the work.
    std::function<bool()> stopping;
};

// The report body of docs/protocol.md 3.2 for one record.
nlohmann::json reportBody(const std::string& name, const ExtensionRecord& record);

// The local refusal as a record: Failed, code "ExtensionBlockedByLocalPolicy", the reason naming
// the local setting (prefixed "Refused by the local agent configuration: ").
ExtensionRecord refusedRecord(const GoalExtension& extension, const std::string& reason);

class Reconciler {
public:
    Reconciler(Paths paths,
               extservice::HandlerManager& handlers,
               ExtensionCpuCaps& caps,
               ReportedState& state,
               ControlPlaneCalls calls);

    // `signing_root_pem`: the package-signing trust anchor (empty: every package fails closed).
    void reconcile(const GoalState& goal,
                   const config::LocalConfig& local,
                   const std::string& signing_root_pem);

private:
    void reconcileOne(const GoalExtension& extension,
                      const config::LocalConfig& local,
                      const std::string& signing_root_pem);
    void removeOne(const GoalExtension& extension);
    // nullopt: abandoned because the daemon stops (nothing to record).
    std::optional<ExtensionRecord> install(const GoalExtension& extension,
                                           const std::string& signing_root_pem);
    void removeOrphans(const GoalState& goal);
    // Stores the record, reports it, and marks it reported when the control plane took it.
    void settle(const std::string& name, ExtensionRecord record);
    void sendReport(const std::string& name, ExtensionRecord record);
    bool stopping() const { return calls_.stopping && calls_.stopping(); }

    Paths paths_;
    extservice::HandlerManager& handlers_;
    ExtensionCpuCaps& caps_;
    ReportedState& state_;
    ControlPlaneCalls calls_;
};

} // namespace azcm::extservice
