#include "emulator/store.hpp"

#include "common/crypto/encoding.hpp"
#include "common/json/json_document.hpp"
#include "emulator/rbac.hpp"

namespace azcm::emulator {

using nlohmann::json;

namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS settings(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS service_principals(
  app_id TEXT PRIMARY KEY COLLATE NOCASE,
  object_id TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name TEXT NOT NULL,
  secret_hash TEXT NOT NULL DEFAULT '',
  cert_pem TEXT NOT NULL DEFAULT '',
  cert_thumbprint TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS role_assignments(
  id TEXT PRIMARY KEY,
  principal_id TEXT NOT NULL COLLATE NOCASE,
  role_definition_id TEXT NOT NULL,
  scope TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS role_assignments_principal ON role_assignments(principal_id);
CREATE TABLE IF NOT EXISTS resource_groups(
  subscription_id TEXT NOT NULL COLLATE NOCASE,
  name TEXT NOT NULL COLLATE NOCASE,
  location TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY(subscription_id, name));
CREATE TABLE IF NOT EXISTS machines(
  subscription_id TEXT NOT NULL COLLATE NOCASE,
  resource_group TEXT NOT NULL COLLATE NOCASE,
  name TEXT NOT NULL COLLATE NOCASE,
  location TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '{}',
  identity_type TEXT NOT NULL DEFAULT '',
  principal_id TEXT NOT NULL DEFAULT '',
  properties TEXT NOT NULL DEFAULT '{}',
  client_public_key TEXT NOT NULL DEFAULT '',
  vm_id TEXT NOT NULL,
  cert_serial TEXT NOT NULL DEFAULT '',
  cert_thumbprint TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
  cert_not_after INTEGER,
  last_heartbeat INTEGER,
  status TEXT NOT NULL DEFAULT 'Disconnected',
  last_status_change INTEGER NOT NULL,
  PRIMARY KEY(subscription_id, resource_group, name),
  FOREIGN KEY(subscription_id, resource_group)
    REFERENCES resource_groups(subscription_id, name) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS machines_thumbprint ON machines(cert_thumbprint);
CREATE TABLE IF NOT EXISTS machine_extensions(
  subscription_id TEXT NOT NULL COLLATE NOCASE,
  resource_group TEXT NOT NULL COLLATE NOCASE,
  machine TEXT NOT NULL COLLATE NOCASE,
  name TEXT NOT NULL COLLATE NOCASE,
  location TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '{}',
  properties TEXT NOT NULL DEFAULT '{}',
  protected_settings TEXT NOT NULL DEFAULT '{}',
  provisioning_state TEXT NOT NULL,
  instance_view TEXT NOT NULL DEFAULT 'null',
  sequence_number INTEGER NOT NULL DEFAULT 0,
  operation_id TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(subscription_id, resource_group, machine, name),
  FOREIGN KEY(subscription_id, resource_group, machine)
    REFERENCES machines(subscription_id, resource_group, name) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS extension_operations(
  id TEXT PRIMARY KEY COLLATE NOCASE,
  subscription_id TEXT NOT NULL COLLATE NOCASE,
  location TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  error_code TEXT NOT NULL DEFAULT '',
  error_message TEXT NOT NULL DEFAULT '',
  start_time INTEGER NOT NULL,
  end_time INTEGER);
CREATE TABLE IF NOT EXISTS packages(
  kind TEXT NOT NULL,
  publisher TEXT NOT NULL COLLATE NOCASE,
  type TEXT NOT NULL COLLATE NOCASE,
  version TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  signature TEXT NOT NULL,
  published_at INTEGER NOT NULL,
  PRIMARY KEY(kind, publisher, type, version));
CREATE TABLE IF NOT EXISTS package_releases(
  kind TEXT NOT NULL,
  publisher TEXT NOT NULL COLLATE NOCASE,
  type TEXT NOT NULL COLLATE NOCASE,
  version TEXT NOT NULL,
  released_at INTEGER NOT NULL,
  PRIMARY KEY(kind, publisher, type, version));
CREATE TABLE IF NOT EXISTS settings_certificates(
  subscription_id TEXT NOT NULL COLLATE NOCASE,
  resource_group TEXT NOT NULL COLLATE NOCASE,
  machine TEXT NOT NULL COLLATE NOCASE,
  cert_pem TEXT NOT NULL,
  PRIMARY KEY(subscription_id, resource_group, machine),
  FOREIGN KEY(subscription_id, resource_group, machine)
    REFERENCES machines(subscription_id, resource_group, name) ON DELETE CASCADE);
)sql";

// Extensions deleted with their machine or group never get an agent report: their running
// operations fail at once rather than stay InProgress. Completed by the caller's WHERE clause.
constexpr std::string_view kFailOperationsOfDeletedExtensions =
    "UPDATE extension_operations SET status = 'Failed', error_code = 'ParentResourceDeleted', "
    "error_message = 'The machine of the extension was deleted.' WHERE status = 'InProgress' AND "
    "id IN (SELECT operation_id FROM machine_extensions WHERE ";

constexpr std::string_view kMachineColumns =
    "subscription_id, resource_group, name, location, tags, identity_type, principal_id, "
    "properties, client_public_key, vm_id, cert_serial, cert_thumbprint, cert_not_after, "
    "last_heartbeat, status, last_status_change";

json parseStoredJson(const std::string& text) {
    auto value = jsondoc::parse(text, "a stored document", {jsondoc::kNetworkMaxBytes});
    if (!value || !value.value().is_object()) {
        return json::object();
    }
    return std::move(value).value();
}

MachineRecord readMachine(const Statement& row) {
    MachineRecord machine;
    machine.subscription_id = row.text(0);
    machine.resource_group = row.text(1);
    machine.name = row.text(2);
    machine.location = row.text(3);
    machine.tags = parseStoredJson(row.text(4));
    machine.identity_type = row.text(5);
    machine.principal_id = row.text(6);
    machine.properties = parseStoredJson(row.text(7));
    machine.client_public_key = row.text(8);
    machine.vm_id = row.text(9);
    machine.cert_serial = row.text(10);
    machine.cert_thumbprint = row.text(11);
    machine.cert_not_after = row.optionalInteger(12);
    machine.last_heartbeat = row.optionalInteger(13);
    machine.status = row.text(14);
    machine.last_status_change = row.integer(15);
    return machine;
}

Result<std::vector<MachineRecord>> collectMachines(Statement& statement) {
    std::vector<MachineRecord> machines;
    while (true) {
        BOOST_OUTCOME_TRY(row, statement.step());
        if (!row) {
            return machines;
        }
        machines.push_back(readMachine(statement));
    }
}

ServicePrincipal readPrincipal(const Statement& row) {
    ServicePrincipal principal;
    principal.app_id = row.text(0);
    principal.object_id = row.text(1);
    principal.display_name = row.text(2);
    principal.secret_hash = row.text(3);
    principal.cert_pem = row.text(4);
    principal.cert_thumbprint = row.text(5);
    return principal;
}

} // namespace

std::string hashSecret(std::string_view secret) {
    return crypto::hexEncode(crypto::sha256(secret));
}

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& database_path) {
    BOOST_OUTCOME_TRY(db, Database::open(database_path));
    BOOST_OUTCOME_TRY(db->exec(kSchema));
    return std::unique_ptr<Store>(new Store(std::move(db)));
}

Result<std::optional<std::string>> Store::setting(const std::string& key) {
    BOOST_OUTCOME_TRY(statement, db_->prepare("SELECT value FROM settings WHERE key = ?"));
    statement.bind(1, key);
    BOOST_OUTCOME_TRY(row, statement.step());
    if (!row) {
        return std::optional<std::string>();
    }
    return std::optional<std::string>(statement.text(0));
}

Result<void> Store::putSetting(const std::string& key, const std::string& value) {
    BOOST_OUTCOME_TRY(statement,
                      db_->prepare("INSERT OR REPLACE INTO settings(key, value) VALUES(?, ?)"));
    statement.bind(1, key).bind(2, value);
    return statement.run();
}

Result<Settings> Store::initialize() {
    BOOST_OUTCOME_TRY(db_->transaction([this]() -> Result<void> {
        BOOST_OUTCOME_TRY(tenant, setting("tenantId"));
        if (tenant) {
            return ok();
        }
        const std::string tenant_id = crypto::randomGuid();
        const std::string subscription_id = crypto::randomGuid();
        BOOST_OUTCOME_TRY(putSetting("tenantId", tenant_id));
        BOOST_OUTCOME_TRY(putSetting("subscriptionId", subscription_id));

        ServicePrincipal owner;
        owner.app_id = crypto::randomGuid();
        owner.object_id = crypto::randomGuid();
        owner.display_name = "arc-emulator-bootstrap-owner";
        const std::string password = crypto::randomUrlSafeSecret();
        owner.secret_hash = hashSecret(password);
        RoleAssignment assignment;
        assignment.id = crypto::randomGuid();
        assignment.principal_id = owner.object_id;
        assignment.role_definition_id = std::string(kOwnerRoleId);
        assignment.scope = "/subscriptions/" + subscription_id;

        BOOST_OUTCOME_TRY(insertServicePrincipal(owner, assignment));
        BOOST_OUTCOME_TRY(putSetting("bootstrapAppId", owner.app_id));
        BOOST_OUTCOME_TRY(putSetting("bootstrapPassword", password));
        return ok();
    }));
    return settings();
}

Result<Settings> Store::settings() {
    Settings result;
    BOOST_OUTCOME_TRY(tenant, setting("tenantId"));
    BOOST_OUTCOME_TRY(subscription, setting("subscriptionId"));
    BOOST_OUTCOME_TRY(app_id, setting("bootstrapAppId"));
    BOOST_OUTCOME_TRY(password, setting("bootstrapPassword"));
    if (!tenant || !subscription || !app_id || !password) {
        return makeError(exitcode::kGeneric, "database: the emulator state is not initialised");
    }
    result.tenant_id = *tenant;
    result.subscription_id = *subscription;
    result.bootstrap_app_id = *app_id;
    result.bootstrap_password = *password;
    return result;
}

Result<void> Store::createServicePrincipal(const ServicePrincipal& principal,
                                           const RoleAssignment& assignment) {
    return db_->transaction(
        [&]() -> Result<void> { return insertServicePrincipal(principal, assignment); });
}

Result<void> Store::insertServicePrincipal(const ServicePrincipal& principal,
                                           const RoleAssignment& assignment) {
    BOOST_OUTCOME_TRY(insert_principal,
                      db_->prepare("INSERT INTO service_principals(app_id, object_id, "
                                   "display_name, secret_hash, cert_pem, cert_thumbprint) "
                                   "VALUES(?, ?, ?, ?, ?, ?)"));
    insert_principal.bind(1, principal.app_id)
        .bind(2, principal.object_id)
        .bind(3, principal.display_name)
        .bind(4, principal.secret_hash)
        .bind(5, principal.cert_pem)
        .bind(6, principal.cert_thumbprint);
    BOOST_OUTCOME_TRY(insert_principal.run());
    BOOST_OUTCOME_TRY(insert_assignment,
                      db_->prepare("INSERT INTO role_assignments(id, principal_id, "
                                   "role_definition_id, scope) VALUES(?, ?, ?, ?)"));
    insert_assignment.bind(1, assignment.id)
        .bind(2, assignment.principal_id)
        .bind(3, assignment.role_definition_id)
        .bind(4, assignment.scope);
    return insert_assignment.run();
}

Result<std::optional<ServicePrincipal>> Store::findServicePrincipal(const std::string& app_id) {
    BOOST_OUTCOME_TRY(statement,
                      db_->prepare("SELECT app_id, object_id, display_name, secret_hash, cert_pem, "
                                   "cert_thumbprint FROM service_principals WHERE app_id = ?"));
    statement.bind(1, app_id);
    BOOST_OUTCOME_TRY(row, statement.step());
    if (!row) {
        return std::optional<ServicePrincipal>();
    }
    return std::optional<ServicePrincipal>(readPrincipal(statement));
}

Result<std::vector<RoleAssignment>> Store::roleAssignmentsFor(const std::string& principal_id) {
    BOOST_OUTCOME_TRY(statement,
                      db_->prepare("SELECT id, principal_id, role_definition_id, scope FROM "
                                   "role_assignments WHERE principal_id = ?"));
    statement.bind(1, principal_id);
    std::vector<RoleAssignment> assignments;
    while (true) {
        BOOST_OUTCOME_TRY(row, statement.step());
        if (!row) {
            return assignments;
        }
        assignments.push_back(
            {statement.text(0), statement.text(1), statement.text(2), statement.text(3)});
    }
}

Result<std::optional<ResourceGroup>> Store::findResourceGroup(const std::string& subscription_id,
                                                              const std::string& name) {
    BOOST_OUTCOME_TRY(statement,
                      db_->prepare("SELECT subscription_id, name, location, tags FROM "
                                   "resource_groups WHERE subscription_id = ? AND name = ?"));
    statement.bind(1, subscription_id).bind(2, name);
    BOOST_OUTCOME_TRY(row, statement.step());
    if (!row) {
        return std::optional<ResourceGroup>();
    }
    return std::optional<ResourceGroup>(ResourceGroup{statement.text(0), statement.text(1),
                                                      statement.text(2),
                                                      parseStoredJson(statement.text(3))});
}

Result<std::vector<ResourceGroup>> Store::listResourceGroups(const std::string& subscription_id) {
    BOOST_OUTCOME_TRY(statement,
                      db_->prepare("SELECT subscription_id, name, location, tags FROM "
                                   "resource_groups WHERE subscription_id = ? ORDER BY name"));
    statement.bind(1, subscription_id);
    std::vector<ResourceGroup> groups;
    while (true) {
        BOOST_OUTCOME_TRY(row, statement.step());
        if (!row) {
            return groups;
        }
        groups.push_back(ResourceGroup{statement.text(0), statement.text(1), statement.text(2),
                                       parseStoredJson(statement.text(3))});
    }
}

Result<void> Store::putResourceGroup(const ResourceGroup& group) {
    // An upsert that keeps the stored name's case (ARM keeps the case of the first PUT).
    BOOST_OUTCOME_TRY(statement,
                      db_->prepare("INSERT INTO resource_groups(subscription_id, name, location, "
                                   "tags) VALUES(?, ?, ?, ?) ON CONFLICT(subscription_id, name) "
                                   "DO UPDATE SET location = excluded.location, tags = "
                                   "excluded.tags"));
    statement.bind(1, group.subscription_id)
        .bind(2, group.name)
        .bind(3, group.location)
        .bind(4, group.tags.dump());
    return statement.run();
}

Result<bool> Store::deleteResourceGroup(const std::string& subscription_id,
                                        const std::string& name) {
    bool existed = false;
    BOOST_OUTCOME_TRY(db_->transaction([&]() -> Result<void> {
        BOOST_OUTCOME_TRY(operations, db_->prepare(std::string(kFailOperationsOfDeletedExtensions) +
                                                   "subscription_id = ? AND resource_group = ?)"));
        operations.bind(1, subscription_id).bind(2, name);
        BOOST_OUTCOME_TRY(operations.run());
        BOOST_OUTCOME_TRY(machines,
                          db_->prepare("DELETE FROM machines WHERE subscription_id = ? AND "
                                       "resource_group = ?"));
        machines.bind(1, subscription_id).bind(2, name);
        BOOST_OUTCOME_TRY(machines.run());
        BOOST_OUTCOME_TRY(group, db_->prepare("DELETE FROM resource_groups WHERE "
                                              "subscription_id = ? AND name = ?"));
        group.bind(1, subscription_id).bind(2, name);
        BOOST_OUTCOME_TRY(group.run());
        existed = db_->changes() > 0;
        return ok();
    }));
    return existed;
}

Result<std::optional<MachineRecord>> Store::findMachine(const std::string& subscription_id,
                                                        const std::string& resource_group,
                                                        const std::string& name) {
    BOOST_OUTCOME_TRY(statement,
                      db_->prepare("SELECT " + std::string(kMachineColumns) +
                                   " FROM machines WHERE subscription_id = ? AND resource_group "
                                   "= ? AND name = ?"));
    statement.bind(1, subscription_id).bind(2, resource_group).bind(3, name);
    BOOST_OUTCOME_TRY(machines, collectMachines(statement));
    if (machines.empty()) {
        return std::optional<MachineRecord>();
    }
    return std::optional<MachineRecord>(std::move(machines.front()));
}

Result<std::optional<MachineRecord>> Store::findMachineByThumbprint(const std::string& thumbprint) {
    if (thumbprint.empty()) {
        return std::optional<MachineRecord>();
    }
    BOOST_OUTCOME_TRY(statement, db_->prepare("SELECT " + std::string(kMachineColumns) +
                                              " FROM machines WHERE cert_thumbprint = ?"));
    statement.bind(1, thumbprint);
    BOOST_OUTCOME_TRY(machines, collectMachines(statement));
    if (machines.empty()) {
        return std::optional<MachineRecord>();
    }
    return std::optional<MachineRecord>(std::move(machines.front()));
}

Result<std::vector<MachineRecord>>
Store::listMachines(const std::string& subscription_id,
                    const std::optional<std::string>& resource_group) {
    if (resource_group) {
        BOOST_OUTCOME_TRY(statement, db_->prepare("SELECT " + std::string(kMachineColumns) +
                                                  " FROM machines WHERE subscription_id = ? AND "
                                                  "resource_group = ? ORDER BY name"));
        statement.bind(1, subscription_id).bind(2, *resource_group);
        return collectMachines(statement);
    }
    BOOST_OUTCOME_TRY(statement, db_->prepare("SELECT " + std::string(kMachineColumns) +
                                              " FROM machines WHERE subscription_id = ? ORDER BY "
                                              "resource_group, name"));
    statement.bind(1, subscription_id);
    return collectMachines(statement);
}

Result<void> Store::putMachine(const MachineRecord& machine) {
    BOOST_OUTCOME_TRY(
        statement,
        db_->prepare("INSERT INTO machines(" + std::string(kMachineColumns) +
                     ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                     "ON CONFLICT(subscription_id, resource_group, name) DO UPDATE SET "
                     "location = excluded.location, tags = excluded.tags, identity_type = "
                     "excluded.identity_type, principal_id = excluded.principal_id, properties = "
                     "excluded.properties, client_public_key = excluded.client_public_key, vm_id = "
                     "excluded.vm_id, cert_serial = excluded.cert_serial, cert_thumbprint = "
                     "excluded.cert_thumbprint, cert_not_after = excluded.cert_not_after, "
                     "last_heartbeat = excluded.last_heartbeat, status = excluded.status, "
                     "last_status_change = excluded.last_status_change"));
    statement.bind(1, machine.subscription_id)
        .bind(2, machine.resource_group)
        .bind(3, machine.name)
        .bind(4, machine.location)
        .bind(5, machine.tags.dump())
        .bind(6, machine.identity_type)
        .bind(7, machine.principal_id)
        .bind(8, machine.properties.dump())
        .bind(9, machine.client_public_key)
        .bind(10, machine.vm_id)
        .bind(11, machine.cert_serial)
        .bind(12, machine.cert_thumbprint)
        .bind(13, machine.cert_not_after)
        .bind(14, machine.last_heartbeat)
        .bind(15, machine.status)
        .bind(16, machine.last_status_change);
    return statement.run();
}

Result<bool> Store::deleteMachine(const std::string& subscription_id,
                                  const std::string& resource_group,
                                  const std::string& name) {
    bool existed = false;
    BOOST_OUTCOME_TRY(db_->transaction([&]() -> Result<void> {
        BOOST_OUTCOME_TRY(operations,
                          db_->prepare(std::string(kFailOperationsOfDeletedExtensions) +
                                       "subscription_id = ? AND resource_group = ? AND machine = "
                                       "?)"));
        operations.bind(1, subscription_id).bind(2, resource_group).bind(3, name);
        BOOST_OUTCOME_TRY(operations.run());
        // Its extensions go with it (ON DELETE CASCADE).
        BOOST_OUTCOME_TRY(statement, db_->prepare("DELETE FROM machines WHERE subscription_id = ? "
                                                  "AND resource_group = ? AND name = ?"));
        statement.bind(1, subscription_id).bind(2, resource_group).bind(3, name);
        BOOST_OUTCOME_TRY(statement.run());
        existed = db_->changes() > 0;
        return ok();
    }));
    return existed;
}

} // namespace azcm::emulator
