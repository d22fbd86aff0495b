// The Store's rows for signed packages and machines' settings certificates (tables packages,
// package_releases and settings_certificates, created with the rest of the schema in store.cpp).
// Callers use package_store.hpp and the agent services; these are the SQL only.
#include "common/crypto/encoding.hpp"
#include "emulator/package_store.hpp"
#include "emulator/store.hpp"

namespace azcm::emulator {

namespace {

constexpr std::string_view kPackageColumns =
    "kind, publisher, type, version, size, sha256, signature, published_at";
// The release time lives in a table of its own, which CREATE TABLE IF NOT EXISTS adds to a
// database made before it: a package without a row there was released when it was published.
constexpr std::string_view kSelectPackages =
    "SELECT p.kind, p.publisher, p.type, p.version, p.size, p.sha256, p.signature, "
    "p.published_at, COALESCE(r.released_at, p.published_at) FROM packages p LEFT JOIN "
    "package_releases r ON r.kind = p.kind AND r.publisher = p.publisher AND r.type = p.type AND "
    "r.version = p.version WHERE p.kind = ? AND p.publisher = ? AND p.type = ?";

// The revision lives in the settings table: one row every process increments in the publish
// transaction, so a reader in another process sees it change with the package.
constexpr std::string_view kRevisionKey = "packageRevision";

} // namespace

Result<void> Store::putPackage(const PublishedPackage& package) {
    BOOST_OUTCOME_TRY(row, db_->prepare("INSERT OR REPLACE INTO packages(" +
                                        std::string(kPackageColumns) +
                                        ") VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
    row.bind(1, package.kind)
        .bind(2, package.publisher)
        .bind(3, package.type)
        .bind(4, package.version)
        .bind(5, static_cast<std::int64_t>(package.size))
        .bind(6, package.sha256)
        .bind(7, crypto::base64Encode(package.signature_der))
        .bind(8, package.published_at);
    BOOST_OUTCOME_TRY(row.run());
    BOOST_OUTCOME_TRY(release, db_->prepare("INSERT OR REPLACE INTO package_releases(kind, "
                                            "publisher, type, version, released_at) VALUES(?, ?, "
                                            "?, ?, ?)"));
    release.bind(1, package.kind)
        .bind(2, package.publisher)
        .bind(3, package.type)
        .bind(4, package.version)
        .bind(5, package.released_at != 0 ? package.released_at : package.published_at);
    BOOST_OUTCOME_TRY(release.run());
    BOOST_OUTCOME_TRY(revision,
                      db_->prepare("INSERT INTO settings(key, value) VALUES(?, '1') ON "
                                   "CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS "
                                   "INTEGER) + 1 AS TEXT)"));
    revision.bind(1, kRevisionKey);
    return revision.run();
}

Result<std::vector<PublishedPackage>>
Store::listPackages(std::string_view kind, std::string_view publisher, std::string_view type) {
    BOOST_OUTCOME_TRY(statement, db_->prepare(kSelectPackages));
    statement.bind(1, kind).bind(2, publisher).bind(3, type);
    std::vector<PublishedPackage> packages;
    while (true) {
        BOOST_OUTCOME_TRY(row, statement.step());
        if (!row) {
            return packages;
        }
        PublishedPackage package;
        package.kind = statement.text(0);
        package.publisher = statement.text(1);
        package.type = statement.text(2);
        package.version = statement.text(3);
        package.size = static_cast<std::uint64_t>(statement.integer(4));
        BOOST_OUTCOME_TRY(signature, crypto::base64Decode(statement.text(6)));
        package.sha256 = statement.text(5);
        package.signature_der = std::move(signature);
        package.published_at = statement.integer(7);
        package.released_at = statement.integer(8);
        packages.push_back(std::move(package));
    }
}

Result<std::int64_t> Store::packageRevision() {
    BOOST_OUTCOME_TRY(value, setting(std::string(kRevisionKey)));
    if (!value) {
        return std::int64_t{0};
    }
    try {
        return static_cast<std::int64_t>(std::stoll(*value));
    } catch (const std::exception&) {
        return makeError(exitcode::kGeneric, "database: packageRevision is not a number");
    }
}

Result<std::optional<std::string>> Store::settingsCertificate(const MachineRecord& machine) {
    BOOST_OUTCOME_TRY(statement, db_->prepare("SELECT cert_pem FROM settings_certificates WHERE "
                                              "subscription_id = ? AND resource_group = ? AND "
                                              "machine = ?"));
    statement.bind(1, machine.subscription_id)
        .bind(2, machine.resource_group)
        .bind(3, machine.name);
    BOOST_OUTCOME_TRY(row, statement.step());
    if (!row) {
        return std::optional<std::string>();
    }
    return std::optional<std::string>(statement.text(0));
}

Result<void> Store::putSettingsCertificate(const MachineRecord& machine,
                                           const std::string& cert_pem) {
    BOOST_OUTCOME_TRY(statement,
                      db_->prepare("INSERT OR REPLACE INTO settings_certificates(subscription_id, "
                                   "resource_group, machine, cert_pem) VALUES(?, ?, ?, ?)"));
    statement.bind(1, machine.subscription_id)
        .bind(2, machine.resource_group)
        .bind(3, machine.name)
        .bind(4, cert_pem);
    return statement.run();
}

} // namespace azcm::emulator
