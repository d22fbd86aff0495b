#pragma once
// Persistent guest configuration assignments (Microsoft.GuestConfiguration/
// guestConfigurationAssignments on a machine), in tables of their own inside the emulator's
// database (DIR/emulator.db), so they survive restarts and go with their machine.
#include "common/error.hpp"
#include "emulator/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::emulator {

struct GcAssignmentRecord {
    std::string subscription_id; // the machine's key columns, in the case stored with it
    std::string resource_group;
    std::string machine;
    std::string name; // case as created
    std::string location;
    // properties.guestConfiguration as ARM shows it: name, version, contentUri, contentHash,
    // assignmentType, configurationParameter.
    nlohmann::json guest_configuration = nlohmann::json::object();
    std::string compliance_status = "Pending"; // Pending | Compliant | NonCompliant
    std::optional<std::int64_t> last_compliance_checked;
    nlohmann::json latest_report;     // latestAssignmentReport; null until the agent reports
    std::int64_t sequence_number = 0; // grows with every PUT: the agent's re-evaluate cue
    std::int64_t created_at = 0;
};

class GcStore {
public:
    explicit GcStore(Store& store) : store_(store) {}

    Result<std::optional<GcAssignmentRecord>> find(const std::string& subscription_id,
                                                   const std::string& resource_group,
                                                   const std::string& machine,
                                                   const std::string& name);
    // In creation order.
    Result<std::vector<GcAssignmentRecord>> list(const std::string& subscription_id,
                                                 const std::string& resource_group,
                                                 const std::string& machine);
    Result<void> put(const GcAssignmentRecord& assignment);
    Result<bool> remove(const std::string& subscription_id,
                        const std::string& resource_group,
                        const std::string& machine,
                        const std::string& name);

private:
    // Creates the table on first use (CREATE ... IF NOT EXISTS, safe from several processes).
    Result<void> ensureSchema();

    Store& store_;
    bool schema_ready_ = false;
};

} // namespace azcm::emulator
