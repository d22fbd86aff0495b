// The Store's machine extensions and their asynchronous operations (tables machine_extensions and
// extension_operations, created with the rest of the schema in store.cpp).
#include "common/json/json_document.hpp"
#include "emulator/store.hpp"

namespace azcm::emulator {

using nlohmann::json;

namespace {

constexpr std::string_view kExtensionColumns =
    "subscription_id, resource_group, machine, name, location, tags, properties, "
    "protected_settings, provisioning_state, instance_view, sequence_number, operation_id";

constexpr std::string_view kOperationColumns =
    "id, subscription_id, location, resource_id, kind, status, error_code, error_message, "
    "start_time, end_time";

// Stored JSON is written by this file only; anything unreadable degrades to `fallback`.
json parseOr(const std::string& text, const json& fallback) {
    auto value = jsondoc::parse(text, "a stored document", {jsondoc::kNetworkMaxBytes});
    if (!value || value.value().type() != fallback.type()) {
        return fallback;
    }
    return std::move(value).value();
}

ExtensionRecord readExtension(const Statement& row) {
    ExtensionRecord extension;
    extension.subscription_id = row.text(0);
    extension.resource_group = row.text(1);
    extension.machine = row.text(2);
    extension.name = row.text(3);
    extension.location = row.text(4);
    extension.tags = parseOr(row.text(5), json::object());
    extension.properties = parseOr(row.text(6), json::object());
    extension.protected_settings = parseOr(row.text(7), json::object());
    extension.provisioning_state = row.text(8);
    auto view = jsondoc::parse(row.text(9), "a stored document", {jsondoc::kNetworkMaxBytes});
    extension.instance_view = view && view.value().is_object() ? std::move(view).value() : json();
    extension.sequence_number = row.integer(10);
    extension.operation_id = row.text(11);
    return extension;
}

ExtensionOperation readOperation(const Statement& row) {
    ExtensionOperation operation;
    operation.id = row.text(0);
    operation.subscription_id = row.text(1);
    operation.location = row.text(2);
    operation.resource_id = row.text(3);
    operation.kind = row.text(4);
    operation.status = row.text(5);
    operation.error_code = row.text(6);
    operation.error_message = row.text(7);
    operation.start_time = row.integer(8);
    operation.end_time = row.optionalInteger(9);
    return operation;
}

} // namespace

Result<std::optional<ExtensionRecord>> Store::findExtension(const std::string& subscription_id,
                                                            const std::string& resource_group,
                                                            const std::string& machine,
                                                            const std::string& name) {
    BOOST_OUTCOME_TRY(statement, db_->prepare("SELECT " + std::string(kExtensionColumns) +
                                              " FROM machine_extensions WHERE subscription_id = ? "
                                              "AND resource_group = ? AND machine = ? AND name = "
                                              "?"));
    statement.bind(1, subscription_id).bind(2, resource_group).bind(3, machine).bind(4, name);
    BOOST_OUTCOME_TRY(row, statement.step());
    if (!row) {
        return std::optional<ExtensionRecord>();
    }
    return std::optional<ExtensionRecord>(readExtension(statement));
}

Result<std::vector<ExtensionRecord>> Store::listExtensions(const std::string& subscription_id,
                                                           const std::string& resource_group,
                                                           const std::string& machine) {
    BOOST_OUTCOME_TRY(statement, db_->prepare("SELECT " + std::string(kExtensionColumns) +
                                              " FROM machine_extensions WHERE subscription_id = ? "
                                              "AND resource_group = ? AND machine = ? ORDER BY "
                                              "name"));
    statement.bind(1, subscription_id).bind(2, resource_group).bind(3, machine);
    std::vector<ExtensionRecord> extensions;
    while (true) {
        BOOST_OUTCOME_TRY(row, statement.step());
        if (!row) {
            return extensions;
        }
        extensions.push_back(readExtension(statement));
    }
}

Result<void> Store::putExtension(const ExtensionRecord& extension) {
    BOOST_OUTCOME_TRY(
        statement,
        db_->prepare("INSERT INTO machine_extensions(" + std::string(kExtensionColumns) +
                     ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(subscription_id, "
                     "resource_group, machine, name) DO UPDATE SET location = excluded.location, "
                     "tags = excluded.tags, properties = excluded.properties, protected_settings "
                     "= excluded.protected_settings, provisioning_state = "
                     "excluded.provisioning_state, instance_view = excluded.instance_view, "
                     "sequence_number = excluded.sequence_number, operation_id = "
                     "excluded.operation_id"));
    statement.bind(1, extension.subscription_id)
        .bind(2, extension.resource_group)
        .bind(3, extension.machine)
        .bind(4, extension.name)
        .bind(5, extension.location)
        .bind(6, extension.tags.dump())
        .bind(7, extension.properties.dump())
        .bind(8, extension.protected_settings.dump())
        .bind(9, extension.provisioning_state)
        .bind(10, extension.instance_view.dump())
        .bind(11, extension.sequence_number)
        .bind(12, extension.operation_id);
    return statement.run();
}

Result<bool> Store::deleteExtension(const std::string& subscription_id,
                                    const std::string& resource_group,
                                    const std::string& machine,
                                    const std::string& name) {
    BOOST_OUTCOME_TRY(statement, db_->prepare("DELETE FROM machine_extensions WHERE "
                                              "subscription_id = ? AND resource_group = ? AND "
                                              "machine = ? AND name = ?"));
    statement.bind(1, subscription_id).bind(2, resource_group).bind(3, machine).bind(4, name);
    BOOST_OUTCOME_TRY(statement.run());
    return db_->changes() > 0;
}

Result<std::optional<ExtensionOperation>> Store::findOperation(const std::string& id) {
    BOOST_OUTCOME_TRY(statement, db_->prepare("SELECT " + std::string(kOperationColumns) +
                                              " FROM extension_operations WHERE id = ?"));
    statement.bind(1, id);
    BOOST_OUTCOME_TRY(row, statement.step());
    if (!row) {
        return std::optional<ExtensionOperation>();
    }
    return std::optional<ExtensionOperation>(readOperation(statement));
}

Result<void> Store::putOperation(const ExtensionOperation& operation) {
    BOOST_OUTCOME_TRY(statement, db_->prepare("INSERT OR REPLACE INTO extension_operations(" +
                                              std::string(kOperationColumns) +
                                              ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    statement.bind(1, operation.id)
        .bind(2, operation.subscription_id)
        .bind(3, operation.location)
        .bind(4, operation.resource_id)
        .bind(5, operation.kind)
        .bind(6, operation.status)
        .bind(7, operation.error_code)
        .bind(8, operation.error_message)
        .bind(9, operation.start_time)
        .bind(10, operation.end_time);
    return statement.run();
}

Result<void> Store::transaction(const std::function<Result<void>()>& body) {
    return db_->transaction(body);
}

} // namespace azcm::emulator
