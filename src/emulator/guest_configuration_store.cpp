#include "emulator/guest_configuration_store.hpp"

#include "common/json/json_document.hpp"

namespace azcm::emulator {

using nlohmann::json;

namespace {

// The foreign key removes a machine's assignments with the machine (and its resource group).
constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS gc_assignments(
  subscription_id TEXT NOT NULL COLLATE NOCASE,
  resource_group TEXT NOT NULL COLLATE NOCASE,
  machine TEXT NOT NULL COLLATE NOCASE,
  name TEXT NOT NULL COLLATE NOCASE,
  location TEXT NOT NULL,
  guest_configuration TEXT NOT NULL,
  compliance_status TEXT NOT NULL,
  last_compliance_checked INTEGER,
  latest_report TEXT NOT NULL,
  sequence_number INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY(subscription_id, resource_group, machine, name),
  FOREIGN KEY(subscription_id, resource_group, machine)
    REFERENCES machines(subscription_id, resource_group, name) ON DELETE CASCADE);
)sql";

constexpr std::string_view kColumns =
    "subscription_id, resource_group, machine, name, location, guest_configuration, "
    "compliance_status, last_compliance_checked, latest_report, sequence_number, created_at";

GcAssignmentRecord readRow(const Statement& row) {
    GcAssignmentRecord record;
    record.subscription_id = row.text(0);
    record.resource_group = row.text(1);
    record.machine = row.text(2);
    record.name = row.text(3);
    record.location = row.text(4);
    auto configuration =
        jsondoc::parse(row.text(5), "a stored document", {jsondoc::kNetworkMaxBytes});
    record.guest_configuration =
        configuration ? std::move(configuration).value() : json(json::value_t::discarded);
    record.compliance_status = row.text(6);
    record.last_compliance_checked = row.optionalInteger(7);
    auto report = jsondoc::parse(row.text(8), "a stored document", {jsondoc::kNetworkMaxBytes});
    record.latest_report = report ? std::move(report).value() : json(nullptr);
    record.sequence_number = row.integer(9);
    record.created_at = row.integer(10);
    return record;
}

} // namespace

Result<void> GcStore::ensureSchema() {
    if (schema_ready_) {
        return ok();
    }
    BOOST_OUTCOME_TRY(store_.database().exec(kSchema));
    schema_ready_ = true;
    return ok();
}

Result<std::optional<GcAssignmentRecord>> GcStore::find(const std::string& subscription_id,
                                                        const std::string& resource_group,
                                                        const std::string& machine,
                                                        const std::string& name) {
    BOOST_OUTCOME_TRY(ensureSchema());
    BOOST_OUTCOME_TRY(statement,
                      store_.database().prepare(
                          "SELECT " + std::string(kColumns) +
                          " FROM gc_assignments WHERE subscription_id = ? AND resource_group = ? "
                          "AND machine = ? AND name = ?"));
    statement.bind(1, subscription_id).bind(2, resource_group).bind(3, machine).bind(4, name);
    BOOST_OUTCOME_TRY(has_row, statement.step());
    if (!has_row) {
        return std::optional<GcAssignmentRecord>();
    }
    return std::optional<GcAssignmentRecord>(readRow(statement));
}

Result<std::vector<GcAssignmentRecord>> GcStore::list(const std::string& subscription_id,
                                                      const std::string& resource_group,
                                                      const std::string& machine) {
    BOOST_OUTCOME_TRY(ensureSchema());
    BOOST_OUTCOME_TRY(statement,
                      store_.database().prepare(
                          "SELECT " + std::string(kColumns) +
                          " FROM gc_assignments WHERE subscription_id = ? AND resource_group = ? "
                          "AND machine = ? ORDER BY created_at, name"));
    statement.bind(1, subscription_id).bind(2, resource_group).bind(3, machine);
    std::vector<GcAssignmentRecord> records;
    for (;;) {
        BOOST_OUTCOME_TRY(has_row, statement.step());
        if (!has_row) {
            break;
        }
        records.push_back(readRow(statement));
    }
    return records;
}

Result<void> GcStore::put(const GcAssignmentRecord& assignment) {
    BOOST_OUTCOME_TRY(ensureSchema());
    BOOST_OUTCOME_TRY(statement, store_.database().prepare(
                                     "INSERT OR REPLACE INTO gc_assignments(" +
                                     std::string(kColumns) + ") VALUES(?,?,?,?,?,?,?,?,?,?,?)"));
    statement.bind(1, assignment.subscription_id)
        .bind(2, assignment.resource_group)
        .bind(3, assignment.machine)
        .bind(4, assignment.name)
        .bind(5, assignment.location)
        .bind(6, assignment.guest_configuration.dump())
        .bind(7, assignment.compliance_status)
        .bind(8, assignment.last_compliance_checked)
        .bind(9, assignment.latest_report.dump())
        .bind(10, assignment.sequence_number)
        .bind(11, assignment.created_at);
    return statement.run();
}

Result<bool> GcStore::remove(const std::string& subscription_id,
                             const std::string& resource_group,
                             const std::string& machine,
                             const std::string& name) {
    BOOST_OUTCOME_TRY(ensureSchema());
    BOOST_OUTCOME_TRY(statement, store_.database().prepare(
                                     "DELETE FROM gc_assignments WHERE subscription_id = ? AND "
                                     "resource_group = ? AND machine = ? AND name = ?"));
    statement.bind(1, subscription_id).bind(2, resource_group).bind(3, machine).bind(4, name);
    BOOST_OUTCOME_TRY(statement.run());
    return store_.database().changes() > 0;
}

} // namespace azcm::emulator
