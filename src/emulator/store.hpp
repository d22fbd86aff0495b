#pragma once
// Persistent state of the emulator (DIR/emulator.db): settings, service principals, role
// assignments, resource groups, machines, machine extensions and their operations. Every call reads
// or writes the database at once (no cache), so `arc-emulator sp create` in another process takes
// effect on the next request.
#include "common/error.hpp"
#include "emulator/sqlite_db.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::emulator {

struct PublishedPackage; // package_store.hpp

struct Settings {
    std::string tenant_id;
    std::string subscription_id;
    std::string bootstrap_app_id;
    std::string bootstrap_password; // kept so cloud.json can be rewritten on every start
};

struct ServicePrincipal {
    std::string app_id;
    std::string object_id;
    std::string display_name;
    std::string secret_hash;     // lower-case hex SHA-256 of the secret; empty: no secret
    std::string cert_pem;        // registered certificate; empty: none
    std::string cert_thumbprint; // SHA-1 hex, upper case
};

struct RoleAssignment {
    std::string id;
    std::string principal_id; // object id
    std::string role_definition_id;
    std::string scope;
};

struct ResourceGroup {
    std::string subscription_id;
    std::string name; // case as created
    std::string location;
    nlohmann::json tags = nlohmann::json::object();
};

struct MachineRecord {
    std::string subscription_id;
    std::string resource_group; // case as stored with the resource group
    std::string name;           // case as created
    std::string location;
    nlohmann::json tags = nlohmann::json::object();
    std::string identity_type; // "SystemAssigned" or empty (none)
    std::string principal_id;
    nlohmann::json properties = nlohmann::json::object(); // caller- and heartbeat-set properties
    std::string client_public_key;                        // base64 DER SPKI
    std::string vm_id;
    std::string cert_serial;
    std::string cert_thumbprint; // SHA-1 hex upper case of the current machine certificate
    std::optional<std::int64_t> cert_not_after;
    std::optional<std::int64_t> last_heartbeat;
    std::string status; // last derived status
    std::int64_t last_status_change = 0;
};

// A Microsoft.HybridCompute/machines/extensions resource. The machine's key columns use the case
// stored with the machine.
struct ExtensionRecord {
    std::string subscription_id;
    std::string resource_group;
    std::string machine;
    std::string name; // case as created
    std::string location;
    nlohmann::json tags = nlohmann::json::object();
    // publisher, type, typeHandlerVersion, enableAutomaticUpgrade, autoUpgradeMinorVersion,
    // settings, forceUpdateTag: as the caller set them.
    nlohmann::json properties = nlohmann::json::object();
    nlohmann::json protected_settings = nlohmann::json::object(); // write-only through ARM
    std::string provisioning_state;   // Creating | Updating | Deleting | Succeeded | Failed
    nlohmann::json instance_view;     // null until the agent reports
    std::int64_t sequence_number = 0; // grows with every PUT/PATCH: the agent's reconfigure cue
    std::string operation_id;         // the operation the agent's next report completes
};

// An asynchronous ARM operation (Azure-AsyncOperation) on an extension.
struct ExtensionOperation {
    std::string id; // GUID
    std::string subscription_id;
    std::string location;
    std::string resource_id; // the extension's ARM id, for RBAC on the status resource
    std::string kind;        // create | update | delete
    std::string status;      // InProgress | Succeeded | Failed
    std::string error_code;
    std::string error_message;
    std::int64_t start_time = 0;
    std::optional<std::int64_t> end_time;
};

class Store {
public:
    static Result<std::unique_ptr<Store>> open(const std::filesystem::path& database_path);

    // Creates the schema and, on first use, the tenant, the subscription and the bootstrap Owner
    // service principal. Safe to call from several processes.
    Result<Settings> initialize();
    Result<Settings> settings();

    Result<void> createServicePrincipal(const ServicePrincipal& principal,
                                        const RoleAssignment& assignment);
    Result<std::optional<ServicePrincipal>> findServicePrincipal(const std::string& app_id);
    Result<std::vector<RoleAssignment>> roleAssignmentsFor(const std::string& principal_id);

    Result<std::optional<ResourceGroup>> findResourceGroup(const std::string& subscription_id,
                                                           const std::string& name);
    Result<std::vector<ResourceGroup>> listResourceGroups(const std::string& subscription_id);
    Result<void> putResourceGroup(const ResourceGroup& group);
    // Deletes the group and its machines; false when it did not exist.
    Result<bool> deleteResourceGroup(const std::string& subscription_id, const std::string& name);

    Result<std::optional<MachineRecord>> findMachine(const std::string& subscription_id,
                                                     const std::string& resource_group,
                                                     const std::string& name);
    Result<std::optional<MachineRecord>> findMachineByThumbprint(const std::string& thumbprint);
    // All machines of the subscription, or of one resource group when `resource_group` is set.
    Result<std::vector<MachineRecord>>
    listMachines(const std::string& subscription_id,
                 const std::optional<std::string>& resource_group);
    Result<void> putMachine(const MachineRecord& machine);
    Result<bool> deleteMachine(const std::string& subscription_id,
                               const std::string& resource_group,
                               const std::string& name);

    Result<std::optional<ExtensionRecord>> findExtension(const std::string& subscription_id,
                                                         const std::string& resource_group,
                                                         const std::string& machine,
                                                         const std::string& name);
    Result<std::vector<ExtensionRecord>> listExtensions(const std::string& subscription_id,
                                                        const std::string& resource_group,
                                                        const std::string& machine);
    Result<void> putExtension(const ExtensionRecord& extension);
    Result<bool> deleteExtension(const std::string& subscription_id,
                                 const std::string& resource_group,
                                 const std::string& machine,
                                 const std::string& name);
    Result<std::optional<ExtensionOperation>> findOperation(const std::string& id);
    Result<void> putOperation(const ExtensionOperation& operation);
    // Runs `body` in one write transaction (several of the calls above as one change).
    Result<void> transaction(const std::function<Result<void>()>& body);
    // The connection itself, for services that keep tables of their own in the same file
    // (guest_configuration_store.hpp).
    Database& database() { return *db_; }

    // Signed packages (package_rows.cpp; use the functions of package_store.hpp).
    Result<void> putPackage(const PublishedPackage& package);
    // All versions of (kind, publisher, type), publisher and type case-insensitive.
    Result<std::vector<PublishedPackage>>
    listPackages(std::string_view kind, std::string_view publisher, std::string_view type);
    // Grows with every publish, from any process: the serving process polls it to learn of
    // publishes by `arc-emulator extension publish`.
    Result<std::int64_t> packageRevision();

    // The certificate a machine's extension service registered for protected settings (PEM);
    // nullopt when none. Goes with the machine (package_rows.cpp).
    Result<std::optional<std::string>> settingsCertificate(const MachineRecord& machine);
    Result<void> putSettingsCertificate(const MachineRecord& machine, const std::string& cert_pem);

private:
    explicit Store(std::unique_ptr<Database> db) : db_(std::move(db)) {}
    Result<std::optional<std::string>> setting(const std::string& key);
    Result<void> putSetting(const std::string& key, const std::string& value);
    // Inside a transaction of the caller's.
    Result<void> insertServicePrincipal(const ServicePrincipal& principal,
                                        const RoleAssignment& assignment);

    std::unique_ptr<Database> db_;
};

// Lower-case hex SHA-256 of a client secret, as stored.
std::string hashSecret(std::string_view secret);

} // namespace azcm::emulator
