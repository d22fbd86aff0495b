#include "common/platform/trust_roots.hpp"

#include "common/fs/atomic_file.hpp"

#include <openssl/ssl.h>

namespace azcm::platform {

namespace {

// Debian's bundle of every trusted root (ca-certificates).
constexpr const char* kSystemBundle = "/etc/ssl/certs/ca-certificates.crt";
constexpr std::size_t kMaxBundleBytes = 8 << 20;

} // namespace

Result<void> trustSystemRoots(ssl_ctx_st* context) {
    if (SSL_CTX_set_default_verify_paths(context) != 1) {
        return makeError(exitcode::kNetwork, "cannot load the system's trusted roots");
    }
    return ok();
}

Result<std::string> systemRootsPem() {
    auto pem = fs::readFile(kSystemBundle, kMaxBundleBytes);
    if (!pem) {
        std::string message = "cannot read trust anchors ";
        message.append(kSystemBundle).append(": ").append(pem.error().message);
        return makeError(exitcode::kCloudConfig, std::move(message));
    }
    return pem;
}

} // namespace azcm::platform
