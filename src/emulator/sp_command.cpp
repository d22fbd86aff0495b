#include "emulator/sp_command.hpp"

#include "common/crypto/encoding.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/x509.hpp"
#include "common/fs/atomic_file.hpp"
#include "emulator/data_dir.hpp"
#include "emulator/rbac.hpp"
#include "emulator/store.hpp"

#include <algorithm>

namespace azcm::emulator {

namespace {

constexpr auto kCertificateLifetime = std::chrono::hours(24 * 365);

std::string knownRoles() {
    std::string names;
    for (const auto& role : builtInRoles()) {
        names += "\n  " + role.name + " (" + role.id + ")";
    }
    return names;
}

bool validDisplayName(const std::string& name) {
    return !name.empty() && name.size() <= 120 &&
           std::none_of(name.begin(), name.end(),
                        [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

} // namespace

Result<nlohmann::json> createServicePrincipal(const SpCreateOptions& options) {
    const auto* role = findRole(options.role);
    if (role == nullptr) {
        return makeError(exitcode::kInvalidArgument,
                         "unknown role '" + options.role + "'; known roles:" + knownRoles());
    }
    if (!validDisplayName(options.name)) {
        return makeError(exitcode::kInvalidArgument,
                         "--name must be 1 to 120 printable characters");
    }
    if (!isValidScope(options.scope)) {
        return makeError(exitcode::kInvalidArgument,
                         "invalid scope '" + options.scope +
                             "'; expected /subscriptions/<id>[/resourceGroups/<name>...] or /");
    }
    const DataDir dir(options.data_dir);
    BOOST_OUTCOME_TRY(fs::ensureDirectory(dir.root(), kDataDirMode));
    BOOST_OUTCOME_TRY(store, Store::open(dir.database()));
    BOOST_OUTCOME_TRY(settings, store->initialize());

    ServicePrincipal principal;
    principal.app_id = crypto::randomGuid();
    principal.object_id = crypto::randomGuid();
    principal.display_name = options.name;
    const std::string password = crypto::randomUrlSafeSecret();
    principal.secret_hash = hashSecret(password);

    nlohmann::json answer{{"appId", principal.app_id},
                          {"displayName", principal.display_name},
                          {"password", password},
                          {"tenant", settings.tenant_id}};
    if (options.cert_out) {
        BOOST_OUTCOME_TRY(key, crypto::generateRsaPrivateKeyPem(2048));
        BOOST_OUTCOME_TRY(certificate, crypto::createSelfSignedCaPem(
                                           key, options.name,
                                           std::chrono::duration_cast<std::chrono::seconds>(
                                               kCertificateLifetime)));
        BOOST_OUTCOME_TRY(info, crypto::parseCertificatePem(certificate));
        principal.cert_pem = certificate;
        principal.cert_thumbprint = info.thumbprint_sha1_hex;
        std::string bundle = key;
        if (!bundle.empty() && bundle.back() != '\n') {
            bundle.push_back('\n');
        }
        bundle += certificate;
        // Exclusive: never overwrite an existing file with a private key.
        BOOST_OUTCOME_TRY(fs::createExclusive(*options.cert_out, bundle, fs::FileMode{0600, {}}));
        std::error_code ec;
        answer["fileWithCertAndPrivateKey"] =
            std::filesystem::absolute(*options.cert_out, ec).string();
        answer["certificateThumbprint"] = principal.cert_thumbprint;
    }

    RoleAssignment assignment;
    assignment.id = crypto::randomGuid();
    assignment.principal_id = principal.object_id;
    assignment.role_definition_id = role->id;
    assignment.scope = options.scope;
    auto created = store->createServicePrincipal(principal, assignment);
    if (!created) {
        if (options.cert_out) {
            (void)fs::removeFile(*options.cert_out);
        }
        return created.error();
    }
    return answer;
}

} // namespace azcm::emulator
