#include "emulator/package_publish_command.hpp"

#include "common/crypto/agent_package.hpp"
#include "common/crypto/encoding.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/utc_time.hpp"
#include "emulator/data_dir.hpp"
#include "emulator/emulator_clock.hpp"
#include "emulator/http_util.hpp"
#include "emulator/package_store.hpp"
#include "emulator/store.hpp"

#include <system_error>

namespace azcm::emulator {

namespace {

Result<SystemTime> releaseTime(const std::string& text, SystemTime now) {
    if (text.empty()) {
        return now;
    }
    const auto parsed = parseRfc3339(text);
    if (!parsed) {
        return makeError(exitcode::kInvalidArgument,
                         "--released '" + text +
                             "' is not an RFC 3339 time such as 2025-01-31T00:00:00Z");
    }
    if (*parsed > now) {
        return makeError(exitcode::kInvalidArgument, "--released " + rfc3339(*parsed) +
                                                         " is in the future (now " + rfc3339(now) +
                                                         ")");
    }
    return std::chrono::time_point_cast<std::chrono::seconds>(*parsed);
}

} // namespace

Result<nlohmann::json> publishPackageCommand(const PublishOptions& given) {
    PublishOptions options = given;
    const bool agent = options.kind == kPackageKindAgent;
    // Cheap checks before any key material is created; an agent package's platform is known once
    // its bytes are read.
    const WallClock clock = wallClock();
    BOOST_OUTCOME_TRY(released, releaseTime(options.released, clock()));
    if (!agent) {
        BOOST_OUTCOME_TRY(
            validatePackageKey(options.kind, options.publisher, options.type, options.version));
    }
    const std::string shown = options.file_option + " " + options.zip.string();
    std::error_code ec;
    const auto status = std::filesystem::status(options.zip, ec);
    if (ec || !std::filesystem::is_regular_file(status)) {
        return makeError(exitcode::kInvalidArgument, shown + " is not a readable regular file");
    }
    const auto size = std::filesystem::file_size(options.zip, ec);
    if (ec || size == 0 || size > kMaxPackageBytes) {
        return makeError(exitcode::kInvalidArgument, shown + " must be 1 byte to 100 MiB");
    }
    BOOST_OUTCOME_TRY(zip, fs::readFile(options.zip, kMaxPackageBytes));
    if (agent) {
        const auto platform = crypto::detectAgentPlatform(zip);
        if (!platform) {
            return makeError(exitcode::kInvalidArgument, shown + " is no deb, rpm or msi package");
        }
        options.type = std::string(crypto::agentPlatformName(*platform));
        BOOST_OUTCOME_TRY(
            validatePackageKey(options.kind, options.publisher, options.type, options.version));
    }

    const DataDir dir(options.data_dir);
    BOOST_OUTCOME_TRY(fs::ensureDirectory(dir.root(), kDataDirMode));
    BOOST_OUTCOME_TRY(store, Store::open(dir.database()));
    BOOST_OUTCOME_TRY(store->initialize());
    BOOST_OUTCOME_TRY(signer, loadOrCreatePackageSigner(dir, clock()));
    BOOST_OUTCOME_TRY(package,
                      publishPackage(*store, dir, signer, options.kind, options.publisher,
                                     options.type, options.version, zip, clock(), released));
    const auto file = std::filesystem::absolute(packageFile(dir, package), ec);
    return nlohmann::json{{"kind", package.kind},
                          {"publisher", package.publisher},
                          {"type", package.type},
                          {"version", package.version},
                          {"size", package.size},
                          {"sha256", package.sha256},
                          {"signature", crypto::base64Encode(package.signature_der)},
                          {"downloadPath", packageDownloadPath(package)},
                          {"file", file.string()},
                          {"packageSigningRootPath", signer.root_cert_path.string()},
                          {"released", rfc3339(fromUnixSeconds(package.released_at))}};
}

} // namespace azcm::emulator
