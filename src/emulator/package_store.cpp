#include "emulator/package_store.hpp"

#include "common/agent_version.hpp"
#include "common/crypto/agent_package.hpp"
#include "common/crypto/encoding.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/package_signature.hpp"
#include "common/crypto/x509.hpp"
#include "common/fs/atomic_file.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

namespace azcm::emulator {

namespace {

constexpr auto kRootLifetime = std::chrono::hours(24 * 3650);
constexpr auto kPublisherLifetime = std::chrono::hours(24 * 1825);
constexpr auto kPublisherRenewBefore = std::chrono::hours(24 * 30);
constexpr fs::FileMode kSecretMode{0600, {}};
constexpr fs::FileMode kPublicMode{0644, {}};
constexpr std::size_t kMaxNameLength = 128;

std::filesystem::path rootKeyPath(const DataDir& dir) {
    return dir.root() / "package-signing-root.key";
}
std::filesystem::path rootCertPath(const DataDir& dir) {
    return dir.root() / "package-signing-root.crt";
}
std::filesystem::path publisherKeyPath(const DataDir& dir) {
    return dir.root() / "package-publisher.key";
}
std::filesystem::path publisherCertPath(const DataDir& dir) {
    return dir.root() / "package-publisher.crt";
}
std::filesystem::path packagesDir(const DataDir& dir) {
    return dir.root() / "packages";
}

bool fileExists(const std::filesystem::path& path) {
    std::error_code ignored;
    return std::filesystem::exists(std::filesystem::symlink_status(path, ignored));
}

// The server and `extension publish` may both create the signer on a fresh directory; an
// exclusive flock makes the second one load what the first created.
class DirectoryLock {
public:
    static Result<DirectoryLock> take(const std::filesystem::path& path) {
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            return makeError(exitcode::kGeneric, "cannot open " + path.string());
        }
        if (::flock(fd, LOCK_EX) != 0) {
            ::close(fd);
            return makeError(exitcode::kGeneric, "cannot lock " + path.string());
        }
        return DirectoryLock(fd);
    }
    DirectoryLock(DirectoryLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    DirectoryLock(const DirectoryLock&) = delete;
    DirectoryLock& operator=(const DirectoryLock&) = delete;
    DirectoryLock& operator=(DirectoryLock&&) = delete;
    ~DirectoryLock() {
        if (fd_ >= 0) {
            ::close(fd_); // releases the flock
        }
    }

private:
    explicit DirectoryLock(int fd) : fd_(fd) {}
    int fd_;
};

Result<std::string> loadOrCreateKey(const std::filesystem::path& path) {
    if (fileExists(path)) {
        return fs::readFile(path, 1 << 20);
    }
    BOOST_OUTCOME_TRY(key, crypto::generateRsaPrivateKeyPem(2048));
    BOOST_OUTCOME_TRY(fs::writeFileAtomic(path, key, kSecretMode));
    return key;
}

Result<void> ensureRoot(const DataDir& dir, PackageSigner& signer) {
    const bool have_key = fileExists(rootKeyPath(dir));
    const bool have_cert = fileExists(rootCertPath(dir));
    if (have_key != have_cert) {
        return makeError(exitcode::kInitFailed,
                         "emulator data directory has only one of package-signing-root.key and "
                         "package-signing-root.crt; remove the other or both");
    }
    if (have_cert) {
        BOOST_OUTCOME_TRY(cert, fs::readFile(rootCertPath(dir), 1 << 20));
        signer.root_cert_pem = std::move(cert);
        return ok();
    }
    BOOST_OUTCOME_TRY(key, crypto::generateRsaPrivateKeyPem(2048));
    BOOST_OUTCOME_TRY(cert, crypto::createSelfSignedCaPem(
                                key, "Arc Emulator Package Signing Root",
                                std::chrono::duration_cast<std::chrono::seconds>(kRootLifetime)));
    BOOST_OUTCOME_TRY(fs::writeFileAtomic(rootKeyPath(dir), key, kSecretMode));
    BOOST_OUTCOME_TRY(fs::writeFileAtomic(rootCertPath(dir), cert, kPublicMode));
    spdlog::info("EMULATOR_PACKAGE_ROOT_CREATED path={}", rootCertPath(dir).string());
    signer.root_cert_pem = std::move(cert);
    return ok();
}

bool publisherUsable(const PackageSigner& signer, SystemTime now) {
    if (!crypto::verifyCertificateChain(signer.publisher_cert_pem, signer.root_cert_pem, now)) {
        return false;
    }
    auto info = crypto::parseCertificatePem(signer.publisher_cert_pem);
    auto key_der = crypto::publicKeyDer(signer.publisher_key_pem);
    return info && key_der && info.value().not_after - now > kPublisherRenewBefore &&
           info.value().public_key_der == key_der.value();
}

Result<void> ensurePublisher(const DataDir& dir, PackageSigner& signer, SystemTime now) {
    BOOST_OUTCOME_TRY(key, loadOrCreateKey(publisherKeyPath(dir)));
    signer.publisher_key_pem = std::move(key);
    if (fileExists(publisherCertPath(dir))) {
        BOOST_OUTCOME_TRY(cert, fs::readFile(publisherCertPath(dir), 1 << 20));
        signer.publisher_cert_pem = std::move(cert);
        if (publisherUsable(signer, now)) {
            return ok();
        }
    }
    BOOST_OUTCOME_TRY(root_key, fs::readFile(rootKeyPath(dir), 1 << 20));
    BOOST_OUTCOME_TRY(public_der, crypto::publicKeyDer(signer.publisher_key_pem));
    crypto::IssueRequest request;
    request.subject_common_name = "Arc Emulator Package Publisher";
    request.subject_public_key_der = public_der;
    request.usage = crypto::CertificateUsage::kClient;
    request.lifetime = std::chrono::duration_cast<std::chrono::seconds>(kPublisherLifetime);
    request.not_before = now - std::chrono::minutes(5);
    BOOST_OUTCOME_TRY(cert, crypto::issueCertificatePem(signer.root_cert_pem, root_key, request));
    BOOST_OUTCOME_TRY(fs::writeFileAtomic(publisherCertPath(dir), cert, kPublicMode));
    spdlog::info("EMULATOR_PACKAGE_PUBLISHER_ISSUED path={}", publisherCertPath(dir).string());
    signer.publisher_cert_pem = std::move(cert);
    return ok();
}

bool validName(std::string_view name) {
    return !name.empty() && name.size() <= kMaxNameLength &&
           std::isalnum(static_cast<unsigned char>(name.front())) != 0 &&
           std::all_of(name.begin(), name.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' ||
                      c == '-';
           });
}

// Dotted decimal components; nullopt when `version` is not digits and dots (1 to 4 parts).
std::optional<std::vector<std::uint64_t>> versionParts(std::string_view version) {
    std::vector<std::uint64_t> parts;
    std::size_t start = 0;
    while (true) {
        const auto dot = version.find('.', start);
        const auto part = version.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (part.empty() || part.size() > 9 ||
            !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            return std::nullopt;
        }
        std::uint64_t value = 0;
        std::from_chars(part.data(), part.data() + part.size(), value);
        parts.push_back(value);
        if (dot == std::string_view::npos) {
            break;
        }
        start = dot + 1;
    }
    if (parts.size() > 4) {
        return std::nullopt;
    }
    return parts;
}

} // namespace

Result<PackageSigner> loadOrCreatePackageSigner(const DataDir& dir, SystemTime now) {
    BOOST_OUTCOME_TRY(fs::ensureDirectory(dir.root(), kDataDirMode));
    auto lock = DirectoryLock::take(dir.root() / "package-signing.lock"); // held until return
    if (!lock) {
        return lock.error();
    }
    PackageSigner signer;
    BOOST_OUTCOME_TRY(ensureRoot(dir, signer));
    BOOST_OUTCOME_TRY(ensurePublisher(dir, signer, now));
    std::error_code ec;
    signer.root_cert_path = std::filesystem::absolute(rootCertPath(dir), ec);
    if (ec) {
        return makeError(exitcode::kInitFailed, "cannot resolve " + rootCertPath(dir).string());
    }
    return signer;
}

int compareVersions(std::string_view left, std::string_view right) {
    const auto a = versionParts(left).value_or(std::vector<std::uint64_t>{});
    const auto b = versionParts(right).value_or(std::vector<std::uint64_t>{});
    // Lexicographic on the numbers; a prefix sorts first ("1.2" < "1.2.0").
    if (std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end())) {
        return -1;
    }
    return a == b ? 0 : 1;
}

Result<void> validatePackageKey(std::string_view kind,
                                std::string_view publisher,
                                std::string_view type,
                                std::string_view version) {
    if (kind == kPackageKindAgent) {
        if (!publisher.empty() || !crypto::parseAgentPlatform(type) ||
            !parseAgentVersion(version)) {
            return makeError(exitcode::kInvalidArgument,
                             "an agent package has no publisher, a platform (deb, rpm, msi) and "
                             "a version MAJOR.MINOR.BUILD.REVISION, each field 0-65535");
        }
        return ok();
    }
    const bool guest_configuration = kind == kPackageKindGuestConfiguration;
    if (kind != kPackageKindExtension && !guest_configuration) {
        return makeError(exitcode::kInvalidArgument,
                         "package kind must be 'extension', 'guestconfiguration' or 'agent'");
    }
    if (guest_configuration ? !publisher.empty() : !validName(publisher)) {
        return makeError(exitcode::kInvalidArgument,
                         guest_configuration
                             ? "guest configuration packages have no publisher"
                             : "publisher must be 1 to 128 of [A-Za-z0-9._-], starting with a "
                               "letter or digit");
    }
    if (!validName(type)) {
        return makeError(exitcode::kInvalidArgument,
                         "type must be 1 to 128 of [A-Za-z0-9._-], starting with a letter or "
                         "digit");
    }
    if (!versionParts(version)) {
        return makeError(exitcode::kInvalidArgument,
                         "version must be 1 to 4 dot-separated decimal numbers, e.g. 1.2.3");
    }
    return ok();
}

std::filesystem::path packageFile(const DataDir& dir, const PublishedPackage& package) {
    const std::string suffix = package.kind == kPackageKindAgent ? package.type : "zip";
    return packagesDir(dir) / (package.sha256 + "." + suffix);
}

Result<PublishedPackage> publishPackage(Store& store,
                                        const DataDir& dir,
                                        const PackageSigner& signer,
                                        std::string_view kind,
                                        std::string_view publisher,
                                        std::string_view type,
                                        std::string_view version,
                                        std::string_view zip,
                                        SystemTime now,
                                        std::optional<SystemTime> released) {
    BOOST_OUTCOME_TRY(validatePackageKey(kind, publisher, type, version));
    if (zip.empty() || zip.size() > kMaxPackageBytes) {
        return makeError(exitcode::kInvalidArgument,
                         "a package must be 1 byte to 100 MiB; this one is " +
                             std::to_string(zip.size()) + " bytes");
    }
    if (kind == kPackageKindAgent) {
        const auto platform = crypto::detectAgentPlatform(zip);
        if (!platform || crypto::agentPlatformName(*platform) != type) {
            return makeError(
                exitcode::kInvalidArgument,
                "the file is " +
                    (platform
                         ? "a " + std::string(crypto::agentPlatformName(*platform)) + " package"
                         : std::string("no deb, rpm or msi package")) +
                    ", not the " + std::string(type) + " package it is published as");
        }
    }
    PublishedPackage package;
    package.kind = std::string(kind);
    package.publisher = std::string(publisher);
    package.type = std::string(type);
    package.version = std::string(version);
    package.size = zip.size();
    package.sha256 = crypto::hexEncode(crypto::sha256(zip));
    package.published_at = toUnixSeconds(now);
    package.released_at = toUnixSeconds(released.value_or(now));
    // The signature names the package, so agents refuse it under any other name or version.
    const crypto::PackageIdentity identity{package.kind, package.publisher, package.type,
                                           package.version};
    BOOST_OUTCOME_TRY(signature, crypto::signPackage(zip, identity, signer.publisher_key_pem,
                                                     signer.publisher_cert_pem));
    package.signature_der = std::move(signature);
    // The file first: a row must never name a file that is not there yet.
    BOOST_OUTCOME_TRY(fs::ensureDirectory(packagesDir(dir), fs::FileMode{0755, {}}));
    BOOST_OUTCOME_TRY(fs::writeFileAtomic(packageFile(dir, package), zip, kPublicMode));
    BOOST_OUTCOME_TRY(
        store.transaction([&]() -> Result<void> { return store.putPackage(package); }));
    return package;
}

Result<std::optional<PublishedPackage>> findPackage(Store& store,
                                                    std::string_view kind,
                                                    std::string_view publisher,
                                                    std::string_view type,
                                                    std::string_view requested_version) {
    const auto requested = versionParts(requested_version);
    if (!requested) {
        return std::optional<PublishedPackage>();
    }
    BOOST_OUTCOME_TRY(candidates, store.listPackages(kind, publisher, type));
    std::optional<PublishedPackage> best;
    for (auto& candidate : candidates) {
        const auto parts = versionParts(candidate.version);
        if (!parts) {
            continue;
        }
        if (*parts == *requested) {
            return std::optional<PublishedPackage>(std::move(candidate)); // exact wins
        }
        const bool same_minor = requested->size() == 2 && parts->size() > 2 &&
                                (*parts)[0] == (*requested)[0] && (*parts)[1] == (*requested)[1];
        if (same_minor && (!best || compareVersions(candidate.version, best->version) > 0)) {
            best = std::move(candidate);
        }
    }
    return best;
}

Result<std::string> readPackageBytes(const DataDir& dir, const PublishedPackage& package) {
    // One byte over the limit, so a file grown past it is served as is and the agent's size
    // check, not this read, refuses it.
    return fs::readFile(packageFile(dir, package), kMaxPackageBytes + 1);
}

std::string packageDownloadPath(const PublishedPackage& package) {
    if (package.kind == kPackageKindGuestConfiguration || package.kind == kPackageKindAgent) {
        return "/his/machines/packages/" + package.kind + "/" + package.type + "/" +
               package.version;
    }
    return "/his/machines/packages/" + package.kind + "/" + package.publisher + "/" + package.type +
           "/" + package.version;
}

nlohmann::json packageJson(const PublishedPackage& package, const std::string& base_url) {
    return nlohmann::json{{"url", base_url + packageDownloadPath(package)},
                          {"size", package.size},
                          {"sha256", package.sha256},
                          {"signature", crypto::base64Encode(package.signature_der)}};
}

std::string packageContentType(const PublishedPackage& package) {
    if (package.kind != kPackageKindAgent) {
        return "application/zip";
    }
    if (package.type == "deb") {
        return "application/vnd.debian.binary-package";
    }
    return package.type == "rpm" ? "application/x-rpm" : "application/x-msi";
}

Result<std::vector<PublishedPackage>> listAgentPackages(Store& store, std::string_view platform) {
    BOOST_OUTCOME_TRY(packages, store.listPackages(kPackageKindAgent, "", platform));
    std::sort(packages.begin(), packages.end(), [](const auto& a, const auto& b) {
        return compareVersions(a.version, b.version) > 0;
    });
    return packages;
}

} // namespace azcm::emulator
